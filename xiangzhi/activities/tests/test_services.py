import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.activities import selectors, services
from xiangzhi.activities.errors import ActivityConflict, ActivityError
from xiangzhi.activities.models import ActivitySignup, ActivityState
from xiangzhi.activities.tests.conftest import make_activity
from xiangzhi.core.errors import Forbidden, NotFound, status_of
from xiangzhi.points import services as points
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry, PointsRuleOverride
from xiangzhi.points.selectors import balance_mismatch_list, ledger_verify

pytestmark = pytest.mark.django_db


def tomorrow(hour=9):
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def create(county, rules, who="village_cadre", village=None, code="volunteer_activity", **kw):
    fields = {"title": "义务植树", "place": "村北荒坡", "starts_at": tomorrow(8), "ends_at": tomorrow(11), **kw}
    return services.activity_create(actor=county.users[who], village=village or county.village_a1, rule=rules[code],
                                    **fields)


def assert_ledger_sound(county):
    assert balance_mismatch_list() == []
    for village in (county.village_a1, county.village_a2, county.village_b1):
        assert ledger_verify(village) is None


# --- creating -------------------------------------------------------------------------------------


def test_organisers_create_with_the_items_value_by_default(county, rules):
    a = create(county, rules)
    assert (a.points, a.state, a.created_by, a.village) == (2, ActivityState.OPEN, county.users["village_cadre"],
                                                            county.village_a1)
    for who in ("points_recorder", "grid_chief", "township_staff", "county_admin"):
        assert create(county, rules, who, code="volunteer_labour", points=1).points == 1


def test_a_village_override_is_the_ceiling(county, rules):
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["volunteer_labour"], points=2)
    with pytest.raises(ActivityError, match="每次最多加 2 分"):
        create(county, rules, code="volunteer_labour", points=3)
    assert create(county, rules, code="volunteer_labour").points == 2


@pytest.mark.parametrize(("code", "why"), [
    ("env_litter", "减分项"), ("report_valid", "系统自动记分"), ("volunteer_donate", "须逐户上传照片"),
])
def test_only_hand_recorded_additions_without_photos_may_be_awarded(county, rules, code, why):
    with pytest.raises(ActivityError, match=why):
        create(county, rules, code=code)


def test_an_item_of_another_townships_rulebook_is_refused(county, rules, rules_b):
    with pytest.raises(ActivityError, match="不是《"):
        services.activity_create(actor=county.users["county_admin"], village=county.village_a1,
                                 rule=rules_b["volunteer_activity"], title="清扫村道", place="村口",
                                 starts_at=tomorrow(8), ends_at=tomorrow(10))


@pytest.mark.parametrize(("fields", "field"), [
    ({"title": " "}, "title"), ({"place": ""}, "place"),
    ({"starts_at": timezone.now() - dt.timedelta(hours=1)}, "starts_at"),
    ({"ends_at": tomorrow(7)}, "ends_at"), ({"ends_at": tomorrow(8) + dt.timedelta(days=4)}, "ends_at"),
    ({"capacity": 0}, "capacity"), ({"points": 0}, "points"),
])
def test_bad_input_names_the_field(county, rules, fields, field):
    with pytest.raises(ActivityError) as exc:
        create(county, rules, **fields)
    assert exc.value.fields[0]["field"] == field


def test_wrong_role_is_403_and_wrong_scope_404(county, rules):
    for who in ("points_supervisor", "grid_worker", "resident", "grid_guide"):
        with pytest.raises(Forbidden):
            create(county, rules, who)
    with pytest.raises(NotFound):
        create(county, rules, "township_staff_b")
    with pytest.raises(NotFound):  # a grid chief organises in the village of their grids only
        create(county, rules, "grid_chief", village=county.village_a2)


# --- signing up -----------------------------------------------------------------------------------


def test_a_villager_signs_their_household_up_once_and_may_withdraw_and_return(county, rules, activity):
    resident = county.users["resident"]
    s = services.activity_signup(actor=resident, activity=activity, people=2)
    assert (s.household, s.people, s.signed_up_by) == (county.households["a1"], 2, resident)
    with pytest.raises(ActivityError, match="已报名"):
        services.activity_signup(actor=resident, activity=activity)
    services.signup_withdraw(actor=resident, signup=s)
    again = services.activity_signup(actor=resident, activity=activity)
    assert again.pk != s.pk
    assert ActivitySignup.objects.filter(activity=activity).count() == 2  # the withdrawal stays on record
    assert [x.pk for x in selectors.signup_list_for_user(county.users["village_cadre"], activity)] == [again.pk]


