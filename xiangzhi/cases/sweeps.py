"""The deadline sweep the background worker runs every minute.

Each case is claimed with a conditional ``UPDATE … WHERE overdue_at IS NULL … RETURNING id`` so two
workers sweeping at once never act on the same case twice, and a worker that was down catches up
on everything that fell due meanwhile.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xiangzhi.cases.models import OPEN_STATUSES, Case, OverdueAction, Status, Transition
from xiangzhi.cases.workflow import TransitionError

BATCH = 2000


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)


def _claim(column: str, due_column: str, ids: list[int], now: dt.datetime, extra: str = "") -> list[int]:
    """Set ``column`` = now where it is still empty and ``due_column`` has passed (a case escalated
    meanwhile has a new clock); return the ids this call won."""
    if not ids:
        return []
    table = Case._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    # Table and column names are our own constants; every value is a bound parameter.
    sql = (f"UPDATE {table} SET {column} = %s{extra} WHERE id IN ({marks}) AND {column} IS NULL "  # noqa: S608
           f"AND {due_column} <= %s AND status IN ({statuses}) RETURNING id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *ids, now, *OPEN_STATUSES])
        return [row[0] for row in cursor.fetchall()]


def deadline_sweep(now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)

    due_soon = open_cases.filter(warn_at__lte=now, due_at__gt=now, warned_at__isnull=True)
    for ids in _batches(due_soon.values_list("id", flat=True)):
        with transaction.atomic():
            won = _claim("warned_at", "warn_at", ids, now)
            result.warned += won
            _record(won, "warn", now)
        _notify(won, "case_due_soon", "事件即将超时")

    overdue = open_cases.filter(due_at__lte=now, overdue_at__isnull=True)
    for ids in _batches(overdue.values_list("id", flat=True)):
        with transaction.atomic():
            won = _claim("overdue_at", "due_at", ids, now, extra=", ever_overdue = TRUE")
            result.overdue += won
            _record(won, "overdue", now)
        result.escalated += _escalate(won)
        _notify([i for i in won if i not in set(result.escalated)], "case_overdue", "事件已超时")

    window = dt.timedelta(days=settings.CASE_EVALUATION_DAYS)
    stale = Case.objects.filter(status=Status.CLOSED, closed_at__lte=now - window).values_list("id", flat=True)
    for case in Case.objects.filter(pk__in=list(stale[:BATCH])).select_related("category"):
        from xiangzhi.cases.services import case_archive

        try:
            case_archive(case=case, note=f"评价期（{settings.CASE_EVALUATION_DAYS}天）已过，自动归档")
        except TransitionError:
            continue  # someone evaluated or reopened it meanwhile
        result.archived.append(case.pk)
    return result


def _batches(ids_qs):
    ids = list(ids_qs)
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


def _record(ids: list[int], action: str, now: dt.datetime) -> None:
    rows = Case.objects.filter(pk__in=ids).values_list("id", "status", "handling_level", "assignee_department_id")
    Transition.objects.bulk_create([
        Transition(case_id=pk, action=action, from_status=status, to_status=status, from_level=level,
                   to_level=level, department_id=dept, created_at=now,
                   note="系统：即将超时" if action == "warn" else "系统：已超过本环节时限")
        for pk, status, level, dept in rows
    ], batch_size=BATCH)


def _escalate(ids: list[int]) -> list[int]:
    """Cases whose category says so go one level up; at the top they are only reported."""
    from xiangzhi.cases.services import case_escalate

    escalated = []
    for case in Case.objects.filter(pk__in=ids, category__overdue_action=OverdueAction.ESCALATE).select_related(
        "category"
    ):
        try:
            case_escalate(case=case, actor=None, note="超时自动上报", system=True)
        except TransitionError:
            continue
        escalated.append(case.pk)
    return escalated


def _notify(ids: list[int], kind: str, title: str) -> None:
    from xiangzhi.cases.services import _notify_owners

    for case in Case.objects.filter(pk__in=ids).select_related("category", "assignee_user"):
        _notify_owners(case, kind, f"{title}：{case.title}")
