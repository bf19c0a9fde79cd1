"""Light charts (SVG drawn on the server) on the figures and rankings pages, and plotly.js in Chinese
where the interactive view still loads it."""

import codecs
import re
from pathlib import Path

import plotly
import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from tests.factories import install_points_rulebooks
from xiangzhi.core.charts import GREEN, GREY, RED, Series, bars, columns, month_ticks
from xiangzhi.points import services as points

PLOTLY = "plotly/plotly.min.js"
LOCALE = "xiangzhi/plotly-locale-zh-cn.js"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_bars_carry_the_numbers_and_show_names_as_text():
    chart = bars("overdue", "各下级在办与超时", ["东村", '<a href="x">西村</a>'],
                 [Series("超时未办结", [1, 0], RED), Series("在办未超时", [1200, 3], GREY)], stacked=True,
                 label_head="村")
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title id=\"chart-overdue-title\">各下级在办与超时</title>" in svg and "<desc" in svg
    assert ">东村</text>" in svg and "&lt;a href=&quot;x&quot;&gt;西村&lt;/a&gt;" in svg and "<a " not in svg
    assert ">1,201（超时未办结 1）</text>" in svg and ">3</text>" in svg  # totals at the bars' ends
    assert "<title>东村 在办未超时 1,200</title>" in svg  # every bar names its number
    assert chart.head == ["村", "超时未办结", "在办未超时"]
    assert chart.rows == [["东村", "1", "1,200"], ['<a href="x">西村</a>', "0", "3"]]  # the template escapes


def test_a_share_chart_and_an_empty_one():
    chart = bars("satisfaction", "群众评价", ["满意", "基本满意", "不满意"], [Series("件数", [3, 1, 0], GREEN)],
                 share=True)
    assert ">3（75.0%）</text>" in chart.svg and ">1（25.0%）</text>" in chart.svg
    assert chart.rows[0] == ["满意", "3", "75.0%"] and chart.head[-1] == "占比"
    empty = bars("groups", "按类别大类", [], [Series("上报", [], GREEN)])
    assert "暂无数据" in empty.svg and empty.rows == []


def test_months_are_columns_with_a_line_and_chinese_ticks():
    labels, ticks = month_ticks(["2025-11", "2025-12", "2026-01", "2026-02"])
    assert labels == ["2025年11月", "2025年12月", "2026年1月", "2026年2月"]
    assert ticks == [("11月", "2025年"), ("12月", ""), ("1月", "2026年"), ("2月", "")]
    chart = columns("months", "月度上报与办结", labels, ticks, Series("上报", [4, 0, 7, 2], GREEN),
                    Series("办结", [1, 3, 5, 2], RED), label_head="月份")
    svg = str(chart.svg)
    assert svg.count("<rect") == 4 + 2 and "<polyline" in svg and svg.count("<circle") == 4  # bars, legend
    assert "<title>2026年1月 上报 7</title>" in svg and "<title>2025年12月 办结 3</title>" in svg
    assert ">2026年</text>" in svg and ">11月</text>" in svg
    assert chart.rows[2] == ["2026年1月", "7", "5"]


def _light_page(html: str) -> str:
    return html.split('data-testid="light-charts"', 1)[1]


@pytest.mark.django_db
def test_the_figures_page_draws_light_charts_without_plotly(client, county, story):
    client.force_login(county.users["township_staff"])
    html = client.get("/centre/figures/", {"start": story.start.isoformat(), "end": story.end.isoformat()}
                      ).content.decode()
    assert PLOTLY not in html and LOCALE not in html and "Plotly" not in html
    charts = _light_page(html)
    assert charts.count('<svg class="xz-svg"') == 5
    for title in ("月度上报与办结", "办结层级（自办自结）", "群众评价", "按类别大类", "各下级在办与超时"):
        assert f"<figcaption class=\"fw-semibold mb-1\">{title}</figcaption>" in charts, title
    # The figures' own numbers, in the SVG and in the table beneath it: 8 reported in 东村, 2 closed
    # at grid level of the 4 closed (50.0%), 1 satisfied and 1 basically satisfied.
    overdue = charts.split('data-testid="svg-overdue"', 1)[1].split("</svg>", 1)[0]
    assert ">东村</text>" in overdue and ">西村</text>" in overdue
    levels = charts.split('data-testid="svg-levels"', 1)[1].split("</svg>", 1)[0]
    assert ">网格</text>" in levels and ">2（50.0%）</text>" in levels
    satisfaction = charts.split('data-testid="chart-table-satisfaction"', 1)[1].split("</table>", 1)[0]
    # Each number of the table links to the cases behind it, like its bar.
    assert re.search(r'<th scope="row" class="fw-normal">满意</th><td class="text-end"><a href="/centre/cases/\?'
                     r'[^"]*figure=satisfied">1</a></td>', satisfaction)
    # A bar that is a link is named by its number, and a chart of links is a group, not an image.
    assert re.search(r'<a href="/centre/cases/\?[^"]*figure=satisfied" aria-label="满意 件数 1"><rect ', charts)
    assert re.search(r'<svg [^>]*data-testid="svg-satisfaction"[^>]*role="group"', charts)
    assert 'data-testid="interactive-link"' in html and "charts=interactive" in html