def test_signing_up_another_household(county, rules, activity):
    a1_micro, a2 = county.households["a1_micro"], county.households["a2"]
    with pytest.raises(Forbidden):  # a villager, for a neighbour
        services.activity_signup(actor=county.users["resident"], activity=activity, household=a1_micro)
    with pytest.raises(Forbidden):  # a supervisor does not organise or sign up
        services.activity_signup(actor=county.users["points_supervisor"], activity=activity, household=a1_micro)
    s = services.activity_signup(actor=county.users["grid_worker"], activity=activity, household=a1_micro)
    assert s.signed_up_by == county.users["grid_worker"]
    with pytest.raises(NotFound):  # a household outside the worker's grids
        services.activity_signup(actor=county.users["grid_worker"], activity=activity, household=a2)
    with pytest.raises(ActivityError, match="只有东村的户"):  # in scope, but of another village
        services.activity_signup(actor=county.users["township_staff"], activity=activity, household=a2)
    with pytest.raises(Forbidden):  # nor may the villager withdraw a neighbour's sign-up
        services.signup_withdraw(actor=county.users["resident"], signup=s)


def test_a_full_activity_refuses_more_people(county, rules):
    a = create(county, rules, capacity=3)
    services.activity_signup(actor=county.users["resident"], activity=a, people=2)
    with pytest.raises(ActivityError, match="名额已满：共 3 人，还剩 1 人") as exc:
        services.activity_signup(actor=county.users["village_cadre"], activity=a,
                                 household=county.households["a1_micro"], people=2)
    assert (exc.value.code, status_of(exc.value)) == ("full", 409)
    services.activity_signup(actor=county.users["village_cadre"], activity=a, household=county.households["a1_micro"])
    a = selectors.activity_get_for_user(county.users["resident"], a.pk)
    assert (a.signed_up_people, a.places_left, a.is_signup_open) == (3, 0, False)


def test_sign_up_stops_when_closed_started_or_cancelled(county, rules, activity):
    services.activity_close(actor=county.users["points_recorder"], activity=activity)
    with pytest.raises(ActivityError, match="报名已截止"):
        services.activity_signup(actor=county.users["resident"], activity=activity)
    started, _ = make_activity(county, rules, started=True)
    with pytest.raises(ActivityError, match="活动已开始") as exc:
        services.activity_signup(actor=county.users["resident"], activity=started)
    assert exc.value.code == "started"
    cancelled = create(county, rules)
    services.activity_cancel(actor=county.users["grid_chief"], activity=cancelled, reason="暴雨预警，改期")
    with pytest.raises(ActivityError, match="活动已取消"):
        services.activity_signup(actor=county.users["resident"], activity=cancelled)
    with pytest.raises(ActivityError, match="取消原因"):
        services.activity_cancel(actor=county.users["grid_chief"], activity=create(county, rules), reason=" ")


# --- check-in -------------------------------------------------------------------------------------


def test_check_in_one_or_many_undo_and_not_too_early(county, rules, activity):
    s1 = services.activity_signup(actor=county.users["resident"], activity=activity)
    with pytest.raises(ActivityError, match="开始前 2 小时内"):
        services.activity_check_in(actor=county.users["village_cadre"], activity=activity, signups=[s1])
    a, made = make_activity(county, rules, started=True, signups=["a1", "a1_micro"])
    cadre = county.users["village_cadre"]
    assert services.activity_check_in(actor=cadre, activity=a, signups=[made["a1"]]) == 1
    assert services.activity_check_in(actor=cadre, activity=a, signups=list(made.values())) == 1
    services.signup_check_in_undo(actor=cadre, signup=made["a1"])
    assert ActivitySignup.objects.filter(activity=a, checked_in_at__isnull=False).count() == 1
    with pytest.raises(ActivityError, match="没有报名本活动"):
        services.activity_check_in(actor=cadre, activity=a, signups=[s1])
    with pytest.raises(Forbidden):
        services.activity_check_in(actor=county.users["grid_worker"], activity=a, signups=[made["a1"]])
    with pytest.raises(NotFound):
        services.activity_check_in(actor=county.users["township_staff_b"], activity=a, signups=[made["a1"]])


# --- 一键记分 -------------------------------------------------------------------------------------


