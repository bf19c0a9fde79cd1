"""Every scoped read of cases: lists and details within the user's reach, inboxes, who staffs a
case's level, duplicates, and where a report would be routed. The figures (统计) are scoped reads
too; they are counted in ``figures`` and reached from here."""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from xiangzhi.accounts.models import GRID_ROLES, Role, User
from xiangzhi.accounts.scope import scope_of

# The catalog's versions and the working calendar's years, for the configuration pages (``catalog``).
from xiangzhi.cases.catalog import calendar_year as calendar_year
from xiangzhi.cases.catalog import calendar_years as calendar_years
from xiangzhi.cases.catalog import category_input_of as category_input_of
from xiangzhi.cases.catalog import category_list_all as category_list_all
from xiangzhi.cases.catalog import category_versions as category_versions
from xiangzhi.cases.models import OPEN_STATUSES, Case, Category, HandlingLevel, Status, Transition
from xiangzhi.cases.routing import Route, route
from xiangzhi.cases.rules import can_see, case_scope_q
from xiangzhi.configuration.selectors import setting_values
from xiangzhi.core.errors import NotFound
from xiangzhi.lib.geo_distance import METRES_PER_DEGREE, haversine_m
from xiangzhi.regions.models import GridAssignment, Region
from xiangzhi.regions.selectors import ancestor_paths

__all__ = [
    "LIST_RELATED", "CaseHistory", "calendar_year", "calendar_years", "case_duplicate_list",
    "case_duplicate_list_for_user", "case_get_for_user", "case_history", "case_list_for_user", "case_owner_ids",
    "case_owner_list", "case_route_preview", "category_input_of", "category_list", "category_list_all",
    "category_versions", "inbox_for_user",
]

LIST_RELATED = ("category", "grid", "region", "assignee_department", "assignee_user")


def case_list_for_user(
    user: User,
    *,
    status: str | None = None,
    category: Category | None = None,
    open_only: bool = False,
    search: str = "",
) -> QuerySet[Case]:
    qs = (
        Case.objects.filter(case_scope_q(user))
        .select_related(*LIST_RELATED)
        .defer("grid__boundary", "region__boundary")
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


def category_list() -> QuerySet[Category]:
    """The active catalog as every form and filter offers it: by the catalog's own order, 其他 last."""
    return Category.objects.filter(is_active=True).order_by("sort", "group", "code")


def case_get_for_user(user: User, case_id: int) -> Case:
    case = (
        Case.objects.select_related(*LIST_RELATED, "terms", "reporter", "duplicate_of", "place__kind",
                                    "suggested_category")
        .filter(pk=case_id).first()
    )
    if case is None or not can_see(user, case):
        raise NotFound
    return case


@dataclass
class CaseHistory:
    transitions: list[Transition]  # oldest first, with actor and department
    photo_ids: list[int]  # every photo of the case, in the order taken
    photo_ids_by_transition: dict[int, list[int]]


def case_history(case: Case) -> CaseHistory:
    """What a case went through and the photos taken on the way: two queries."""
    transitions = list(case.transitions.select_related("actor", "department", "list_version"))
    photos = list(case.photos.values_list("pk", "transition_id"))
    by_transition: dict[int, list[int]] = {}
    for pk, transition_id in photos:
        by_transition.setdefault(transition_id, []).append(pk)
    return CaseHistory(transitions, [pk for pk, _ in photos], by_transition)


def case_duplicate_list(case: Case) -> list[Case]:
    """Open cases of the same category within the distance and time window configured where the case
    is (the township's own, else the county's, else ``CASE_DUPLICATE_METERS`` / ``_HOURS``)."""
    if case.lon is None or case.lat is None:
        return []
    values = setting_values(["case.duplicate_meters", "case.duplicate_hours"], path=case.scope_path)
    window = dt.timedelta(hours=int(values["case.duplicate_hours"]))
    meters = int(values["case.duplicate_meters"])
    # A box around the point narrows the rows on the (category, created_at) index; the great-circle
    # distance on the same sphere then decides.
    dlat = meters / METRES_PER_DEGREE
    dlon = meters / (METRES_PER_DEGREE * max(0.1, math.cos(math.radians(case.lat))))
    nearby = (
        Case.objects.filter(
            category=case.category,
            created_at__gte=case.created_at - window,
            created_at__lte=case.created_at,
            lon__range=(case.lon - dlon, case.lon + dlon),
            lat__range=(case.lat - dlat, case.lat + dlat),
            duplicate_of__isnull=True,
        )
        .exclude(pk=case.pk)
        .exclude(status__in=[Status.REJECTED, Status.MERGED])
        .order_by("created_at")
    )
    return [
        c
        for c in nearby
        if c.lon is not None and c.lat is not None and haversine_m(case.lon, case.lat, c.lon, c.lat) <= meters
    ]


def case_duplicate_list_for_user(user: User, case: Case) -> list[Case]:
    """疑似重复件 of a case, only those the user may see: the page and the API show the same list."""
    return [c for c in case_duplicate_list(case) if can_see(user, c)]


def case_route_preview(
    *, category: Category, lon: float | None, lat: float | None, fallback_region: Region | None
) -> Route:
    """Where ``case_report`` would file a report, without filing it: a device source or an Open311
    client checks that the place lies in its own region before anything is written."""
    return route(category=category, lon=lon, lat=lat, fallback_region=fallback_region)


def inbox_for_user(user: User) -> QuerySet[Case]:
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


def case_owner_list(case: Case) -> list[User]:
    """Who staffs the case's current level: the people its notices go to."""
    if case.assignee_user is not None:
        return [case.assignee_user]
    ids = case_owner_ids([case])[case.pk]
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def case_owner_ids(cases: Iterable[Case]) -> dict[int, list[int]]:
    """``case_owner_list`` for many cases at once, as user ids: at most three queries whatever the
    number of cases (grid staff by grid path, department staff, cadres and staff by region path)."""
    cases = list(cases)
    grid_paths: set[str] = set()
    departments: set[int | None] = set()
    region_paths: set[str] = set()
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
        assignments = (
            GridAssignment.objects.filter(
                grid__path__in=grid_paths,
                ended_on__isnull=True,
                user__is_active=True,
                user__role__in=GRID_ROLES - {Role.GRID_GUIDE},
            )
            .values_list("grid__path", "user_id")
            .order_by("user_id")
        )
        for path, user_id in assignments:
            by_grid_path.setdefault(path, []).append(user_id)
    by_department: dict[int | None, list[int]] = {}
    if departments:
        staff = (
            User.objects.filter(department_id__in=departments, is_active=True, role=Role.DEPARTMENT_STAFF)
            .values_list("department_id", "pk")
            .order_by("pk")
        )
        for dept, user_id in staff:
            by_department.setdefault(dept, []).append(user_id)
    by_region_path: dict[tuple[str, str], list[int]] = {}
    if region_paths:
        cadres = (
            User.objects.filter(role__in=_LEVEL_ROLE.values(), is_active=True, region__path__in=region_paths)
            .values_list("role", "region__path", "pk")
            .order_by("pk")
        )
        for role, path, user_id in cadres:
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


_LEVEL_ROLE: dict[str, Role] = {
    HandlingLevel.VILLAGE: Role.VILLAGE_CADRE,
    HandlingLevel.TOWNSHIP: Role.TOWNSHIP_STAFF,
    HandlingLevel.COUNTY: Role.COUNTY_ADMIN,
}
