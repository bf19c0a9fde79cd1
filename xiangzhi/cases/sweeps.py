"""The deadline sweep the background worker runs every minute.

Each case is claimed with a conditional ``UPDATE … WHERE overdue_at IS NULL … RETURNING id`` so two
workers sweeping at once never act on the same case twice, and a worker that was down catches up
on everything that fell due meanwhile.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from xiangzhi.cases import deadlines
from xiangzhi.cases.models import OPEN_STATUSES, Case, Category, OverdueAction, Status, Transition
from xiangzhi.cases.workflow import TransitionError, level_up, target_of

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
            escalated = _escalate(won, now)
            result.escalated += escalated
            _notify(escalated, "case_escalated", "超时自动上报")
            escalated = set(escalated)
            _notify([i for i in won if i not in escalated], "case_overdue", "事件已超时")

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


def _escalate(ids: list[int], now: dt.datetime) -> list[int]:
    """Cases whose category says so go one level up (the system's 上报), as ``case_escalate`` would
    move them, but in one UPDATE per group of cases sharing status, level and category (they share
    the new level and the new step clock). The rows are locked first: the caller's transaction holds
    them until the transitions are written. At the top level a case is only reported overdue."""
    rows = list(
        Case.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status__in=OPEN_STATUSES, category__overdue_action=OverdueAction.ESCALATE)
        .values_list("id", "status", "handling_level", "category_id", "assignee_department_id")
    )
    groups: dict[tuple, list[tuple]] = {}
    for row in rows:
        if level_up(row[2]) is not None:
            groups.setdefault((row[1], row[2], row[3]), []).append(row)
    categories = Category.objects.in_bulk({key[2] for key in groups})
    transitions, escalated = [], []
    for (status, level, category_id), members in groups.items():
        up = level_up(level)
        moved = Case(category=categories[category_id], status=target_of("escalate", Status.ACCEPTED))
        deadlines.set_step_clock(moved, started=now)
        changes = {
            "status": moved.status, "handling_level": up, "assignee_department": None, "assignee_user": None,
            "escalation_count": F("escalation_count") + 1, "step_started_at": now, "due_at": moved.due_at,
            "warn_at": moved.warn_at, "warned_at": None, "overdue_at": None, "updated_at": now,
        }
        if status == Status.REPORTED:
            changes["accepted_at"] = now
        member_ids = [m[0] for m in members]
        Case.objects.filter(pk__in=member_ids).update(**changes)
        for pk, _, _, _, dept in members:
            if status == Status.REPORTED:
                transitions.append(Transition(
                    case_id=pk, action="accept", from_status=status, to_status=Status.ACCEPTED, from_level=level,
                    to_level=level, department_id=dept, note="上报时一并受理", created_at=now))
            transitions.append(Transition(
                case_id=pk, action="escalate", from_status=Status.ACCEPTED if status == Status.REPORTED else status,
                to_status=moved.status, from_level=level, to_level=up, note="超时自动上报", created_at=now))
        escalated += member_ids
    Transition.objects.bulk_create(transitions, batch_size=BATCH)
    return sorted(escalated)


def _notify(ids: list[int], kind: str, title: str) -> None:
    """One notice per case to whoever staffs its level now: owners looked up for all cases at once."""
    if not ids:
        return
    from xiangzhi.cases.selectors import owner_ids_of_cases
    from xiangzhi.notifications.services import Message, notify_many

    cases = list(Case.objects.filter(pk__in=ids).only(
        "id", "number", "title", "handling_level", "grid_id", "scope_path", "assignee_department_id",
        "assignee_user_id"))
    owners = owner_ids_of_cases(cases)
    notify_many(Message(tuple(owners[c.pk]), kind, f"{title}：{c.title}", f"{c.number} {c.title}", f"/cases/{c.pk}/")
                for c in cases)