@pytest.mark.django_db
def test_the_interactive_view_loads_plotly_in_chinese(client, county, story):
    client.force_login(county.users["county_admin"])
    html = client.get("/centre/figures/", {"charts": "interactive", "region": county.village_a1.code}).content.decode()
    assert html.index(PLOTLY) < html.index(LOCALE)  # the locale registers after plotly.js
    assert 'locale: "zh-CN"' in html and 'id="chart-months"' in html
    assert 'data-testid="light-charts"' not in html
    # The old wall mode of the page is the wall screen now, which draws its own charts without plotly.js.
    wall = client.get("/centre/figures/", {"wall": "1", "region": county.village_a1.code})
    assert wall.status_code == 302 and wall["Location"] == f"/centre/wall/?region={county.village_a1.code}"
    assert PLOTLY not in client.get(wall["Location"]).content.decode()
    interactive = client.get("/centre/figures/", {"charts": "interactive"}).content.decode()
    assert 'data-testid="light-link"' in interactive and 'data-testid="interactive-link"' not in interactive
    # Scope holds on every view: another township's region is not found.
    assert client.get("/centre/figures/", {"charts": "interactive", "region": "no-such"}).status_code == 404
    client.force_login(county.users["township_staff"])
    assert client.get("/centre/figures/", {"charts": "interactive", "region": county.town_b.code}).status_code == 404
    client.force_login(county.users["resident"])
    assert client.get("/centre/figures/", {"charts": "interactive"}).status_code == 403


NAME_CHAR = re.compile(r"[\w$.]")


def _called_with(js: str, text: str):
    r"""Each name called as ``name(x,"text")`` in ``js``: what ``([\w$.]+)\([\w$]+,"text"\)`` finds, but
    found from the call's literal end and read backwards (a pattern that opens with a character class
    is tried at each of the bundle's five million positions: seconds)."""
    for m in re.finditer(rf'\([\w$]+,"{re.escape(text)}"\)', js):
        start = m.start()
        while start and NAME_CHAR.match(js[start - 1]):
            start -= 1
        if start < m.start():
            yield js[start:m.start()]


def test_the_locale_translates_every_string_plotly_translates():
    """Every text the bundled plotly.js passes through its translator has a Chinese entry: found
    from the calls that translate strings known to be translated, so an upgrade that adds one fails."""
    js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    anchors = ["Zoom", "trace", "min:", "open:", "lat:", "kde:", "Click to enter Component A title",
               "Click to enter radial axis title", "Double-click to zoom back out"]
    translators = {name for a in anchors for name in _called_with(js, a)}
    english = {codecs.decode(m.group(1), "unicode_escape") for t in translators
               for m in re.finditer(rf'(?<![\w$.]){re.escape(t)}\([\w$]+,"([^"]+)"[,)]', js)}
    assert {"Download plot as a PNG", "Zoom", "Pan", "Lasso Select", "Box Select", "Autoscale"} <= english
    locale = Path(finders.find(LOCALE)).read_text()
    assert 'name: "zh-CN"' in locale and "Plotly.register(" in locale
    dictionary = dict(re.findall(r'^\s+"([^"]+)": "([^"]+)",?$', locale, re.M))
    assert english - dictionary.keys() == set()
    assert all(CJK.search(dictionary[e]) for e in english if e != "mean ± σ:")


@pytest.mark.django_db
def test_the_rankings_page_draws_light_charts(client, county):
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    entry = points.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                                rule=rules["stability_mediate"], occurred_on=timezone.localdate()).entry
    points.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    client.force_login(county.users["township_staff"])
    html = client.get("/points/rankings/").content.decode()
    assert PLOTLY not in html
    rate = html.split('data-testid="svg-rate"', 1)[1].split("</svg>", 1)[0]
    assert "<title id=\"chart-rate-title\">各村参与率</title>" in rate
    assert ">东村</text>" in rate and ">50.0%</text>" in rate  # one of 东村's two households
    assert ">西村</text>" in rate and ">0.0%</text>" in rate
    assert 'data-testid="chart-table-average"' in html
    client.force_login(county.users["township_staff_b"])
    other = client.get("/points/rankings/").content.decode()
    assert ">东村</text>" not in other  # another township's villages only
