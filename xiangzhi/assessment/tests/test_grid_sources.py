"""The grid assessment's sources (``grid_sources``) on the small county: each source's causes, with the
row behind each and how not to lose the points; each read "as of" the period's last day, so what happens
after it (a closure, a re-rating, a resumed suspension, a re-categorised or ended key person, a rejected
points entry) leaves a closed period's figures as they were; the checks of the targets in Chinese; and
the default scheme. Histories are built through the real services, the clock set back where they
happened (``at``)."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory, install_points_rulebooks, make_household
from xiangzhi.accounts.models import Role
from xiangzhi.assessment import engine, grid_sources, services
from xiangzhi.assessment.errors import AssessmentError
from xiangzhi.assessment.models import LostPoint, SchemeKind, Score, SourceKind, VersionState
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Category
from xiangzhi.gridwork import services as gridwork
from xiangzhi.lib.periods import period_bounds
from xiangzhi.party import services as party
from xiangzhi.people import services as people
from xiangzhi.points import services as points
from xiangzhi.regions.services import grid_create

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
# The quarter before last: whole calendar months, and weeks after it for what happens "later".
_this = period_bounds("quarter", timezone.localdate())[0]
START, END = period_bounds("quarter", period_bounds("quarter", _this - dt.timedelta(days=1))[0] - dt.timedelta(days=1))
A1, B1 = (118.005, 37.705), (118.105, 37.705)  # inside grid a1's micro-grid, inside grid b1


def day(n: int, hour: int = 10) -> dt.datetime:
    """``n`` days after the quarter's first day (negative: before it), at ``hour`` o'clock."""
    return dt.datetime.combine(START + dt.timedelta(days=n), dt.time(hour), tzinfo=TZ)


def after(n: int, hour: int = 10) -> dt.datetime:
    """``n`` days after the quarter's last day."""
    return dt.datetime.combine(END + dt.timedelta(days=n), dt.time(hour), tzinfo=TZ)


