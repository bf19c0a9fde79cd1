"""The dispatch queue over the API: ``GET /api/v1/centre/cases`` (the page's filters, paged) and
``POST /api/v1/centre/cases/bulk`` (dispatch or 督办 a selection, with a result per case)."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from xiangzhi.centre.queue import (
    SUGGESTED,
    case_bulk_act,
    queue_filter,
    queue_page,
    queue_rows,
    queue_title,
)

router = Router(tags=["指挥中心"])


class QueueQuery(Schema):
    figure: str | None = Field(None, description="统计项（figures 的计数键：received、overdue_open、closed…），"
                                                 "列出该数字背后的事件")
    period: str | None = Field(None, description="统计期：month、quarter、year、12m、24m")
    start: str | None = Field(None, description="上报日期起（含），YYYY-MM-DD")
    end: str | None = Field(None, description="上报日期止（含），YYYY-MM-DD")
    region: str | None = Field(None, description="区域代码，须在本人管辖范围内")
    grid: str | None = Field(None, description="网格编码，须在本人管辖范围内")
    department: str | None = Field(None, description="承办部门编码")
    category: str | None = Field(None, description="事件类别代码")
    group: str | None = Field(None, description="类别大类名称")
    status: str | None = Field(None, description="状态：open（默认，未办结）、all 或某一状态")
    level: str | None = Field(None, description="当前处置层级")
    closed_level: str | None = Field(None, description="办结层级")
    channel: str | None = Field(None, description="来源")
    month: str | None = Field(None, description="上报月份 YYYY-MM")
    closed_month: str | None = Field(None, description="办结月份 YYYY-MM")
    due: str | None = Field(None, description="overdue 已超时，today 今日到期")
    evaluation: str | None = Field(None, description="评价；none 为未评价")
    assignee: str | None = Field(None, description="承办人账号 id；none 为未指派到个人")
    rest: str | None = Field(None, description="1：只列本级（未落入任何下级）的事件")
    q: str | None = Field(None, description="编号开头或标题包含")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class QueueCaseOut(Schema):
    id: int
    number: str
    title: str
    category: str
    category_name: str
    group: str
    region_code: str
    region_name: str
    grid_code: str | None
    grid_name: str | None
    status: str
    status_name: str
    handling_level: str
    holder: str = Field(..., description="承办：部门或层级，及承办人姓名")
    channel: str
    due_at: dt.datetime | None = Field(..., description="本环节时限")
    close_due_at: dt.datetime | None = Field(..., description="办结时限")
    overdue: bool = Field(..., description="超时未办结（与统计中的「超时未办结」同一口径）")
    supervise_count: int
    suggestion: str | None = Field(None, description="按类别与三张清单的派遣建议")
    created_at: dt.datetime


class QueueOut(Schema):
    title: str = Field(..., description="清单是什么，如「超时未办结 · 下洼镇」")
    count: int
    page: int
    pages: int
    results: list[QueueCaseOut]


class BulkIn(Schema):
    ids: list[int] = Field(..., description="事件 id，一次最多 100 件")
    action: str = Field(..., description="dispatch 派遣（待受理的一并受理）或 supervise 督办")
    to: str = Field(SUGGESTED, description="派往：suggested（按各件的派遣建议）、grid、village、township、county、"
                                          "department")
    department: str = Field("", description="职能部门编码（派往职能部门时）")
    note: str = Field("", description="说明；督办时为督办意见（必填）")
    supervise: bool = Field(False, description="派遣同时督办，以 note 为督办意见")


class BulkItemOut(Schema):
    id: int
    number: str
    title: str
    ok: bool
    message: str
    code: str = Field(..., description="未能处理时的原因代码（forbidden、illegal_transition、invalid…）")


class BulkOut(Schema):
    summary: str
    done: int
    refused: int
    results: list[BulkItemOut]


@router.get("/centre/cases", response=QueueOut, summary="调度：事件清单（统计数字背后的事件，按紧急程度排序）")
def queue(request, q: Query[QueueQuery]):
    user = request.user
    params = q.dict(exclude={"page", "page_size"})
    f = queue_filter(user, {k: v for k, v in params.items() if v is not None})
    now = timezone.now()
    page = queue_page(user, f, q.page, size=q.page_size, now=now)
    results = []
    for r in queue_rows(page.object_list, now=now):
        c = r.case
        results.append({
            "id": c.pk, "number": c.number, "title": c.title, "category": c.category.code,
            "category_name": c.category.name, "group": c.category.group, "region_code": c.region.code,
            "region_name": c.region.name, "grid_code": c.grid.code if c.grid_id else None,
            "grid_name": c.grid.name if c.grid_id else None, "status": c.status,
            "status_name": c.get_status_display(), "handling_level": c.handling_level, "holder": r.holder,
            "channel": c.channel, "due_at": c.due_at, "close_due_at": c.close_due_at, "overdue": r.overdue,
            "supervise_count": c.supervise_count, "suggestion": r.suggestion.label if r.suggestion else None,
            "created_at": c.created_at,
        })
    return {"title": " · ".join(queue_title(user, f)), "count": page.paginator.count, "page": page.number,
            "pages": page.paginator.num_pages, "results": results}


@router.post("/centre/cases/bulk", response=BulkOut, summary="调度：批量派遣或督办（逐件返回结果）")
def bulk(request, payload: BulkIn):
    outcome = case_bulk_act(request.user, ids=payload.ids, action=payload.action, to=payload.to,
                            department=payload.department, note=payload.note, supervise=payload.supervise)
    return {"summary": outcome.summary, "done": len(outcome.done), "refused": len(outcome.refused),
            "results": [{"id": i.case_id, "number": i.number, "title": i.title, "ok": i.ok, "message": i.message,
                         "code": i.code} for i in outcome.items]}
