import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Max
from shapely.geometry import MultiPolygon, Polygon

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Invalid
from xiangzhi.lib.geometry import parse_boundary
from xiangzhi.regions.models import Grid, GridAssignment, GridDuty, Region
from xiangzhi.regions.selectors import grid_index_invalidate


class GridError(Invalid):
    """A grid's boundary or place in the tree refused, with the reason in Chinese."""


def region_path(parent: Region | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def grid_path(region: Region, parent: Grid | None, code: str) -> str:
    """A grid's place in the tree: below its parent grid, or directly below its region."""
    return f"{parent.path if parent else region.path}{code}/"


def boundary_center(geom: Polygon | MultiPolygon) -> tuple[float, float]:
    """(lon, lat) of a point inside the boundary, where the map puts the grid's label."""
    point = geom.representative_point()
    return round(point.x, 6), round(point.y, 6)


def grid_next_code(*, region: Region, parent: Grid | None) -> str:
    """Stable codes below the village: village code + 3 digits; a micro-grid adds 2 digits."""
    base, width = (parent.code, 2) if parent else (region.code, 3)
    siblings = Grid.objects.filter(region=region, parent=parent, code__startswith=base)
    last = siblings.aggregate(m=Max("code"))["m"]
    seq = int(last[len(base):]) + 1 if last and last[len(base):].isdigit() else 1
    if seq >= 10**width:
        raise GridError("该区域下的网格编号已用完")
    return f"{base}{seq:0{width}d}"


@transaction.atomic
def grid_create(
    *, region: Region, name: str, level: int = 3, parent: Grid | None = None, boundary: dict[str, Any] | None = None,
    code: str | None = None,
) -> Grid:
    if parent is not None and parent.region_id != region.id:
        raise GridError("上级网格不属于同一区域")
    grid = Grid(region=region, name=name, level=level, parent=parent)
    grid.code = code or grid_next_code(region=region, parent=parent)
    if Grid.objects.filter(code=grid.code).exists():
        raise GridError(f"网格编码 {grid.code} 已存在")
    grid.path = grid_path(region, parent, grid.code)
    if boundary is not None:
        geom = parse_boundary(boundary)
        grid.boundary = boundary
        grid.center_lon, grid.center_lat = boundary_center(geom)
    grid.save()
    transaction.on_commit(grid_index_invalidate)
    return grid


@transaction.atomic
def grid_set_boundary(*, grid: Grid, boundary: dict[str, Any]) -> Grid:
    geom = parse_boundary(boundary)  # raises BoundaryError before anything is written
    grid.boundary = boundary
    grid.center_lon, grid.center_lat = boundary_center(geom)
    grid.save(update_fields=["boundary", "center_lon", "center_lat", "updated_at"])
    transaction.on_commit(grid_index_invalidate)
    return grid


@transaction.atomic
def grid_assign(*, grid: Grid, user: User, duty: str, started_on: dt.date | None = None) -> GridAssignment:
    if duty not in GridDuty.values:
        raise GridError(f"未知的网格职责：{duty}")
    existing = GridAssignment.objects.filter(grid=grid, user=user, duty=duty, ended_on__isnull=True).first()
    if existing:
        return existing
    assignment = GridAssignment.objects.create(
        grid=grid, user=user, duty=duty, started_on=started_on or dt.date.today()
    )
    user._xiangzhi_scope = None
    return assignment


def grid_unassign(*, assignment: GridAssignment, ended_on: dt.date | None = None) -> GridAssignment:
    assignment.ended_on = ended_on or dt.date.today()
    assignment.save(update_fields=["ended_on"])
    return assignment
