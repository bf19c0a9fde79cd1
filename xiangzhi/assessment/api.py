"""/api/v1/assessment: schemes with their items, periods, the county ranking (villages, or grids with their
stars and township ranks), a village's or a grid's lost points, scoped as the pages are; and the writes
through the same services: the county opens, runs, publishes and closes periods, edits a draft of its
scheme, scores by hand and corrects; a unit's people file appeals and the township or county decides them.
Refusals are the structured errors of ``xiangzhi.api`` (422 bad input, 409 the period's state, 403 the role,
404 out of scope), in Chinese."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from xiangzhi.assessment import selectors, services
from xiangzhi.assessment.errors import AssessmentError
from xiangzhi.assessment.models import Appeal, Item, Period, SchemeKind, SchemeVersion, Score
from xiangzhi.assessment.rules import (
    can_appeal,
    can_decide_appeal,
    can_decide_appeals,
    can_file_appeals,
    can_manage,
    can_view,
    can_view_any,
    can_view_grids,
    can_view_kind,
)
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Region

router = Router(tags=["积分换项目与网格考核"])


# --- what is answered ------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    group: str
    code: str
    name: str
    weight: int
    source: str
    category_codes: list[str]
    points_per_case: int
    finding_codes: list[str]
    params: dict = Field(..., description="网格来源的目标，如巡查 {\"hours\": 20, \"km\": 30}")
    household_rule_codes: list[str] = Field(..., description="对应户积分条目（户积分细则的条目代码，仅作关联）")


class SchemeOut(Schema):
    id: int
    name: str
    kind: str
    total: int
    star_floors: list[int]
    appeal_days: int
    version: int | None
    items: list[ItemOut]


class VersionOut(Schema):
    id: int
    scheme_id: int
    number: int
    state: str
    note: str
    weights: int = Field(..., description="各项分值合计（启用时须等于方案满分）")
    items: list[ItemOut]


class PeriodOut(Schema):
    id: int
    name: str
    scheme: str
    kind: str
    version: int
    start: dt.date
    end: dt.date
    state: str
    funded_count: int
    warned_count: int
    pool_yuan: int
    published_at: dt.datetime | None
    closed_at: dt.datetime | None
    appeal_deadline: dt.datetime | None = Field(..., description="申诉截止时间（公布后方案规定的天数）")


class RunOut(Schema):
    period: PeriodOut
    run_id: int
    units: int = Field(..., description="计算的单位数（村/社区或网格）")
    skipped: list[str] = Field(..., description="来源未就绪而未计算的项目")


class ScoreOut(Schema):
    village_code: str
    village: str
    township: str
    area: str | None = Field(None, description="管区：乡镇与村之间有管区时")
    grid_code: str | None = Field(..., description="网格考核：网格代码；村考核为空")
    grid: str | None
    rank: int
    town_rank: int | None = Field(..., description="网格考核：乡镇内名次")
    stars: int | None = Field(..., description="网格考核：星级（1～5）")
    total: int
    corrected_total: int | None
    funded_yuan: int
    warned: bool
    flagged: bool


class LostPointOut(Schema):
    id: int
    item: str
    item_code: str
    group: str
    points: int
    reason: str
    source: str
    source_id: int | None
    day: dt.date | None
    hint: str = Field(..., description="怎样不失分")


class HouseholdRuleOut(Schema):
    code: str
    name: str


class VillageLostPointOut(LostPointOut):
    household_rules: list[HouseholdRuleOut] = Field(..., description="对应户积分条目（本村施行的细则）")


class CorrectionOut(Schema):
    id: int
    village_code: str
    grid_code: str | None
    points: int
    reason: str
    at: dt.datetime


class AppealOut(Schema):
    id: int
    period_id: int
    village_code: str
    village: str
    grid_code: str | None
    grid: str | None
    lost_point_id: int | None = Field(..., description="所申诉的失分点；为空是对整体得分的申诉")
    lost_reason: str
    lost_points: int
    text: str
    evidence: str
    filed_by: str
    filed_at: dt.datetime
    state: str
    outcome: str
    points_returned: int
    decided_by: str | None
    decided_at: dt.datetime | None
    cap: int | None = Field(None, description="成立时最多可退还的分值（处理人查看时）")


class VillageScoreOut(ScoreOut):
    lost_points: list[VillageLostPointOut]
    corrections: list[CorrectionOut]


class ItemScoreOut(Schema):
    code: str
    group: str
    name: str
    weight: int
    lost: int


class GridScoreOut(ScoreOut):
    county_count: int = Field(..., description="全县参与排名的网格数")
    town_count: int = Field(..., description="本乡镇参与排名的网格数")
    appeal_deadline: dt.datetime | None
    items: list[ItemScoreOut]
    lost_points: list[LostPointOut]
    corrections: list[CorrectionOut]
    appeals: list[AppealOut]


class ManualScoreOut(Schema):
    id: int
    item_code: str
    village_code: str
    grid_code: str | None
    points: int
    reason: str
    evidence: str
    day: dt.date


# --- what is sent ----------------------------------------------------------------------------------


class PeriodIn(Schema):
    scheme_id: int
    start: dt.date
    end: dt.date
    name: str = Field("", description="留空按默认，如「2026年上半年」「2026年第3季度」")
    funded_count: int = 100
    warned_count: int = 20
    pool_yuan: int = 50_000_000


class UnitIn(Schema):
    village_code: str | None = Field(None, description="村/社区的区划代码（村考核）")
    grid_code: str | None = Field(None, description="网格代码（网格考核）")


class ManualScoreIn(UnitIn):
    item_code: str = Field(..., description="人工评分项目的代码")
    points: int
    reason: str = Field(..., description="扣分原因（必填）")
    evidence: str = ""
    day: dt.date | None = None


class CorrectionIn(UnitIn):
    points: int = Field(..., description="更正分值（正数加分、负数减分）")
    reason: str = Field(..., description="更正原因（必填）")


class AppealIn(UnitIn):
    lost_point_id: int | None = Field(None, description="所申诉的失分点；不填为对整体得分申诉")
    text: str = Field(..., description="申诉理由（必填）")
    evidence: str = ""


class DecideIn(Schema):
    upheld: bool = Field(..., description="申诉是否成立")
    outcome: str = Field(..., description="处理意见（必填）")
    points_returned: int = Field(0, description="成立时退还的分值")


class DraftIn(Schema):
    note: str = ""


class ItemIn(Schema):
    group: str
    code: str
    name: str
    weight: int
    source: str
    category_codes: list[str] = []
    points_per_case: int = 0
    finding_codes: list[str] = []
    params: dict = Field({}, description="网格来源的目标，如 {\"hours\": 20, \"km\": 30}")
    household_rule_codes: list[str] = []
    sort: int = 0


# --- how rows become answers -----------------------------------------------------------------------


def _name(user) -> str | None:
    """A person by name, never by login."""
    if user is None:
        return None
    return (user.full_name or "").strip() or f"{user.get_role_display()}（未填姓名）"


def _period(p: Period) -> dict:
    return {"id": p.pk, "name": p.name, "scheme": p.version.scheme.name, "kind": p.version.scheme.kind,
            "version": p.version.number, "start": p.start, "end": p.end, "state": p.state,
            "funded_count": p.funded_count, "warned_count": p.warned_count, "pool_yuan": p.pool_yuan,
            "published_at": p.published_at, "closed_at": p.closed_at, "appeal_deadline": services.appeal_deadline(p)}


def _score(s: Score, corrected: int | None, town: Region | None, area: Region | None) -> dict:
    grid = s.grid if s.grid_id else None
    return {"village_code": s.village.code, "village": s.village.name,
            "township": town.name if town else "", "area": area.name if area else None,
            "grid_code": grid.code if grid else None, "grid": grid.name if grid else None,
            "rank": s.rank, "town_rank": s.town_rank if grid else None, "stars": s.stars if grid else None,
            "total": s.total, "corrected_total": corrected, "funded_yuan": s.funded_yuan, "warned": s.warned,
            "flagged": s.flagged}


def _lost_point(lp) -> dict:
    return {"id": lp.pk, "item": lp.item.name, "item_code": lp.item.code, "group": lp.item.group,
            "points": lp.points, "reason": lp.reason, "source": lp.source, "source_id": lp.source_id,
            "day": lp.day, "hint": lp.hint}


def _correction(c) -> dict:
    return {"id": c.pk, "village_code": c.village.code, "grid_code": c.grid.code if c.grid_id else None,
            "points": c.points, "reason": c.reason, "at": c.at}


def _appeal(a: Appeal) -> dict:
    return {"id": a.pk, "period_id": a.period_id, "village_code": a.village.code, "village": a.village.name,
            "grid_code": a.grid.code if a.grid_id else None, "grid": a.grid.name if a.grid_id else None,
            "lost_point_id": a.lost_point_id, "lost_reason": a.lost_reason, "lost_points": a.lost_points,
            "text": a.text, "evidence": a.evidence, "filed_by": _name(a.filed_by), "filed_at": a.filed_at,
            "state": a.state, "outcome": a.outcome, "points_returned": a.points_returned,
            "decided_by": _name(a.decided_by), "decided_at": a.decided_at, "cap": getattr(a, "cap", None)}


def _item(i: Item) -> dict:
    return {"id": i.pk, "group": i.group, "code": i.code, "name": i.name, "weight": i.weight, "source": i.source,
            "category_codes": i.category_codes, "points_per_case": i.points_per_case,
            "finding_codes": i.finding_codes, "params": i.params or {},
            "household_rule_codes": i.household_rule_codes}


def _version(v: SchemeVersion) -> dict:
    items = selectors.item_list(v)
    return {"id": v.pk, "scheme_id": v.scheme_id, "number": v.number, "state": v.state, "note": v.note,
            "weights": sum(i.weight for i in items), "items": [_item(i) for i in items]}


def _unit_code(period: Period, unit: UnitIn) -> str:
    """The code of the unit a write is about: a grid's in a grid period, a village's in the scorecard."""
    if period.version.scheme.kind == SchemeKind.GRID:
        if not unit.grid_code:
            raise AssessmentError("网格考核请填写网格代码", fields=field_error("grid_code", "必填"))
        return unit.grid_code
    if not unit.village_code:
        raise AssessmentError("村考核请填写村/社区代码", fields=field_error("village_code", "必填"))
    return unit.village_code


def _managed_period(request: HttpRequest, period_id: int) -> Period:
    require(can_manage(request.user), "只有县级管理员可以管理考核")
    return selectors.period_get_for_user(request.user, period_id)


# --- schemes ---------------------------------------------------------------------------------------


@router.get("/schemes", response=list[SchemeOut], summary="考核方案及启用版本的项目（县级）")
def scheme_list(request: HttpRequest):
    require(can_manage(request.user))
    out = []
    for scheme in selectors.scheme_list_for_user(request.user):
        version = selectors.version_in_use(scheme)
        out.append({"id": scheme.pk, "name": scheme.name, "kind": scheme.kind, "total": scheme.total,
                    "star_floors": scheme.star_floors or [], "appeal_days": scheme.appeal_days,
                    "version": version.number if version else None,
                    "items": [_item(i) for i in selectors.item_list(version)] if version else []})
    return out


@router.post("/schemes/{scheme_id}/drafts", response={201: VersionOut}, summary="新建修订版（复制启用中的版本）")
def version_draft(request: HttpRequest, scheme_id: int, payload: DraftIn):
    require(can_manage(request.user), "只有县级管理员可以修改考核方案")
    scheme = selectors.scheme_get_for_user(request.user, scheme_id)
    return Status(201, _version(services.version_draft(scheme=scheme, actor=request.user, note=payload.note)))


@router.get("/versions/{version_id}", response=VersionOut, summary="方案版本及其项目")
def version_get(request: HttpRequest, version_id: int):
    require(can_manage(request.user))
    return _version(selectors.version_get_for_user(request.user, version_id))


def _item_save(request: HttpRequest, version_id: int, payload: ItemIn, item_id: int | None = None) -> Item:
    require(can_manage(request.user), "只有县级管理员可以修改考核方案")
    version = selectors.version_get_for_user(request.user, version_id)
    item = None
    if item_id is not None:
        item = version.items.filter(pk=item_id).first()
        if item is None:
            raise NotFound()
    return services.item_save(version=version, actor=request.user, item=item, **payload.dict())


@router.post("/versions/{version_id}/items", response={201: ItemOut}, summary="为草稿添加项目")
def item_add(request: HttpRequest, version_id: int, payload: ItemIn):
    return Status(201, _item(_item_save(request, version_id, payload)))


@router.put("/versions/{version_id}/items/{item_id}", response=ItemOut, summary="修改草稿的项目")
def item_change(request: HttpRequest, version_id: int, item_id: int, payload: ItemIn):
    return _item(_item_save(request, version_id, payload, item_id))


@router.post("/versions/{version_id}/activate", response=VersionOut, summary="启用草稿（各项分值合计须等于满分）")
def version_activate(request: HttpRequest, version_id: int):
    require(can_manage(request.user), "只有县级管理员可以修改考核方案")
    version = selectors.version_get_for_user(request.user, version_id)
    return _version(services.version_activate(version=version, actor=request.user))


# --- periods ---------------------------------------------------------------------------------------


@router.get("/periods", response=list[PeriodOut], summary="考核期（县级看全部，其他人看已公布的）")
def period_list(request: HttpRequest):
    require(can_view_any(request.user))
    return [_period(p) for p in selectors.period_list_for_user(request.user)]


@router.post("/periods", response={201: PeriodOut}, summary="新建考核期（使用方案启用中的版本）")
def period_create(request: HttpRequest, payload: PeriodIn):
    require(can_manage(request.user), "只有县级管理员可以管理考核")
    scheme = selectors.scheme_get_for_user(request.user, payload.scheme_id)
    period = services.period_create(scheme=scheme, actor=request.user, **payload.dict(exclude={"scheme_id"}))
    return Status(201, _period(selectors.period_get_for_user(request.user, period.pk)))


@router.post("/periods/{period_id}/run", response=RunOut, summary="计算全部单位的得分与排名（公布前可重算）")
def period_run(request: HttpRequest, period_id: int):
    period = _managed_period(request, period_id)
    run = services.period_run(period=period, actor=request.user)
    return {"period": _period(selectors.period_get_for_user(request.user, period.pk)), "run_id": run.pk,
            "units": run.scores.count(), "skipped": run.skipped}


@router.post("/periods/{period_id}/publish", response=PeriodOut, summary="公布（得分与排名不再变动）")
def period_publish(request: HttpRequest, period_id: int):
    period = services.period_publish(period=_managed_period(request, period_id), actor=request.user)
    return _period(selectors.period_get_for_user(request.user, period.pk))


@router.post("/periods/{period_id}/close", response=PeriodOut, summary="关闭（此后只能录入更正）")
def period_close(request: HttpRequest, period_id: int):
    period = services.period_close(period=_managed_period(request, period_id), actor=request.user)
    return _period(selectors.period_get_for_user(request.user, period.pk))


@router.post("/periods/{period_id}/reopen", response=PeriodOut,
             summary="重新打开（已公布的考核期不能重新打开，请录入更正）")
def period_reopen(request: HttpRequest, period_id: int):
    period = services.period_reopen(period=_managed_period(request, period_id), actor=request.user)
    return _period(selectors.period_get_for_user(request.user, period.pk))


@router.get("/periods/{period_id}/scores", response=list[ScoreOut], summary="排名（村/社区，或网格及其星级）")
def period_scores(request: HttpRequest, period_id: int):
    require(can_view_any(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    return [_score(r.score, r.corrected, r.town, r.area) for r in selectors.ranking(request.user, period)]


@router.get("/periods/{period_id}/villages/{village_code}", response=VillageScoreOut, summary="一个村的得分与失分点")
def village_score(request: HttpRequest, period_id: int, village_code: str):
    require(can_view(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    d = selectors.village_score_get_for_user(request.user, period, village_code)
    corrected = d.score.total + sum(c.points for c in d.corrections) if d.corrections else None
    rules = {item.pk: item.household_rules for item, _ in d.by_item}
    return {**_score(d.score, corrected, d.town, d.area),
            "lost_points": [{**_lost_point(lp), "household_rules": [{"code": r.code, "name": r.name}
                                                                     for r in rules.get(lp.item_id, [])]}
                            for lp in d.lost_points],
            "corrections": [_correction(c) for c in d.corrections]}


@router.get("/periods/{period_id}/grids/{grid_code}", response=GridScoreOut,
            summary="一个网格的得分、星级、名次与失分点（含怎样不失分、更正与申诉）")
def grid_score(request: HttpRequest, period_id: int, grid_code: str):
    require(can_view_grids(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    d = selectors.grid_score_get_for_user(request.user, period, grid_code)
    return {**_score(d.score, d.corrected, d.town, d.area), "county_count": d.county_count, "town_count": d.town_count,
            "appeal_deadline": services.appeal_deadline(period),
            "items": [{"code": i.code, "group": i.group, "name": i.name, "weight": i.weight, "lost": lost}
                      for i, lost in d.by_item],
            "lost_points": [_lost_point(lp) for lp in d.lost_points],
            "corrections": [_correction(c) for c in d.corrections],
            "appeals": [_appeal(a) for a in d.appeals]}


# --- by hand ---------------------------------------------------------------------------------------


@router.post("/periods/{period_id}/manual-scores", response={201: ManualScoreOut},
             summary="人工评分（须写明原因；重新计算后计入得分）")
def manual_score_add(request: HttpRequest, period_id: int, payload: ManualScoreIn):
    period = _managed_period(request, period_id)
    unit = selectors.period_unit_get(period, _unit_code(period, payload))
    item = period.version.items.filter(code=payload.item_code).first()
    if item is None:
        raise AssessmentError("本考核期的方案没有这个项目", fields=field_error("item_code", "不存在"))
    made = services.manual_score_add(period=period, village=unit, item=item, points=payload.points,
                                     reason=payload.reason, evidence=payload.evidence, day=payload.day,
                                     actor=request.user)
    return Status(201, {"id": made.pk, "item_code": item.code, "village_code": made.village.code,
                        "grid_code": made.grid.code if made.grid_id else None, "points": made.points,
                        "reason": made.reason, "evidence": made.evidence, "day": made.day})


@router.post("/periods/{period_id}/corrections", response={201: CorrectionOut},
             summary="更正已公布的得分（与原得分并列，须写明原因）")
def correction_add(request: HttpRequest, period_id: int, payload: CorrectionIn):
    period = _managed_period(request, period_id)
    unit = selectors.period_unit_get(period, _unit_code(period, payload))
    made = services.score_correct(period=period, village=unit, points=payload.points, reason=payload.reason,
                                  actor=request.user)
    return Status(201, _correction(made))


# --- appeals ---------------------------------------------------------------------------------------


@router.get("/periods/{period_id}/appeals", response=list[AppealOut], summary="考核期的申诉（按权限范围，待处理在前）")
def appeal_list(request: HttpRequest, period_id: int):
    require(can_view_any(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    require(can_view_kind(request.user, period.version.scheme.kind))
    return [_appeal(a) for a in selectors.appeal_list_for_user(request.user, period)]


@router.post("/periods/{period_id}/appeals", response={201: AppealOut},
             summary="申诉（网格长或所在村的村两委；公布后规定天数内）")
def appeal_file(request: HttpRequest, period_id: int, payload: AppealIn):
    user = request.user
    require(can_file_appeals(user), "只有网格长或村两委可以申诉")
    period = selectors.period_get_for_user(user, period_id)
    code = _unit_code(period, payload)
    if period.version.scheme.kind == SchemeKind.GRID:
        d = selectors.grid_score_get_for_user(user, period, code)
        unit, chief_of = d.score.grid, d.chief_of
        require(can_appeal(user, unit, chief_of), "只有本网格的网格长或所在村的村两委可以申诉")
    else:
        d = selectors.village_score_get_for_user(user, period, code)
        unit = d.score.village
        require(can_appeal(user, unit), "只有本村的村两委可以申诉")
    lost_point = None
    if payload.lost_point_id is not None:
        lost_point = next((lp for lp in d.lost_points if lp.pk == payload.lost_point_id), None)
        if lost_point is None:
            raise NotFound()
    appeal = services.appeal_file(period=period, unit=unit, actor=user, text_=payload.text, lost_point=lost_point,
                                  evidence=payload.evidence)
    return Status(201, _appeal(appeal))


@router.post("/appeals/{appeal_id}/decide", response=AppealOut,
             summary="处理申诉（乡镇或县级；成立时可退还分值，以更正形式并列显示）")
def appeal_decide(request: HttpRequest, appeal_id: int, payload: DecideIn):
    user = request.user
    require(can_decide_appeals(user), "只有乡镇或县级可以处理申诉")
    appeal = selectors.appeal_get_for_user(user, appeal_id)
    require(can_decide_appeal(user, appeal.grid or appeal.village), "只有该单位所在乡镇或县级可以处理申诉")
    decided = services.appeal_decide(appeal=appeal, actor=user, upheld=payload.upheld, outcome=payload.outcome,
                                     points_returned=payload.points_returned)
    return _appeal(decided)
