"""Volunteer activities for the demo county: a few past activities per village (清扫村道, 关爱孤寡老人,
义务植树, 防汛巡河 …), each with sign-ups, check-ins and its 一键记分, and one coming activity still
open for sign-up.

Everything goes through the activities services (and so through the points ledger's bulk path),
each step at the time it would have happened (``now=``), so the chains, the balances and the caps
come out exactly as if the village had run them. Awards older than a few days are decided by the
village's points supervisor, as the monthly review would have. Households that signed up on their
own phone did so with their resident account; the others through the village's points recorder.

Deterministic for a seed and a build day: each village draws from ``seed:activities:village code``.
Runs after the points (``write_points``); a household a demo record already took to an item's cap
is skipped by the award, with the reason, as in life. A village's activities take a few dozen
queries (sign-ups in one insert an activity, caps read once an award, reviews decided in one batch);
a whole county passes ``villages``.
"""

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.activities import selectors, services
from xiangzhi.activities.errors import ActivityError
from xiangzhi.activities.models import ActivitySignup
from xiangzhi.people.models import Household
from xiangzhi.points import services as points
from xiangzhi.points.selectors import rule_get_in_force
from xiangzhi.regions.models import Region, RegionLevel

# title, place, what to do, preferred item (falls back to volunteer_activity), capacity, hours
KINDS = [
    ("清扫村道", "村委会门前集合", "清扫主街和背街小巷，清理路边杂草垃圾。请自带扫帚、铁锨。",
     "volunteer_activity", None, 2),
    ("关爱孤寡老人", "村党群服务中心", "为独居、孤寡老人打扫卫生、理发、送米面油，陪老人拉拉家常。",
     "filial_care", 20, 3),
    ("义务植树", "村北荒坡", "补植侧柏和国槐，每户负责一行。树苗、工具由村里准备。",
     "volunteer_labour", 40, 3),
    ("防汛巡河", "村南河堤", "汛期巡查河堤、排水沟，发现险情及时报告网格长。请穿雨靴、带手电。",
     "volunteer_emergency", 16, 4),
    ("人居环境集中整治", "各网格分片", "清理门前“三大堆”，整治房前屋后环境卫生。",
     "volunteer_activity", None, 3),
    ("移风易俗宣传", "村文化广场", "发放倡议书，宣讲红白事简办标准。",
     "customs_promote", 12, 2),
]
FALLBACK_RULE = "volunteer_activity"
PAST_DAYS = (2, 28)  # awarded within 31 days of the activity, as the points rules require
REVIEW_AFTER = dt.timedelta(days=4)
SIGNUP_SHARE = (0.15, 0.45)  # of the village's households, per activity
CHECK_IN_SHARE = 0.88


@dataclass
class ActivitiesReport:
    activities: int = 0
    signups: int = 0
    checked_in: int = 0
    awarded: int = 0
    skipped: int = 0
    reviewed: int = 0


def write_activities(*, seed: int = 0, per_village: int = 4, now: dt.datetime | None = None,
                     villages: Iterable[Region] | None = None, review: bool = True) -> ActivitiesReport:
    """``per_village`` past activities (awarded) and one coming one (open) in every village with a
    points recorder or village cadre account, or in ``villages``."""
    now = (now or timezone.now()).replace(microsecond=0)
    report = ActivitiesReport()
    if villages is None:
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")
    for village in villages:
        _village(village, random.Random(f"{seed}:activities:{village.code}"), per_village, now, review, report)
    return report


def _staff(village: Region, *roles: Role) -> User | None:
    for role in roles:
        user = User.objects.filter(role=role, region=village, is_active=True).order_by("id").first()
        if user is not None:
            return user
    return None


