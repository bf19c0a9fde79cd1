"""The wall screen (大屏): its charts' labels never meet, its figures are the case figures of the scope
asked for, and its data endpoint answers the fragment the page swaps in, inside the user's scope only."""

import itertools
import json
import re

import pytest
from django.utils import timezone

from tests.factories import RegionFactory
from tests.web import policy_problems
from xiangzhi.centre import kept as kept_module
from xiangzhi.centre.figures import Row
from xiangzhi.centre.tests.figures_story import report
from xiangzhi.centre.wall import NARROW, WIDE, Bar, Panel, bars, fit, text_width, trend, wall_cached, wall_for_user

LONG = "沾化区下洼镇东风第一经济合作社区居民委员会"


def _no_meeting(panel: Panel) -> None:
    for a, b in itertools.combinations(panel.boxes, 2):
        assert not a.meets(b), (panel.key, a, b)
    for box in panel.boxes:
        assert box.x >= 0 and box.y >= 0, (panel.key, box)
        assert box.x + box.w <= panel.width + 0.5 and box.y + box.h <= panel.height + 0.5, (panel.key, box)


def _month(key: str, received: int, closed: int) -> Row:
    row = Row(key=key, name=key, received=received)
    row.closed_in_month = closed
    return row


def test_a_long_name_is_cut_to_its_column_and_keeps_its_full_name_as_tooltip():
    assert fit("东村", 20, 100) == "东村"
    cut = fit(LONG, 20, 120)
    assert cut.endswith("…") and text_width(cut, 20) <= 120 and LONG.startswith(cut[:-1])
    rows = [Bar(LONG, ((12, "#f00", "超时"), (1_234, "#999", "在办")), "1,246（超时 12）"),
            Bar("东村", ((0, "#f00", ""), (3, "#999", "")), "3"),
            Bar("<b>西村</b>", ((1, "#f00", ""), (0, "#999", "")), "1（超时 1）")]
    panel = bars("children", "各村（社区）在办与超时", rows)
    _no_meeting(panel)
    svg = str(panel.svg)
    shown = fit(LONG, 20, NARROW[0] * 0.3)
    assert shown != LONG and f"<title>{LONG}</title>{shown}</text>" in svg  # cut on screen, whole in the tooltip
    assert "&lt;b&gt;西村&lt;/b&gt;" in svg and "<b>" not in svg  # a name is text, never markup
    # Nine rows fill a chart nine rows high; a tenth would not fit the readable row height.
    nine = bars("x", "x", [Bar(f"{LONG}{i}", ((i + 1, "#0f0", ""),), f"{i + 1}") for i in range(9)],
                size=(NARROW[0], 9 * 34))
    _no_meeting(nine)
    with pytest.raises(ValueError):
        bars("x", "x", [Bar("村", ((1, "#0f0", ""),), "1")] * 10, size=(NARROW[0], 9 * 34))


@pytest.mark.parametrize("first, months", [("2024-12", 24), ("2025-01", 12), ("2025-06", 3)])
def test_month_ticks_and_years_never_meet(first, months):
    year, month = int(first[:4]), int(first[5:])
    rows = []
    for i in range(months):
        y, m = year + (month - 1 + i) // 12, (month - 1 + i) % 12 + 1
        rows.append(_month(f"{y:04d}-{m:02d}", 12_345 + i * 1_000, 10_000 + i))
    panel = trend("months", "月度上报与办结", rows)
    assert (panel.width, panel.height) == WIDE
    _no_meeting(panel)
    texts = [b.text for b in panel.boxes]
    assert f"{year}年" in texts or f"{year + 1}年" in texts
    if months == 24:  # December then January: only one of the two years fits under them
        assert texts.count("2024年") + texts.count("2025年") == 1 and "2026年" in texts


def test_an_empty_period_says_so():
    panel = trend("months", "月度上报与办结", [_month("2025-01", 0, 0)])
    assert "暂无数据" in panel.svg
    assert "暂无数据" in bars("levels", "办结层级", [Bar("网格", ((0, "#0f0", ""),), "0")]).svg