def test_award_gives_every_household_checked_in_its_points_once(county, rules):
    a, made = make_activity(county, rules, started=True, signups=["a1", "a1_micro"], checked_in=["a1"])
    services.activity_check_in(actor=county.users["grid_chief"], activity=a, signups=[made["a1_micro"]])
    recorder = county.users["points_recorder"]
    result = services.activity_award(actor=recorder, activity=a)
    assert len(result.entries) == 2 and result.skipped == []
    entries = PointsEntry.objects.filter(source=f"activity:{a.pk}").order_by("household_id")
    assert [(e.kind, e.points, e.rule_code, e.status, e.recorder) for e in entries] == [
        (EntryKind.AWARD, 2, "volunteer_activity", "pending", recorder)] * 2
    assert entries[0].note.startswith("志愿服务活动：清扫村道")
    a.refresh_from_db()
    assert (a.state, a.awarded_by) == (ActivityState.AWARDED, recorder)
    assert {s.award_entry_id for s in a.signups.all()} == {e.pk for e in entries}
    assert PointsBalance.objects.get(pk=county.households["a1"].pk).pending_total == 2
    with pytest.raises(ActivityConflict, match="不能重复记分"):
        services.activity_award(actor=county.users["village_cadre"], activity=a)
    with pytest.raises(ActivityError, match="已记分"):
        services.activity_check_in(actor=county.users["grid_chief"], activity=a, signups=[made["a1"]])
    with pytest.raises(ActivityError, match="已记分"):
        services.activity_cancel(actor=county.users["grid_chief"], activity=a, reason="取消")
    assert PointsEntry.objects.count() == 2
    assert_ledger_sound(county)
    # Awards wait for the monthly review like any record; the recorder who awarded may not decide them.
    with pytest.raises(Forbidden):
        points.entry_review(actor=recorder, entry=entries[0], approve=True)
    points.entry_review(actor=county.users["points_supervisor"], entry=entries[0], approve=True)
    assert_ledger_sound(county)
    assert selectors.household_participation(county.households["a1"].pk) == 1


def test_a_household_over_its_cap_is_skipped_with_the_reason(county, rules):
    a, _ = make_activity(county, rules, started=True, signups=["a1", "a1_micro"], checked_in=["a1", "a1_micro"])
    # The cap is per month: fill it in the month the activity took place (it may be last month just
    # after midnight on the 1st).
    points.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                        rule=rules["volunteer_activity"], occurred_on=timezone.localdate(a.starts_at), count=8)
    result = services.activity_award(actor=county.users["village_cadre"], activity=a)
    assert [e.household_id for e in result.entries] == [county.households["a1_micro"].pk]
    ((signup, reason),) = result.skipped
    assert signup.household == county.households["a1"] and "超出上限" in reason
    assert ActivitySignup.objects.get(pk=signup.pk).award_note == reason
    assert_ledger_sound(county)


def test_award_refuses_without_check_ins_and_writes_nothing(county, rules):
    a, _ = make_activity(county, rules, started=True, signups=["a1"])
    with pytest.raises(ActivityError, match="还没有人签到") as exc:
        services.activity_award(actor=county.users["village_cadre"], activity=a)
    assert status_of(exc.value) == 409
    a.refresh_from_db()
    assert a.state == ActivityState.OPEN and a.awarded_at is None


def test_award_of_an_activity_long_past_refuses_whole_and_stays_open(county, rules):
    a, _ = make_activity(county, rules, started=True, signups=["a1"], checked_in=["a1"])
    later = timezone.now() + dt.timedelta(days=40)
    with pytest.raises(PointsError, match="只能补记 31 天内"):
        services.activity_award(actor=county.users["village_cadre"], activity=a, now=later)
    a.refresh_from_db()
    assert a.state == ActivityState.OPEN and not PointsEntry.objects.exists()
    services.activity_award(actor=county.users["village_cadre"], activity=a)  # in time, it goes through
    assert PointsEntry.objects.count() == 1


def test_award_wrong_role_and_scope_and_not_before_the_start(county, rules, activity):
    a, _ = make_activity(county, rules, started=True, signups=["a1"], checked_in=["a1"])
    for who in ("grid_chief", "points_supervisor", "grid_worker", "resident"):
        with pytest.raises(Forbidden):
            services.activity_award(actor=county.users[who], activity=a)
    with pytest.raises(NotFound):
        services.activity_award(actor=county.users["township_staff_b"], activity=a)
    with pytest.raises(ActivityError, match="活动开始后"):
        services.activity_award(actor=county.users["village_cadre"], activity=activity)
    assert not PointsEntry.objects.exists()


