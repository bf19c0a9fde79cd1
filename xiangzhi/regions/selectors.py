import threading
import time
from collections.abc import Iterable

from django.db.models import Count, Exists, Max, OuterRef, QuerySet

from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.lib.geometry import Area, PointIndex, parse_boundary
from xiangzhi.regions.models import Department, Grid, GridAssignment, GridDuty, Region, RegionLevel

WORKER_DUTIES = (GridDuty.CHIEF, GridDuty.FULL_TIME, GridDuty.PART_TIME)


# --- the tree -----------------------------------------------------------------------------------


def ancestor_paths(path: str) -> list[str]:
    """The paths of a node and every node above it, top first: "/a/b/" → ["/a/", "/a/b/"]."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def township_of(region: Region) -> Region | None:
    """The township or street a region lies in (itself, for a township)."""
    return Region.objects.filter(level=RegionLevel.TOWNSHIP, path__in=ancestor_paths(region.path)).first()


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


def region_list_for_user(user) -> QuerySet[Region]:
    return Region.objects.filter(scope_of(user).q("path"))


def region_get_for_user(user, code: str) -> Region:
    return get_in_scope_or_404(Region.objects.select_related("parent"), scope_of(user).q("path"), code=code)


def region_roots_for_user(user) -> QuerySet[Region]:
    """The topmost regions a user sees (their scope nodes)."""
    scope = scope_of(user)
    if scope.everything:
        return Region.objects.filter(level="county")
    return Region.objects.filter(path__in=scope.paths)


def grid_list_for_user(user, *, region: Region | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.filter(scope_of(user).q("path")).select_related("region").defer("region__boundary")
    if region is not None:
        qs = qs.filter(path__startswith=region.path)
    return qs


def grid_get_for_user(user, code: str) -> Grid:
    return get_in_scope_or_404(Grid.objects.select_related("region", "parent"), scope_of(user).q("path"), code=code)


def grid_staff(grid: Grid) -> QuerySet[GridAssignment]:
    return grid.assignments.filter(ended_on__isnull=True).select_related("user").order_by("duty", "id")


def grids_without_worker(user) -> QuerySet[Grid]:
    """一格一人: active basic grids (not micro-grids, which share their grid's staff) in scope with no
    active chief or worker. A grid guide does not count: guides assist, they do not staff a grid."""
    staffed = GridAssignment.objects.filter(grid=OuterRef("pk"), ended_on__isnull=True, duty__in=WORKER_DUTIES)
    return (
        grid_list_for_user(user)
        .filter(is_active=True, parent__isnull=True)
        .annotate(staffed=Exists(staffed))
        .filter(staffed=False)
        .order_by("code")
    )


def department_list_for_user(user) -> QuerySet[Department]:
    scope = scope_of(user)
    if scope.department_id:
        return Department.objects.filter(pk=scope.department_id)
    return Department.objects.filter(scope.q("region__path")).select_related("region")


def region_counts(region: Region) -> dict:
    """Headline figures for a region page: counted, never stored."""
    from xiangzhi.people.models import Household, KeyPerson, Resident

    grids = Grid.objects.filter(path__startswith=region.path)
    grid_ids = grids.values("id")
    return {
        "grids": grids.filter(is_active=True, parent__isnull=True).count(),
        "micro_grids": grids.filter(is_active=True, parent__isnull=False).count(),
        "households": Household.objects.filter(grid_id__in=grid_ids).count(),
        "residents": Resident.objects.filter(household__grid_id__in=grid_ids).count(),
        "key_people": KeyPerson.objects.filter(resident__household__grid_id__in=grid_ids, is_active=True).count(),
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


# --- locate -------------------------------------------------------------------------------------

_INDEX_TTL_SECONDS = 30
_index_lock = threading.Lock()
_index_state: dict = {"version": None, "checked": 0.0, "index": None}


def _grid_version():
    return tuple(Grid.objects.filter(is_active=True).aggregate(n=Count("id"), m=Max("updated_at")).values())


def _build_index() -> PointIndex:
    areas = []
    for grid_id, boundary, level in Grid.objects.filter(is_active=True, boundary__isnull=False).values_list(
        "id", "boundary", "level"
    ):
        areas.append(Area(key=grid_id, depth=level, geometry=parse_boundary(boundary)))
    return PointIndex(areas)


def grid_index() -> PointIndex:
    """The process's point index over every active grid; rebuilt when grids change (checked at most
    every 30 s, and at once in the process that changed them)."""
    now = time.monotonic()
    state = _index_state
    if state["index"] is not None and now - state["checked"] < _INDEX_TTL_SECONDS:
        return state["index"]
    with _index_lock:
        version = _grid_version()
        if state["index"] is None or version != state["version"]:
            state["index"] = _build_index()
            state["version"] = version
        state["checked"] = now
        return state["index"]


def grid_index_invalidate() -> None:
    _index_state["index"] = None


def locate(lon: float, lat: float) -> Grid | None:
    """The deepest active grid containing the point, or None."""
    grid_id = grid_index().locate(lon, lat)
    if grid_id is None:
        return None
    return Grid.objects.select_related("region").get(pk=grid_id)
