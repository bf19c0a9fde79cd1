"""The rules of a case: who may act on it, which action moves it from which state to which, and how
long each step may take on the county's working calendar. The owner of a case is whoever staffs its
current handling level.

The lifecycle:

    reported → accepted | rejected
    accepted → dispatched → in_progress → handled → verified → closed → evaluated → archived
    handled --verify fail (返工)--> in_progress
    open --escalate/hand_back/reassign--> dispatched;  open --suspend--> suspended --resume--> back
    reported/accepted --merge--> merged (closes with the case it was merged into)
"""

import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.db.models import Q

from xiangzhi.accounts.models import AnyUser, Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.errors import TransitionError
from xiangzhi.cases.models import CalendarDay, Case, Category, CategoryTerms, HandlingLevel, Status
from xiangzhi.lib.workdays import WorkCalendar

# --- who may act --------------------------------------------------------------------------------

LEVEL_ROLES: dict[str, set[Role]] = {
    HandlingLevel.GRID: {Role.GRID_CHIEF, Role.GRID_WORKER},
    HandlingLevel.VILLAGE: {Role.VILLAGE_CADRE},
    HandlingLevel.TOWNSHIP: {Role.TOWNSHIP_STAFF},
    HandlingLevel.COUNTY: {Role.COUNTY_ADMIN},
}
MANAGERS = {Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN}


def covers(user: User, case: Case) -> bool:
    return scope_of(user).covers_path(case.scope_path)


def can_see(user: AnyUser, case: Case) -> bool:
    if not user.is_authenticated:
        return False
    if case.reporter_id == user.id:
        return True
    if user.role == Role.DEPARTMENT_STAFF:
        return user.department_id is not None and case.assignee_department_id == user.department_id
    return user.role != Role.RESIDENT and covers(user, case)


def case_scope_q(user: User) -> Q:
    """The cases a user may see, as a filter for lists and counts (``can_see`` for one case)."""
    if user.role == Role.DEPARTMENT_STAFF:
        return Q(assignee_department_id=user.department_id) if user.department_id else Q(pk__in=[])
    mine = Q(reporter_id=user.pk)
    if user.role == Role.RESIDENT:
        return mine
    return scope_of(user).q("scope_path") | mine


def is_owner(user: User, case: Case) -> bool:
    """Staffs the case's current level: the one who accepts, handles and passes it on."""
    if case.handling_level == HandlingLevel.DEPARTMENT:
        return user.role == Role.DEPARTMENT_STAFF and user.department_id == case.assignee_department_id
    if case.assignee_user_id is not None and case.assignee_user_id == user.id and user.role != Role.RESIDENT:
        return True
    return user.role in LEVEL_ROLES.get(case.handling_level, set()) and covers(user, case)


def can_be_assigned(user: User | None, case: Case, *, level: str | None = None,
                    department_id: int | None = None) -> bool:
    """Who a case may be given to by name (改派, 派遣给个人): an active staff account that handles the
    case's level (its current one unless ``level`` is given) where the case is. Never a villager, not
    even the reporter of the case."""
    if user is None or not user.is_active or user.role == Role.RESIDENT:
        return False
    level = level or case.handling_level
    if level == HandlingLevel.DEPARTMENT:
        department_id = department_id if department_id is not None else case.assignee_department_id
        return user.role == Role.DEPARTMENT_STAFF and user.department_id == department_id
    return user.role in LEVEL_ROLES.get(level, set()) and covers(user, case)


def takes_own_report(user: User | None, case: Case) -> bool:
    """能办则办 (C3): a grid worker or chief who reports a grid-level case in a grid he staffs takes it
    himself at once (自办自结) instead of finding it back in his inbox as 待受理. A case that belongs to
    another level, or a grid he does not staff, goes there like anyone's report."""
    return (user is not None and user.is_active and user.role in LEVEL_ROLES[HandlingLevel.GRID]
            and case.handling_level == HandlingLevel.GRID and case.grid_id is not None and covers(user, case))


def is_manager(user: User, case: Case) -> bool:
    """Township and county staff steer every case under them (dispatch, escalate, supervise)."""
    return user.role in MANAGERS and covers(user, case)


