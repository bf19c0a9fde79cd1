"""Every change to volunteer activities. Pages, the API and the demo call these.

Locking order: the activity row (``SELECT … FOR UPDATE``, or the award's conditional ``UPDATE``),
then the points ledger's village chain heads and balances. Sign-up, withdrawal and check-in lock
the activity first, so a sign-up cannot overfill it and a check-in cannot slip in beside the award.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.activities.errors import ActivityConflict, ActivityError
from xiangzhi.activities.models import LIVE_STATES, Activity, ActivitySignup, ActivityState
from xiangzhi.activities.rules import can_award, can_organise, can_sign_up_others
from xiangzhi.activities.selectors import covers_village, signups_in_reach
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.people.models import Household, Resident
from xiangzhi.points.models import Direction, PointsEntry, PointsRule
from xiangzhi.points.selectors import rule_effective, rulebook_in_force
from xiangzhi.points.services import entry_award_bulk
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import township_of

TITLE_MAX = 100
PLACE_MAX = 100
DESCRIPTION_MAX = 2000
REASON_MAX = 200
MAX_PEOPLE = 20
MAX_CAPACITY = 10_000
MAX_DURATION = dt.timedelta(days=3)
# Staff may check people in from a little before the start (people gather early).
CHECK_IN_EARLY = dt.timedelta(hours=2)

ORGANISER_ONLY = "只有村两委、积分管理员、网格长和乡镇（街道）、区县人员可以组织志愿服务活动"
AWARDER_ONLY = "一键记分须由村两委、积分管理员或乡镇（街道）、区县人员操作"


@dataclass(frozen=True)
class AwardResult:
    activity: Activity
    entries: list[PointsEntry]
    skipped: list[tuple[ActivitySignup, str]]


def _text(value: str, name: str, label: str, limit: int, *, required: bool = True) -> str:
    """The kernel's ``text``, refusing as an activity; too long reads "…不能超过 N 字" on these pages."""
    value = (value or "").strip()
    if len(value) > limit:
        raise ActivityError(f"{label}不能超过 {limit} 字", fields=field_error(name, "太长"))
    return text(value, name, label, limit, required=required, error=ActivityError)


def _organiser_check(actor: User, village: Region) -> None:
    require(can_organise(actor), ORGANISER_ONLY)
    if not covers_village(actor, village):
        raise NotFound()


def _activity_lock(activity: Activity) -> Activity:
    """The activity's row, locked until the transaction ends, with its current state."""
    locked = Activity.objects.select_for_update().get(pk=activity.pk)
    activity.state = locked.state
    return locked


def _state_check(activity: Activity, doing: str) -> None:
    if activity.state == ActivityState.CANCELLED:
        raise ActivityConflict(f"活动已取消，不能{doing}")
    if activity.state == ActivityState.AWARDED:
        raise ActivityConflict(f"活动已记分，不能{doing}")


def aware(moment: dt.datetime) -> dt.datetime:
    """A time without a zone (a form's, a client's) is taken as local time."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(aware(moment)).date()


# --- the activity ---------------------------------------------------------------------------------


def activity_rule_check(rule: PointsRule, village: Region, on: dt.date, points: int | None) -> int:
    """The points per household an activity in ``village`` on ``on`` may award for ``rule``: an
    addition item of the rulebook in force there, recorded by hand and needing no photo, at most its
    value in the village (村规民约 included). ``points`` None means the item's full value."""
    book = rulebook_in_force(township_of(village), on)
    if book is None:
        raise ActivityError(f"{village.name}所在乡镇（街道）在{on:%Y-%m-%d}还没有施行的积分细则",
                            fields=field_error("rule", "无细则"))
    if rule.rulebook_id != book.pk:
        raise ActivityError(f"“{rule.name}”不是《{book.name}》中的条目", fields=field_error("rule", "不适用"))
    eff = rule_effective(rule, village)
    if not eff.is_active:
        raise ActivityError(f"“{rule.name}”在本村未启用", fields=field_error("rule", "未启用"))
    if eff.direction != Direction.ADD:
        raise ActivityError(f"“{rule.name}”是减分项，不能作为活动积分", fields=field_error("rule", "须为加分项"))
    if not eff.roles:
        raise ActivityError(f"“{rule.name}”由系统自动记分，不能作为活动积分", fields=field_error("rule", "系统条目"))
    if eff.evidence_required:
        raise ActivityError(f"“{rule.name}”须逐户上传照片，不能作为活动积分", fields=field_error("rule", "须拍照"))
    if points is None:
        return eff.points
    if not isinstance(points, int) or points <= 0:
        raise ActivityError("每户积分应为正整数", fields=field_error("points", "应为正整数"))
    if points > eff.points:
        raise ActivityError(f"“{rule.name}”在本村每次最多加 {eff.points} 分",
                            fields=field_error("points", "超过细则分值"))
    return points


