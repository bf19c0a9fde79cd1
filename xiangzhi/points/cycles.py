"""The five-step cycle (一日一记录、一月一审核、一季一公示、半年一兑换、一年一核算) as dated periods.

``cycles_plan`` lays out a township's year from its ``PointsPolicy``: twelve monthly reviews, four
quarterly notices, two or four redemption windows, one settlement. ``cycles_advance`` is what the
background worker runs every few minutes: it opens every cycle whose day has come and closes every
cycle whose last day has passed, each with a conditional ``UPDATE … WHERE state = old`` so that two
workers never do a step twice, and does the step's work as it moves (publishing a quarter's notices,
settling a year, telling villagers the supermarket is open). After downtime it catches up: a cycle
missed entirely is opened and then closed in the same sweep, its work done once.

Whether the supermarket is open is decided by the window's dates alone (``redemption_window_for``),
so redemption never waits for the worker.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from xiangzhi.accounts.scope import scope_of
from xiangzhi.lib.periods import next_month_day, periods_of_year
from xiangzhi.points.errors import PointsConflict, PointsError
from xiangzhi.points.models import (
    CycleKind,
    CycleState,
    PointsCycle,
    PointsPolicy,
    PointsRulebook,
    RedemptionCadence,
)
from xiangzhi.points.rules import can_install_rulebook
from xiangzhi.regions.models import Region, RegionLevel

logger = logging.getLogger("xiangzhi.points")


def policy_for(township: Region | int) -> PointsPolicy:
    """The township's policy, or the defaults (unsaved) when it has none."""
    township_id = township if isinstance(township, int) else township.pk
    return PointsPolicy.objects.filter(pk=township_id).first() or PointsPolicy(township_id=township_id)


def _year_cycles(township_id: int, year: int, policy: PointsPolicy) -> list[PointsCycle]:
    cycles = []
    for start, end in periods_of_year("month", year):
        cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.REVIEW, period_start=start, period_end=end,
                                  opens_on=end + dt.timedelta(days=1),
                                  closes_on=next_month_day(end, policy.review_days)))
    for start, end in periods_of_year("quarter", year):
        opens = next_month_day(end, policy.notice_day)
        cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.NOTICE, period_start=start, period_end=end,
                                  opens_on=opens, closes_on=opens + dt.timedelta(days=policy.objection_days - 1)))
    cadence = "quarter" if policy.redemption_every == RedemptionCadence.QUARTER else "half_year"
    for start, end in periods_of_year(cadence, year):
        # The window opens the day after the objection window of the period's last notice closes.
        opens = next_month_day(end, policy.notice_day) + dt.timedelta(days=policy.objection_days)
        cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.REDEMPTION, period_start=start,
                                  period_end=end, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=policy.redemption_days - 1)))
    settle = dt.date(year + 1, 1, policy.settlement_day)
    cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.SETTLEMENT, period_start=dt.date(year, 1, 1),
                              period_end=dt.date(year, 12, 31), opens_on=settle, closes_on=settle))
    return cycles


def cycles_plan(*, township: Region, year: int) -> int:
    """Lay out the township's cycles for ``year`` from its policy, from the day its first rulebook
    came into force; cycles already there are kept. Returns how many were added."""
    if township.level != RegionLevel.TOWNSHIP:
        raise PointsError("积分周期按乡镇（街道）安排")
    # The cycle starts when the township adopts its first rulebook: no periods before that.
    adopted = (PointsRulebook.objects.filter(region=township).order_by("effective_from")
               .values_list("effective_from", flat=True).first())
    if adopted is None:
        return 0
    planned = [c for c in _year_cycles(township.pk, year, policy_for(township)) if c.period_end >= adopted]
    before = PointsCycle.objects.filter(township=township, period_start__year=year).count()
    PointsCycle.objects.bulk_create(planned, ignore_conflicts=True)
    return PointsCycle.objects.filter(township=township, period_start__year=year).count() - before


def cycles_for_year(township: Region, year: int) -> list[PointsCycle]:
    """The township's cycle steps that run in ``year`` (by the day they open), read-only: the rows
    the worker has planned, and for periods it has not planned yet the steps the policy would plan
    (unsaved, scheduled). Looking at a calendar never writes it."""
    stored = list(PointsCycle.objects.filter(township=township, opens_on__year=year)
                  .select_related("township").order_by("opens_on", "kind"))
    adopted = (PointsRulebook.objects.filter(region=township).order_by("effective_from")
               .values_list("effective_from", flat=True).first())
    if adopted is not None:
        have = {(c.kind, c.period_start) for c in PointsCycle.objects.filter(
            township=township, period_start__year__in=(year - 1, year)).only("kind", "period_start")}
        policy = policy_for(township)
        for period_year in (year - 1, year):
            for c in _year_cycles(township.pk, period_year, policy):
                if c.opens_on.year == year and c.period_end >= adopted and (c.kind, c.period_start) not in have:
                    c.township = township
                    stored.append(c)
    return sorted(stored, key=lambda c: (c.opens_on, c.kind))