def can_steer(user: User, case: Case) -> bool:
    return is_owner(user, case) or is_manager(user, case)


def can_verify(user: User, case: Case) -> bool:
    """核查: the village where the problem is checks on site whoever handled it; the township and
    county may check anything under them. Nobody checks their own handling (the service enforces)."""
    if not covers(user, case):
        return False
    if case.handling_level == HandlingLevel.COUNTY:
        return user.role == Role.COUNTY_ADMIN
    return user.role in (Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)


def can_evaluate(user: User, case: Case) -> bool:
    return case.reporter_id is not None and case.reporter_id == user.id and not case.is_proactive


def figures_allowed(user: AnyUser) -> bool:
    """The figures (统计) are for staff: every role but the villagers."""
    return user.is_authenticated and user.role != Role.RESIDENT


HOTLINE_IMPORTERS = frozenset({Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})


def can_import_hotline(user: AnyUser) -> bool:
    """Township 综治中心 staff and county admins take the 12345 hotline's tickets into the loop."""
    return user.is_authenticated and (user.is_superuser or user.role in HOTLINE_IMPORTERS)


# --- the lifecycle ------------------------------------------------------------------------------

S = Status
OPEN = (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS)

# action: (allowed from, to). ``None`` as target means "decided by the service" (resume, evaluate).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "accept": ((S.REPORTED,), S.ACCEPTED),
    "reject": ((S.REPORTED,), S.REJECTED),
    "dispatch": ((S.ACCEPTED, S.DISPATCHED), S.DISPATCHED),
    "start": ((S.DISPATCHED,), S.IN_PROGRESS),
    "handle": ((S.IN_PROGRESS,), S.HANDLED),
    "verify_pass": ((S.HANDLED,), S.VERIFIED),
    "verify_fail": ((S.HANDLED,), S.IN_PROGRESS),
    "close": ((S.VERIFIED,), S.CLOSED),
    "evaluate": ((S.CLOSED,), None),
    "archive": ((S.EVALUATED, S.CLOSED), S.ARCHIVED),
    "escalate": ((S.REPORTED, *OPEN), S.DISPATCHED),
    "hand_back": ((S.DISPATCHED, S.IN_PROGRESS), S.DISPATCHED),
    "reassign": ((S.DISPATCHED, S.IN_PROGRESS), S.DISPATCHED),
    "suspend": (OPEN, S.SUSPENDED),
    "resume": ((S.SUSPENDED,), None),
    "supervise": ((S.REPORTED, *OPEN, S.HANDLED, S.SUSPENDED), None),
    "merge": ((S.REPORTED, S.ACCEPTED), S.MERGED),
    "recategorise": ((S.REPORTED, S.ACCEPTED), None),
    "close_merged": ((S.MERGED,), S.CLOSED),
}

ACTION_NAMES = {
    "report": "上报", "accept": "受理", "reject": "不予受理", "dispatch": "派遣", "start": "开始处置",
    "handle": "处置完毕", "verify_pass": "核查通过", "verify_fail": "核查不通过（返工）", "close": "结案",
    "evaluate": "评价", "archive": "归档", "escalate": "上报上级（吹哨）", "hand_back": "回退下级",
    "reassign": "改派", "suspend": "缓办", "resume": "恢复办理", "supervise": "督办", "merge": "合并",
    "close_merged": "随主件结案", "reopen": "不满意重新核查", "overdue": "超时", "warn": "即将超时",
    "visit_call": "电话回访", "recategorise": "改类别",
}

# Escalation climbs grid → village → township → county. A department sits beside its township:
# escalating from a department goes to the level above that township.
LADDER: list[str] = [HandlingLevel.GRID, HandlingLevel.VILLAGE, HandlingLevel.TOWNSHIP, HandlingLevel.COUNTY]


def target_of(action: str, status: str) -> str | None:
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        names = dict(Status.choices)
        raise TransitionError(
            f"“{names.get(status, status)}”状态的事件不能{ACTION_NAMES.get(action, action)}"
        )
    return target


# A report its own grid worker takes (``takes_own_report``): accepted, dispatched to him, started.
OWN_REPORT_STEPS = ("accept", "dispatch", "start")