def test_entry_award_bulk_never_doubles_and_checks_every_village(county, rules):
    h = county.households
    kw = {"actor": county.users["township_staff"], "rule": rules["volunteer_labour"], "points": 3,
          "occurred_on": timezone.localdate(), "source": "activity:999", "note": "义务出工"}
    first = points.entry_award_bulk(households=[h["a1"], h["a2"]], **kw)
    assert sorted(e.village_id for e in first.entries) == sorted([county.village_a1.pk, county.village_a2.pk])
    again = points.entry_award_bulk(households=[h["a1"], h["a1_micro"]], **kw)
    assert [e.household_id for e in again.entries] == [h["a1_micro"].pk]
    assert [(s.household, s.reason) for s in again.skipped] == [(h["a1"], "已因同一事由记过分")]
    PointsRuleOverride.objects.create(village=county.village_a2, rule=rules["volunteer_labour"], points=1)
    with pytest.raises(PointsError, match="在西村每次最多加 1 分"):
        points.entry_award_bulk(households=[h["a1"], h["a2"]], **{**kw, "source": "activity:1000"})
    with pytest.raises(NotFound):
        points.entry_award_bulk(households=[h["b1"]], **{**kw, "source": "activity:1001"})
    with pytest.raises(PointsError, match="减分项"):
        points.entry_award_bulk(households=[h["a1"]], **{**kw, "rule": rules["env_livestock"], "source": "x:1"})
    assert PointsEntry.objects.count() == 3
    assert_ledger_sound(county)


# --- reading --------------------------------------------------------------------------------------


def test_who_sees_which_activities(county, rules, rules_b):
    a1 = create(county, rules)
    a2 = create(county, rules, "township_staff", village=county.village_a2)
    b1 = create(county, rules_b, "township_staff_b", village=county.village_b1)

    def seen(who):
        return {x.pk for x in selectors.activity_list_for_user(county.users[who])}

    assert seen("resident") == {a1.pk}
    assert seen("grid_worker") == {a1.pk} and seen("grid_guide") == {a2.pk}
    assert seen("township_staff") == {a1.pk, a2.pk} and seen("township_staff_b") == {b1.pk}
    assert seen("county_admin") == {a1.pk, a2.pk, b1.pk}
    assert seen("department_staff") == set()


def test_the_village_comparison_counts_person_times_checked_in(county, rules):
    _, made = make_activity(county, rules, started=True, signups=["a1", "a1_micro"], checked_in=["a1"])
    b, _ = make_activity(county, rules, started=True, actor="township_staff", village=county.village_a2,
                         signups=["a2"], checked_in=["a2"])
    services.activity_cancel(actor=county.users["township_staff"], activity=b, reason="人数不足")
    ActivitySignup.objects.filter(pk=made["a1"].pk).update(people=3)
    rows = {r.village.code: r for r in selectors.village_volunteer_table(county.town_a)}
    east, west = rows[county.village_a1.code], rows[county.village_a2.code]
    assert (east.activities, east.person_times, east.household_times, east.participating, east.households) == (
        1, 3, 1, 1, 2)
    assert (east.participation_rate, east.per_household) == (50.0, 1.5)
    assert (west.activities, west.person_times) == (0, 0)
    assert list(rows) == [county.village_a1.code, county.village_a2.code]


def test_grid_roles_see_and_check_in_only_the_households_of_their_grids(county, rules):
    from tests.factories import make_household, square
    from xiangzhi.regions.services import grid_create

    east = grid_create(region=county.village_a1, name="东村第二网格", boundary=square(118.025, 37.70, 0.01))
    county.households["a1_east"] = make_household(east, head="孙桂兰")
    a, made = make_activity(county, rules, started=True, signups=["a1", "a1_micro", "a1_east"])
    chief = county.users["grid_chief"]  # grid_a1 (and the micro-grid inside it), not 东村第二网格

    def seen(who):
        return {s.household_id for s in selectors.signup_list_for_user(county.users[who], a)}

    mine = {county.households["a1"].pk, county.households["a1_micro"].pk}
    assert seen("grid_chief") == mine and seen("grid_worker") == mine
    assert seen("grid_guide") == set()  # 西村's guide
    assert seen("village_cadre") == mine | {county.households["a1_east"].pk}
    with pytest.raises(NotFound):
        selectors.signup_get_for_user(chief, a, made["a1_east"].pk)
    with pytest.raises(NotFound):
        services.activity_check_in(actor=chief, activity=a, signups=[made["a1"], made["a1_east"]])
    assert not ActivitySignup.objects.filter(activity=a, checked_in_at__isnull=False).exists()
    services.activity_check_in(actor=county.users["village_cadre"], activity=a, signups=[made["a1_east"]])
    with pytest.raises(NotFound):
        services.signup_check_in_undo(actor=chief, signup=made["a1_east"])
    assert services.activity_check_in(actor=chief, activity=a, signups=[made["a1"], made["a1_micro"]]) == 2
    assert ActivitySignup.objects.filter(activity=a, checked_in_at__isnull=False).count() == 3
