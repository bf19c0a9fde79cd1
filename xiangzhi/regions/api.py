from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.accounts.rules import can_manage_grids
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.lib.geometry import check_point
from xiangzhi.regions import selectors, services

router = Router(tags=["组织与网格"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent.code")


class DepartmentOut(Schema):
    code: str
    name: str
    kind: str
    region_code: str = Field(..., alias="region.code")


class StaffOut(Schema):
    username: str
    full_name: str
    duty: str
    started_on: str


class GridOut(Schema):
    code: str
    name: str
    level: int
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    parent_code: str | None = Field(None, alias="parent.code")
    is_active: bool
    center_lon: float | None
    center_lat: float | None


class GridDetailOut(GridOut):
    boundary: dict | None
    staff: list[StaffOut]

    @staticmethod
    def resolve_staff(obj):
        return [
            {"username": a.user.username, "full_name": a.user.full_name, "duty": a.duty,
             "started_on": a.started_on.isoformat()}
            for a in selectors.grid_staff(obj)
        ]


class LocateIn(Schema):
    lon: float = Field(..., ge=-180, le=180, description="经度 (WGS 84)")
    lat: float = Field(..., ge=-90, le=90, description="纬度 (WGS 84)")


class BoundaryIn(Schema):
    boundary: dict


@router.get("/regions", response=list[RegionOut], summary="可见的行政区域")
@paginate(PageNumberPagination, page_size=100)
def region_list(request):
    return selectors.region_list_for_user(request.user).select_related("parent")


@router.get("/regions/{code}", response=RegionOut, summary="行政区域")
def region_get(request, code: str):
    return selectors.region_get_for_user(request.user, code)


@router.get("/grids/locate", response=GridOut, summary="坐标所在的最深一级网格")
def grid_locate(request, point: Query[LocateIn]):
    check_point(point.lon, point.lat)
    grid = selectors.locate(point.lon, point.lat)
    if grid is None or not scope_of(request.user).covers_path(grid.path):
        raise NotFound()
    return grid


@router.get("/grids/unstaffed", response=list[GridOut], summary="一格一人预警：无在岗网格员的网格")
def grid_unstaffed(request):
    return list(selectors.grids_without_worker(request.user).select_related("parent")[:500])


@router.get("/grids", response=list[GridOut], summary="可见的网格")
@paginate(PageNumberPagination, page_size=100)
def grid_list(request, region: str | None = None):
    return selectors.grid_list_for_user(
        request.user, region=selectors.region_filter_for_user(request.user, region)
    ).select_related("parent")


@router.get("/grids/{code}", response=GridDetailOut, summary="网格（含边界）")
def grid_get(request, code: str):
    return selectors.grid_get_for_user(request.user, code)


@router.put("/grids/{code}/boundary", response=GridDetailOut, summary="设置网格边界（GeoJSON）")
def grid_set_boundary(request, code: str, payload: BoundaryIn):
    grid = selectors.grid_get_for_user(request.user, code)
    require(can_manage_grids(request.user), "只有县、乡镇管理人员可以修改网格边界")
    return services.grid_set_boundary(grid=grid, boundary=payload.boundary)


@router.get("/departments", response=list[DepartmentOut], summary="职能部门")
def department_list(request):
    return list(selectors.department_list_for_user(request.user))