def _village(village: Region, rng: random.Random, per_village: int, now: dt.datetime, review: bool,
             report: ActivitiesReport) -> None:
    organiser = _staff(village, Role.POINTS_RECORDER, Role.VILLAGE_CADRE)
    supervisor = _staff(village, Role.POINTS_SUPERVISOR)
    households = list(Household.objects.filter(grid__region=village).select_related("grid").defer("grid__boundary")
                      .order_by("id"))
    if organiser is None or not households:
        return
    accounts = {
        hid: user for hid, user in ((u.household_id, u) for u in User.objects.filter(
            role=Role.RESIDENT, household__grid__region=village, is_active=True).order_by("id"))
    }
    kinds = rng.sample(KINDS, k=min(per_village + 1, len(KINDS)))
    days_ago = sorted((rng.randint(*PAST_DAYS) for _ in kinds[:per_village]), reverse=True)
    for kind, ago in zip(kinds, [*days_ago, None], strict=False):
        day = timezone.localdate(now) + (dt.timedelta(days=rng.randint(3, 10)) if ago is None
                                         else -dt.timedelta(days=ago))
        activity = _create(village, organiser, kind, day, rng, now)
        if activity is None:
            continue
        report.activities += 1
        signups = _sign_up(activity, households, accounts, organiser, rng, now, report)
        if ago is None:
            continue
        present = [s for s in signups if rng.random() < CHECK_IN_SHARE]
        if not present:
            continue
        at = activity.starts_at + dt.timedelta(minutes=rng.randint(0, 20))
        report.checked_in += services.activity_check_in(actor=organiser, activity=activity, signups=present, now=at)
        awarded_at = activity.ends_at + dt.timedelta(minutes=rng.randint(30, 180))
        result = services.activity_award(actor=organiser, activity=activity, now=awarded_at)
        report.awarded += len(result.entries)
        report.skipped += len(result.skipped)
        if review and supervisor is not None and awarded_at <= now - REVIEW_AFTER:
            decided_at = awarded_at + dt.timedelta(days=rng.randint(2, 4), hours=rng.randint(0, 5))
            # The supervisor approves the activity's awards together, as the review page's batch does.
            report.reviewed += len(points.entries_review(actor=supervisor, entries=result.entries, approve=True,
                                                         now=decided_at))


def _create(village, organiser, kind, day: dt.date, rng: random.Random, now: dt.datetime):
    title, place, description, code, capacity, hours = kind
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.choice((8, 9, 14, 15)), rng.choice((0, 30)))))
    created = min(start - dt.timedelta(days=rng.randint(3, 6)), now - dt.timedelta(minutes=5))
    rule = rule_get_in_force(village, code, day)
    if rule is None or code not in {r.code for r in selectors.award_rule_list_for_village(village, day)}:
        rule = rule_get_in_force(village, FALLBACK_RULE, day)
    if rule is None:
        return None
    try:
        return services.activity_create(actor=organiser, village=village, title=title, place=place,
                                        description=description, starts_at=start,
                                        ends_at=start + dt.timedelta(hours=hours), capacity=capacity, rule=rule,
                                        now=created)
    except ActivityError:  # the item is switched off or lowered in this village: leave it out
        return None


def _sign_up(activity, households, accounts, organiser, rng: random.Random, now: dt.datetime,
             report: ActivitiesReport) -> list:
    share = rng.uniform(*SIGNUP_SHARE)
    chosen = rng.sample(households, k=max(1, min(len(households), round(share * len(households)))))
    opened = activity.created_at
    last = min(activity.starts_at - dt.timedelta(minutes=10), now)
    times = sorted(opened + (last - opened) * rng.random() for _ in chosen)
    # What ``activities.services.activity_signup`` would write, one sign-up after another in time
    # order, in one insert: each chosen household of the village, before the start, none twice, and
    # once the places are taken the rest are turned away (a village's ~400 sign-ups one call each
    # were two thirds of the demo's build time).
    rows, taken = [], 0
    for household, at in zip(chosen, times, strict=True):
        people = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
        if activity.capacity is not None and taken + people > activity.capacity:
            continue  # full
        taken += people
        rows.append(ActivitySignup(activity=activity, household=household, people=people, signed_up_at=at,
                                   signed_up_by=accounts.get(household.pk) or organiser))
    made = ActivitySignup.objects.bulk_create(rows)
    report.signups += len(made)
    return made
