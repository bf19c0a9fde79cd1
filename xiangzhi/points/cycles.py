"""The five-step cycle (一日一记录、一月一审核、一季一公示、半年一兑换、一年一核算) as dated periods.
Other apps reach these through ``points.services``; the calendar and the policy are read through
``points.selectors``.

``cycles_plan`` lays out a township's year from its ``PointsPolicy`` (``selectors.cycle_plan_for_year``).
``cycles_advance`` is what the background worker runs every few minutes: it opens every cycle whose
day has come and closes every cycle whose last day has passed, each with a conditional
``UPDATE … WHERE state = old`` so that two workers never do a step twice, and does the step's work as
it moves (publishing a quarter's notices, settling a year, telling villagers the supermarket is open).
After downtime it catches up: a cycle missed entirely is opened and then closed in the same sweep,
its work done once.

Whether the supermarket is open is decided by the window's dates alone
(``selectors.redemption_window_for``), so redemption never waits for the worker.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require
from xiangzhi.notifications.services import notify
from xiangzhi.points import benefits, notices, settlement
from xiangzhi.points.errors import PointsConflict, PointsError
from xiangzhi.points.models import REVIEWED_KINDS, CycleKind, CycleState, PointsCycle, PointsEntry, PointsRulebook
from xiangzhi.points.rules import can_administer_points
from xiangzhi.points.selectors import cycle_plan_for_year, policy_for, rulebook_adopted_on
from xiangzhi.regions.models import Region, RegionLevel

logger = logging.getLogger("xiangzhi.points")


def cycles_plan(*, township: Region, year: int) -> int:
    """Lay out the township's cycles for ``year`` from its policy, from the day its first rulebook
    came into force; cycles already there are kept. Returns how many were added."""
    if township.level != RegionLevel.TOWNSHIP:
        raise PointsError("积分周期按乡镇（街道）安排")
    adopted = rulebook_adopted_on(township)
    if adopted is None:
        return 0
    planned = [c for c in cycle_plan_for_year(township.pk, year, policy_for(township)) if c.period_end >= adopted]
    before = PointsCycle.objects.filter(township=township, period_start__year=year).count()
    PointsCycle.objects.bulk_create(planned, ignore_conflicts=True)
    return PointsCycle.objects.filter(township=township, period_start__year=year).count() - before


def redemption_window_add(*, actor, township: Region, opens_on: dt.date, closes_on: dt.date,
                          note: str = "") -> PointsCycle:
    """A redemption window outside the policy's (临时兑换期: before a festival, after a flood …),
    set by township or county staff. Windows of one township never overlap."""
    require(can_administer_points(actor), "只有乡镇（街道）和区县管理人员可以安排兑换期")
    if not scope_of(actor).covers_path(township.path) or township.level != RegionLevel.TOWNSHIP:
        raise NotFound()
    if closes_on < opens_on:
        raise PointsError("结束日期不能早于开始日期", fields=field_error("closes_on", "早于开始日期"))
    if (closes_on - opens_on).days > 60:
        raise PointsError("一次兑换期最长 60 天", fields=field_error("closes_on", "太长"))
    if closes_on < timezone.localdate():
        raise PointsError("兑换期已经过去", fields=field_error("closes_on", "已过"))
    note = (note or "").strip()[:200] or "临时兑换期"
    with transaction.atomic():
        # Serialise additions per township on its row, so two overlapping windows cannot both pass.
        Region.objects.select_for_update().filter(pk=township.pk).first()
        clash = PointsCycle.objects.filter(township=township, kind=CycleKind.REDEMPTION, opens_on__lte=closes_on,
                                           closes_on__gte=opens_on).first()
        if clash is not None:
            raise PointsConflict(f"与已有兑换期（{clash.opens_on}～{clash.closes_on}）重叠", code="conflict")
        return PointsCycle.objects.create(township=township, kind=CycleKind.REDEMPTION, period_start=opens_on,
                                          period_end=closes_on, opens_on=opens_on, closes_on=closes_on, note=note,
                                          created_by=actor)


@dataclass
class AdvanceResult:
    planned: int = 0
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


def _claim(cycle_id: int, old: str, new: str, now: dt.datetime) -> bool:
    stamp = {"opened_at": now} if new == CycleState.OPEN else {"closed_at": now}
    return PointsCycle.objects.filter(pk=cycle_id, state=old).update(state=new, **stamp) == 1


def _move(cycles, old: str, new: str, work: Callable[[PointsCycle, dt.datetime], None],
          now: dt.datetime) -> list[int]:
    """Claim each cycle from ``old`` to ``new`` and do its ``work`` in the same transaction; the ids
    of those this sweep moved (another worker may have taken some first)."""
    moved = []
    for cycle in cycles:
        with transaction.atomic():
            if not _claim(cycle.pk, old, new, now):
                continue
            work(cycle, now)
        moved.append(cycle.pk)
    return moved


def cycles_advance(now: dt.datetime | None = None) -> AdvanceResult:
    """Plan this year and the next for every township with a rulebook, then open and close what is
    due. Each step's work runs in the transaction that claims it: if the work fails, the claim is
    undone and the next sweep tries again."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = AdvanceResult()
    townships = Region.objects.filter(pk__in=PointsRulebook.objects.filter(region__isnull=False).values("region"))
    for township in townships:
        for year in (today.year - 1, today.year, today.year + 1):
            result.planned += cycles_plan(township=township, year=year)

    due = PointsCycle.objects.select_related("township")
    result.opened = _move(due.filter(state=CycleState.SCHEDULED, opens_on__lte=today).order_by("opens_on", "pk"),
                          CycleState.SCHEDULED, CycleState.OPEN, _on_open, now)
    notices.notices_close_due(today)
    benefits.benefits_close_due(today, now)
    result.closed = _move(due.filter(state=CycleState.OPEN, closes_on__lt=today).order_by("closes_on", "pk"),
                          CycleState.OPEN, CycleState.CLOSED, _on_close, now)
    return result


