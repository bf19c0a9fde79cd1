"""The case lists behind the figures and the dispatch queue's selectors: every count key and every
breakdown row lists exactly the cases it counts (on the nine-case story and on the demo's generated
history), the dispatcher's filters, the order, the scope; and the bulk actions through the real
services, each case all or nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.cases.models import Case, Category, HandlingLevel, Status, Transition
from xiangzhi.centre import queue
from xiangzhi.centre.figures import (
    BREAKDOWN_FIELDS,
    FIGURE_NAMES,
    LEVELS,
    case_figures,
    cases_link,
    department_figures,
    figure_case_list,
)
from xiangzhi.centre.queue import case_bulk_act, queue_filter, queue_list, queue_page, queue_title
from xiangzhi.centre.tests.figures_story import IN_A1, IN_B1, report
from xiangzhi.core.errors import Forbidden, Invalid, NotFound
from xiangzhi.demo.case_history import write_case_history
from xiangzhi.regions.models import Department, Grid, Region

ROW_KEYS = [k for k in FIGURE_NAMES if k in BREAKDOWN_FIELDS] + ["closed_grid", "valid", "reviewed", "pleased",
                                                                 "open_in_time"]


def _child(f, row) -> dict:
    """The list filter of a child row of the figures: the child node, or the node's own rest."""
    if not row.key:
        return {"rest": True}
    if f.child_label in ("网格", "微网格"):
        return {"grid": Grid.objects.get(code=row.key)}
    return {"region": Region.objects.get(code=row.key)}


def check_lists_match(user, start, end, *, months: int | None = None, **narrow) -> int:
    """Every figure of ``case_figures`` against the length of its list: the headline, the children,
    the category groups, the months (the last ``months`` of them) and the departments. How many
    pairs were compared."""
    now = timezone.now()
    f = case_figures(user, start=start, end=end, now=now, **narrow)
    compared = 0

    def same(row, keys, **where):
        nonlocal compared
        for key in keys:
            listed = figure_case_list(user, figure=key, start=start, end=end, now=now, **{**narrow, **where}).count()
            assert listed == row.count_of(key), (key, where, listed, row.count_of(key))
            compared += 1

    same(f, FIGURE_NAMES)
    for level in LEVELS:
        listed = figure_case_list(user, figure="closed", closed_level=level, start=start, end=end, now=now,
                                  **narrow).count()
        assert listed == f.closed_by_level[level], level
    for row in f.by_child:
        same(row, ROW_KEYS, **_child(f, row))
    for row in f.by_group:
        same(row, ROW_KEYS, group=row.key)
    for row in (f.by_month if months is None else f.by_month[-months:]):
        same(row, FIGURE_NAMES, month=row.key)
        closed = figure_case_list(user, figure="closed", closed_month=row.key, start=start, end=end, now=now,
                                  **narrow).count()
        assert closed == row.closed_in_month, row.key
    if "grid" not in narrow and "department" not in narrow:
        for row in department_figures(user, start=start, end=end, now=now, **narrow):
            same(row, ROW_KEYS, department=Department.objects.get(code=row.key))
    return compared


@pytest.mark.django_db
def test_every_figure_lists_exactly_the_cases_it_counts_on_the_story(county, story):
    u = county.users
    assert check_lists_match(u["township_staff"], story.start, story.end) > 100
    check_lists_match(u["county_admin"], story.start, story.end)
    check_lists_match(u["county_admin"], story.start, story.end, region=county.village_a1)
    check_lists_match(u["township_staff"], story.start, story.end, grid=county.grid_a1)  # micro-grid and rest
    check_lists_match(u["township_staff"], story.start, story.end, category=Category.objects.get(code="road_light"))
    check_lists_match(u["grid_worker"], story.start, story.end)  # his grids
    check_lists_match(u["department_staff"], story.start, story.end)
    # A few by hand: c7 is the one overdue; c1, c2 and c9 were rated; c6 merged into c1.
    c = story.cases
    town = u["township_staff"]

    def listed(**kw):
        return set(figure_case_list(town, start=story.start, end=story.end, **kw).values_list("pk", flat=True))

    assert listed(figure="overdue_open") == {c["c7"].pk}
    assert listed(figure="evaluated") == {c["c1"].pk, c["c2"].pk, c["c9"].pk}
    assert listed(figure="merged") == {c["c6"].pk}
    assert listed(figure="closed", closed_level="department") == {c["c3"].pk}
    assert listed(figure="received", rest=True) == set()  # every case of 下洼镇 lies in one of its villages
    with pytest.raises(Invalid):
        figure_case_list(town, figure="no_such_figure")
    with pytest.raises(Invalid):
        figure_case_list(town, month="2026-13")


