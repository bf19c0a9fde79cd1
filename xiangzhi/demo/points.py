"""Household points for the demo county: every township adopts the default rulebook at the start
of the previous quarter, and everything since is written — 一日一记录 by the village's points
recorder or the household's grid worker, 一月一审核 by the village's points supervisor a few days
later; the most recent days still wait in the review queue.

Written through the ledger's bulk path (``points.services.entries_import``), so each village's
entries and reviews form a correct hash chain and the balances equal the ledger, exactly as if
recorded one by one. Every entry obeys its rule: only items the recorder's role may record and that need no photo,
within the item's caps; a deduction is only approved where the household's points cover it.

Deterministic for a seed and a build day: each village draws from ``seed:points:village code``.
"""

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.demo.bulkload import indexes_built_after, row_maker
from xiangzhi.demo.geography import poisson
from xiangzhi.lib.periods import period_bounds
from xiangzhi.people.models import Household
from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry, PointsReview, PointsRule, ReviewDecision
from xiangzhi.points.services import Decision, entries_import, rulebook_install
from xiangzhi.regions.models import GridAssignment, GridDuty, Region, RegionLevel

# Entries per household every five weeks; the county build keeps fewer to stay quick.
PER_HOUSEHOLD = {"street": 1.6, "county": 0.3}
RATE_DAYS = 35
# Households with a demo login always have a few entries, so their 积分手册 has something to show.
ACCOUNT_MINIMUM = 4
REVIEW_AFTER_DAYS = (2, 6)
REJECT_SHARE = 0.04
NEW_ENTRY = row_maker(PointsEntry)
REJECT_REASONS = ("经核实不属实", "重复记录", "当天未参加该活动", "情况与记录不符，退回重记")
# How often each item comes up (per thousand entries): daily conduct, not honours or misdeeds.
WEIGHTS = {
    "env_sorting": 190, "neighbour_help": 120, "volunteer_activity": 140, "volunteer_labour": 90,
    "affairs_meeting": 80, "law_learning": 60, "customs_promote": 50, "filial_care": 60, "env_greening": 50,
    "stability_clue": 25, "stability_mediate": 20, "volunteer_emergency": 20, "law_anti_fraud": 15,
    "industry_training": 10, "filial_elders": 10,
    "env_livestock": 25, "neighbour_quarrel": 12, "customs_gambling": 4, "stability_fight": 3,
}
NOTES = {
    "env_sorting": ("厨余垃圾、其他垃圾分开投放", "垃圾分类检查合格"),
    "neighbour_help": ("帮邻居抢收玉米", "帮独居老人挑水", "帮邻居修缮院墙"),
    "volunteer_activity": ("参加村内环境整治志愿活动", "参加文明实践站志愿服务", "参加“清洁家园”行动"),
    "volunteer_labour": ("义务整修村东河道", "义务平整村南生产路", "义务清理排水沟"),
    "affairs_meeting": ("参加户代表会议", "参加村民议事会"),
    "law_learning": ("参加普法讲座", "参加反诈骗宣传"),
    "filial_care": ("照顾邻村孤寡老人", "帮留守儿童辅导功课"),
    "env_livestock": ("鸡鸭散养在街道上", "羊群散放啃食绿化带"),
    "neighbour_quarrel": ("因宅基地边界与邻居争吵",),
}


@dataclass
class PointsReport:
    rulebooks: int = 0
    entries: int = 0
    reviews: int = 0
    pending: int = 0


def write_points(insert: Callable, *, seed: int, scale: str, now: dt.datetime | None = None,
                 with_accounts: set[int] = frozenset()) -> PointsReport:
    now = (now or timezone.now()).replace(microsecond=0)
    today = timezone.localdate(now)
    report = PointsReport()
    towns = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"))
    effective_from = adoption_day(today)
    days = (today - effective_from).days + 1
    books = {t.pk: rulebook_install(township=t, effective_from=effective_from) for t in towns}
    report.rulebooks = len(books)
    rules_of = {}
    for tid, book in books.items():
        by_code = {r.code: r for r in PointsRule.objects.filter(rulebook=book, code__in=WEIGHTS).select_related(
            "category")}
        codes = [c for c in WEIGHTS if c in by_code]
        rules_of[tid] = ([by_code[c] for c in codes], list(accumulate(WEIGHTS[c] for c in codes)))
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code").values_list("pk", "code",
                                                                                                    "path"))
    town_of = {}
    for vid, _, path in villages:
        town_of[vid] = next(t.pk for t in towns if path.startswith(t.path))
    staff = _village_staff()
    worker_of_grid = dict(
        GridAssignment.objects.filter(ended_on__isnull=True, duty=GridDuty.FULL_TIME)
        .order_by("grid_id", "user_id").values_list("grid_id", "user_id")
    )
    parent_grid = {}
    households = defaultdict(list)
    for hid, grid_id, parent_id, vid in Household.objects.order_by("id").values_list(
            "id", "grid_id", "grid__parent_id", "grid__region_id"):
        households[vid].append((hid, grid_id))
        parent_grid[grid_id] = parent_id
    rate = PER_HOUSEHOLD[scale] * days / RATE_DAYS
    # The ledger's plain indexes are built once the entries, reviews and balances are in.
    with indexes_built_after(PointsEntry, PointsReview, PointsBalance):
        rows, decisions = [], []
        for vid, code, _ in villages:
            recorder, supervisor = staff.get((vid, Role.POINTS_RECORDER)), staff.get((vid, Role.POINTS_SUPERVISOR))
            if recorder is None or supervisor is None or not households.get(vid):
                continue
            rng = random.Random(f"{seed}:points:{code}")
            village_rows = []
            for hid, grid_id in households[vid]:
                worker = worker_of_grid.get(grid_id) or worker_of_grid.get(parent_grid.get(grid_id))
                n = poisson(rng, rate) + (ACCOUNT_MINIMUM if hid in with_accounts else 0)
                if not n:
                    continue
                village_rows += _household(rng, rules_of[town_of[vid]], vid, hid, n, recorder, worker, supervisor,
                                           today, now, days)
            village_rows.sort(key=lambda pair: (pair[0].recorded_at, pair[0].household_id))
            rows += [r for r, _ in village_rows]
            decisions += [d for _, d in village_rows]
            if len(rows) >= 20_000:
                _flush(insert, rows, decisions, report, now)
                rows, decisions = [], []
        _flush(insert, rows, decisions, report, now)
    return report


