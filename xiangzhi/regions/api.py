import datetime as dt

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.accounts.rules import can_manage_grids, can_read_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require
from xiangzhi.lib.geometry import check_point
from xiangzhi.regions import rules, selectors, services
from xiangzhi.regions.models import Liaison
from xiangzhi.regions.rules import can_edit_boundary

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
    reason: str = Field("", description="修改原因（必填）")


class BoundaryRevisionOut(Schema):
    at: str
    actor_name: str | None
    reason: str
    before: dict | None
    after: dict

    @staticmethod
    def resolve_at(obj):
        return obj.at.isoformat()

    @staticmethod
    def resolve_actor_name(obj):
        return obj.actor.full_name or None if obj.actor else None


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
    """Refused boundaries answer 422 ``boundary_refused``; each of ``error.fields`` is one problem
    (``problem``: invalid, outside, overlap) with ``geometry``, the offending place as GeoJSON."""
    grid = selectors.grid_get_for_user(request.user, code)
    services.grid_set_boundary(grid=grid, boundary=payload.boundary, actor=request.user, reason=payload.reason)
    return grid


@router.get("/grids/{code}/boundary/revisions", response=list[BoundaryRevisionOut], summary="网格边界修改记录")
def grid_boundary_revisions(request, code: str):
    grid = selectors.grid_get_for_user(request.user, code)
    require(can_edit_boundary(request.user, grid), "只有村两委、乡镇（街道）和县级管理人员可以查看边界修改记录")
    return list(selectors.grid_boundary_revisions(grid)[:200])


@router.get("/departments", response=list[DepartmentOut], summary="职能部门")
def department_list(request):
    return list(selectors.department_list_for_user(request.user))


# --- 人员配备与四级包保 ---------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: int
    grid_code: str = Field(..., alias="grid.code")
    user_id: int
    full_name: str = Field(..., alias="user.full_name")
    duty: str
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str


class NewAssignmentOut(AssignmentOut):
    sms_sent: bool | None = Field(None, description="新建账号时：登录账号和临时密码的短信是否已发出")


class AssignIn(Schema):
    duty: str = Field(..., description="chief 网格长 / full_time 专职 / part_time 兼职 / guide 指导员")
    user_id: int | None = Field(None, description="已有网格人员的账号；留空则按姓名、手机号新建账号")
    full_name: str = ""
    phone: str = ""
    started_on: dt.date | None = None


class EndIn(Schema):
    reason: str = Field(..., description="结束原因（必填）")
    ended_on: dt.date | None = None


class LiaisonOut(Schema):
    id: int
    region_code: str = Field(..., alias="region.code")
    region_name: str = Field(..., alias="region.name")
    tier: str
    group_name: str
    user_id: int
    full_name: str = Field(..., alias="user.full_name")
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str


class LiaisonIn(Schema):
    region: str = Field(..., description="包联区域的区划代码")
    tier: str = Field(..., description="county_leader 包乡镇 / township_cadre 包村 / village_cadre 包组")
    user_id: int
    group_name: str = Field("", description="村干部包组时必填")
    started_on: dt.date | None = None


@router.get("/grids/{code}/assignments", response=list[AssignmentOut], summary="网格人员配备（含历任）")
def grid_assignment_list(request, code: str):
    require(can_read_register(request.user))
    grid = selectors.grid_get_for_user(request.user, code)
    return list(selectors.grid_assignment_list(grid).select_related("grid"))


@router.post("/grids/{code}/assignments", response={201: NewAssignmentOut}, summary="安排网格人员（可新建账号）")
def grid_assignment_create(request, code: str, payload: AssignIn):
    require(can_manage_grids(request.user), "只有县级管理员和乡镇（街道）综治中心可以安排网格人员")
    grid = selectors.grid_get_for_user(request.user, code)
    if payload.user_id is not None:
        user = selectors.staff_candidates_for_user(request.user).filter(pk=payload.user_id).first()
        if user is None:
            raise NotFound()
        assignment = services.grid_assign(grid=grid, user=user, duty=payload.duty, started_on=payload.started_on,
                                          actor=request.user)
        return Status(201, assignment)
    made = services.grid_assign_new_account(grid=grid, duty=payload.duty, full_name=payload.full_name,
                                            phone=payload.phone, started_on=payload.started_on, actor=request.user)
    made.assignment.sms_sent = made.sms_sent
    return Status(201, made.assignment)


@router.post("/grids/{code}/assignments/{assignment_id}/end", response=AssignmentOut, summary="结束网格人员任职")
def grid_assignment_end(request, code: str, assignment_id: int, payload: EndIn):
    require(can_manage_grids(request.user), "只有县级管理员和乡镇（街道）综治中心可以结束网格人员任职")
    grid = selectors.grid_get_for_user(request.user, code)
    assignment = selectors.grid_assignment_get_for_user(request.user, grid, assignment_id)
    return services.grid_unassign(assignment=assignment, ended_on=payload.ended_on, reason=payload.reason,
                                  actor=request.user)


@router.get("/liaisons", response=list[LiaisonOut], summary="四级包保（按权限范围）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def liaison_list(request, region: str | None = None, tier: str | None = None, active: bool | None = True):
    """`active=true` 在任（默认），`active=false` 已结束。"""
    require(can_read_register(request.user))
    return selectors.liaison_list_for_user(
        request.user, region=selectors.region_filter_for_user(request.user, region), tier=tier, active=active,
    )


@router.post("/liaisons", response={201: LiaisonOut}, summary="安排包联干部")
def liaison_create(request, payload: LiaisonIn):
    if payload.tier not in Liaison.Tier.values:
        raise services.LiaisonError(f"未知的包联层级：{payload.tier}", fields=field_error("tier", "层级不正确"))
    place = selectors.region_get_for_user(request.user, payload.region)
    # Only someone who may answer for the place can be named: any other id is the same refusal.
    user = selectors.liaison_candidates(payload.tier, place).filter(pk=payload.user_id).first()
    if user is None:
        require(rules.can_manage_liaison(request.user, payload.tier, place), "无权安排该层级的包联干部")
        raise services.LiaisonError("该人员不能担任此包联", fields=field_error("user_id", "人员不符合该层级"))
    return Status(201, services.liaison_assign(region=place, user=user, tier=payload.tier,
                                               group_name=payload.group_name, started_on=payload.started_on,
                                               actor=request.user))


@router.post("/liaisons/{liaison_id}/end", response=LiaisonOut, summary="结束包联")
def liaison_end(request, liaison_id: int, payload: EndIn):
    liaison = selectors.liaison_get_for_user(request.user, liaison_id)
    return services.liaison_end(liaison=liaison, ended_on=payload.ended_on, reason=payload.reason,
                                actor=request.user)
