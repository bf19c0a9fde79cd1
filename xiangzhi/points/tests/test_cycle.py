"""The five-step cycle: planned periods, the worker's sweep, the quarterly notice with objections and
its proof, redemption windows and the yearly settlement."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.lib.periods import period_bounds
from xiangzhi.points import cycles, selectors, services
from xiangzhi.points.errors import AlreadyDone, PointsError
from xiangzhi.points.models import (
    CycleKind,
    CycleState,
    EntryKind,
    NoticeState,
    ObjectionState,
    PointsBalance,
    PointsCycle,
    PointsEntry,
    PointsNotice,
    PointsPolicy,
    RedemptionCadence,
    SettlementPolicy,
)
from xiangzhi.points.selectors import redemption_window_for

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def earn(county, rules, household="a1", code="neighbour_help", when=None, approve=True, **kw):
    when = when or timezone.now()
    entry = services.entry_record(actor=county.users["points_recorder"], household=county.households[household],
                                  rule=rules[code], occurred_on=timezone.localdate(when), now=when, **kw).entry
    if approve:
        services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True,
                              now=when + dt.timedelta(hours=1))
    return entry


def balance(county, household="a1") -> int:
    b = PointsBalance.objects.filter(pk=county.households[household].pk).first()
    return b.approved_total if b else 0


def assert_ledger_holds(county):
    for village in (county.village_a1, county.village_a2, county.village_b1):
        assert selectors.ledger_verify(village) is None
    assert selectors.balance_mismatch_list() == []


# --- planning and the sweep -----------------------------------------------------------------------


def test_a_year_is_planned_from_the_policy(county, rules):
    assert services.cycles_plan(township=county.town_a, year=2026) == 12 + 4 + 2 + 1
    assert services.cycles_plan(township=county.town_a, year=2026) == 0  # kept, not doubled
    plan = {(c.kind, c.period_start): c for c in PointsCycle.objects.filter(township=county.town_a)}
    q1 = plan[(CycleKind.NOTICE, dt.date(2026, 1, 1))]
    assert (q1.period_end, q1.opens_on, q1.closes_on) == (dt.date(2026, 3, 31), dt.date(2026, 4, 15),
                                                          dt.date(2026, 4, 21))
    review_feb = plan[(CycleKind.REVIEW, dt.date(2026, 2, 1))]
    assert (review_feb.opens_on, review_feb.closes_on) == (dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    h1 = plan[(CycleKind.REDEMPTION, dt.date(2026, 1, 1))]
    assert (h1.period_end, h1.opens_on, h1.closes_on) == (dt.date(2026, 6, 30), dt.date(2026, 7, 22),
                                                          dt.date(2026, 8, 5))
    assert plan[(CycleKind.SETTLEMENT, dt.date(2026, 1, 1))].opens_on == dt.date(2027, 1, 15)

    # 沾化 opens its supermarkets every quarter.
    PointsPolicy.objects.create(township=county.town_b, redemption_every=RedemptionCadence.QUARTER,
                                redemption_days=10)
    services.cycles_plan(township=county.town_b, year=2026)
    windows = PointsCycle.objects.filter(township=county.town_b, kind=CycleKind.REDEMPTION).order_by("opens_on")
    assert [(w.opens_on, w.closes_on) for w in windows][:2] == [
        (dt.date(2026, 4, 22), dt.date(2026, 5, 1)), (dt.date(2026, 7, 22), dt.date(2026, 7, 31))]


def test_the_sweep_opens_and_closes_each_step_once_and_catches_up(county, rules):
    earn(county, rules, when=at(2026, 11, 20))
    first = services.cycles_advance(now=at(2026, 11, 30))
    assert first.planned > 0
    # After a year of downtime every step that came due ran; the past ones opened and closed in one sweep.
    q3 = PointsCycle.objects.get(township=county.town_a, kind=CycleKind.NOTICE, period_start=dt.date(2026, 7, 1))
    assert q3.state == CycleState.CLOSED and q3.pk in first.opened and q3.pk in first.closed
    assert PointsNotice.objects.filter(cycle=q3).count() == 2  # 东村 and 西村
    again = services.cycles_advance(now=at(2026, 11, 30))
    assert again.planned == 0 and again.opened == [] and again.closed == []
    assert PointsNotice.objects.filter(cycle=q3).count() == 2
    # Two workers: the second finds the cycle claimed and does nothing.
    dec = PointsCycle.objects.get(township=county.town_a, kind=CycleKind.REVIEW, period_start=dt.date(2026, 11, 1))
    assert dec.state == CycleState.SCHEDULED
    assert cycles._claim(dec.pk, CycleState.SCHEDULED, CycleState.OPEN, timezone.now())
    assert not cycles._claim(dec.pk, CycleState.SCHEDULED, CycleState.OPEN, timezone.now())


def test_the_supermarket_is_open_only_inside_a_window(county, rules):
    services.cycles_plan(township=county.town_a, year=2026)
    assert redemption_window_for(county.village_a1, dt.date(2026, 7, 22)).kind == CycleKind.REDEMPTION
    assert redemption_window_for(county.village_a1, dt.date(2026, 8, 6)) is None
    assert redemption_window_for(county.village_b1, dt.date(2026, 7, 22)) is None  # 古城镇 planned nothing
    today = timezone.localdate()
    staff = county.users["township_staff"]
    window = services.redemption_window_add(actor=staff, township=county.town_a, opens_on=today,
                                          closes_on=today + dt.timedelta(days=6), note="元旦前临时兑换")
    assert redemption_window_for(county.village_a2, today) == window
    with pytest.raises(PointsError, match="重叠"):
        services.redemption_window_add(actor=staff, township=county.town_a, opens_on=today + dt.timedelta(days=3),
                                     closes_on=today + dt.timedelta(days=9))
    with pytest.raises(Forbidden):
        services.redemption_window_add(actor=county.users["points_recorder"], township=county.town_a,
                                     opens_on=today + dt.timedelta(days=20), closes_on=today + dt.timedelta(days=25))
    with pytest.raises(NotFound):
        services.redemption_window_add(actor=county.users["township_staff_b"], township=county.town_a,
                                     opens_on=today + dt.timedelta(days=20), closes_on=today + dt.timedelta(days=25))


# --- the notice -----------------------------------------------------------------------------------


def publish(county, village=None, **kw):
    start, end = period_bounds("quarter", timezone.localdate())
    return services.notice_publish(village=village or county.village_a1, period_start=start, period_end=end,
                                  objection_days=7, **kw)


def test_a_notice_lists_every_household_by_category_with_ranks(county, rules):
    earn(county, rules, "a1", "neighbour_help")
    earn(county, rules, "a1", "env_sorting")
    earn(county, rules, "a1_micro", "neighbour_help")
    earn(county, rules, "a1_micro", "neighbour_help", approve=False)  # pending: not in the notice
    notice = publish(county)
    by_hh = {r["household"]: r for r in notice.rows}
    a1, a2 = county.households["a1"].pk, county.households["a1_micro"].pk
    assert set(by_hh) == {a1, a2}
    assert by_hh[a1]["total"] == balance(county, "a1") and by_hh[a1]["rank"] == 1
    assert by_hh[a1]["by_category"] == {rules["neighbour_help"].category.code: rules["neighbour_help"].points,
                                        rules["env_sorting"].category.code:
                                            rules["env_sorting"].points}
    assert by_hh[a2]["total"] == rules["neighbour_help"].points and by_hh[a2]["rank"] == 2
    assert "*" in by_hh[a1]["name"] and county.households["a1"].head_name not in by_hh[a1]["name"]
    assert [c["name"] for c in notice.categories][:3] == ["信访维稳", "移风易俗", "人居环境"]
    assert selectors.notice_verify(notice).ok
    assert publish(county) == notice  # once per village and quarter


def test_the_notice_still_verifies_after_later_postings_but_not_after_an_edit(county, rules):
    earn(county, rules, "a1")
    notice = publish(county)
    earn(county, rules, "a1", "env_sorting")  # after publication: the next notice's business
    assert selectors.notice_verify(notice).ok
    rows = notice.rows
    rows[0]["total"] += 10
    PointsNotice.objects.filter(pk=notice.pk).update(rows=rows)
    notice.refresh_from_db()
    problems = selectors.notice_verify(notice).problems
    assert any("发布后被改动" in p for p in problems) and any("不符" in p for p in problems)


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="PostgreSQL refuses the UPDATE itself")
def test_a_ledger_row_changed_behind_the_application_breaks_the_notice(county, rules):
    entry = earn(county, rules, "a1")
    notice = publish(county)
    with connection.cursor() as cur:
        cur.execute("UPDATE points_pointsentry SET points = points + 100 WHERE id = %s", [entry.pk])
    problems = selectors.notice_verify(notice).problems
    assert any("台账不完整" in p for p in problems)


@pytest.mark.skipif("connection.vendor == 'postgresql'", reason="PostgreSQL refuses the UPDATE itself")
def test_the_chain_walk_is_reused_for_ten_minutes_but_the_list_is_recomputed_every_time(county, rules):
    entry = earn(county, rules, "a1")
    notice = publish(county)
    first = selectors.notice_verify(notice)
    assert first.ok and first.chains_checked_at is not None
    with connection.cursor() as cur:
        cur.execute("UPDATE points_pointsentry SET points = points + 100 WHERE id = %s", [entry.pk])
    again = selectors.notice_verify(notice)
    assert again.chains_checked_at == first.chains_checked_at  # the walk is not repeated …
    assert any("台账在公示时的记录不符" in p for p in again.problems)  # … the recomputed list still differs
    from django.core.cache import cache

    cache.clear()
    assert any("台账不完整" in p for p in selectors.notice_verify(notice).problems)


def test_objections_are_filed_in_the_window_and_answered_once(county, rules):
    earn(county, rules, "a1")
    notice = publish(county)
    resident = county.users["resident"]  # lives in a1
    a2 = county.households["a1_micro"]
    objection = services.objection_file(actor=resident, notice=notice, household=a2, text="该户邻里互助未记分")
    with pytest.raises(PointsError, match="正在处理"):
        services.objection_file(actor=resident, notice=notice, household=a2, text="该户邻里互助未记分")
    with pytest.raises(Forbidden):
        services.objection_file(actor=county.users["grid_worker_b"], notice=notice, household=a2, text="不对不对不对")
    supervisor = county.users["points_supervisor"]
    upheld = services.objection_resolve(actor=supervisor, objection=objection, upheld=True,
                                       resolution="经核实属实，补记 3 分", correction=3)
    assert upheld.state == ObjectionState.UPHELD and upheld.correction.kind == EntryKind.CORRECTION
    assert balance(county, "a1_micro") == 3 and upheld.correction.status == "approved"
    with pytest.raises(AlreadyDone):
        services.objection_resolve(actor=supervisor, objection=objection, upheld=False, resolution="不采纳")
    # The published list is unchanged and still proves itself; the correction is in the ledger.
    notice.refresh_from_db()
    assert selectors.notice_verify(notice).ok
    assert_ledger_holds(county)
    # The filer was told.
    from xiangzhi.notifications.models import Notification

    assert Notification.objects.filter(recipient=resident, kind="points_objection").exists()


def test_objection_rules(county, rules):
    earn(county, rules, "a1")
    notice = publish(county)
    resident = county.users["resident"]
    cadre = county.users["village_cadre"]  # files what a villager told them at the office
    own = services.objection_file(actor=cadre, notice=notice, household=county.households["a1"],
                                 text="村民反映本户上月清扫未记分")
    with pytest.raises(Forbidden, match="自己"):
        services.objection_resolve(actor=cadre, objection=own, upheld=False, resolution="不采纳")
    with pytest.raises(NotFound):  # a villager answers nobody's objection
        services.objection_resolve(actor=resident, objection=own, upheld=False, resolution="不采纳")
    with pytest.raises(PointsError, match="未采纳"):
        services.objection_resolve(actor=county.users["points_supervisor"], objection=own, upheld=False,
                                  resolution="不采纳", correction=2)
    later = timezone.now() + dt.timedelta(days=8)
    with pytest.raises(PointsError, match="异议期"):
        services.objection_file(actor=resident, notice=notice, household=county.households["a1_micro"],
                               text="该户记分有误请核实", now=later)
    assert services.notices_close_due(timezone.localdate(later)) == 1
    notice.refresh_from_db()
    assert notice.state == NoticeState.FINAL


# --- the settlement -------------------------------------------------------------------------------


def test_the_year_is_settled_by_policy_as_ledger_entries(county, rules):
    last_year = timezone.localdate().year - 1
    when = at(last_year, 12, 10)
    for _ in range(3):
        earn(county, rules, "a1", "neighbour_help", when=when)
    earn(county, rules, "a1_micro", "neighbour_help", when=when)
    a1_points, a2_points = balance(county, "a1"), balance(county, "a1_micro")
    with pytest.raises(PointsError, match="尚未结束"):
        services.settlement_run(township=county.town_a, year=last_year + 1)
    run_at = at(last_year + 1, 1, 15)
    result = services.settlement_run(township=county.town_a, year=last_year, now=run_at)
    assert result.policy == SettlementPolicy.CARRY_OVER
    assert (result.year_points, result.balance_points) == (a1_points + a2_points, a1_points + a2_points)
    assert (result.carried_points, result.expired_points) == (a1_points + a2_points, 0)
    assert balance(county, "a1") == a1_points  # carried over in full
    kinds = sorted(PointsEntry.objects.filter(household=county.households["a1"], source=f"settlement:{last_year}")
                   .values_list("kind", flat=True))
    assert kinds == [EntryKind.CARRY_OVER, EntryKind.EXPIRY]
    honoured = list(result.honour_rows.values_list("household_id", "rank"))
    assert (county.households["a1"].pk, 1) in honoured
    assert services.settlement_run(township=county.town_a, year=last_year, now=run_at) == result
    assert_ledger_holds(county)


def test_a_township_that_clears_points_at_year_end(county, rules):
    PointsPolicy.objects.create(township=county.town_a, settlement_policy=SettlementPolicy.CARRY_OVER_CAPPED,
                                carry_over_cap=5)
    last_year = timezone.localdate().year - 1
    for _ in range(3):
        earn(county, rules, "a1", "neighbour_help", when=at(last_year, 12, 10))
    before = balance(county, "a1")
    assert before > 5
    result = services.settlement_run(township=county.town_a, year=last_year, now=at(last_year + 1, 1, 15))
    assert balance(county, "a1") == 5 and result.expired_points == before - 5
    assert_ledger_holds(county)
    with pytest.raises(Forbidden):
        services.settlement_run(township=county.town_b, year=last_year, actor=county.users["points_recorder"],
                                  now=at(last_year + 1, 1, 15))


def test_points_earned_after_new_year_are_not_settled_with_the_old_year(county, rules):
    PointsPolicy.objects.create(township=county.town_a, settlement_policy=SettlementPolicy.EXPIRE)
    this_year = timezone.localdate().year
    for _ in range(2):
        earn(county, rules, "a1", "neighbour_help", when=at(this_year - 1, 12, 10))  # 6 points last year
    earn(county, rules, "a1", "env_sorting", when=at(this_year, 1, 5))               # 1 point this year
    result = services.settlement_run(township=county.town_a, year=this_year - 1, now=at(this_year, 1, 15))
    assert result.expired_points == 6 and balance(county, "a1") == 1
    assert_ledger_holds(county)


def test_a_years_calendar_merges_planned_rows_with_what_the_policy_would_plan(county, rules):
    year = timezone.localdate().year
    before = selectors.cycle_list_for_year(county.town_a, year)
    assert not PointsCycle.objects.exists()
    services.cycles_plan(township=county.town_a, year=year - 1)
    services.cycles_plan(township=county.town_a, year=year)
    after = selectors.cycle_list_for_year(county.town_a, year)
    assert [(c.kind, c.period_start, c.opens_on) for c in before] == [(c.kind, c.period_start, c.opens_on)
                                                                      for c in after]
    assert all(c.pk for c in after) and any(c.kind == CycleKind.SETTLEMENT for c in after)  # last year's


def test_a_correction_records_the_objector_as_who_asked_and_the_resolver_as_who_approved(county, rules):
    earn(county, rules, "a1")
    notice = publish(county)
    resident, supervisor = county.users["resident"], county.users["points_supervisor"]
    objection = services.objection_file(actor=resident, notice=notice, household=county.households["a1"],
                                       text="本户义务劳动未记分")
    upheld = services.objection_resolve(actor=supervisor, objection=objection, upheld=True,
                                       resolution="经核实属实，补记 2 分", correction=2)
    entry = PointsEntry.objects.select_related("review").get(pk=upheld.correction_id)
    assert (entry.requested_by, entry.recorder, entry.review.reviewer, entry.is_self_approved) == (
        resident, supervisor, supervisor, False)
    assert_ledger_holds(county)


def test_a_household_registered_after_publication_does_not_break_the_notice(county, rules):
    from tests.factories import make_household

    entry = earn(county, rules, "a1")
    notice = publish(county)
    newcomer = make_household(county.grid_a1, head="周新华")
    assert newcomer.pk not in {r["household"] for r in notice.rows}
    check = selectors.notice_verify(notice)
    assert check.ok, check.problems
    if connection.vendor == "postgresql":
        return  # PostgreSQL refuses the UPDATE itself
    with connection.cursor() as cur:
        cur.execute("UPDATE points_pointsentry SET points = points + 100 WHERE id = %s", [entry.pk])
    from django.core.cache import cache

    cache.clear()
    problems = selectors.notice_verify(notice).problems
    assert any("台账不完整" in p for p in problems) and any("台账在公示时的记录不符" in p for p in problems)
