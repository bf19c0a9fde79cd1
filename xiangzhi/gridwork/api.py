import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.core.inputs import require
from xiangzhi.gridwork import selectors, services
from xiangzhi.gridwork.models import VisitOutcome
from xiangzhi.gridwork.rules import can_patrol, can_see_due_visits, can_supervise, can_visit
from xiangzhi.regions.selectors import grid_get_for_user

router = Router(tags=["网格员工作"])

MAX_SUMMARY_DAYS = 366


# --- schemas ----------------------------------------------------------------------------------


class PatrolOut(Schema):
    id: int
    worker: str = Field(..., alias="worker.username")
    worker_name: str = Field(..., alias="worker.full_name")
    grid_code: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    started_at: dt.datetime
    ended_at: dt.datetime | None
    distance_m: int = Field(..., description="里程（米），结束巡查时按轨迹计算")
    point_count: int
    note: str
    is_open: bool


class TrackPointOut(Schema):
    recorded_at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None


class PatrolDetailOut(PatrolOut):
    points: list[TrackPointOut] = Field(..., alias="points.all")


class PatrolStartIn(Schema):
    grid: str | None = Field(None, description="网格编码；不填则为本人所在的第一个网格")
    note: str = Field("", max_length=200)


class PointIn(Schema):
    recorded_at: dt.datetime = Field(..., description="定位时间（ISO 8601，带时区）")
    lon: float = Field(..., description="经度 (WGS 84)")
    lat: float = Field(..., description="纬度 (WGS 84)")
    accuracy_m: float | None = Field(None, description="定位精度（米）")


class PointsIn(Schema):
    points: list[PointIn] = Field(..., description=f"每次最多 {services.MAX_POINTS_PER_CALL} 个")


class PointsOut(Schema):
    accepted: int
    duplicates: int
    point_count: int


class StopIn(Schema):
    note: str | None = Field(None, max_length=200)


class DueVisitOut(Schema):
    key_person_id: int
    name: str
    category: str
    category_name: str
    household_id: int
    household_number: str
    grid_code: str
    grid_name: str
    registered_on: dt.date
    last_visited_at: dt.datetime | None
    due_on: dt.date
    days_overdue: int = Field(..., description="大于 0 为逾期天数，0 为今日到期，负数为还有几天到期")
    overdue: bool


class VisitIn(Schema):
    key_person_id: int
    visited_at: dt.datetime | None = Field(None, description="走访时间；不填为现在")
    outcome: VisitOutcome
    notes: str = Field("", max_length=2000)
    place: str = Field("", max_length=200)
    lon: float | None = None
    lat: float | None = None


class VisitOut(Schema):
    id: int
    key_person_id: int
    name: str = Field(..., alias="key_person.resident.name")
    category: str = Field(..., alias="key_person.category.code")
    visitor: str = Field(..., alias="visitor.username")
    visited_at: dt.datetime
    outcome: str
    notes: str
    place: str
    lon: float | None
    lat: float | None
    due_on: dt.date = Field(..., description="登记时适用的应访日期")
    on_time: bool = Field(..., description="见到本人且不晚于应访日期")


class DailyLogIn(Schema):
    text: str = Field(..., max_length=2000)
    date: dt.date | None = Field(None, description="只能是今天；不填为今天")


class DailyLogOut(Schema):
    date: dt.date
    text: str
    grid_code: str | None
    updated_at: dt.datetime | None


class WorkerSummaryOut(Schema):
    username: str
    name: str
    grids: list[str]
    patrols: int
    distance_m: int
    hours: float
    visits: int
    visits_on_time: int
    on_time_rate: float | None
    daily_logs: int


class GridOverdueOut(Schema):
    grid_code: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    region_name: str = Field(..., alias="grid.region.name")
    key_people: int
    overdue: int


# --- patrols ----------------------------------------------------------------------------------


@router.post("/patrols", response={201: PatrolOut}, summary="开始巡查")
def patrol_start(request, payload: PatrolStartIn):
    require(can_patrol(request.user), "只有网格长、网格员可以开始巡查")
    if payload.grid:
        grid = grid_get_for_user(request.user, payload.grid)
    else:
        grid = selectors.grid_list_for_worker(request.user).first()
        if grid is None:
            raise services.GridworkError("您还没有分配网格，无法开始巡查")
    return Status(201, services.patrol_start(worker=request.user, grid=grid, note=payload.note))


@router.post("/patrols/{patrol_id}/points", response=PointsOut, summary="上传巡查轨迹点（批量）")
def patrol_points(request, patrol_id: int, payload: PointsIn):
    require(can_patrol(request.user), "只有网格长、网格员可以记录轨迹")
    patrol = selectors.patrol_get_own(request.user, patrol_id)
    fixes = [services.TrackFix(p.recorded_at, p.lon, p.lat, p.accuracy_m) for p in payload.points]
    return services.patrol_record_points(patrol=patrol, actor=request.user, points=fixes)