def walk(status: str, steps: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """The (action, from, to) of each step taken in turn from ``status``, checked like any action."""
    out = []
    for action in steps:
        target = target_of(action, status)
        assert target is not None  # only actions with a target of their own are walked
        out.append((action, status, target))
        status = target
    return out


def level_up(level: str) -> str | None:
    if level == HandlingLevel.DEPARTMENT:
        return HandlingLevel.COUNTY
    i = LADDER.index(level)
    return LADDER[i + 1] if i + 1 < len(LADDER) else None


def level_down(level: str) -> str | None:
    if level == HandlingLevel.DEPARTMENT:
        return HandlingLevel.TOWNSHIP
    i = LADDER.index(level)
    return LADDER[i - 1] if i > 0 else None


# --- deadlines: per step, from the category, in working hours on the county's calendar ----------

@dataclass
class _CalendarCache:
    calendar: WorkCalendar | None = None
    loaded: float = 0.0


_calendar_cache = _CalendarCache()
_calendar_lock = threading.Lock()
_CALENDAR_TTL = 300


def calendar() -> WorkCalendar:
    """The calendar from CalendarDay rows, reloaded at most every five minutes."""
    now = time.monotonic()
    cached = _calendar_cache.calendar
    if cached is None or now - _calendar_cache.loaded > _CALENDAR_TTL:
        with _calendar_lock:
            rows = list(CalendarDay.objects.values_list("date", "is_workday"))
            cached = WorkCalendar(
                holidays=frozenset(d for d, work in rows if not work),
                extra_workdays=frozenset(d for d, work in rows if work),
            )
            _calendar_cache.calendar, _calendar_cache.loaded = cached, now
    return cached


def calendar_invalidate() -> None:
    _calendar_cache.calendar = None


# The terms a deadline is computed on: a version of a category's terms, or the catalog row itself (which
# carries the version in force).
Terms = Category | CategoryTerms


def terms_of(case: Case) -> Terms:
    """The terms a case keeps to: the version in force when it was reported (``Case.terms``). A change of
    the category's terms since then applies to new cases only."""
    if case.terms_id is not None and case.terms is not None:
        return case.terms
    return case.category


# The step that begins in a status, by the terms' field that limits it; no clock runs in the others.
STEP_HOURS: dict[str, str] = {
    Status.REPORTED: "accept_hours",
    Status.ACCEPTED: "dispatch_hours",
    Status.DISPATCHED: "handle_hours",
    Status.IN_PROGRESS: "handle_hours",
    Status.HANDLED: "verify_hours",
    Status.VERIFIED: "verify_hours",
}


def step_hours(terms: Terms, status: str) -> int | None:
    """How long the step that begins in ``status`` may take; None when no clock runs."""
    name = STEP_HOURS.get(status)
    return int(getattr(terms, name)) if name is not None else None


def total_hours(terms: Terms) -> int:
    """From report to closure: the sum of the steps (受理 + 派遣 + 处置 + 核查)."""
    return terms.accept_hours + terms.dispatch_hours + terms.handle_hours + terms.verify_hours


def set_step_clock(case: Case, *, started: dt.datetime, keep_running: bool = False) -> None:
    """Start the clock for the case's current step, on the case's own terms (``terms_of``).
    ``keep_running`` keeps the handling clock when a case moves between handlers (escalation,
    reassignment) without restarting the step."""
    if keep_running and case.due_at is not None:
        return
    case.step_started_at = started
    case.warned_at = None
    case.overdue_at = None
    if case.status not in STEP_HOURS:  # no clock runs: the terms are not even read
        case.due_at = case.warn_at = None
        return
    terms = terms_of(case)
    hours = step_hours(terms, case.status)
    assert hours is not None
    cal = calendar()
    case.due_at = cal.add_working_hours(started, hours)
    warn_after = max(0, hours - terms.warn_before_hours)
    case.warn_at = cal.add_working_hours(started, warn_after)


def extend(moment: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
    """Push a deadline back by the working hours between start and end (a suspension)."""
    if moment is None:
        return None
    cal = calendar()
    return cal.add_working_hours(moment, cal.working_hours_between(start, end))
