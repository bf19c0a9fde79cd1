"""Who may act on a case. The owner of a case is whoever staffs its current handling level."""

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.models import Case, HandlingLevel

LEVEL_ROLES = {
    HandlingLevel.GRID: {Role.GRID_CHIEF, Role.GRID_WORKER},
    HandlingLevel.VILLAGE: {Role.VILLAGE_CADRE},
    HandlingLevel.TOWNSHIP: {Role.TOWNSHIP_STAFF},
    HandlingLevel.COUNTY: {Role.COUNTY_ADMIN},
}
MANAGERS = {Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN}


def covers(user, case: Case) -> bool:
    return scope_of(user).covers_path(case.scope_path)


def can_see(user, case: Case) -> bool:
    if not user.is_authenticated:
        return False
    if case.reporter_id == user.id:
        return True
    if user.role == Role.DEPARTMENT_STAFF:
        return user.department_id is not None and case.assignee_department_id == user.department_id
    return user.role != Role.RESIDENT and covers(user, case)


def is_owner(user, case: Case) -> bool:
    """Staffs the case's current level: the one who accepts, handles and passes it on."""
    if case.handling_level == HandlingLevel.DEPARTMENT:
        return user.role == Role.DEPARTMENT_STAFF and user.department_id == case.assignee_department_id
    if case.assignee_user_id is not None and case.assignee_user_id == user.id and user.role != Role.RESIDENT:
        return True
    return user.role in LEVEL_ROLES.get(case.handling_level, set()) and covers(user, case)


def can_be_assigned(user, case: Case, *, level: str | None = None, department_id: int | None = None) -> bool:
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


def is_manager(user, case: Case) -> bool:
    """Township and county staff steer every case under them (dispatch, escalate, supervise)."""
    return user.role in MANAGERS and covers(user, case)


def can_steer(user, case: Case) -> bool:
    return is_owner(user, case) or is_manager(user, case)


def can_verify(user, case: Case) -> bool:
    """核查: the village where the problem is checks on site whoever handled it; the township and
    county may check anything under them. Nobody checks their own handling (the service enforces)."""
    if not covers(user, case):
        return False
    if case.handling_level == HandlingLevel.COUNTY:
        return user.role == Role.COUNTY_ADMIN
    return user.role in (Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)


def can_evaluate(user, case: Case) -> bool:
    return case.reporter_id is not None and case.reporter_id == user.id and not case.is_proactive
