import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.core.inputs import require
from xiangzhi.inspections import selectors, services
from xiangzhi.inspections.models import TaskState
from xiangzhi.inspections.rules import can_complete_tasks, can_inspect, can_see_inspections, can_verify_tasks
from xiangzhi.regions.selectors import region_get_for_user

router = Router(tags=["每月排查"])


class ItemOut(Schema):
    code: str
    zero: str
    name: str
    points: int
    overdue_points: int
    deadline_days: int


class InspectionOut(Schema):
    id: int
    village_code: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    month: dt.date
    inspector_name: str = Field(..., alias="inspector.full_name")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    lon: float | None
    lat: float | None
    note: str


class InspectionStartIn(Schema):
    village: str = Field(..., description="村/社区的区划代码")
    month: dt.date | None = Field(None, description="所排查月份的任一天；不填为本月")


class FixIn(Schema):
    lon: float
    lat: float


class FindingIn(Schema):
    item_code: str = Field(..., description="排查项目编码（见 /inspections/items）")
    text: str = Field(..., max_length=500)


class FinishIn(Schema):
    note: str = Field("", max_length=2000)


class TaskOut(Schema):
    id: int
    inspection_id: int
    village_code: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    item_code: str
    text: str
    points: int
    overdue_points: int
    found_on: dt.date
    state: str
    due_on: dt.date | None
    ever_overdue: bool
    done_at: dt.datetime | None
    closed_at: dt.datetime | None


class CompleteIn(Schema):
    note: str = Field(..., max_length=500)


class VerifyIn(Schema):
    accept: bool
    note: str = Field("", max_length=500)


@router.get("/items", response=list[ItemOut], summary="六零排查项目")
def items(request):
    return list(selectors.finding_items())


@router.get("", response=list[InspectionOut], summary="每月排查（按权限范围）")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def inspection_list(request, month: dt.date | None = None):
    require(can_see_inspections(request.user), "无权查看每月排查")
    return selectors.inspection_list_for_user(request.user, month=month.replace(day=1) if month else None)


@router.post("", response={201: InspectionOut}, summary="开始（或继续）某村本月的排查")
def inspection_start(request, payload: InspectionStartIn):
    require(can_inspect(request.user), "只有督查员可以开展每月排查")
    village = region_get_for_user(request.user, payload.village)
    return Status(201, services.inspection_start(inspector=request.user, village=village, month=payload.month))


@router.get("/tasks", response=list[TaskOut], summary="整改任务（按权限范围）")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def task_list(request, state: TaskState | None = None, overdue: bool = False):
    require(can_see_inspections(request.user), "无权查看整改任务")
    return selectors.task_list_for_user(request.user, state=state, overdue=overdue)


@router.get("/tasks/{finding_id}", response=TaskOut, summary="整改任务详情")
def task_get(request, finding_id: int):
    require(can_see_inspections(request.user), "无权查看整改任务")
    return selectors.task_get_for_user(request.user, finding_id)


@router.post("/tasks/{finding_id}/complete", response=TaskOut, summary="报告整改完成（村两委）")
def task_complete(request, finding_id: int, payload: CompleteIn):
    require(can_complete_tasks(request.user), "只有村两委可以报告整改完成")
    finding = selectors.task_get_for_user(request.user, finding_id)
    return services.task_complete(actor=request.user, finding=finding, note=payload.note)


@router.post("/tasks/{finding_id}/verify", response=TaskOut, summary="核验销号或退回（督查员、乡镇）")
def task_verify(request, finding_id: int, payload: VerifyIn):
    require(can_verify_tasks(request.user), "只有督查员或乡镇可以核验整改")
    finding = selectors.task_get_for_user(request.user, finding_id)
    return services.task_verify(actor=request.user, finding=finding, accept=payload.accept, note=payload.note)


@router.get("/{inspection_id}", response=InspectionOut, summary="排查详情")
def inspection_get(request, inspection_id: int):
    require(can_see_inspections(request.user), "无权查看每月排查")
    return selectors.inspection_get_for_user(request.user, inspection_id)


@router.post("/{inspection_id}/fix", response=InspectionOut, summary="在村里定位（须在本村范围内）")
def inspection_fix(request, inspection_id: int, payload: FixIn):
    require(can_inspect(request.user), "只有督查员可以开展每月排查")
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    return services.inspection_fix(inspector=request.user, inspection=inspection, lon=payload.lon, lat=payload.lat)


@router.post("/{inspection_id}/findings", response={201: TaskOut}, summary="记录发现的问题")
def finding_add(request, inspection_id: int, payload: FindingIn):
    require(can_inspect(request.user), "只有督查员可以开展每月排查")
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    return Status(201, services.finding_add(inspector=request.user, inspection=inspection,
                                            item_code=payload.item_code, text_=payload.text))


@router.post("/{inspection_id}/finish", response=InspectionOut, summary="完成排查并交办")
def inspection_finish(request, inspection_id: int, payload: FinishIn):
    require(can_inspect(request.user), "只有督查员可以开展每月排查")
    inspection = selectors.inspection_get_for_user(request.user, inspection_id)
    return services.inspection_finish(inspector=request.user, inspection=inspection, note=payload.note)