def _on_open(cycle: PointsCycle, now: dt.datetime) -> None:
    if cycle.kind == CycleKind.NOTICE:
        notices.notices_publish_for_cycle(cycle=cycle, now=now)
    elif cycle.kind == CycleKind.SETTLEMENT:
        settlement.settlement_run(township=cycle.township, year=cycle.period_start.year, cycle=cycle, now=now)
    elif cycle.kind == CycleKind.REDEMPTION:
        _tell(Q(role=Role.RESIDENT, household__grid__path__startswith=cycle.township.path),
              "积分超市开放兑换",
              f"{day_text(cycle.opens_on)}至{day_text(cycle.closes_on)}"
              "可到本村积分超市兑换", link="/shop/")
    elif cycle.kind == CycleKind.REVIEW:
        _tell(_supervisors(cycle), f"请审核{cycle.period_start.month}月的积分记录",
              f"请于{day_text(cycle.closes_on)}前完成审核", link="/points/review/")


def _on_close(cycle: PointsCycle, now: dt.datetime) -> None:
    # A notice stops taking objections on its own date (``notices_close_due``): one published late,
    # after downtime, still gets its full objection window.
    if cycle.kind == CycleKind.REVIEW:
        left = PointsEntry.objects.filter(
            village__path__startswith=cycle.township.path, kind__in=REVIEWED_KINDS,
            occurred_on__lte=cycle.period_end, review__isnull=True).count()
        if left:
            _tell(_supervisors(cycle), f"{cycle.period_start.month}月积分审核已到期，仍有 {left:,} 条待审核",
                  "逾期未审核的记录请尽快处理", link="/points/review/")


def _supervisors(cycle: PointsCycle) -> Q:
    return Q(role=Role.POINTS_SUPERVISOR, region__path__startswith=cycle.township.path)


def _tell(who: Q, title: str, body: str, *, link: str) -> None:
    """Notify the active accounts ``who`` selects."""
    ids = list(User.objects.filter(who, is_active=True).values_list("pk", flat=True))
    if ids:
        notify(recipients=ids, kind="points_cycle", title=title, body=body, link=link)
