"""Deadlines per step, from the category, in working hours on the county's calendar."""

import datetime as dt
import threading
import time

from xiangzhi.cases.models import CalendarDay, Case, Category, Status
from xiangzhi.lib.workdays import WorkCalendar

_cache: dict = {"calendar": None, "loaded": 0.0}
_lock = threading.Lock()
_TTL = 300


def calendar() -> WorkCalendar:
    """The calendar from CalendarDay rows, reloaded at most every five minutes."""
    now = time.monotonic()
    if _cache["calendar"] is None or now - _cache["loaded"] > _TTL:
        with _lock:
            rows = list(CalendarDay.objects.values_list("date", "is_workday"))
            _cache["calendar"] = WorkCalendar(
                holidays=frozenset(d for d, work in rows if not work),
                extra_workdays=frozenset(d for d, work in rows if work),
            )
            _cache["loaded"] = now
    return _cache["calendar"]


def calendar_invalidate() -> None:
    _cache["calendar"] = None


def step_hours(category: Category, status: str) -> int | None:
    """How long the step that begins in ``status`` may take; None when no clock runs."""
    return {
        Status.REPORTED: category.accept_hours,
        Status.ACCEPTED: category.dispatch_hours,
        Status.DISPATCHED: category.handle_hours,
        Status.IN_PROGRESS: category.handle_hours,
        Status.HANDLED: category.verify_hours,
        Status.VERIFIED: category.verify_hours,
    }.get(status)


def total_hours(category: Category) -> int:
    """From report to closure: the sum of the steps (受理 + 派遣 + 处置 + 核查)."""
    return category.accept_hours + category.dispatch_hours + category.handle_hours + category.verify_hours


def set_step_clock(case: Case, *, started: dt.datetime, keep_running: bool = False) -> None:
    """Start the clock for the case's current step. ``keep_running`` keeps the handling clock when a
    case moves between handlers (escalation, reassignment) without restarting the step."""
    if keep_running and case.due_at is not None:
        return
    hours = step_hours(case.category, case.status)
    case.step_started_at = started
    case.warned_at = None
    case.overdue_at = None
    if hours is None:
        case.due_at = case.warn_at = None
        return
    cal = calendar()
    case.due_at = cal.add_working_hours(started, hours)
    warn_after = max(0, hours - case.category.warn_before_hours)
    case.warn_at = cal.add_working_hours(started, warn_after)


def extend(moment: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """Push a deadline back by the working hours between start and end (a suspension)."""
    if moment is None:
        return None
    cal = calendar()
    return cal.add_working_hours(moment, cal.working_hours_between(start, end))
