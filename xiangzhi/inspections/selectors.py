"""Scoped reads of inspections, findings and their tasks; ``finding_list_for_period`` feeds the
village scorecards (assessment)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import AnyUser
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.inspections.models import FINDING_ITEMS, Finding, FindingItem, FindingPhoto, Inspection, TaskState
from xiangzhi.inspections.rules import can_see_inspections
from xiangzhi.regions.models import Region, RegionLevel


def finding_items() -> tuple[FindingItem, ...]:
    """The 六零 sub-items an inspection finds against (codes the assessment engine matches)."""
    return FINDING_ITEMS


@dataclass(frozen=True)
class FindingRow:
    """One finding as the scorecards count it: ``cost`` is ``points`` plus ``overdue_points`` when its
    task went past the deadline undone."""

    id: int
    village_id: int
    item_code: str
    found_on: dt.date
    points: int
    overdue_points: int
    cost: int
    overdue: bool
    closed: bool
    text: str


def finding_list_for_period(
    village_ids: Iterable[int] | None, start: dt.date, end: dt.date, item_codes: Iterable[str] | None = None,
    *, today: dt.date | None = None,
) -> list[FindingRow]:
    """Findings of finished inspections found between ``start`` and ``end`` (both included), of the
    given villages (all with None) and items (all with None), oldest first. A task counts as overdue
    as of ``today`` when its deadline had passed by then without the village reporting it done in
    time (the sweep's flag follows the same rule), so a period recomputed later answers the same."""
    today = today or timezone.localdate()
    qs = Finding.objects.filter(found_on__gte=start, found_on__lte=end).exclude(state=TaskState.DRAFT)
    if village_ids is not None:
        qs = qs.filter(village_id__in=list(village_ids))
    if item_codes is not None:
        qs = qs.filter(item_code__in=list(item_codes))
    out = []
    for pk, village_id, code, found_on, points, extra, state, due_on, done_at, text in qs.order_by(
        "found_on", "id"
    ).values_list("id", "village_id", "item_code", "found_on", "points", "overdue_points", "state", "due_on",
                  "done_at", "text"):
        overdue = due_on is not None and due_on < today and (
            done_at is None or timezone.localdate(done_at) > due_on)
        out.append(FindingRow(pk, village_id, code, found_on, points, extra, points + (extra if overdue else 0),
                              overdue, state == TaskState.CLOSED, text))
    return out


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def village_list_for_user(user: AnyUser) -> QuerySet[Region]:
    return scope_of(user).filter(Region.objects.filter(level=RegionLevel.VILLAGE), "path").defer("boundary")


def inspection_list_for_user(user: AnyUser, *, month: dt.date | None = None) -> QuerySet[Inspection]:
    if not can_see_inspections(user):
        return Inspection.objects.none()
    qs = Inspection.objects.filter(scope_of(user).q("village__path")).select_related("village", "inspector")
    if month is not None:
        qs = qs.filter(month=month)
    return qs.defer("village__boundary").annotate(finding_count=Count("findings"))


def inspection_get_for_user(user: AnyUser, inspection_id: int) -> Inspection:
    qs = Inspection.objects.select_related("village", "inspector").defer("village__boundary")
    if not can_see_inspections(user):
        qs = qs.none()
    return get_in_scope_or_404(qs, scope_of(user).q("village__path"), pk=inspection_id)


@dataclass
class VillageMonth:
    village: Region
    inspection: Inspection | None


def village_months_for_user(user: AnyUser, month: dt.date) -> list[VillageMonth]:
    """Every village in scope with its inspection of ``month`` (or none yet)."""
    done = {i.village_id: i for i in inspection_list_for_user(user, month=month)}
    return [VillageMonth(v, done.get(v.pk)) for v in village_list_for_user(user).order_by("code")]


def task_list_for_user(user: AnyUser, *, state: str | None = None, overdue: bool = False,
                       village: Region | None = None) -> QuerySet[Finding]:
    """Findings handed to villages (not drafts) in the user's scope."""
    if not can_see_inspections(user):
        return Finding.objects.none()
    qs = (Finding.objects.filter(scope_of(user).q("village__path")).exclude(state=TaskState.DRAFT)
          .select_related("village", "owner").defer("village__boundary"))
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(overdue_q())
    if village is not None:
        qs = qs.filter(village=village)
    return qs.order_by("due_on", "id")


def overdue_q(today: dt.date | None = None) -> Q:
    """Open past the deadline (whether the sweep has flagged it yet or not)."""
    return Q(state=TaskState.OPEN, due_on__lt=today or timezone.localdate())


def task_get_for_user(user: AnyUser, finding_id: int) -> Finding:
    qs = Finding.objects.select_related("village", "owner", "inspection", "inspection__inspector").defer(
        "village__boundary")
    if not can_see_inspections(user):
        qs = qs.none()
    return get_in_scope_or_404(qs, scope_of(user).q("village__path"), pk=finding_id)


@dataclass
class BoardRow:
    village_id: int
    village_name: str
    open: int
    done: int
    overdue: int


def board_for_user(user: AnyUser, *, today: dt.date | None = None) -> list[BoardRow]:
    """调度/督办: villages in scope with unfinished tasks, most overdue first."""
    today = today or timezone.localdate()
    rows = (task_list_for_user(user).exclude(state=TaskState.CLOSED).order_by()
            .values("village_id", "village__name")
            .annotate(open=Count("id", filter=Q(state=TaskState.OPEN)),
                      done=Count("id", filter=Q(state=TaskState.DONE)),
                      overdue=Count("id", filter=overdue_q(today))))
    out = [BoardRow(r["village_id"], r["village__name"], r["open"], r["done"], r["overdue"]) for r in rows]
    return sorted(out, key=lambda r: (-r.overdue, -r.open, r.village_name))


def finding_photo_get_for_user(user: AnyUser, photo_id: int) -> FindingPhoto:
    qs = FindingPhoto.objects.all()
    if not can_see_inspections(user):
        qs = qs.none()
    return get_in_scope_or_404(qs, scope_of(user).q("finding__village__path"), pk=photo_id)
