"""GET /api/v1/cases/figures: the figures page's numbers as JSON. Registered before the cases
router, whose ``/cases/{case_id}`` would otherwise take ``figures`` for an id."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from xiangzhi.accounts.models import Role
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import Category
from xiangzhi.centre.figures import (
    FORMULAS,
    Counts,
    department_figures,
    figures_grid_get_for_user,
    figures_region_get_for_user,
)
from xiangzhi.centre.selectors import figures_for_user, preset_period
from xiangzhi.core.errors import NotFound
from xiangzhi.regions.selectors import department_list_for_user

router = Router(tags=["事件统计"])


class CountsOut(Schema):
    received: int
    pending: int = Field(..., description="待受理")
    rejected: int = Field(..., description="不予受理（无效）")
    merged: int = Field(..., description="作为重复件合并")
    valid: int
    due: int = Field(..., description="应办结")
    closed: int
    closed_on_time: int
    handled: int
    reworked: int
    evaluated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    proactive: int
    open: int
    overdue_open: int
    valid_rate: float | None = Field(..., description="合格率")
    closure_rate: float | None = Field(..., description="办结率")
    on_time_rate: float | None = Field(..., description="按期办结率")
    rework_rate: float | None = Field(..., description="返工率")
    satisfaction_rate: float | None = Field(..., description="满意率")
    self_closed_rate: float | None = Field(..., description="自办自结率")
    proactive_rate: float | None = Field(..., description="主动发现率")
    mean_hours_to_close: float | None = Field(..., description="平均办结时长（小时）")
    closed_by_level: dict[str, int] = Field(
        ..., description="已办结件按办结层级：grid、village、township、department、county")


class BreakdownOut(Schema):
    key: str = Field(..., description="区域、网格或部门编码；类别大类为其名称")
    name: str
    received: int
    pending: int
    rejected: int
    due: int
    closed: int
    closed_on_time: int
    closed_grid: int = Field(..., description="在网格层级办结")
    evaluated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    proactive: int
    open: int
    overdue_open: int
    valid_rate: float | None
    closure_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    self_closed_rate: float | None
    proactive_rate: float | None


class MonthOut(CountsOut):
    key: str = Field(..., description="上报月份 YYYY-MM")
    name: str
    closed_in_month: int = Field(..., description="统计期内上报的事件中，在当月结案的件数")


class VisitsOut(Schema):
    done: int
    on_time: int
    on_time_rate: float | None


class FormulaOut(Schema):
    name: str
    formula: str


class FiguresOut(CountsOut):
    start: dt.datetime
    end: dt.datetime
    node: str = Field(..., description="统计范围的名称")
    child_label: str
    by_child: list[BreakdownOut]
    by_group: list[BreakdownOut]
    by_month: list[MonthOut]
    departments: list[BreakdownOut]
    visits: VisitsOut | None = Field(None, description="重点人员走访（仅按本人全部管辖范围统计时提供）")
    formulas: dict[str, FormulaOut]


class FiguresQuery(Schema):
    start: dt.date | None = Field(None, description="上报日期起（含），默认近12个月的第一天")
    end: dt.date | None = Field(None, description="上报日期止（不含），默认明天")
    region: str | None = Field(None, description="区域代码，须在本人管辖范围内")
    grid: str | None = Field(None, description="网格编码，须在本人管辖范围内")
    department: str | None = Field(None, description="承办部门编码")
    category: str | None = Field(None, description="事件类别代码")


def _counts(c: Counts) -> dict:
    return c.as_dict()


def _rows(rows) -> list[dict]:
    return [{**r.breakdown_dict(), "key": r.key, "name": r.name} for r in rows]


def _months(rows) -> list[dict]:
    return [{**r.as_dict(), "key": r.key, "name": r.name, "closed_in_month": r.closed_in_month} for r in rows]


# Clients generated from the schema call the operation by this id: it stays, whichever module serves it.
@router.get("/cases/figures", response=FiguresOut, summary="事件统计：合格率、办结率、满意率等（按权限范围）",
            operation_id="xiangzhi_cases_figures_api_figures")
def figures(request, q: Query[FiguresQuery]):
    user = request.user
    today = timezone.localdate()
    default_start, _ = preset_period("12m", today)
    start, end = q.start or default_start, q.end or today + dt.timedelta(days=1)
    if end <= start:
        raise CaseError("截止日期应晚于起始日期")
    region = figures_region_get_for_user(user, q.region) if q.region else None
    grid = figures_grid_get_for_user(user, q.grid) if q.grid else None
    department = None
    if q.department:
        department = department_list_for_user(user).filter(code=q.department).first()
        if department is None:
            raise NotFound
    category = None
    if q.category:
        category = Category.objects.filter(code=q.category).first()
        if category is None:
            raise CaseError(f"未知的事件类别：{q.category}")
    f = figures_for_user(user, start=start, end=end, region=region, grid=grid, department=department,
                         category=category)
    departments = []
    if user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN, Role.DEPARTMENT_STAFF) and not grid:
        departments = _rows(department_figures(user, start=start, end=end, region=region))
    visits = None
    if f.visits is not None:
        visits = {"done": f.visits.done, "on_time": f.visits.on_time, "on_time_rate": f.visits.on_time_rate}
    return {
        **_counts(f), "start": f.start, "end": f.end, "node": f.node_name, "child_label": f.child_label,
        "by_child": _rows(f.by_child), "by_group": _rows(f.by_group), "by_month": _months(f.by_month),
        "departments": departments, "visits": visits,
        "formulas": {k: {"name": name, "formula": formula} for k, (name, formula) in FORMULAS.items()},
    }