@router.post("/patrols/{patrol_id}/stop", response=PatrolOut, summary="结束巡查（计算里程）")
def patrol_stop(request, patrol_id: int, payload: StopIn):
    require(can_patrol(request.user), "只有网格长、网格员可以结束巡查")
    patrol = selectors.patrol_get_own(request.user, patrol_id)
    return services.patrol_stop(patrol=patrol, actor=request.user, note=payload.note)


@router.get("/patrols", response=list[PatrolOut], summary="巡查记录（本人的；督导人员为管辖范围内的）")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def patrol_list(request, worker: str | None = None):
    require(can_patrol(request.user) or can_supervise(request.user), "无权查看巡查记录")
    qs = selectors.patrol_list_for_user(request.user)
    return qs.filter(worker__username=worker) if worker else qs


@router.get("/patrols/{patrol_id}", response=PatrolDetailOut, summary="巡查详情（含轨迹）")
def patrol_get(request, patrol_id: int):
    return selectors.patrol_get_for_user(request.user, patrol_id)


# --- visits -----------------------------------------------------------------------------------


@router.get("/visits/due", response=list[DueVisitOut], summary="应访重点人员（到期和逾期）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def visits_due(request, within_days: int = Query(0, ge=0, le=31), grid: str | None = None):
    require(can_see_due_visits(request.user), "无权查看重点人群")
    grid_obj = grid_get_for_user(request.user, grid) if grid else None
    return [
        {
            "key_person_id": d.key_person.pk, "name": d.key_person.resident.name,
            "category": d.key_person.category.code, "category_name": d.key_person.category.name,
            "household_id": d.key_person.resident.household_id,
            "household_number": d.key_person.resident.household.number,
            "grid_code": d.key_person.resident.household.grid.code,
            "grid_name": d.key_person.resident.household.grid.name,
            "registered_on": d.key_person.registered_on, "last_visited_at": d.last_visited_at,
            "due_on": d.due_on, "days_overdue": d.days_overdue, "overdue": d.is_overdue,
        }
        for d in selectors.visits_due_for_user(request.user, within_days=within_days, grid=grid_obj)
    ]


@router.get("/visits", response=list[VisitOut], summary="走访记录（按权限范围）")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def visit_list(request):
    require(can_see_due_visits(request.user), "无权查看走访记录")
    return selectors.visit_list_for_user(request.user)


@router.post("/visits", response={201: VisitOut}, summary="登记走访")
def visit_record(request, payload: VisitIn):
    require(can_visit(request.user), "只有网格长、网格员、村两委可以登记走访")
    key_person = selectors.key_person_get_for_user(request.user, payload.key_person_id)
    visit = services.visit_record(
        key_person=key_person, visitor=request.user, visited_at=payload.visited_at or timezone.now(),
        notes=payload.notes, outcome=payload.outcome, lon=payload.lon, lat=payload.lat, place=payload.place,
    )
    return Status(201, visit)


# --- daily log --------------------------------------------------------------------------------


def _log_out(date: dt.date, log) -> dict:
    return {"date": date, "text": log.text if log else "", "grid_code": log.grid.code if log and log.grid else None,
            "updated_at": log.updated_at if log else None}


@router.get("/daily-log", response=DailyLogOut, summary="本人的工作日志（默认今天）")
def daily_log_get(request, date: dt.date | None = None):
    require(can_patrol(request.user), "只有网格长、网格员填写工作日志")
    date = date or timezone.localdate()
    return _log_out(date, selectors.daily_log_get_for_user(request.user, date))


@router.put("/daily-log", response=DailyLogOut, summary="填写或修改今天的工作日志")
def daily_log_put(request, payload: DailyLogIn):
    require(can_patrol(request.user), "只有网格长、网格员填写工作日志")
    date = payload.date or timezone.localdate()
    log = services.daily_log_save(worker=request.user, date=date, text=payload.text)
    return _log_out(date, log)


# --- supervision ------------------------------------------------------------------------------


@router.get("/summaries", response=list[WorkerSummaryOut], summary="网格员工作量与走访及时率（督导）")
def worker_summaries(request, start: dt.date | None = None, end: dt.date | None = None):
    require(can_supervise(request.user), "只有督导人员可以查看网格员工作统计")
    today = timezone.localdate()
    end = end or today
    start = start or end.replace(day=1)
    if start > end or (end - start).days >= MAX_SUMMARY_DAYS:
        raise services.GridworkError(f"起止日期不正确（最长 {MAX_SUMMARY_DAYS} 天）",
                                     fields=[{"field": "start", "message": "不正确"}])
    return [
        {"username": s.username, "name": s.name, "grids": s.grids, "patrols": s.patrols, "distance_m": s.distance_m,
         "hours": s.hours, "visits": s.visits, "visits_on_time": s.visits_on_time, "on_time_rate": s.on_time_rate,
         "daily_logs": s.daily_logs}
        for s in selectors.worker_summaries(request.user, start, end)
    ]


@router.get("/overdue-by-grid", response=list[GridOverdueOut], summary="各网格逾期未访人数（督导）")
def overdue_by_grid(request):
    require(can_supervise(request.user), "只有督导人员可以查看")
    return selectors.grid_overdue_list_for_user(request.user)