@pytest.mark.django_db
def test_lists_match_the_figures_on_the_demos_generated_history(county):
    write_case_history(lambda model, rows: model.objects.bulk_create(rows, batch_size=500), seed=11, total=700)
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=729), today + dt.timedelta(days=1)
    u = county.users
    assert Case.objects.count() > 500
    assert check_lists_match(u["county_admin"], start, end, months=3) > 300
    check_lists_match(u["township_staff"], today - dt.timedelta(days=90), end, months=2)
    check_lists_match(u["county_admin"], start, end, months=1, region=county.town_b)


@pytest.mark.django_db
def test_the_queue_filters_orders_and_keeps_to_the_scope(county, story, monkeypatch):
    u = county.users
    town = u["township_staff"]
    c = story.cases
    late = report(county, "env_garbage", IN_A1, days_ago=20)  # waiting, past its closure deadline
    due_today = report(county, "dispute_neighbour", IN_A1)
    Case.objects.filter(pk=due_today.pk).update(due_at=timezone.now() + dt.timedelta(minutes=5))
    report(county, "road_light", IN_B1, reporter=u["resident"])  # 古城镇: never town a's

    def numbers(params, user=town):
        return [x.pk for x in queue_list(user, queue_filter(user, params))]

    default = numbers({})
    assert set(default) == {c["c5"].pk, c["c7"].pk, late.pk, due_today.pk}  # open, in scope
    assert default[:2] == sorted([c["c7"].pk, late.pk], key=lambda pk: Case.objects.get(pk=pk).due_at)  # overdue
    assert set(numbers({"due": "overdue"})) == {c["c7"].pk, late.pk}
    today = numbers({"due": "today"})
    assert due_today.pk in today and late.pk not in today
    assert {timezone.localtime(x.due_at).date() for x in Case.objects.filter(pk__in=today)} == {timezone.localdate()}
    assert set(numbers({"status": "all"})) == {x.pk for x in c.values() if x.region.path.startswith(
        county.town_a.path)} | {late.pk, due_today.pk}
    assert numbers({"status": "reported", "category": "dispute_neighbour"}) == sorted(
        [c["c5"].pk, due_today.pk], key=lambda pk: Case.objects.get(pk=pk).due_at)
    assert set(numbers({"status": "all", "group": "道路与照明"})) == {c["c1"].pk, c["c3"].pk, c["c6"].pk}
    assert numbers({"status": "all", "department": county.department.code}) == [c["c3"].pk]
    assert numbers({"level": "grid", "channel": "worker"}) == [c["c7"].pk]
    assert numbers({"assignee": str(u["grid_worker"].pk)}) == [c["c7"].pk]
    assert set(numbers({"assignee": "none"})) == {c["c5"].pk, late.pk, due_today.pk}
    assert numbers({"status": "all", "q": c["c9"].number}) == [c["c9"].pk]
    assert numbers({"figure": "rejected", "period": "12m"}) == [c["c4"].pk]
    twenty_days_ago = {"start": (timezone.localdate() - dt.timedelta(days=25)).isoformat(),
                       "end": (timezone.localdate() - dt.timedelta(days=15)).isoformat()}
    assert set(numbers({"figure": "received", **twenty_days_ago})) == {c["c3"].pk, late.pk}
    # Pages hold the whole list in its order, whether it is read whole (short lists) or counted and
    # read in parts (long ones: the open cases ordered, then the rest by number).
    for probe in (2_000, 3, 1):
        monkeypatch.setattr(queue, "PROBE", probe)
        for params in ({"status": "all"}, {}, {"figure": "received", "period": "12m"}, {"figure": "closed"}):
            f = queue_filter(town, params)
            whole = [x.pk for x in queue_list(town, f)]
            pages = [queue_page(town, f, n, size=4) for n in (1, 2, 3, 4)]
            assert [x.pk for p in pages for x in p.object_list][:len(whole)] == whole, (probe, params)
            assert pages[0].paginator.count == len(whole) and pages[-1].number == max(1, -(-len(whole) // 4))
    # The heading says what the list is.
    f = queue_filter(town, {"figure": "overdue_open", "period": "12m"})
    assert queue_title(town, f)[:2] == ["超时未办结", "下洼镇"]
    # Scope: 古城镇's staff see none of these, a region outside answers 404, a villager is refused.
    assert set(numbers({"status": "all"}, u["township_staff_b"])) == {c["c8"].pk} | set(
        Case.objects.filter(region__path__startswith=county.town_b.path).values_list("pk", flat=True))
    with pytest.raises(NotFound):
        queue_filter(town, {"region": county.town_b.code})
    with pytest.raises(Forbidden):
        queue_filter(u["resident"], {})
    for bad in ({"due": "tomorrow"}, {"start": "2026-02-30"}, {"figure": "x"}, {"assignee": "张三"},
                {"start": "2026-05-02", "end": "2026-05-01"}):
        with pytest.raises(Invalid):
            queue_filter(town, bad)
    assert cases_link(figure="overdue_open", region="", period="12m") == "/centre/cases/?figure=overdue_open&period=12m"


@pytest.mark.django_db
def test_bulk_dispatch_supervise_and_refusals_each_case_all_or_nothing(county, story):
    u = county.users
    town, admin = u["township_staff"], u["county_admin"]
    c = story.cases
    waiting = [report(county, "env_garbage", IN_A1, days_ago=20) for _ in range(2)]
    in_b = report(county, "road_light", IN_B1)

    # 督办 needs its reason before anything is written.
    with pytest.raises(Invalid):
        case_bulk_act(town, ids=[w.pk for w in waiting], action="dispatch", supervise=True, note=" ")
    assert not Transition.objects.filter(case__in=waiting).exclude(action="report").exists()
    # A case outside the scope: the whole request is not found (ids cannot be probed).
    with pytest.raises(NotFound):
        case_bulk_act(town, ids=[waiting[0].pk, in_b.pk], action="supervise", note="请加快")
    # A village cadre may not 督办 at all: refused (403), nothing written.
    with pytest.raises(Forbidden):
        case_bulk_act(u["village_cadre"], ids=[w.pk for w in waiting], action="supervise", note="请加快")
    with pytest.raises(Forbidden):
        case_bulk_act(u["resident"], ids=[waiting[0].pk], action="supervise", note="请加快")

    # Dispatch with a 督办 note: the two waiting cases are accepted, dispatched as routing suggests and
    # supervised; c7 is being handled and cannot be dispatched: reported, left as it was.
    outcome = case_bulk_act(town, ids=[waiting[0].pk, waiting[1].pk, c["c7"].pk], action="dispatch",
                            supervise=True, note="今天内到场处置")
    assert outcome.summary == "已派遣 2 件并督办，1 件未能派遣"
    assert [i.ok for i in outcome.items] == [True, True, False]
    assert "处置中" in outcome.items[2].message and outcome.items[2].code == "illegal_transition"
    for w in waiting:
        w.refresh_from_db()
        assert (w.status, w.handling_level, w.supervise_count) == (Status.DISPATCHED, HandlingLevel.GRID, 1)
        assert list(w.transitions.values_list("action", flat=True)) == ["report", "accept", "dispatch", "supervise"]
        assert w.transitions.get(action="supervise").note == "今天内到场处置"
    c7 = Case.objects.get(pk=c["c7"].pk)
    assert (c7.status, c7.supervise_count) == (Status.IN_PROGRESS, 0)

    # A department that is not the case's township's: the accept taken before the refusal is undone.
    in_b_admin = report(county, "road_light", IN_B1)
    outcome = case_bulk_act(admin, ids=[in_b_admin.pk], action="dispatch", to="department",
                            department=county.department.code)
    assert not outcome.done and "职能部门" in outcome.refused[0].message
    in_b_admin.refresh_from_db()
    assert in_b_admin.status == Status.REPORTED and in_b_admin.transitions.count() == 1

    # 督办 alone, on a case the township steers; the grid worker may dispatch his own level's case but
    # not 督办 it.
    done = case_bulk_act(town, ids=[c["c5"].pk], action="supervise", note="群众反映强烈")
    assert done.summary == "已督办 1 件" and Case.objects.get(pk=c["c5"].pk).supervise_count == 1
    mine = case_bulk_act(u["grid_worker"], ids=[c["c5"].pk], action="dispatch", to="grid")
    assert mine.done and Case.objects.get(pk=c["c5"].pk).status == Status.DISPATCHED
    with pytest.raises(Invalid):
        case_bulk_act(town, ids=[], action="dispatch")
    with pytest.raises(Invalid):
        case_bulk_act(town, ids=[c["c5"].pk], action="dispatch", to="moon")