@pytest.mark.django_db
def test_the_wall_shows_the_scopes_figures(county, story):
    county_name = RegionFactory(code="371603101003", name=LONG, level="village", parent=county.town_a)
    w = wall_for_user(county.users["township_staff"])
    values = {c.key: c.value for c in w.cards}
    # The nine cases of the story (figures_story): 8 in 下洼镇, 4 of 5 due closed, 3 on time.
    assert values["received"] == "8" and values["closure_rate"] == "80.0%" and values["on_time_rate"] == "60.0%"
    assert values["satisfaction_rate"] == "66.7%" and values["self_closed_rate"] == "50.0%"
    assert values["overdue_open"] == "1" and values["open"] == "2" and len(values) == 8
    assert w.node_name == "下洼镇" and w.period == "12m" and w.last == timezone.localdate()
    assert [p.key for p in w.panels] == ["months", "satisfaction", "children", "groups", "levels"]
    for panel in w.panels:
        _no_meeting(panel)
    children = next(p for p in w.panels if p.key == "children")
    assert f"<title>{county_name.name}</title>" in children.svg  # cut on the screen, whole in the tooltip
    assert children.title == "各村（社区）在办与超时"
    other = wall_for_user(county.users["county_admin"], region=county.town_b, period="month")
    assert other.node_name == "古城镇" and other.period_label == "本月"
    assert {c.key: c.value for c in other.cards}["received"] == "1"


@pytest.mark.django_db
def test_a_count_serves_its_minute_then_the_next_request_counts_again(county, story, monkeypatch,
                                                                       django_assert_num_queries):
    town = county.users["township_staff"]
    first = wall_cached(town)
    with django_assert_num_queries(0):
        again = wall_cached(town)
    assert again.generated_at == first.generated_at and again.cards[0].value == "8"
    report(county, "road_light")
    assert wall_cached(town).cards[0].value == "8"  # within the minute: the same count
    assert wall_cached(county.users["county_admin"], region=county.town_a).cards[0].value == "9"  # its own count
    monkeypatch.setattr(kept_module, "FRESH_SECONDS", 0)  # a minute later
    # The tests' queue runs its tasks at once, in the test's transaction: the recount is served at once.
    fresh = wall_cached(town)
    assert fresh.cards[0].value == "9" and fresh.generated_at > first.generated_at


@pytest.mark.django_db
def test_a_stale_count_is_served_while_the_worker_counts_again_once(county, story, monkeypatch):
    town = county.users["township_staff"]
    first = wall_cached(town)
    task = kept_module.kept_recount
    queued = []
    monkeypatch.setattr(kept_module, "kept_recount", lambda *args: queued.append(args))  # a worker not yet run
    monkeypatch.setattr(kept_module, "FRESH_SECONDS", 0)
    report(county, "road_light")
    for _ in range(3):  # the screen asks again while the count is under way: still the last count, one recount
        stale = wall_cached(town)
        assert stale.cards[0].value == "8" and stale.generated_at == first.generated_at
    assert len(queued) == 1 and queued[0][2:] == (town.pk, None, None, {"period": "12m"})
    task.call_local(*queued[0])  # the worker's turn
    assert wall_cached(town).cards[0].value == "9" and len(queued) == 2  # and the next recount is asked for


@pytest.mark.django_db
def test_a_queue_that_is_down_leaves_the_last_count_on_screen(county, story, monkeypatch, caplog):
    town = county.users["township_staff"]
    wall_cached(town)
    calls = []

    def down(*args):
        calls.append(args)
        raise ConnectionError("queue down")

    monkeypatch.setattr(kept_module, "kept_recount", down)
    monkeypatch.setattr(kept_module, "FRESH_SECONDS", 0)
    assert wall_cached(town).cards[0].value == "8" and wall_cached(town).cards[0].value == "8"
    assert len(calls) == 2 and "recount not queued" in caplog.text  # each request asks again


