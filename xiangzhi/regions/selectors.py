import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

import shapely
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from xiangzhi.accounts.models import GRID_ROLES, Role, User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.lib.geometry import Area, PointIndex, parse_boundary
from xiangzhi.regions.models import (
    Department,
    Grid,
    GridAssignment,
    GridBoundaryRevision,
    GridDuty,
    Liaison,
    Region,
    RegionLevel,
)

WORKER_DUTIES = (GridDuty.CHIEF, GridDuty.FULL_TIME, GridDuty.PART_TIME)


# --- the tree -----------------------------------------------------------------------------------


def ancestor_paths(path: str) -> list[str]:
    """The paths of a node and every node above it, top first: "/a/b/" → ["/a/", "/a/b/"]."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def township_of(region: Region) -> Region | None:
    """The township or street a region lies in (itself, for a township). Without its boundary: callers
    want its id, name or path, and a township's polygon is large."""
    return (Region.objects.filter(level=RegionLevel.TOWNSHIP, path__in=ancestor_paths(region.path))
            .defer("boundary").first())


def township_ids(village_ids: Iterable[int]) -> dict[int, int]:
    """village id → id of its township, in two queries whatever the number of villages."""
    paths = dict(Region.objects.filter(pk__in=set(village_ids)).values_list("pk", "path"))
    wanted = {a for p in paths.values() for a in ancestor_paths(p)}
    towns = dict(Region.objects.filter(level=RegionLevel.TOWNSHIP, path__in=wanted).values_list("path", "pk"))
    out = {}
    for vid, path in paths.items():
        found = [towns[a] for a in ancestor_paths(path) if a in towns]
        if not found:
            raise ValueError(f"region {vid} lies in no township")
        out[vid] = found[-1]
    return out


def region_list_for_user(user: User) -> QuerySet[Region]:
    return Region.objects.filter(scope_of(user).q("path"))


def region_get_for_user(user: User, code: str) -> Region:
    return get_in_scope_or_404(Region.objects.select_related("parent"), scope_of(user).q("path"), code=code)


def region_filter_for_user(user: User, code: str | None) -> Region | None:
    """The region a list is narrowed to: none without a code, 404 for one outside the scope."""
    return region_get_for_user(user, code) if code else None


def region_roots_for_user(user: User) -> QuerySet[Region]:
    """The topmost regions a user sees (their scope nodes)."""
    scope = scope_of(user)
    if scope.everything:
        return Region.objects.filter(level="county")
    return Region.objects.filter(path__in=scope.paths)


def grid_list_for_user(user: User, *, region: Region | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.filter(scope_of(user).q("path")).select_related("region").defer("region__boundary")
    if region is not None:
        qs = qs.filter(path__startswith=region.path)
    return qs


def grid_list_for_report_map(user: User) -> QuerySet[Grid]:
    """The grids a report's location map shows, with their names: the user's scope, or for a villager
    the grids of their own village (boundaries and names only: where a report will go, nothing of
    the people in them)."""
    household = user.household
    if household is not None:
        return Grid.objects.filter(region_id=household.grid.region_id, is_active=True)
    return grid_list_for_user(user).filter(is_active=True)


def grid_get_for_user(user: User, code: str) -> Grid:
    return get_in_scope_or_404(Grid.objects.select_related("region", "parent"), scope_of(user).q("path"), code=code)


def grid_filter_for_user(user: User, code: str | None) -> Grid | None:
    """The grid a list is narrowed to: none without a code, 404 for one outside the scope."""
    return grid_get_for_user(user, code) if code else None


def grid_staff(grid: Grid) -> QuerySet[GridAssignment]:
    return grid.assignments.filter(ended_on__isnull=True).select_related("user").order_by("duty", "id")


def grid_assignment_list(grid: Grid) -> QuerySet[GridAssignment]:
    """A grid's staffing history: those in post first (by duty), then the ended, latest first."""
    return (
        grid.assignments.select_related("user")
        .order_by(F("ended_on").desc(nulls_first=True), "duty", "-started_on", "-id")
    )


def grid_assignment_get_for_user(user: User, grid: Grid, assignment_id: int) -> GridAssignment:
    """One assignment on a grid the user sees (the grid itself was read through the scope)."""
    return get_in_scope_or_404(
        GridAssignment.objects.select_related("user", "grid"), scope_of(user).q("grid__path"),
        grid=grid, pk=assignment_id,
    )


def staff_candidates_for_user(user: User) -> QuerySet[User]:
    """Grid staff accounts a manager may put on a grid: the chiefs, workers and guides who work or
    worked a grid in the manager's scope (a new person's account is made on the staffing page)."""
    grids = Grid.objects.filter(scope_of(user).q("path")).values("id")
    return (
        User.objects.filter(role__in=GRID_ROLES, is_active=True, grid_assignments__grid__in=grids)
        .distinct()
        .order_by("full_name", "id")
    )


def staffed_grids(grids: QuerySet[Grid]) -> QuerySet[Grid]:
    """The grids 一格一人 asks a worker of: the active basic grids (not micro-grids, which share their
    grid's staff)."""
    return grids.filter(is_active=True, parent__isnull=True)


def grids_without_worker(user: User) -> QuerySet[Grid]:
    """一格一人: active basic grids (not micro-grids, which share their grid's staff) in scope with no
    active chief or worker. A grid guide does not count: guides assist, they do not staff a grid."""
    staffed = GridAssignment.objects.filter(grid=OuterRef("pk"), ended_on__isnull=True, duty__in=WORKER_DUTIES)
    return (
        staffed_grids(grid_list_for_user(user))
        .annotate(staffed=Exists(staffed))
        .filter(staffed=False)
        .order_by("code")
    )


@dataclass(frozen=True)
class WorkerPost:
    """A chief or worker on a grid (``WORKER_DUTIES``, the 一格一人 rule), in post now and/or on a day."""

    grid_id: int
    user_id: int
    now: bool
    then: bool


def worker_posts(grid_ids: QuerySet[Grid, Any], on: dt.date) -> list[WorkerPost]:
    """The chief and worker assignments on the grids that were or are in post, now (not ended) or on
    ``on`` (started by then, not ended by then: ``started_on``, ``ended_on``). One query; a county has a
    few thousand."""
    rows = (GridAssignment.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on), grid_id__in=grid_ids,
                                          duty__in=WORKER_DUTIES)
            .values_list("grid_id", "user_id", "started_on", "ended_on"))
    return [WorkerPost(grid_id, user_id, now=ended is None, then=started <= on and (ended is None or ended > on))
            for grid_id, user_id, started, ended in rows]