def activity_create(
    *, actor: User, village: Region, title: str, place: str, starts_at: dt.datetime, ends_at: dt.datetime,
    rule: PointsRule, points: int | None = None, description: str = "", capacity: int | None = None,
    now: dt.datetime | None = None,
) -> Activity:
    """发起活动 in a village the actor stands on, open for sign-up until it starts. It will award
    ``points`` (at most the item's value in the village; its full value if None) of the addition
    item ``rule`` to every household checked in."""
    if village.level != RegionLevel.VILLAGE:
        raise ActivityError("志愿服务活动按村（社区）组织", fields=field_error("village", "须为村/社区"))
    _organiser_check(actor, village)
    now = now or timezone.now()
    starts_at, ends_at = aware(starts_at), aware(ends_at)
    title = _text(title, "title", "活动名称", TITLE_MAX)
    place = _text(place, "place", "活动地点", PLACE_MAX)
    description = _text(description, "description", "活动内容", DESCRIPTION_MAX, required=False)
    if starts_at <= now:
        raise ActivityError("开始时间应晚于现在", fields=field_error("starts_at", "应为将来的时间"))
    if ends_at <= starts_at:
        raise ActivityError("结束时间应晚于开始时间", fields=field_error("ends_at", "应晚于开始时间"))
    if ends_at - starts_at > MAX_DURATION:
        raise ActivityError("一次活动最长 3 天，更长的请分次发起", fields=field_error("ends_at", "太长"))
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise ActivityError(f"名额应在 1～{MAX_CAPACITY} 人之间", fields=field_error("capacity", "超出范围"))
    points = activity_rule_check(rule, village, local_day(starts_at), points)
    return Activity.objects.create(
        village=village, title=title, description=description, place=place, starts_at=starts_at, ends_at=ends_at,
        capacity=capacity, rule=rule, points=points, created_at=now, created_by=actor,
    )


def activity_close(*, actor: User, activity: Activity, now: dt.datetime | None = None) -> Activity:
    """报名截止: stop sign-ups before the start (they stop at the start anyway)."""
    _organiser_check(actor, activity.village)
    now = now or timezone.now()
    changed = Activity.objects.filter(pk=activity.pk, state=ActivityState.OPEN).update(
        state=ActivityState.CLOSED, closed_at=now, closed_by=actor)
    if not changed:
        activity.refresh_from_db(fields=["state"])
        _state_check(activity, "截止报名")
        raise ActivityConflict("报名已经截止")
    activity.state, activity.closed_at, activity.closed_by = ActivityState.CLOSED, now, actor
    return activity


def activity_cancel(*, actor: User, activity: Activity, reason: str, now: dt.datetime | None = None) -> Activity:
    """取消活动, with a reason, any time before it is awarded; nobody gets points from it."""
    _organiser_check(actor, activity.village)
    reason = _text(reason, "reason", "取消原因", REASON_MAX)
    now = now or timezone.now()
    changed = Activity.objects.filter(pk=activity.pk, state__in=LIVE_STATES).update(
        state=ActivityState.CANCELLED, cancelled_at=now, cancelled_by=actor, cancel_reason=reason)
    if not changed:
        activity.refresh_from_db(fields=["state"])
        _state_check(activity, "取消")
        raise ActivityConflict("活动状态已变化，请刷新后重试")
    activity.state, activity.cancelled_at, activity.cancelled_by = ActivityState.CANCELLED, now, actor
    activity.cancel_reason = reason
    return activity


# --- sign-up --------------------------------------------------------------------------------------