def redemption_window_add(*, actor, township: Region, opens_on: dt.date, closes_on: dt.date,
                          note: str = "") -> PointsCycle:
    """A redemption window outside the policy's (临时兑换期: before a festival, after a flood …),
    set by township or county staff. Windows of one township never overlap."""
    if not can_install_rulebook(actor):
        raise PermissionDenied("只有乡镇（街道）和区县管理人员可以安排兑换期")
    if not scope_of(actor).covers_path(township.path) or township.level != RegionLevel.TOWNSHIP:
        raise Http404("不存在或无权查看")
    if closes_on < opens_on:
        raise PointsError("结束日期不能早于开始日期", fields=[{"field": "closes_on", "message": "早于开始日期"}])
    if (closes_on - opens_on).days > 60:
        raise PointsError("一次兑换期最长 60 天", fields=[{"field": "closes_on", "message": "太长"}])
    if closes_on < timezone.localdate():
        raise PointsError("兑换期已经过去", fields=[{"field": "closes_on", "message": "已过"}])
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

    for cycle in PointsCycle.objects.filter(state=CycleState.SCHEDULED, opens_on__lte=today).select_related(
            "township").order_by("opens_on", "pk"):
        with transaction.atomic():
            if not _claim(cycle.pk, CycleState.SCHEDULED, CycleState.OPEN, now):
                continue
            _on_open(cycle, now)
        result.opened.append(cycle.pk)

    from xiangzhi.points.notices import notices_close_due

    notices_close_due(today)
    for cycle in PointsCycle.objects.filter(state=CycleState.OPEN, closes_on__lt=today).select_related(
            "township").order_by("closes_on", "pk"):
        with transaction.atomic():
            if not _claim(cycle.pk, CycleState.OPEN, CycleState.CLOSED, now):
                continue
            _on_close(cycle, now)
        result.closed.append(cycle.pk)
    return result


def _on_open(cycle: PointsCycle, now: dt.datetime) -> None:
    from xiangzhi.points import notices, settlement

    if cycle.kind == CycleKind.NOTICE:
        notices.notices_publish_for_cycle(cycle=cycle, now=now)
    elif cycle.kind == CycleKind.SETTLEMENT:
        settlement.settlement_run(township=cycle.township, year=cycle.period_start.year, cycle=cycle, now=now)
    elif cycle.kind == CycleKind.REDEMPTION:
        _tell_villagers(cycle, "积分超市开放兑换",
                        f"{cycle.opens_on.month}月{cycle.opens_on.day}日至{cycle.closes_on.month}月{cycle.closes_on.day}日"
                        "可到本村积分超市兑换")
    elif cycle.kind == CycleKind.REVIEW:
        _tell_reviewers(cycle, f"请审核{cycle.period_start.month}月的积分记录",
                        f"请于{cycle.closes_on.month}月{cycle.closes_on.day}日前完成审核")


def _on_close(cycle: PointsCycle, now: dt.datetime) -> None:
    # A notice stops taking objections on its own date (``notices_close_due``): one published late,
    # after downtime, still gets its full objection window.
    if cycle.kind == CycleKind.REVIEW:
        from xiangzhi.points.models import EntryKind, PointsEntry

        left = PointsEntry.objects.filter(
            village__path__startswith=cycle.township.path, kind__in=(EntryKind.RECORD, EntryKind.AWARD),
            occurred_on__lte=cycle.period_end, review__isnull=True).count()
        if left:
            _tell_reviewers(cycle, f"{cycle.period_start.month}月积分审核已到期，仍有 {left} 条待审核",
                            "逾期未审核的记录请尽快处理")


def _tell_reviewers(cycle: PointsCycle, title: str, body: str) -> None:
    from xiangzhi.accounts.models import Role, User
    from xiangzhi.notifications.services import notify

    ids = list(User.objects.filter(is_active=True, role=Role.POINTS_SUPERVISOR,
                                   region__path__startswith=cycle.township.path).values_list("pk", flat=True))
    if ids:
        notify(recipients=ids, kind="points_cycle", title=title, body=body, link="/points/review/")


def _tell_villagers(cycle: PointsCycle, title: str, body: str) -> None:
    from xiangzhi.accounts.models import Role, User
    from xiangzhi.notifications.services import notify

    ids = list(User.objects.filter(is_active=True, role=Role.RESIDENT,
                                   household__grid__path__startswith=cycle.township.path)
               .values_list("pk", flat=True))
    if ids:
        notify(recipients=ids, kind="points_cycle", title=title, body=body, link="/shop/")