@pytest.mark.django_db
def test_with_a_cache_of_its_own_the_process_counts_again_in_a_thread(county, story, monkeypatch):
    """Without a shared cache (no CACHE_URL) the worker's count would reach no web process."""
    assert kept_module._worker_shares_cache()  # the tests' queue runs in the test's process
    town = county.users["township_staff"]
    wall_cached(town)
    started, queued = [], []
    monkeypatch.setattr(kept_module, "_worker_shares_cache", lambda: False)
    monkeypatch.setattr(kept_module, "_recount_in_thread", lambda *args: started.append(args))
    monkeypatch.setattr(kept_module, "kept_recount", lambda *args: queued.append(args))
    monkeypatch.setattr(kept_module, "FRESH_SECONDS", 0)
    assert wall_cached(town).cards[0].value == "8" and wall_cached(town).cards[0].value == "8"
    assert len(started) == 1 and not queued


@pytest.mark.django_db
def test_the_page_and_its_fragment(client, county, story, django_assert_max_num_queries):
    client.force_login(county.users["township_staff"])
    page = client.get("/centre/wall/")
    assert page.status_code == 200 and not policy_problems("/centre/wall/", page)
    html = page.content.decode()
    assert 'data-src="/centre/wall/data/"' in html and 'data-refresh="60"' in html
    assert "plotly" not in html and 'http-equiv="refresh"' not in html  # never a full reload
    assert html.count('<svg class="wall-svg"') == 5 and 'data-testid="wall-figure-received">8<' in html
    assert "网络中断" not in html and "最后更新" in html
    with django_assert_max_num_queries(16):
        data = client.get("/centre/wall/data/", {"period": "year"})
    assert data.status_code == 200 and data["X-Xz-Wall"] == "1" and "no-store" not in data["Cache-Control"]
    fragment = data.content.decode()
    assert "<html" not in fragment and "<script" not in fragment and not policy_problems("/centre/wall/data/", data)
    assert re.search(r'data-updated="\d\d:\d\d"', fragment) and "本年" in fragment
    # The page asks for its fragment with its own scope and period.
    client.force_login(county.users["county_admin"])
    town_b = client.get("/centre/wall/", {"region": county.town_b.code, "period": "24m"}).content.decode()
    assert f'data-src="/centre/wall/data/?period=24m&amp;region={county.town_b.code}"' in town_b
    assert 'data-testid="wall-title">古城镇 · 指挥中心<' in town_b


@pytest.mark.django_db
def test_the_wall_keeps_to_the_scope(client, county):
    u = county.users
    client.force_login(u["township_staff"])
    assert client.get("/centre/wall/data/", {"region": county.town_b.code}).status_code == 404
    assert client.get("/centre/wall/", {"grid": county.grid_b1.code}).status_code == 404
    assert client.get("/centre/wall/data/", {"region": "no-such"}).status_code == 404
    client.force_login(u["grid_worker_b"])
    assert client.get("/centre/wall/data/", {"grid": county.grid_b1.code}).status_code == 200
    assert client.get("/centre/wall/data/", {"grid": county.grid_a1.code}).status_code == 404
    client.force_login(u["resident"])
    assert client.get("/centre/wall/").status_code == 403
    assert client.get("/centre/wall/data/").status_code == 403
    client.logout()
    assert client.get("/centre/wall/data/").status_code == 302  # the screen's script says 登录已失效


@pytest.mark.django_db
def test_the_centre_links_its_wall_and_the_service_worker_keeps_it(client, county):
    client.force_login(county.users["township_staff"])
    from xiangzhi.centre.nav import sections_for

    assert {"key": "wall", "label": "大屏", "url": "/centre/wall/", "current": True} in sections_for(
        county.users["township_staff"], "wall")
    body = client.get("/sw.js").content.decode()
    pages = [re.compile(p) for p in json.loads(re.search(r"var PAGES = (\[.*?\])\.map", body).group(1))]
    assert any(p.search("/centre/wall/") for p in pages)
    assert "/centre/wall/data/" in json.loads(re.search(r"var DATA = (\[.*?\]);", body).group(1))