def _household_actor_check(actor: User, household: Household, activity: Activity) -> None:
    """A villager acts for their own household; staff for a household of their scope."""
    if actor.household_id and actor.household_id == household.pk:
        return
    require(can_sign_up_others(actor), "只能为本户报名或取消报名")
    if not scope_of(actor).covers_path(household.grid.path) or not covers_village(actor, activity.village):
        raise NotFound()


def activity_signup(
    *, actor: User, activity: Activity, household: Household | None = None, resident: Resident | None = None,
    people: int = 1, now: dt.datetime | None = None,
) -> ActivitySignup:
    """报名: a household of the activity's village signs up (``people`` of them will come), by itself
    or through staff. Refused once the activity is full, closed, cancelled, or has started."""
    if household is None:
        if not actor.household_id:
            raise ActivityError("请选择报名的户", fields=field_error("household", "必填"))
        household = Household.objects.select_related("grid").get(pk=actor.household_id)
    _household_actor_check(actor, household, activity)
    if household.grid.region_id != activity.village_id:
        raise ActivityError(f"只有{activity.village.name}的户可以报名本活动",
                            fields=field_error("household", "不是本村的户"))
    if resident is not None and resident.household_id != household.pk:
        raise ActivityError("参加人不是该户的成员", fields=field_error("resident", "不是该户成员"))
    if not isinstance(people, int) or not 1 <= people <= MAX_PEOPLE:
        raise ActivityError(f"每户报名人数应在 1～{MAX_PEOPLE} 人之间", fields=field_error("people", "超出范围"))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _activity_lock(activity)
        _state_check(activity, "报名")
        if locked.state == ActivityState.CLOSED:
            raise ActivityConflict("报名已截止", code="closed")
        if now >= locked.starts_at:
            raise ActivityConflict("活动已开始，不能再报名", code="started")
        active = locked.signups.filter(withdrawn_at__isnull=True)
        if active.filter(household=household).exists():
            raise ActivityConflict("该户已报名本活动")
        if locked.capacity is not None:
            taken = active.aggregate(n=Sum("people"))["n"] or 0
            if taken + people > locked.capacity:
                left = max(locked.capacity - taken, 0)
                raise ActivityConflict(f"名额已满：共 {locked.capacity} 人，还剩 {left} 人", code="full")
        try:
            with transaction.atomic():
                return ActivitySignup.objects.create(activity=locked, household=household, resident=resident,
                                                     people=people, signed_up_at=now, signed_up_by=actor)
        except IntegrityError:
            raise ActivityConflict("该户已报名本活动") from None


def signup_withdraw(*, actor: User, signup: ActivitySignup, now: dt.datetime | None = None) -> ActivitySignup:
    """取消报名, before the activity starts and before the household is checked in."""
    activity = signup.activity
    _household_actor_check(actor, signup.household, activity)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _activity_lock(activity)
        _state_check(activity, "取消报名")
        if now >= locked.starts_at:
            raise ActivityConflict("活动已开始，不能取消报名", code="started")
        changed = ActivitySignup.objects.filter(pk=signup.pk, withdrawn_at__isnull=True,
                                                checked_in_at__isnull=True).update(withdrawn_at=now,
                                                                                   withdrawn_by=actor)
        if not changed:
            raise ActivityConflict("该报名已取消或已签到")
    signup.withdrawn_at, signup.withdrawn_by = now, actor
    return signup


# --- check-in -------------------------------------------------------------------------------------


def _check_in_open(activity: Activity, locked: Activity, now: dt.datetime, doing: str) -> None:
    _state_check(activity, doing)
    if now < locked.starts_at - CHECK_IN_EARLY:
        raise ActivityConflict("活动开始前 2 小时内才能签到", code="too_early")


def activity_check_in(*, actor: User, activity: Activity, signups: list[ActivitySignup],
                      now: dt.datetime | None = None) -> int:
    """签到: mark one or many sign-ups present; those already present stay as they were. Returns how
    many were marked now."""
    _organiser_check(actor, activity.village)
    if not signups:
        raise ActivityError("请选择签到的户", fields=field_error("signups", "必填"))
    ids = {s.pk for s in signups}
    if any(s.activity_id != activity.pk or s.withdrawn_at is not None for s in signups):
        raise ActivityError("所选的户没有报名本活动", fields=field_error("signups", "不是本活动的报名"))
    if not signups_in_reach(actor, activity, [s.household_id for s in signups]):
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = _activity_lock(activity)
        _check_in_open(activity, locked, now, "签到")
        return ActivitySignup.objects.filter(pk__in=ids, activity=locked, withdrawn_at__isnull=True,
                                             checked_in_at__isnull=True).update(checked_in_at=now,
                                                                                checked_in_by=actor)


