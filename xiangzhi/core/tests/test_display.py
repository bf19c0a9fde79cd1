"""One date and number style across the site (``xiangzhi.core.display``)."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from xiangzhi.core.display import (
    clock_text,
    day_text,
    decimal_text,
    figure_text,
    km_text,
    moment_text,
    percent_text,
    share_text,
    signed_text,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 6)


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


# --- days and moments -------------------------------------------------------------------------------


def test_a_day_this_year_has_no_year():
    assert day_text(dt.date(2026, 12, 6), today=TODAY) == "12月6日"
    assert day_text(dt.date(2026, 1, 1), today=TODAY) == "1月1日"


def test_a_day_of_another_year_has_its_year():
    assert day_text(dt.date(2025, 12, 6), today=TODAY) == "2025年12月6日"
    assert day_text(dt.date(2027, 1, 2), today=TODAY) == "2027年1月2日"


def test_a_moment_has_its_time_and_the_year_only_when_not_this_year():
    assert moment_text(dt.datetime(2026, 12, 6, 14, 5, tzinfo=SHANGHAI), today=TODAY) == "12月6日 14:05"
    assert moment_text(dt.datetime(2025, 3, 9, 8, 0, tzinfo=SHANGHAI), today=TODAY) == "2025年3月9日 08:00"


def test_a_moment_reads_on_the_county_clock_not_utc():
    # 2026-12-31 17:30 UTC is 2027-01-01 01:30 in Shanghai: another day, another year.
    utc = dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)
    assert moment_text(utc, today=TODAY) == "2027年1月1日 01:30"
    assert day_text(utc, today=TODAY) == "2027年1月1日"
    assert clock_text(utc) == "01:30"
    assert moment_text(utc, today=dt.date(2027, 1, 1)) == "1月1日 01:30"


def test_this_year_is_the_county_s_year():
    # At 2026-12-31 16:30 UTC it is already 2027 in the county: a 2027 day reads without its year.
    now = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: now)
        assert day_text(dt.date(2027, 1, 1)) == "1月1日"
        assert day_text(dt.date(2026, 12, 31)) == "2026年12月31日"


def test_a_bare_date_as_a_moment_reads_as_a_day():
    assert moment_text(dt.date(2026, 5, 4), today=TODAY) == "5月4日"


@pytest.mark.parametrize("fn", [day_text, moment_text, clock_text])
def test_nothing_reads_as_nothing(fn):
    assert fn(None) == ""
    assert fn("") == ""


def test_filters_are_builtins_on_every_template():
    now = timezone.now()
    local = timezone.localtime(now)
    page = render("{{ d|day }}|{{ m|moment }}|{{ m|clock }}|{{ none|moment|default:'—' }}",
                  d=dt.date(2019, 10, 1), m=now, none=None)
    assert page == f"2019年10月1日|{local.month}月{local.day}日 {local:%H:%M}|{local:%H:%M}|—"


# --- figures ---------------------------------------------------------------------------------------


def test_figures_are_grouped_by_thousands():
    assert figure_text(102325) == "102,325"
    assert figure_text(1585) == "1,585"
    assert figure_text(999) == "999"
    assert figure_text(0) == "0"
    assert figure_text(-1200) == "-1,200"
    assert figure_text(Decimal("1234567")) == "1,234,567"


def test_signed_points_keep_their_sign():
    assert signed_text(1200) == "+1,200"
    assert signed_text(-5) == "-5"
    assert signed_text(0) == "+0"


def test_decimals_have_a_fixed_number_of_places():
    assert km_text(3.2) == "3.20"
    assert km_text(1234.567) == "1,234.57"
    assert decimal_text(2.25, 1) in {"2.2", "2.3"}
    assert decimal_text(7, 1) == "7.0"
    assert percent_text(96.5) == "96.5%"
    assert percent_text(100) == "100.0%"
    assert share_text(0.965) == "96.5%"
    assert share_text(1) == "100.0%"


def test_empty_and_foreign_values():
    for fn in (figure_text, signed_text, km_text, percent_text, share_text):
        assert fn(None) == ""
        assert fn("") == ""
    assert figure_text("—") == "—"
    assert figure_text(True) == "True"


def test_number_filters_render_in_templates():
    page = render("{{ n|figure }} {{ p|signed }} {{ k|km }} {{ r|percent }} {{ s|share }} "
                  "{{ a|decimal:1|default:'—' }}", n=102325, p=15, k=12.5, r=96.54, s=0.5, a=None)
    assert page == "102,325 +15 12.50 96.5% 50.0% —"


def test_localisation_does_not_group_ids():
    # Django's own grouping would put commas into every pk in an href; the filters group by name.
    assert not getattr(settings, "USE_THOUSAND_SEPARATOR", False)
    assert render("{% url 'cases:detail' pk %} {{ pk }}", pk=102325) == "/cases/102325/ 102325"


# --- no template formats a date by itself ---------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[2]
RAW = re.compile(r"""\|\s*(date|time)\b(?:\s*:\s*(?P<q>["'])(?P<fmt>.*?)(?P=q))?""")
# Machine formats, allowed only inside an HTML attribute (datetime="…", value="…", min/max="…").
MACHINE = {"c", "Y-m-d", r"Y-m-d\TH:i", "U", "r"}
ATTRIBUTE = re.compile(r"""[\w:-]+=(["'])[^"']*$""")


def _raw_dates() -> list[str]:
    found = []
    for path in sorted(PACKAGE.glob("**/templates/**/*.html")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in RAW.finditer(line):
                in_attribute = ATTRIBUTE.search(line[: m.start()].rsplit("{{", 1)[0]) is not None
                if m["fmt"] in MACHINE and in_attribute:
                    continue
                found.append(f"{path.relative_to(PACKAGE)}:{n}: {m.group(0)}")
    return found


def test_no_template_formats_a_date_by_itself():
    raw = _raw_dates()
    assert not raw, "use |day, |moment or |clock (xiangzhi/core/display.py):\n" + "\n".join(raw)


def test_the_checker_sees_a_raw_date(tmp_path, monkeypatch):
    folder = tmp_path / "app" / "templates" / "app"
    folder.mkdir(parents=True)
    (folder / "x.html").write_text(
        '<p>{{ a|date:"Y-m-d" }}</p><input value="{{ b|date:\'Y-m-d\' }}"><time datetime="{{ c|date:"c" }}">'
        '{{ d|time:"H:i" }} {{ e|date }}\n', encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", tmp_path)
    raw = _raw_dates()
    assert [r.rsplit(": ", 1)[1] for r in raw] == ['|date:"Y-m-d"', '|time:"H:i"', "|date"]


def test_a_value_kept_as_text_reads_an_iso_day_in_the_sites_style():
    from xiangzhi.core.display import stated_text

    this_year = timezone.localdate().year
    assert stated_text(f"{this_year}-01-02") == "1月2日"
    assert stated_text("2019-11-30") == "2019年11月30日"
    assert stated_text("青岛") == "青岛" and stated_text("2019-13-40") == "2019-13-40" and stated_text(3) == 3