def department_list_for_user(user: User) -> QuerySet[Department]:
    scope = scope_of(user)
    if scope.department_id:
        return Department.objects.filter(pk=scope.department_id)
    return Department.objects.filter(scope.q("region__path")).select_related("region")


def region_ancestors_for_user(user: User, region: Region) -> list[Region]:
    """The regions above ``region``, top first, that lie inside the user's scope (a breadcrumb)."""
    scope_paths = region_roots_for_user(user).values_list("path", flat=True)
    chain = []
    node = region.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return [a for a in reversed(chain) if any(a.path.startswith(p) for p in scope_paths)]


def grid_counts(region: Region) -> dict[str, int]:
    """Active grids below a region, basic and micro: counted, never stored."""
    grids = Grid.objects.filter(path__startswith=region.path, is_active=True)
    return {
        "grids": grids.filter(parent__isnull=True).count(),
        "micro_grids": grids.filter(parent__isnull=False).count(),
    }


def child_region_summaries(region: Region) -> list[Region]:
    """The region's children, each with ``grid_count``: active basic grids anywhere below it."""
    children = list(region.children.defer("boundary").order_by("code"))
    paths = Grid.objects.filter(path__startswith=region.path, is_active=True, parent__isnull=True).values_list(
        "path", flat=True
    )
    counts = dict.fromkeys((c.path for c in children), 0)
    for path in paths:
        # A grid path extends its region's path; the child's path is the first segment after ours.
        head = path[: path.index("/", len(region.path)) + 1]
        if head in counts:
            counts[head] += 1
    for child in children:
        child.grid_count = counts[child.path]
    return children


# --- 四级包保 ------------------------------------------------------------------------------------


def liaison_candidates(tier: str, region: Region) -> QuerySet[User]:
    """Who may answer for ``region`` in ``tier``: a county account of the county above the township; a
    township's staff or one of its grid guides (township cadres on grids) for a village; the village's
    own cadres for a group of the village."""
    active = User.objects.filter(is_active=True)
    if tier == Liaison.Tier.COUNTY_LEADER:
        return active.filter(role=Role.COUNTY_ADMIN, region__path__in=ancestor_paths(region.path)).order_by(
            "full_name", "id")
    if tier == Liaison.Tier.TOWNSHIP_CADRE:
        town = township_of(region)
        if town is None:
            return User.objects.none()
        guides = GridAssignment.objects.filter(duty=GridDuty.GUIDE, ended_on__isnull=True,
                                               grid__path__startswith=town.path).values("user_id")
        return active.filter(
            Q(role=Role.TOWNSHIP_STAFF, region=town) | Q(role=Role.GRID_GUIDE, pk__in=guides)
        ).order_by("full_name", "id")
    if tier == Liaison.Tier.VILLAGE_CADRE:
        return active.filter(role=Role.VILLAGE_CADRE, region=region).order_by("full_name", "id")
    return User.objects.none()


def liaison_list_for_user(
    user: User, *, region: Region | None = None, tier: str | None = None, active: bool | None = True,
) -> QuerySet[Liaison]:
    """Liaisons on regions in the user's scope (below ``region`` if given); in post only by default,
    ended only with ``active=False``, both with ``active=None``."""
    qs = Liaison.objects.filter(scope_of(user).q("region__path")).select_related("user", "region", "ended_by").defer(
        "region__boundary")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if tier:
        qs = qs.filter(tier=tier)
    if active is not None:
        qs = qs.filter(ended_on__isnull=active)
    return qs.order_by("region__code", "tier", "group_name", F("ended_on").desc(nulls_first=True), "-id")


