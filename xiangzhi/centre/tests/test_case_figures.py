"""Case figures on a handful of cases built through the real services, checked against numbers
worked out by hand (the cases: ``figures_story``)."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.cases.models import Category, HandlingLevel, Status
from xiangzhi.centre.figures import case_figures, department_figures, figures_region_get_for_user, figures_visit_days
from xiangzhi.centre.tests.figures_story import months_touched
from xiangzhi.core.errors import Forbidden, NotFound


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
    with django_assert_max_num_queries(5):  # the visits beside them are the figures page's (xiangzhi/front)
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
    assert f.visits is None  # none handed in


@pytest.mark.django_db
def test_scope_decides_what_is_counted(county, story):
    u = county.users
    everything = case_figures(u["county_admin"], start=story.start, end=story.end)
    assert everything.received == 9 and everything.child_label == "乡镇（街道）"
    assert {r.name: r.received for r in everything.by_child} == {"下洼镇": 8, "古城镇": 1}
    town_b = case_figures(u["county_admin"], start=story.start, end=story.end, region=county.town_b)
    assert (town_b.received, town_b.closed, town_b.proactive_rate) == (1, 1, 1.0)

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
    with pytest.raises(NotFound):
        case_figures(u["township_staff"], start=story.start, end=story.end, region=county.town_b)
    with pytest.raises(NotFound):
        figures_region_get_for_user(u["village_cadre"], county.village_a2.code)
    with pytest.raises(NotFound):
        figures_region_get_for_user(u["township_staff"], "no-such-code")
    with pytest.raises(NotFound):
        figures_region_get_for_user(u["department_staff"], county.town_b.code)
    assert figures_region_get_for_user(u["department_staff"], county.village_a1.code) == county.village_a1
    with pytest.raises(Forbidden):
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


@pytest.mark.django_db
def test_visits_show_for_the_whole_scope_only(county, story):
    u = county.users
    f = case_figures(u["township_staff"], start=story.start, end=story.end, visit_totals=(7, 6))
    assert (f.visits.done, f.visits.on_time, f.visits.on_time_rate) == (7, 6, round(6 / 7, 4))
    assert figures_visit_days(u["township_staff"], story.start, story.end, narrowed=False) == (
        story.start, story.end - dt.timedelta(days=1))
    # Gridwork counts visits over the whole scope only.
    assert figures_visit_days(u["county_admin"], story.start, story.end, narrowed=True) is None
    assert figures_visit_days(u["department_staff"], story.start, story.end, narrowed=False) is None
    with pytest.raises(Forbidden):
        figures_visit_days(u["resident"], story.start, story.end, narrowed=False)
