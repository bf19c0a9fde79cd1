"""Where a new case goes: location → grid (C1 ``locate``), category → level and department."""

from collections.abc import Callable
from dataclasses import dataclass

from xiangzhi.cases.models import Category, HandlingLevel
from xiangzhi.regions.models import Department, Grid, Region
from xiangzhi.regions.selectors import grid_index, locate


@dataclass
class Route:
    grid: Grid | None
    region: Region  # the village of the grid; the township for the triage queue
    scope_path: str
    level: str
    department: Department | None
    triage: bool = False


def township_of(region: Region) -> Region | None:
    node = region
    while node is not None and node.level != "township":
        node = node.parent
    return node


def route(*, category: Category, lon: float | None, lat: float | None,
          fallback_region: Region | Callable[[], Region | None] | None) -> Route:
    """A case inside a grid goes to the category's level for that grid; a case outside every grid
    (or without a location) lands in the township's triage queue — never dropped. ``fallback_region``
    (or a function giving it, called only when needed) places a case that has no usable location."""
    grid = locate(lon, lat) if lon is not None and lat is not None else None
    if grid is None:
        region = _triage_region(lon, lat, fallback_region)
        return Route(grid=None, region=region, scope_path=region.path,
                     level=HandlingLevel.TOWNSHIP if region.level == "township" else HandlingLevel.COUNTY,
                     department=None, triage=True)
    level = category.default_level
    department = None
    if level == HandlingLevel.DEPARTMENT:
        department = department_for(category, grid.region)
        if department is None:
            level = HandlingLevel.TOWNSHIP
    return Route(grid=grid, region=grid.region, scope_path=grid.path, level=level, department=department)


def department_for(category: Category, region: Region) -> Department | None:
    """The township's department of the category's kind, else the county's."""
    if not category.department_kind:
        return None
    township = township_of(region)
    candidates = Department.objects.filter(kind=category.department_kind, is_active=True)
    if township is not None:
        found = candidates.filter(region=township).order_by("code").first()
        if found:
            return found
        county = township.parent
        while county is not None and county.level != "county":
            county = county.parent
        if county is not None:
            return candidates.filter(region=county).order_by("code").first()
    return None


def _triage_region(lon, lat, fallback) -> Region:
    if lon is not None and lat is not None:
        nearest = grid_index().nearest(lon, lat)
        if nearest is not None:
            grid = Grid.objects.select_related("region").get(pk=nearest)
            township = township_of(grid.region)
            if township is not None:
                return township
    if callable(fallback):
        fallback = fallback()
    if fallback is not None:
        return township_of(fallback) or fallback
    region = Region.objects.filter(level="county").order_by("code").first()
    if region is None:
        raise ValueError("尚未配置任何行政区域")
    return region