def signup_check_in_undo(*, actor: User, signup: ActivitySignup, now: dt.datetime | None = None) -> ActivitySignup:
    """A check-in tapped by mistake, undone before the points are awarded."""
    activity = signup.activity
    _organiser_check(actor, activity.village)
    if not signups_in_reach(actor, activity, [signup.household_id]):
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = _activity_lock(activity)
        _check_in_open(activity, locked, now, "撤销签到")
        ActivitySignup.objects.filter(pk=signup.pk).update(checked_in_at=None, checked_in_by=None)
    signup.checked_in_at = signup.checked_in_by = None
    return signup


# --- 一键记分 -------------------------------------------------------------------------------------


def award_note(activity: Activity) -> str:
    return f"志愿服务活动：{activity.title}（{local_day(activity.starts_at):%Y-%m-%d}，{activity.place}）"


def _signups_mark(signups: list[ActivitySignup]) -> None:
    """Write each sign-up's award entry and note. Django's ``bulk_update`` builds a CASE per column per
    row, which cost more than the award itself; the same values go as one parameterised UPDATE
    executed many times."""
    conn = connections[ActivitySignup.objects.db]
    meta = ActivitySignup._meta
    quote = conn.ops.quote_name
    with conn.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('award_entry').column)} = %s, "  # noqa: S608
            f"{quote(meta.get_field('award_note').column)} = %s WHERE {quote(meta.pk.column)} = %s",
            [(s.award_entry_id, s.award_note, s.pk) for s in signups],
        )


def activity_award(*, actor: User, activity: Activity, now: dt.datetime | None = None) -> AwardResult:
    """一键记分: once the activity has started, every household checked in gets the activity's points
    in one batch through the points ledger (``entry_award_bulk``), pending the monthly review.

    Once only: the state moves to awarded by a conditional ``UPDATE`` in the same transaction as
    the posting, so of two awards at once one posts and the other finds it done. A household the
    award would take over the item's cap is skipped and keeps the reason (``award_note``); the rest
    get their points. Anything else wrong (the item no longer in force, the activity more than 31
    days ago) refuses the whole award and nothing is written."""
    require(can_award(actor), AWARDER_ONLY)
    if not covers_village(actor, activity.village):
        raise NotFound()
    now = now or timezone.now()
    if now < activity.starts_at:
        raise ActivityConflict("活动开始后才能记分", code="too_early")
    with transaction.atomic():
        changed = Activity.objects.filter(pk=activity.pk, state__in=LIVE_STATES).update(
            state=ActivityState.AWARDED, awarded_at=now, awarded_by=actor)
        if not changed:
            activity.refresh_from_db(fields=["state"])
            if activity.state == ActivityState.AWARDED:
                raise ActivityConflict("本活动已记分，不能重复记分")
            _state_check(activity, "记分")
            raise ActivityConflict("活动状态已变化，请刷新后重试")
        signups = list(activity.signups.filter(withdrawn_at__isnull=True, checked_in_at__isnull=False)
                       .select_related("household", "household__grid", "household__grid__region")
                       .defer("household__grid__boundary", "household__grid__region__boundary")
                       .order_by("household_id"))
        if not signups:
            raise ActivityConflict("还没有人签到，不能记分", code="nobody_checked_in")
        result = entry_award_bulk(
            actor=actor, households=[s.household for s in signups], rule=activity.rule, points=activity.points,
            occurred_on=local_day(activity.starts_at), source=f"activity:{activity.pk}", note=award_note(activity),
            now=now,
        )
        by_household = {e.household_id: e for e in result.entries}
        reasons = {s.household.pk: s.reason for s in result.skipped}
        for s in signups:
            s.award_entry = by_household.get(s.household_id)
            s.award_note = reasons.get(s.household_id, "")[:200]
        _signups_mark(signups)
    activity.state, activity.awarded_at, activity.awarded_by = ActivityState.AWARDED, now, actor
    skipped = [(s, s.award_note) for s in signups if s.award_entry is None]
    return AwardResult(activity, result.entries, skipped)
