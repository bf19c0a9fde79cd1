"""一年一核算: close a township's points year.

For each household: the year's points (approved entries of conduct — records, awards, corrections
and their reversals — that happened in the year), its rank in the village, and the 积分之星 honour for
the top ``honour_share`` per cent. Then the balance left at the year's end is settled by the
township's policy, as ledger entries with ``source = "settlement:<year>"``:

- expire: an ``expiry`` entry of −balance (dated 31 December);
- carry over: the same expiry, then a ``carry_over`` entry of +balance (dated 1 January), so each
  year's book closes and the next one opens with what was brought forward;
- carry over up to a cap: the expiry, then a carry-over of min(balance, cap).

Other apps run it through ``points.services``; its results are read through ``points.selectors``.

Everything for a township is written in one transaction holding every village's chain head, so no
posting can slip between reading a balance and settling it. A second run for the same year returns
the first settlement. The balance settled is the year's leftover: the balance on the day the
settlement runs less the points added since 1 January (redemptions since then spent the oldest
points first). Entries recorded in the year but approved after the settlement count in the next
year's balance (they were not in the balance when the year closed).
"""

import datetime as dt
import math
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.people.models import Household
from xiangzhi.points import ledger
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import (
    EntryKind,
    PointsBalance,
    PointsCycle,
    PointsEntry,
    PointsHonour,
    PointsSettlement,
    ReviewDecision,
    SettlementPolicy,
)
from xiangzhi.points.rules import can_administer_points
from xiangzhi.points.selectors import policy_for, year_points
from xiangzhi.regions.models import Region, RegionLevel

HONOUR_TITLE = "积分之星"


def _honours(points: dict[int, int], village_of: dict[int, int], households_in: dict[int, int],
             share: int) -> list[tuple[int, int, int, int]]:
    """(household, village, rank, points) for the top ``share`` per cent of each village's households,
    among those that earned points; ties at the cut-off are all honoured."""
    by_village: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for hid, pts in points.items():
        if pts > 0:
            by_village[village_of[hid]].append((pts, hid))
    out = []
    for vid, rows in by_village.items():
        places = max(1, math.floor(households_in.get(vid, 0) * share / 100)) if share else 0
        rows.sort(key=lambda r: (-r[0], r[1]))
        rank, prev = 0, None
        for i, (pts, hid) in enumerate(rows):
            if pts != prev:
                rank, prev = i + 1, pts
            if rank > places:
                break
            out.append((hid, vid, rank, pts))
    return out


def settlement_run(*, township: Region, year: int, actor=None, cycle: PointsCycle | None = None,
                   now: dt.datetime | None = None) -> PointsSettlement:
    """Settle the township's ``year`` once (the worker runs it as the settlement cycle opens; county
    or township staff may run it by hand after the year has ended)."""
    if township.level != RegionLevel.TOWNSHIP:
        raise PointsError("年度核算按乡镇（街道）进行")
    if actor is not None:
        require(can_administer_points(actor), "只有乡镇（街道）和区县管理人员可以进行年度核算")
        if not scope_of(actor).covers_path(township.path):
            raise NotFound()
    now = now or timezone.now()
    if timezone.localdate(now) <= dt.date(year, 12, 31):
        raise PointsError(f"{year}年尚未结束，不能核算")
    done = PointsSettlement.objects.filter(township=township, year=year).first()
    if done is not None:
        return done
    policy = policy_for(township)
    village_ids = list(Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=township.path)
                       .order_by("pk").values_list("pk", flat=True))
    try:
        with transaction.atomic():
            for vid in village_ids:
                ledger.head_lock(vid)
            settlement = PointsSettlement.objects.create(
                township=township, year=year, cycle=cycle, ran_at=now, ran_by=actor,
                policy=policy.settlement_policy, carry_over_cap=policy.carry_over_cap)
            _settle(settlement, village_ids, policy, actor, now)
    except IntegrityError:
        done = PointsSettlement.objects.filter(township=township, year=year).first()
        if done is None:
            raise
        return done
    return settlement


def _settle(settlement: PointsSettlement, village_ids: list[int], policy, actor, now: dt.datetime) -> None:
    year = settlement.year
    balances = list(PointsBalance.objects.filter(village_id__in=village_ids).values_list(
        "household_id", "village_id", "approved_total"))
    village_of = {hid: vid for hid, vid, _ in balances}
    points = year_points(village_ids, year)  # every household with approved points has a balance row
    # A household closed before the year began (merged, emptied) is no longer one of the village's.
    households_in = dict(Household.objects.filter(grid__region_id__in=village_ids)
                         .exclude(closed_on__lt=dt.date(year, 1, 1)).values("grid__region_id")
                         .order_by().annotate(n=Count("id")).values_list("grid__region_id", "n"))
    honours = _honours(points, village_of, households_in, policy.honour_share)
    PointsHonour.objects.bulk_create([
        PointsHonour(settlement=settlement, household_id=hid, village_id=vid, title=f"{year}年度{HONOUR_TITLE}",
                     rank=rank, year_points=pts) for hid, vid, rank, pts in honours
    ], batch_size=1000)

    source = f"settlement:{year}"
    last_day, first_day = dt.date(year, 12, 31), dt.date(year + 1, 1, 1)
    # Points earned since 1 January belong to the new year. What was spent since then spent the
    # oldest points first, so the year's leftover is the balance less what the new year has added.
    added_since = dict(
        PointsEntry.objects.filter(village_id__in=village_ids, review__decision=ReviewDecision.APPROVED,
                                   occurred_on__gte=first_day, points__gt=0)
        .values("household_id").order_by().annotate(p=Sum("points")).values_list("household_id", "p"))
    rows = []
    carried = expired = 0
    for hid, vid, current in balances:
        balance = current - added_since.get(hid, 0)
        if balance <= 0:
            continue
        keep = 0
        if settlement.policy == SettlementPolicy.CARRY_OVER:
            keep = balance
        elif settlement.policy == SettlementPolicy.CARRY_OVER_CAPPED:
            keep = min(balance, settlement.carry_over_cap or 0)
        rows.append(PointsEntry(village_id=vid, household_id=hid, kind=EntryKind.EXPIRY, points=-balance,
                                occurred_on=last_day, recorded_at=now, recorder=actor, source=source,
                                note=f"{year}年度积分核算：年末结余 {balance} 分"))
        if keep:
            rows.append(PointsEntry(village_id=vid, household_id=hid, kind=EntryKind.CARRY_OVER, points=keep,
                                    occurred_on=first_day, recorded_at=now, recorder=actor, source=source,
                                    note=f"{year}年度结余结转 {keep} 分"))
        carried += keep
        expired += balance - keep
    ledger.entry_post_bulk(rows, now=now, insert=bulk_insert)
    PointsSettlement.objects.filter(pk=settlement.pk).update(
        households=len(village_of), year_points=sum(points.values()),
        balance_points=carried + expired, carried_points=carried, expired_points=expired,
        honours=len(honours))
    settlement.refresh_from_db()
