"""Case figures on a handful of cases built through the real services, checked against numbers
worked out by hand."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from xiangzhi.cases import services
from xiangzhi.cases.figures import case_figures, department_figures, figures_region_for_user
from xiangzhi.cases.models import Case, Category, HandlingLevel, Status

IN_A1_MICRO = (118.005, 37.705)
IN_A1 = (118.015, 37.715)
IN_B1 = (118.105, 37.705)


def report(county, code, where=IN_A1_MICRO, *, days_ago=0, reporter=None, **kw):
    kw.setdefault("channel", "resident")
    now = timezone.now() - dt.timedelta(days=days_ago) if days_ago else None
    return services.case_report(category=Category.objects.get(code=code), title="测试事件", lon=where[0],
                                lat=where[1], reporter=reporter or county.users["resident"], now=now, **kw).case


@dataclass
class Story:
    cases: dict[str, Case]
    start: dt.date
    end: dt.date


@pytest.fixture
def story(county, settings):
    """Nine cases; eight in 下洼镇 (village 东村), one in 古城镇.

        c1 路灯   grid self-handled, closed on time, satisfied
        c2 垃圾   grid, one rework, closed on time, basically satisfied
        c3 路灯   reported 20 days ago, escalated to the township, sent to 供电所, closed late
        c4 垃圾   rejected as invalid
        c5 纠纷   still awaiting acceptance
        c6 路灯   duplicate of c1, merged, closed with it
        c7 垃圾   found by the grid worker 30 days ago, in progress, past its closure deadline
        c8 路灯   古城镇, closed at grid level
        c9 污水   village-level, closed on time, dissatisfied (reopening switched off)
    """
    settings.CASE_REOPEN_ON_DISSATISFIED = False
    u = county.users
    worker, cadre, town = u["grid_worker"], u["village_cadre"], u["township_staff"]
    c = {}
    c["c1"] = report(county, "road_light")
    c["c6"] = services.case_report(category=c["c1"].category, title="这里路灯也坏了", channel="resident",
                                   lon=IN_A1_MICRO[0] + 0.0003, lat=IN_A1_MICRO[1], reporter=u["resident"]).case
    services.case_merge(case=c["c6"], into=c["c1"], actor=worker)
    services.case_accept(case=c["c1"], actor=worker, handle_myself=True)
    services.case_handle(case=c["c1"], actor=worker, note="已更换灯泡")
    services.case_verify(case=c["c1"], actor=cadre, passed=True, close=True)
    services.case_evaluate(case=c["c1"], actor=u["resident"], evaluation="satisfied")

    c["c2"] = report(county, "env_garbage", IN_A1)
    services.case_accept(case=c["c2"], actor=worker, handle_myself=True)
    services.case_handle(case=c["c2"], actor=worker, note="已清理")
    services.case_verify(case=c["c2"], actor=cadre, passed=False, note="还有残留")
    services.case_handle(case=c["c2"], actor=worker, note="已清理干净")
    services.case_verify(case=c["c2"], actor=cadre, passed=True, close=True)
    services.case_evaluate(case=c["c2"], actor=u["resident"], evaluation="basically_satisfied")

    c["c3"] = report(county, "road_light", days_ago=20)
    services.case_accept(case=c["c3"], actor=worker)
    services.case_escalate(case=c["c3"], actor=worker, note="需更换线路", to_level=HandlingLevel.TOWNSHIP)
    services.case_dispatch(case=c["c3"], actor=town, department=county.department)
    services.case_start(case=c["c3"], actor=u["department_staff"])
    services.case_handle(case=c["c3"], actor=u["department_staff"], note="已更换线路")
    services.case_verify(case=c["c3"], actor=cadre, passed=True, close=True)

    c["c4"] = report(county, "env_garbage", IN_A1)
    services.case_reject(case=c["c4"], actor=worker, reason="现场无此情况")

    c["c5"] = report(county, "dispute_neighbour", IN_A1)

    c["c7"] = report(county, "env_garbage", IN_A1, days_ago=30, reporter=worker, channel="worker",
                     is_proactive=True)
    services.case_accept(case=c["c7"], actor=worker, handle_myself=True)

    c["c8"] = report(county, "road_light", IN_B1, reporter=u["grid_worker_b"], channel="worker", is_proactive=True)
    services.case_accept(case=c["c8"], actor=u["grid_worker_b"], handle_myself=True)
    services.case_handle(case=c["c8"], actor=u["grid_worker_b"], note="已修复")
    services.case_verify(case=c["c8"], actor=u["township_staff_b"], passed=True, close=True)

    c["c9"] = report(county, "env_sewage", IN_A1)
    services.case_accept(case=c["c9"], actor=cadre, handle_myself=True)
    services.case_handle(case=c["c9"], actor=cadre, note="已疏通")
    services.case_verify(case=c["c9"], actor=town, passed=True, close=True)
    services.case_evaluate(case=c["c9"], actor=u["resident"], evaluation="dissatisfied", comment="味道还在")

    for case in c.values():
        case.refresh_from_db()
    today = timezone.localdate()
    return Story(cases=c, start=today - dt.timedelta(days=60), end=today + dt.timedelta(days=1))


def months_touched(story: Story) -> int:
    """Every calendar month the period touches, empty ones too."""
    last = story.end - dt.timedelta(days=1)
    return (last.year - story.start.year) * 12 + last.month - story.start.month + 1


@pytest.mark.django_db
def test_the_story_is_what_the_services_made(story):
    c = story.cases
    assert c["c1"].status == Status.EVALUATED and c["c1"].closed_level == HandlingLevel.GRID
    assert c["c6"].status == Status.CLOSED and c["c6"].duplicate_of_id == c["c1"].pk
    assert c["c3"].closed_level == HandlingLevel.DEPARTMENT and c["c3"].closed_on_time is False
    assert c["c7"].status == Status.IN_PROGRESS and c["c7"].close_due_at < timezone.now()
    assert c["c9"].status == Status.EVALUATED and c["c9"].closed_level == HandlingLevel.VILLAGE


@pytest.mark.django_db
def test_township_figures_by_hand(county, story, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):  # five here, four in gridwork's worker_summaries
        f = case_figures(county.users["township_staff"], start=story.start, end=story.end)
    assert f.received == 8                       # c1–c7, c9
    assert (f.pending, f.rejected, f.merged) == (1, 1, 1)
    assert f.valid == 6 and f.valid_rate == round(6 / 7, 4)          # rejected c4 invalid; merged c6 valid
    assert f.closed == 4                         # c1 c2 c3 c9 (c6 closes with c1, not counted twice)
    assert f.due == 5                            # the closed four and c7, past its deadline
    assert f.closure_rate == 0.8
    assert f.closed_on_time == 3 and f.on_time_rate == 0.6          # c3 closed late
    assert (f.handled, f.reworked, f.rework_rate) == (4, 1, 0.25)
    assert (f.evaluated, f.satisfied, f.basically_satisfied, f.dissatisfied) == (3, 1, 1, 1)
    assert f.satisfaction_rate == round(2 / 3, 4)
    assert f.closed_by_level == {"grid": 2, "village": 1, "township": 0, "department": 1, "county": 0}
    assert f.self_closed_rate == 0.5
    assert f.proactive == 1 and f.proactive_rate == 0.125
    assert (f.open, f.overdue_open) == (2, 1)    # c5 waiting, c7 overdue
    # c3 took twenty days; the other three closed within the test.
    assert 20 * 24 / 4 - 1 < f.mean_hours_to_close < 20 * 24 / 4 + 1

    groups = {r.name: r.received for r in f.by_group}
    assert groups == {"人居环境": 4, "道路与照明": 3, "矛盾纠纷": 1}
    assert f.by_group[0].name == "人居环境"
    assert f.child_label == "村（社区）"
    children = {r.name: (r.received, r.closed, r.overdue_open) for r in f.by_child}
    assert children == {"东村": (8, 4, 1), "西村": (0, 0, 0)}
    assert len(f.by_month) == months_touched(story) and sum(r.received for r in f.by_month) == 8
    assert sum(r.closed_in_month for r in f.by_month) == 4
    assert f.visits is not None and f.visits.done == 0 and f.visits.on_time_rate is None


@pytest.mark.django_db
def test_scope_decides_what_is_counted(county, story):
    u = county.users
    everything = case_figures(u["county_admin"], start=story.start, end=story.end)
    assert everything.received == 9 and everything.child_label == "乡镇（街道）"
    assert {r.name: r.received for r in everything.by_child} == {"下洼镇": 8, "古城镇": 1}
    town_b = case_figures(u["county_admin"], start=story.start, end=story.end, region=county.town_b)
    assert (town_b.received, town_b.closed, town_b.proactive_rate) == (1, 1, 1.0)
    assert town_b.visits is None  # gridwork counts visits over the whole scope only

    assert case_figures(u["village_cadre"], start=story.start, end=story.end).received == 8
    worker = case_figures(u["grid_worker"], start=story.start, end=story.end)
    assert worker.received == 8 and worker.child_label == "网格"
    assert case_figures(u["grid_worker_b"], start=story.start, end=story.end).received == 1
    dept = case_figures(u["department_staff"], start=story.start, end=story.end)
    assert (dept.received, dept.closed, dept.closed_by_level["department"]) == (1, 1, 1)

    a_window_before = case_figures(u["county_admin"], start=story.start - dt.timedelta(days=60), end=story.start)
    assert a_window_before.received == 0 and a_window_before.closure_rate is None


@pytest.mark.django_db
def test_a_region_outside_the_scope_is_404_and_residents_are_refused(county, story):
    u = county.users
    with pytest.raises(Http404):
        case_figures(u["township_staff"], start=story.start, end=story.end, region=county.town_b)
    with pytest.raises(Http404):
        figures_region_for_user(u["village_cadre"], county.village_a2.code)
    with pytest.raises(Http404):
        figures_region_for_user(u["township_staff"], "no-such-code")
    with pytest.raises(Http404):
        figures_region_for_user(u["department_staff"], county.town_b.code)
    assert figures_region_for_user(u["department_staff"], county.village_a1.code) == county.village_a1
    with pytest.raises(PermissionDenied):
        case_figures(u["resident"], start=story.start, end=story.end)


@pytest.mark.django_db
def test_narrowing_to_a_category_or_a_grid(county, story):
    u = county.users
    light = case_figures(u["township_staff"], start=story.start, end=story.end,
                         category=Category.objects.get(code="road_light"))
    assert (light.received, light.closed, light.merged) == (3, 2, 1)
    micro = case_figures(u["township_staff"], start=story.start, end=story.end, grid=county.grid_a1_micro)
    assert micro.received == 3  # c1, c3, c6 were reported inside the micro-grid
    grid = case_figures(u["township_staff"], start=story.start, end=story.end, grid=county.grid_a1)
    assert grid.received == 8 and grid.child_label == "微网格"
    assert {r.name: r.received for r in grid.by_child} == {"东村一组微网格": 3, "本级（未落入微网格）": 5}


@pytest.mark.django_db
def test_department_rows(county, story):
    rows = department_figures(county.users["township_staff"], start=story.start, end=story.end)
    assert [(r.name, r.received, r.closed, r.closed_on_time) for r in rows] == [("下洼供电所", 1, 1, 0)]
    own = department_figures(county.users["department_staff"], start=story.start, end=story.end)
    assert [r.name for r in own] == ["下洼供电所"]


# --- the page and the API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_figures_page_renders_with_formulas_and_the_wall_variant(client, county, story):
    client.force_login(county.users["township_staff"])
    page = client.get("/cases/figures/", {"start": story.start.isoformat(), "end": story.end.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert "合格率" in html and "85.7%" in html and "办结率" in html and "80.0%" in html
    assert "有效件 ÷ (上报件 − 待受理件)" in html  # the formula beside the number
    assert "plotly/plotly.min.js" in html and 'id="chart-months"' in html
    wall = client.get("/cases/figures/", {"wall": "1"})
    assert wall.status_code == 200 and 'http-equiv="refresh" content="60' in wall.content.decode()
    assert client.get("/cases/figures/", {"region": county.town_b.code}).status_code == 404
    assert client.get("/cases/figures/", {"start": "not-a-date"}).status_code == 200  # falls back to defaults
    client.force_login(county.users["resident"])
    assert client.get("/cases/figures/").status_code == 403


@pytest.mark.django_db
def test_the_figures_api(client, county, story):
    client.force_login(county.users["township_staff"])
    params = {"start": story.start.isoformat(), "end": story.end.isoformat()}
    body = client.get("/api/v1/cases/figures", params).json()
    assert body["received"] == 8 and body["valid_rate"] == round(6 / 7, 4) and body["closure_rate"] == 0.8
    assert body["closed_by_level"]["grid"] == 2
    assert body["formulas"]["closure_rate"]["name"] == "办结率"
    assert {r["name"]: r["received"] for r in body["by_child"]} == {"东村": 8, "西村": 0}
    assert len(body["by_month"]) == months_touched(story)
    assert body["departments"][0]["name"] == "下洼供电所"
    village = client.get("/api/v1/cases/figures", {**params, "region": county.village_a1.code}).json()
    assert village["received"] == 8 and village["child_label"] == "网格"

    outside = client.get("/api/v1/cases/figures", {**params, "region": county.town_b.code})
    assert outside.status_code == 404 and outside.json()["error"]["code"] == "not_found"
    bad = client.get("/api/v1/cases/figures", {"start": "2026-13-01"})
    assert bad.status_code == 422
    backwards = client.get("/api/v1/cases/figures", {"start": "2026-05-01", "end": "2026-04-01"})
    assert backwards.status_code == 422
    client.force_login(county.users["resident"])
    assert client.get("/api/v1/cases/figures").status_code == 403
    client.logout()
    assert client.get("/api/v1/cases/figures").status_code == 401