def adoption_day(today: dt.date) -> dt.date:
    """The demo's townships adopted their rulebooks at the start of the previous quarter, so the
    last quarter's notice is a full one and this quarter's is under way."""
    this_quarter = period_bounds("quarter", today)[0]
    return period_bounds("quarter", this_quarter - dt.timedelta(days=1))[0]


def _flush(insert, rows, decisions, report: PointsReport, now) -> None:
    if not rows:
        return
    entries_import(rows, decisions, insert=insert, now=now)
    report.entries += len(rows)
    report.reviews += sum(d is not None for d in decisions)
    report.pending += sum(d is None for d in decisions)


def _village_staff() -> dict[tuple[int, str], int]:
    out = {}
    for uid, role, region_id in User.objects.filter(
            role__in=[Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR], is_active=True).order_by("id").values_list(
            "id", "role", "region_id"):
        out.setdefault((region_id, role), uid)
    return out


def _household(rng, rules: tuple[list[PointsRule], list[int]], vid: int, hid: int, n: int, recorder: int,
               worker: int | None, supervisor: int, today: dt.date, now: dt.datetime, span: int) -> list[tuple]:
    items, cum_weights = rules
    days = sorted(today - dt.timedelta(days=rng.randrange(span)) for _ in range(n))
    used: Counter = Counter()  # (code, period start) → occurrences, for the caps
    approved_total = 0
    last_approval = None
    out = []
    tz = timezone.get_current_timezone()
    for day in days:
        at = dt.datetime.combine(day, dt.time(8, 30), tzinfo=tz) + dt.timedelta(minutes=rng.randrange(570))
        if at > now:
            continue
        review_at = at + dt.timedelta(days=rng.randint(*REVIEW_AFTER_DAYS), hours=rng.randint(0, 6))
        reviewed = review_at <= now - dt.timedelta(hours=1)
        rejected = reviewed and rng.random() < REJECT_SHARE
        for _ in range(4):  # a few tries for an item the household may still get
            rule = rng.choices(items, cum_weights=cum_weights)[0]
            if rule.points < 0 and not (reviewed and not rejected and approved_total + rule.points >= 0):
                continue  # a deduction is only shown where the household's points cover it
            start = period_bounds(rule.cap_period, day)[0] if rule.cap_period else None
            if within_caps(rule, used, (), start):
                break
        else:
            continue
        if rule.points < 0:
            # Decided after every addition it draws on, so the balance covered it at that moment.
            review_at = max(review_at, last_approval + dt.timedelta(minutes=10))
            reviewed = review_at <= now - dt.timedelta(hours=1)
        caps_count(rule, used, (), start)
        by_worker = worker is not None and Role.GRID_WORKER in rule.role_list and rng.random() < 0.4
        entry = NEW_ENTRY(village_id=vid, household_id=hid, kind=EntryKind.RECORD, points=rule.points,
                          occurred_on=day, recorded_at=at, recorder_id=worker if by_worker else recorder,
                          note=rng.choice(NOTES.get(rule.code, ("",))))
        entry.copy_rule(rule)
        decision = None
        if reviewed:
            if rejected:
                decision = Decision(ReviewDecision.REJECTED, supervisor, review_at, rng.choice(REJECT_REASONS))
            else:
                decision = Decision(ReviewDecision.APPROVED, supervisor, review_at)
                approved_total += rule.points
                last_approval = max(last_approval or review_at, review_at)
        out.append((entry, decision))
    return out


def within_caps(rule: PointsRule, used: Counter, key: tuple, start: dt.date | None) -> bool:
    """Whether one more of ``rule`` stays inside its caps (times and points per period), counted in
    ``used`` under ``key`` (a household, or nothing when ``used`` is one household's)."""
    if rule.cap_count is not None and used[(*key, rule.code, start)] + 1 > rule.cap_count:
        return False
    return rule.cap_points is None or used[(*key, rule.code, start, "p")] + abs(rule.points) <= rule.cap_points


def caps_count(rule: PointsRule, used: Counter, key: tuple, start: dt.date | None) -> None:
    used[(*key, rule.code, start)] += 1
    used[(*key, rule.code, start, "p")] += abs(rule.points)
