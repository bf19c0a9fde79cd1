from django.db.models import Q, QuerySet

from xiangzhi.accounts.models import GRID_ROLES, Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.models import OPEN_STATUSES, Case, HandlingLevel, Status
from xiangzhi.cases.rules import can_see
from xiangzhi.cases.services import duplicate_candidates
from xiangzhi.regions.models import GridAssignment
from xiangzhi.regions.selectors import ancestor_paths

LIST_RELATED = ("category", "grid", "region", "assignee_department", "assignee_user")


def _scope_q(user) -> Q:
    if user.role == Role.DEPARTMENT_STAFF:
        return Q(assignee_department_id=user.department_id) if user.department_id else Q(pk__in=[])
    mine = Q(reporter_id=user.pk)
    if user.role == Role.RESIDENT:
        return mine
    return scope_of(user).q("scope_path") | mine


def case_list_for_user(user, *, status: str | None = None, category=None, open_only: bool = False,
                       search: str = "") -> QuerySet[Case]:
    qs = Case.objects.filter(_scope_q(user)).select_related(*LIST_RELATED).defer(
        "grid__boundary", "region__boundary"
    )
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(status__in=[*OPEN_STATUSES, Status.SUSPENDED])
    if category is not None:
        qs = qs.filter(category=category)
    if search:
        qs = qs.filter(Q(number__startswith=search) | Q(title__contains=search))
    return qs.order_by("-created_at", "-id")


def case_get_for_user(user, case_id: int) -> Case:
    from django.http import Http404

    case = Case.objects.select_related(*LIST_RELATED, "reporter", "duplicate_of").filter(pk=case_id).first()
    if case is None or not can_see(user, case):
        raise Http404("不存在或无权查看")
    return case


def case_duplicates_for_user(user, case: Case) -> list[Case]:
    """疑似重复件 of a case, only those the user may see: the page and the API show the same list."""
    return [c for c in duplicate_candidates(case) if can_see(user, c)]


def inbox_for_user(user) -> QuerySet[Case]:
    """The open cases waiting on this user's level: what they must accept, handle or verify."""
    open_q = Q(status__in=[*OPEN_STATUSES, Status.SUSPENDED])
    scope = scope_of(user)
    if user.role == Role.DEPARTMENT_STAFF:
        q = Q(handling_level=HandlingLevel.DEPARTMENT, assignee_department_id=user.department_id)
    elif user.role in (Role.GRID_CHIEF, Role.GRID_WORKER):
        q = Q(handling_level=HandlingLevel.GRID) & scope.q("scope_path")
    elif user.role == Role.VILLAGE_CADRE:
        # The village handles its own level and checks on site whatever was handled in the village.
        q = scope.q("scope_path") & (
            Q(handling_level=HandlingLevel.VILLAGE) | Q(status__in=[Status.HANDLED, Status.VERIFIED])
        )
    elif user.role == Role.TOWNSHIP_STAFF:
        q = scope.q("scope_path") & (
            Q(handling_level=HandlingLevel.TOWNSHIP)
            | Q(handling_level=HandlingLevel.DEPARTMENT, status__in=[Status.HANDLED, Status.VERIFIED])
        )
    elif user.role == Role.COUNTY_ADMIN:
        q = scope.q("scope_path") & Q(handling_level=HandlingLevel.COUNTY)
    else:
        return Case.objects.none()
    qs = Case.objects.filter(open_q & q) | Case.objects.filter(open_q, assignee_user_id=user.pk)
    return qs.select_related(*LIST_RELATED).defer("grid__boundary", "region__boundary").order_by("due_at", "id")


def owners_of(case: Case) -> list[User]:
    """Who staffs the case's current level: the people its notices go to."""
    if case.assignee_user_id:
        return [case.assignee_user]
    ids = owner_ids_of_cases([case])[case.pk]
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def owner_ids_of_cases(cases) -> dict[int, list[int]]:
    """``owners_of`` for many cases at once, as user ids: at most three queries whatever the number
    of cases (grid staff by grid path, department staff, cadres and staff by region path)."""
    cases = list(cases)
    grid_paths, departments, region_paths = set(), set(), set()
    for case in cases:
        if case.assignee_user_id:
            continue
        level = case.handling_level
        if level == HandlingLevel.DEPARTMENT:
            departments.add(case.assignee_department_id)
        elif level == HandlingLevel.GRID and case.grid_id:
            grid_paths.update(ancestor_paths(case.scope_path))
        elif level in _LEVEL_ROLE:
            region_paths.update(ancestor_paths(case.scope_path))
    by_grid_path: dict[str, list[int]] = {}
    if grid_paths:
        rows = GridAssignment.objects.filter(
            grid__path__in=grid_paths, ended_on__isnull=True, user__is_active=True,
            user__role__in=GRID_ROLES - {Role.GRID_GUIDE},
        ).values_list("grid__path", "user_id").order_by("user_id")
        for path, user_id in rows:
            by_grid_path.setdefault(path, []).append(user_id)
    by_department: dict[int, list[int]] = {}
    if departments:
        rows = User.objects.filter(department_id__in=departments, is_active=True, role=Role.DEPARTMENT_STAFF
                                   ).values_list("department_id", "pk").order_by("pk")
        for dept, user_id in rows:
            by_department.setdefault(dept, []).append(user_id)
    by_region_path: dict[tuple[str, str], list[int]] = {}
    if region_paths:
        rows = User.objects.filter(role__in=_LEVEL_ROLE.values(), is_active=True, region__path__in=region_paths
                                   ).values_list("role", "region__path", "pk").order_by("pk")
        for role, path, user_id in rows:
            by_region_path.setdefault((role, path), []).append(user_id)
    owners: dict[int, list[int]] = {}
    for case in cases:
        level = case.handling_level
        if case.assignee_user_id:
            found = [case.assignee_user_id]
        elif level == HandlingLevel.DEPARTMENT:
            found = by_department.get(case.assignee_department_id, [])
        elif level == HandlingLevel.GRID and case.grid_id:
            found = [u for p in ancestor_paths(case.scope_path) for u in by_grid_path.get(p, [])]
        elif level in _LEVEL_ROLE:
            role = _LEVEL_ROLE[level]
            found = [u for p in ancestor_paths(case.scope_path) for u in by_region_path.get((role, p), [])]
        else:
            found = []
        owners[case.pk] = list(dict.fromkeys(found))
    return owners


_LEVEL_ROLE = {HandlingLevel.VILLAGE: Role.VILLAGE_CADRE, HandlingLevel.TOWNSHIP: Role.TOWNSHIP_STAFF,
               HandlingLevel.COUNTY: Role.COUNTY_ADMIN}