@contextmanager
def at(moment: dt.datetime):
    """The services' clock set to ``moment``."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


@pytest.fixture
def scheme(county):
    return services.scheme_install_grid(county=county.county)


@pytest.fixture
def quarter(county, scheme):
    return services.period_create(scheme=scheme, actor=county.users["county_admin"], start=START, end=END)


def causes(period, code: str) -> list[engine.Cause]:
    item = period.version.items.get(code=code)
    return engine.SOURCES[item.source](item, period, engine.units_of(period))


def lost_by_grid(period) -> dict[str, dict[str, int]]:
    """grid code → item code → points lost, from the stored run."""
    period.refresh_from_db()
    out: dict[str, dict[str, int]] = {}
    for lp in LostPoint.objects.filter(score__run_id=period.current_run_id).select_related("score__grid", "item"):
        row = out.setdefault(lp.score.grid.code, {})
        row[lp.item.code] = row.get(lp.item.code, 0) + lp.points
    return out


def report(county, *, when, where=A1, reporter=None, channel="worker", category="env_garbage"):
    with at(when):
        return cases.case_report(category=Category.objects.get(code=category), title="测试事件", channel=channel,
                                 lon=where[0], lat=where[1], reporter=reporter or county.users["grid_worker"]).case


def handle(county, case, *, when, worker=None):
    with at(when):
        cases.case_handle(case=case, actor=worker or county.users["grid_worker"], note="已处理")


def verify(county, case, *, when, passed=True, close=True):
    with at(when):
        cases.case_verify(case=case, actor=county.users["village_cadre"], passed=passed, close=close and passed,
                          note="" if passed else "现场仍有垃圾")


def closed_at(county, when, *, reported):
    case = report(county, when=reported)
    handle(county, case, when=when - dt.timedelta(hours=1))
    verify(county, case, when=when)
    case.refresh_from_db()
    return case


# --- the default scheme ------------------------------------------------------------------------------


def test_the_default_grid_scheme_has_eleven_categories_and_22_items_adding_up_to_a_hundred(county, scheme):
    assert (scheme.kind, scheme.star_floors, scheme.appeal_days) == (SchemeKind.GRID, [95, 90, 80, 70], 7)
    version = scheme.versions.get()
    items = list(version.items.all())
    assert version.state == VersionState.IN_USE and len(items) == 22 and sum(i.weight for i in items) == 100
    assert len({i.group for i in items}) == 11
    assert {i.source for i in items} == {*services.GRID_ONLY, SourceKind.MANUAL}
    computed = [i for i in items if i.source != SourceKind.MANUAL]
    assert all(1 <= i.points_per_case <= i.weight for i in computed)
    assert version.items.get(code="patrol").params == {"hours": 20, "km": 30}
    assert services.scheme_install_grid(county=county.county) == scheme and scheme.versions.count() == 1
    with pytest.raises(AssessmentError, match="只能建在县/区一级"):
        services.scheme_install_grid(county=county.town_a)
    # The village scorecard of the same county is another scheme.
    assert services.scheme_install_default(county=county.county).kind == SchemeKind.VILLAGE_SCORECARD


def test_every_grid_source_is_registered_with_its_check(scheme):
    for kind in services.GRID_ONLY:
        assert engine.SOURCES[kind] is grid_sources.SOURCES[kind] and engine.source_ready(kind)
        assert services.PARAMS_CHECKS[kind] is grid_sources.CHECKS[kind]


# --- case_late -----------------------------------------------------------------------------------


def test_cases_closed_late_or_unfinished_at_the_end_cost_points_whatever_happens_later(county, quarter, settings):
    settings.CASE_REOPEN_ON_DISSATISFIED = True
    admin, resident = county.users["county_admin"], county.users["resident"]
    # Reported by a villager, taken by the worker, closed late near the end; re-rated after it.
    late = report(county, when=day(60), reporter=resident, channel="resident")
    with at(day(60, 11)):
        cases.case_accept(case=late, actor=county.users["grid_worker"], handle_myself=True)
    handle(county, late, when=day(84))
    verify(county, late, when=day(85))
    late.refresh_from_db()
    assert late.closed_on_time is False
    on_time = closed_at(county, day(41), reported=day(40))  # closed the next day: no cause
    unfinished = report(county, when=day(70))  # closed after the end: still open at it
    fresh = report(county, when=after(0, 9))  # the last morning: its deadline lies after the end
    in_b1 = report(county, when=day(5), where=B1, reporter=county.users["grid_worker_b"])  # never closed
    report(county, when=after(3))  # reported after the end: not this quarter's
    handle(county, unfinished, when=after(2))
    verify(county, unfinished, when=after(3))

    got = causes(quarter, "case_on_time")
    by_case = {c.source_id: c for c in got}
    assert set(by_case) == {late.pk, unfinished.pk, in_b1.pk}
    assert on_time.pk not in by_case and fresh.pk not in by_case
    assert by_case[late.pk].unit_id == county.grid_a1.pk  # reported in the micro-grid: counted for grid a1
    assert by_case[in_b1.pk].unit_id == county.grid_b1.pk
    assert f"事件 {late.number}" in by_case[late.pk].reason and "办结，超过办结时限" in by_case[late.pk].reason
    assert "仍未办结" in by_case[unfinished.pk].reason and "已超时" in by_case[unfinished.pk].reason
    assert all(c.points == 2 and c.hint == "按时限办结即不扣分" for c in got)
    assert by_case[late.pk].day == timezone.localdate(late.closed_at)

    services.period_run(period=quarter, actor=admin)
    services.period_publish(period=quarter, actor=admin)
    services.period_close(period=quarter, actor=admin)
    before = lost_by_grid(quarter)
    assert before[county.grid_a1.code]["case_on_time"] == 4 and before[county.grid_b1.code]["case_on_time"] == 2
    # Afterwards: the villager rates the late case 不满意 (it reopens, its closure undone) and the open
    # case in b1 is closed. The closed quarter computes the same.
    with at(after(5)):
        cases.case_evaluate(case=late, actor=resident, evaluation="dissatisfied", comment="拖得太久")
    late.refresh_from_db()
    assert late.closed_at is None and late.closed_on_time is None
    handle(county, in_b1, when=after(6), worker=county.users["grid_worker_b"])
    with at(after(7)):
        cases.case_verify(case=in_b1, actor=county.users["county_admin"], passed=True, close=True)
    assert {c.source_id for c in causes(quarter, "case_on_time")} == set(by_case)
    assert services.period_verify(quarter) == []


def test_a_suspension_judges_the_deadline_as_it_stood_when_the_case_was_put_on_hold(county, quarter):
    worker = county.users["grid_worker"]
    held_in_time = report(county, when=day(60))
    held_too_late = report(county, when=day(30))
    due_before = {}
    for case, when in ((held_in_time, day(61)), (held_too_late, day(55))):
        case.refresh_from_db()
        due_before[case.pk] = case.close_due_at
        with at(when):
            cases.case_suspend(case=case, actor=worker, reason="等待资金到位")
    # Both resume after the end: their deadlines move on by the weeks on hold.
    for case in (held_in_time, held_too_late):
        with at(after(20)):
            cases.case_resume(case=case, actor=worker)
        case.refresh_from_db()
        assert case.close_due_at > due_before[case.pk] + dt.timedelta(days=7)
    got = {c.source_id: c for c in causes(quarter, "case_on_time")}
    assert set(got) == {held_too_late.pk}
    assert "缓办前已超时" in got[held_too_late.pk].reason
    assert got[held_too_late.pk].day == timezone.localdate(due_before[held_too_late.pk])


# --- case_rework, case_unsatisfied -------------------------------------------------------------------


def test_each_rework_in_the_quarter_costs_a_point(county, quarter):
    twice = report(county, when=day(10))
    handle(county, twice, when=day(11))
    verify(county, twice, when=day(12), passed=False)
    handle(county, twice, when=day(13))
    verify(county, twice, when=day(14), passed=False)
    handle(county, twice, when=day(15))
    verify(county, twice, when=day(16))
    later = report(county, when=after(-3))
    handle(county, later, when=after(-2))
    verify(county, later, when=after(2), passed=False)  # returned after the end: next quarter's
    got = causes(quarter, "case_once")
    assert [(c.source_id, c.unit_id, c.points) for c in got] == [(twice.pk, county.grid_a1.pk, 1)] * 2
    assert "核查不通过，返工：现场仍有垃圾" in got[0].reason and got[0].hint
    assert [c.day for c in got] == [START + dt.timedelta(days=12), START + dt.timedelta(days=14)]


def test_a_dissatisfied_rating_counts_by_its_day_even_after_the_case_is_rated_again(county, quarter, settings):
    settings.CASE_REOPEN_ON_DISSATISFIED = True
    resident, worker = county.users["resident"], county.users["grid_worker"]
    case = report(county, when=day(20), reporter=resident, channel="resident")
    with at(day(20, 11)):
        cases.case_accept(case=case, actor=worker, handle_myself=True)
    handle(county, case, when=day(21))
    verify(county, case, when=day(22))
    with at(day(23)):
        cases.case_evaluate(case=case, actor=resident, evaluation="dissatisfied", comment="问题没有彻底解决")
    with at(after(4)):  # checked again, closed, and rated 满意 after the end
        cases.case_verify(case=case, actor=county.users["village_cadre"], passed=True, close=True)
        cases.case_evaluate(case=case, actor=resident, evaluation="satisfied")
    case.refresh_from_db()
    assert case.evaluation == "satisfied"
    got = causes(quarter, "satisfaction")
    assert [(c.source_id, c.unit_id, c.points, c.day) for c in got] == [
        (case.pk, county.grid_a1.pk, 2, START + dt.timedelta(days=23))]
    assert "被评价为不满意，意见：问题没有彻底解决" in got[0].reason


def test_without_reopening_the_rating_stays_on_the_case(county, quarter, settings):
    settings.CASE_REOPEN_ON_DISSATISFIED = False
    resident = county.users["resident"]
    case = report(county, when=day(30), reporter=resident, channel="resident")
    with at(day(30, 11)):
        cases.case_accept(case=case, actor=county.users["grid_worker"], handle_myself=True)
    handle(county, case, when=day(31))
    verify(county, case, when=day(32))
    with at(day(33)):
        cases.case_evaluate(case=case, actor=resident, evaluation="dissatisfied")
    assert [c.source_id for c in causes(quarter, "satisfaction")] == [case.pk]


# --- visits and key people --------------------------------------------------------------------------


def keeper(county, household: str):
    """Who keeps the key people of the household: a worker of its grid or its village cadre."""
    if household == "a2":
        return UserFactory(username="cadre_a2", role=Role.VILLAGE_CADRE, region=county.village_a2)
    return county.users["grid_worker_b" if household == "b1" else "village_cadre"]


def key_person(county, household="a1", category="petitioner", *, on, name=None):
    resident = county.households[household].residents.get(relation="head")
    if name:
        resident.name = name
        resident.save(update_fields=["name"])
    return people.key_person_register(actor=keeper(county, household), resident=resident, category=category, on=on)


def visit(county, kp, when, outcome="normal"):
    with at(when):
        return gridwork.visit_record(key_person=kp, visitor=county.users["grid_worker"], visited_at=when,
                                     notes="本人在家", outcome=outcome)


def test_a_visit_after_its_due_date_costs_a_point(county, quarter):
    kp = key_person(county, "a1_micro", on=START - dt.timedelta(days=40), name="李秀英")  # due 10 days before
    visit(county, kp, day(3), outcome="not_met")  # an attempt that did not meet her: the visit follows
    late = visit(county, kp, day(5))
    visit(county, kp, day(30))  # due day(35): on time
    visit(county, kp, after(40))  # after the end
    got = causes(quarter, "visit_on_time")
    assert [(c.source_id, c.unit_id, c.points, c.day) for c in got] == [
        (late.pk, county.grid_a1.pk, 1, START + dt.timedelta(days=5))]
    assert "走访李**（信访人员）" in got[0].reason and "晚了 15 天" in got[0].reason
    assert got[0].hint == "在应访日期前走访即不扣分"


def test_key_people_overdue_at_the_end_each_cost_points_as_registered_then(county, quarter):
    seen = key_person(county, "a1", on=START - dt.timedelta(days=200), name="张建国")
    visit(county, seen, after(-10))  # due 20 days after the end: fine
    overdue = key_person(county, "a1_micro", on=START - dt.timedelta(days=200), name="李秀英")
    visit(county, overdue, after(-50))  # due 20 days before the end
    visit(county, overdue, after(3))  # visited after the end: too late for this quarter
    never = key_person(county, "a2", "elderly_alone", on=START - dt.timedelta(days=100), name="王德福")
    recategorised = key_person(county, "b1", on=START - dt.timedelta(days=200), name="赵永刚")
    with at(after(-50)):
        gridwork.visit_record(key_person=recategorised, visitor=county.users["grid_worker_b"], visited_at=after(-50),
                              notes="本人在家", outcome="normal")
    newcomer = people.key_person_register(actor=never.registered_by, category="disabled", on=END + dt.timedelta(days=1),
                                          resident=county.households["a2"].residents.exclude(relation="head").first())
    # After the end: 王德福's entry is ended, 赵永刚 becomes a 残疾人 (a 90-day cycle, due after the end).
    people.key_person_end(actor=never.registered_by, key_person=never, reason="已迁出", on=END + dt.timedelta(days=2))
    people.key_person_change_category(actor=county.users["grid_worker_b"], key_person=recategorised,
                                      category="disabled", reason="重新评定")

    got = {c.source_id: c for c in causes(quarter, "key_overdue")}
    assert set(got) == {overdue.pk, never.pk, recategorised.pk}
    assert seen.pk not in got and newcomer.pk not in got
    assert got[overdue.pk].unit_id == county.grid_a1.pk and got[never.pk].unit_id == county.grid_a2.pk
    assert "李**（信访人员）" in got[overdue.pk].reason and "已超期 20 天未访" in got[overdue.pk].reason
    assert "王**（孤寡/空巢老人）" in got[never.pk].reason and "从未走访" in got[never.pk].reason
    assert "赵**（信访人员）" in got[recategorised.pk].reason
    assert got[overdue.pk].day == END - dt.timedelta(days=20) and got[overdue.pk].points == 2
    assert got[overdue.pk].hint == "按走访周期（每 30 天）按时走访即不扣分"


# --- patrol ---------------------------------------------------------------------------------------------


def patrol_walk(county, start: dt.datetime, hours: float, *, worker=None, grid=None, east_m: int = 1000):
    """A finished patrol of ``hours`` walking ``east_m`` metres east inside grid a1."""
    worker, grid = worker or county.users["grid_worker"], grid or county.grid_a1
    with at(start):
        walk = gridwork.patrol_start(worker=worker, grid=grid)
    end = start + dt.timedelta(hours=hours)
    steps = 10
    fixes = [gridwork.TrackFix(start + (end - start) * i / steps, 118.001 + east_m / 88_000 * i / steps, 37.715)
             for i in range(steps + 1)]
    with at(end):
        gridwork.patrol_record_points(patrol=walk, actor=worker, points=fixes)
        gridwork.patrol_stop(patrol=walk, actor=worker)
    return walk


def with_params(county, scheme, code, **params):
    """A new version of the scheme whose item ``code`` has these targets, put in use."""
    admin = county.users["county_admin"]
    draft = services.version_draft(scheme=scheme, actor=admin, note="调整目标")
    item = draft.items.get(code=code)
    services.item_save(version=draft, actor=admin, item=item, group=item.group, code=item.code, name=item.name,
                       weight=item.weight, source=item.source, points_per_case=item.points_per_case, params=params)
    services.version_activate(version=draft, actor=admin)
    return scheme


def test_each_month_short_of_the_patrol_targets_costs_points(county, scheme):
    with_params(county, scheme, "patrol", hours="3", km=1.5)
    quarter = services.period_create(scheme=scheme, actor=county.users["county_admin"], start=START, end=END)
    assert quarter.version.items.get(code="patrol").params == {"hours": 3, "km": 1.5}
    patrol_walk(county, day(2), 2, east_m=1000)
    patrol_walk(county, day(3), 1.5, east_m=800)  # month 1: 3.5 h, 1.8 km: met
    patrol_walk(county, day(40), 3, east_m=400)  # month 2: hours met, 0.4 km
    patrol_walk(county, after(1), 5, east_m=3000)  # after the end
    patrol_walk(county, day(70), 1, worker=county.users["grid_worker_b"], grid=county.grid_b1)
    got = causes(quarter, "patrol")
    mine = [c for c in got if c.unit_id == county.grid_a1.pk]
    months = [(START + dt.timedelta(days=32 * n)).replace(day=1).month for n in range(3)]
    assert [c.day.month for c in mine] == months[1:]
    assert f"{months[1]}月巡查 3 小时、0.4 公里，未达每月 3 小时、1.5 公里" in mine[0].reason
    assert mine[0].hint == f"{months[1]}月再巡查 1.1 公里即达标"
    assert mine[1].hint == f"{months[2]}月再巡查 3 小时、1.5 公里即达标" and mine[1].points == 3
    # Every grid without patrols loses each month (the unstaffed one too); b1 walked one hour in month 3.
    per_unit = {u: sum(1 for c in got if c.unit_id == u) for u in engine.units_of(quarter)}
    assert per_unit == {county.grid_a1.pk: 2, county.grid_a2.pk: 3, county.grid_b1.pk: 3,
                        county.grid_b1_unstaffed.pk: 3}


def test_a_month_only_partly_in_the_period_has_its_targets_prorated(county, scheme):
    quarter = services.period_create(scheme=scheme, actor=county.users["county_admin"], start=START,
                                     end=START + dt.timedelta(days=14))
    first = [c for c in causes(quarter, "patrol") if c.unit_id == county.grid_a1.pk]
    share = 15 / ((START + dt.timedelta(days=32)).replace(day=1) - START).days
    assert len(first) == 1 and f"未达每月 {grid_sources._num(round(20 * share, 1))} 小时" in first[0].reason
    assert "按天数折算" in first[0].reason


# --- participation ------------------------------------------------------------------------------------


def test_households_without_points_in_the_quarter_cost_points_per_step_short(county, scheme):
    rules = install_points_rulebooks(county.town_a, county.town_b, days_back=400)
    quarter = services.period_create(scheme=scheme, actor=county.users["county_admin"], start=START, end=END)
    recorder, supervisor = county.users["points_recorder"], county.users["points_supervisor"]
    # Grid a1 (with its micro-grid): nine households on the register at the end, one more closed before it;
    # the small county's own households were registered today, after the quarter: not counted in it.
    with at(day(-5)):
        a1 = [make_household(county.grid_a1 if n % 3 else county.grid_a1_micro, head=f"孙{n}号") for n in range(9)]
        gone = make_household(county.grid_a1, head="周家")
        make_household(county.grid_a2, head="钱家")
    with at(day(30)):  # 合户: 周家 joins a household of the village and is closed
        change = people.household_change_propose(actor=county.users["grid_worker"], household=a1[1], kind="merge",
                                                 data={"other": gone.number, "other_head_relation": "child"})
        people.household_change_confirm(actor=county.users["village_cadre"], change=change)
    gone.refresh_from_db()
    assert gone.closed_on == START + dt.timedelta(days=30)
    rule = rules[county.town_a.code]["env_sorting"]
    entries = []
    for n, household in enumerate([*a1[:6], gone]):
        with at(day(20 + n)):
            entries.append(points.entry_record(actor=recorder, household=household, rule=rule,
                                               occurred_on=(START + dt.timedelta(days=20 + n))).entry)
    # Rejected after the end: it still counted at the end. Rejected inside the quarter: it does not.
    with at(after(2)):
        points.entry_review(actor=supervisor, entry=entries[0], approve=False, reason="经核实不属实")
    with at(day(40)):
        points.entry_review(actor=supervisor, entry=entries[5], approve=False, reason="重复记录")
    # Approved, then reversed (冲正) inside the quarter: not counted; reversed after the end: counted.
    for household, reversed_at in ((a1[6], day(60)), (a1[7], after(3))):
        with at(day(50)):
            entry = points.entry_record(actor=recorder, household=household, rule=rule,
                                        occurred_on=START + dt.timedelta(days=50)).entry
            points.entry_review(actor=supervisor, entry=entry, approve=True)
        with at(reversed_at):
            points.entry_reverse(actor=supervisor, entry=entry, reason="重复记分", requester=recorder)
    got = {c.unit_id: c for c in causes(quarter, "participation")}
    # a1: 6 of 9 = 66.7%, 13.3 points short of 80: two steps of 10 → 4 points; 2 more households reach it.
    assert got[county.grid_a1.pk].points == 4
    assert "本季度在册 9 户，其中 6 户有积分记录，参与率 66.7%，低于目标 80%" in got[county.grid_a1.pk].reason
    assert got[county.grid_a1.pk].hint == "再有 2 户参与即达目标 80%"
    # a2: one household, not taking part: 8 steps, 16 points (the engine caps it at the item's weight).
    assert got[county.grid_a2.pk].points == 16
    assert county.grid_b1.pk not in got and county.grid_b1_unstaffed.pk not in got  # no households at the end


def test_participation_is_not_assessed_before_the_townships_rulebook(county, scheme):
    install_points_rulebooks(county.town_a, days_back=0)
    quarter = services.period_create(scheme=scheme, actor=county.users["county_admin"], start=START, end=END)
    assert causes(quarter, "participation") == []


# --- group activities ----------------------------------------------------------------------------------


def test_party_group_activities_short_of_three_a_quarter_and_grids_without_a_group(county, quarter):
    a1 = county.households["a1"].residents.get(relation="head")
    a1.tags = "party_member"
    a1.save(update_fields=["tags"])
    branch = party.branch_create(village=county.village_a1, name="东村党支部")
    group = party.group_create(branch=branch, name="第一党小组", leader=a1)
    party.group_grid_add(group=group, grid=county.grid_a1, started_on=START - dt.timedelta(days=100))
    for n in (10, 50):
        party.group_activity_record(group=group, held_on=START + dt.timedelta(days=n), kind="theme_day",
                                    title="主题党日", attendees=1)
    party.group_activity_record(group=group, held_on=END + dt.timedelta(days=1), kind="study", title="集中学习",
                                attendees=1)
    got = {c.unit_id: c for c in causes(quarter, "party_activities")}
    assert got[county.grid_a1.pk].points == 2 and got[county.grid_a1.pk].source_id == group.pk
    assert got[county.grid_a1.pk].reason == "第一党小组本季度开展活动 2 次，应开展 3 次，少 1 次"
    assert got[county.grid_a1.pk].hint == "再开展 1 次党小组活动即不扣分"
    for grid in (county.grid_a2, county.grid_b1, county.grid_b1_unstaffed):
        assert got[grid.pk].points == 6 and got[grid.pk].hint == "网格建立或联系党小组后可得分"


# --- the checks of the targets --------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "params", "message"), [
    ("patrol", {"hours": "二十"}, "每月巡查时长（小时）应为 0～300 之间的数"),
    ("patrol", {"km": -1}, "每月巡查里程（公里）应为 0～1,000 之间的数"),
    ("patrol", {"hours": 0, "km": 0}, "每月巡查时长和里程不能都为 0"),
    ("patrol", {"hours": True}, "每月巡查时长（小时）应为"),
    ("patrol", {"minutes": 30}, "不认识的参数：minutes"),
    ("participation", {"target_pct": 120}, "目标参与率（%）应为 1～100 之间的数"),
    ("participation", {"step_pct": 0}, "每档百分点应为 1～100 之间的数"),
    ("party_activities", {"per_quarter": 2.5}, "每季度应开展活动次数应为 1～30 之间的整数"),
    ("case_on_time", {"days": 3}, "不认识的参数：days"),
])
def test_targets_are_checked_with_errors_in_chinese(county, scheme, code, params, message):
    admin = county.users["county_admin"]
    draft = services.version_draft(scheme=scheme, actor=admin)
    item = draft.items.get(code=code)
    with pytest.raises(AssessmentError, match=message):
        services.item_save(version=draft, actor=admin, item=item, group=item.group, code=item.code, name=item.name,
                           weight=item.weight, source=item.source, points_per_case=item.points_per_case,
                           params=params)


def test_targets_typed_as_text_are_kept_as_numbers_with_defaults_for_the_rest(county, scheme):
    admin = county.users["county_admin"]
    draft = services.version_draft(scheme=scheme, actor=admin)
    saved = {}
    for code, params in (("patrol", {"hours": " 15 "}), ("participation", {"target_pct": "85.5"}),
                         ("party_activities", {"per_quarter": "4"}), ("case_on_time", {})):
        item = draft.items.get(code=code)
        saved[code] = services.item_save(version=draft, actor=admin, item=item, group=item.group, code=item.code,
                                         name=item.name, weight=item.weight, source=item.source,
                                         points_per_case=item.points_per_case, params=params).params
    assert saved == {"patrol": {"hours": 15, "km": 30}, "participation": {"target_pct": 85.5, "step_pct": 10},
                     "party_activities": {"per_quarter": 4}, "case_on_time": {}}


# --- the whole run ------------------------------------------------------------------------------------------


def test_a_run_reads_in_a_fixed_number_of_queries_whatever_the_number_of_grids(county, quarter):
    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            engine.compute(quarter)
        return len(seen)

    few = queries()
    for n in range(12):
        grid_create(region=county.village_b1, name=f"南村新网格{n}")
    many = queries()
    assert many == few < 40
    assert len(engine.units_of(quarter)) == 16


def test_a_quarter_run_stores_each_cause_with_its_source_row_and_hint(county, quarter):
    case = report(county, when=day(5))
    handle(county, case, when=day(6))
    verify(county, case, when=day(7), passed=False)
    run = services.period_run(period=quarter, actor=county.users["county_admin"])
    assert run.skipped == []
    a1 = Score.objects.get(run=run, grid=county.grid_a1)
    rework = a1.lost_points.get(item__code="case_once")
    assert (rework.source, rework.source_id, rework.points) == ("case_rework", case.pk, 1) and rework.hint
    # Every grid lost every month of patrol and its group's weight; stars follow the floors.
    assert all(s.lost_points.filter(item__code="patrol").count() == 3 for s in Score.objects.filter(run=run))
    assert {s.stars for s in Score.objects.filter(run=run)} <= {1, 2, 3, 4, 5}