def liaison_get_for_user(user: User, liaison_id: int) -> Liaison:
    return get_in_scope_or_404(Liaison.objects.select_related("user", "region"), scope_of(user).q("region__path"),
                               pk=liaison_id)


@dataclass(frozen=True)
class LiaisonRow:
    """One place on a region's 包联 page and who answers for it now (None: nobody, an alert)."""

    region: Region
    tier: str
    liaison: Liaison | None


def liaison_board(region: Region) -> list[LiaisonRow]:
    """The places a region's 包联 page lists: below a county its townships (county leaders), below a
    township or management area its villages (township cadres). In two queries."""
    if region.level in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
        level, tier = RegionLevel.TOWNSHIP, Liaison.Tier.COUNTY_LEADER
    elif region.level in (RegionLevel.TOWNSHIP, RegionLevel.AREA):
        level, tier = RegionLevel.VILLAGE, Liaison.Tier.TOWNSHIP_CADRE
    else:
        return []
    places = list(Region.objects.filter(path__startswith=region.path, level=level).defer("boundary").order_by("code"))
    current = {
        link.region_id: link
        for link in Liaison.objects.filter(region__path__startswith=region.path, tier=tier,
                                           ended_on__isnull=True).select_related("user")
    }
    return [LiaisonRow(region=p, tier=tier, liaison=current.get(p.pk)) for p in places]


# --- 网格边界 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surroundings:
    """What a grid's boundary is drawn against: the area it must stay inside (its parent grid's for
    a micro-grid; else its village's own boundary, or failing that where the village's grids are or
    ever were, so that land one grid gives up another can take) and its siblings, which it must not
    overlap."""

    container_name: str
    container: BaseGeometry | None
    neighbours: list[tuple[Grid, Polygon | MultiPolygon]]


def boundary_surroundings(grid: Grid) -> Surroundings:
    siblings = (Grid.objects.filter(region_id=grid.region_id, parent_id=grid.parent_id, is_active=True,
                                    boundary__isnull=False)
                .exclude(pk=grid.pk).order_by("code").only("id", "code", "name", "boundary", "path"))
    neighbours = [(g, parse_boundary(g.boundary)) for g in siblings]
    region = grid.region
    if grid.parent_id is not None:
        parent = Grid.objects.only("name", "boundary").get(pk=grid.parent_id)
        container = parse_boundary(parent.boundary) if parent.boundary else None
        return Surroundings(parent.name, container, neighbours)
    if region.boundary:
        return Surroundings(region.name, parse_boundary(region.boundary), neighbours)
    own = [parse_boundary(grid.boundary)] if grid.boundary else []
    earlier = GridBoundaryRevision.objects.filter(
        grid__region_id=grid.region_id, grid__parent__isnull=True, before__isnull=False,
    ).values_list("before", flat=True)
    parts = own + [geom for _, geom in neighbours] + [parse_boundary(b) for b in earlier]
    return Surroundings(region.name, shapely.union_all(parts) if parts else None, neighbours)


def grid_boundary_revisions(grid: Grid) -> QuerySet[GridBoundaryRevision]:
    """A grid's boundary history, latest first."""
    return grid.boundary_revisions.select_related("actor").order_by("-at", "-id")


# --- locate -------------------------------------------------------------------------------------

_INDEX_TTL_SECONDS = 30
_index_lock = threading.Lock()


class _IndexState(TypedDict):
    version: tuple[object, ...] | None
    checked: float
    index: PointIndex[int] | None


_index_state: _IndexState = {"version": None, "checked": 0.0, "index": None}


def _grid_version() -> tuple[object, ...]:
    return tuple(Grid.objects.filter(is_active=True).aggregate(n=Count("id"), m=Max("updated_at")).values())


def _build_index() -> PointIndex[int]:
    areas = []
    for grid_id, boundary, level in Grid.objects.filter(is_active=True, boundary__isnull=False).values_list(
        "id", "boundary", "level"
    ):
        areas.append(Area(key=grid_id, depth=level, geometry=parse_boundary(boundary)))
    return PointIndex(areas)


def grid_index() -> PointIndex[int]:
    """The process's point index over every active grid; rebuilt when grids change (checked at most
    every 30 s, and at once in the process that changed them)."""
    now = time.monotonic()
    state = _index_state
    if state["index"] is not None and now - state["checked"] < _INDEX_TTL_SECONDS:
        return state["index"]
    with _index_lock:
        version = _grid_version()
        index = state["index"]
        if index is None or version != state["version"]:
            index = state["index"] = _build_index()
            state["version"] = version
        state["checked"] = now
        return index


def grid_index_invalidate() -> None:
    _index_state["index"] = None


def locate(lon: float, lat: float) -> Grid | None:
    """The deepest active grid containing the point, or None."""
    grid_id = grid_index().locate(lon, lat)
    if grid_id is None:
        return None
    return Grid.objects.select_related("region").get(pk=grid_id)
