"""API of the cycle: notices, objections, the public notice (no login), the calendar, redemption
windows and settlements. Mounted under ``/points`` beside ``points.api``."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.people.models import Household
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsError
from xiangzhi.regions.selectors import region_get_for_user

router = Router(tags=["户积分：公示、兑换期与年度核算"])


class NoticeSummaryOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    period_start: dt.date
    period_end: dt.date
    period_label: str
    published_at: dt.datetime
    objection_until: dt.date
    state: str
    content_hash: str


class NoticeRowOut(Schema):
    household: int
    number: str
    name: str
    by_category: dict[str, int]
    quarter: int
    total: int
    rank: int


class CheckOut(Schema):
    ok: bool
    problems: list[str]
    chains_checked_at: dt.datetime | None = Field(None, description="本村台账哈希链逐条核验的时间（每10分钟至多一次）")


class ObjectionOut(Schema):
    id: int
    notice: int = Field(..., alias="notice_id")
    household: int = Field(..., alias="household_id")
    text: str
    state: str
    filed_at: dt.datetime
    resolution: str
    resolved_at: dt.datetime | None
    correction_entry: int | None = Field(None, alias="correction_id")
    correction_points: int | None = None

    @staticmethod
    def resolve_correction_points(obj):
        return obj.correction.points if obj.correction_id else None


class PublicObjectionOut(Schema):
    household_number: str = Field(..., alias="household.number")
    text: str
    state: str
    resolution: str


class NoticeOut(NoticeSummaryOut):
    categories: list[dict]
    rows: list[NoticeRowOut]
    anchor: dict
    check: CheckOut

    @staticmethod
    def resolve_anchor(obj):
        return {"entry_seq": obj.entry_seq, "entry_hash": obj.entry_hash, "review_seq": obj.review_seq,
                "review_hash": obj.review_hash}


class SignedInNoticeOut(NoticeOut):
    objections: list[ObjectionOut] = Field(..., alias="objection_items")


class PublicNoticeOut(NoticeOut):
    objections: list[PublicObjectionOut] = Field(..., alias="objection_items")


class ObjectionIn(Schema):
    household: int
    text: str


class ResolveIn(Schema):
    upheld: bool
    resolution: str
    correction: int | None = Field(None, description="采纳时可更正的分值（正数补记，负数扣回）")


class CycleOut(Schema):
    id: int | None = Field(..., description="为空表示按运行规则排定、尚未到期生成的环节")
    township: str = Field(..., alias="township.code")
    kind: str
    period_start: dt.date
    period_end: dt.date
    opens_on: dt.date
    closes_on: dt.date
    state: str
    note: str


class WindowIn(Schema):
    township: str
    opens_on: dt.date
    closes_on: dt.date
    note: str = ""


class SettlementOut(Schema):
    id: int
    township: str = Field(..., alias="township.code")
    year: int
    ran_at: dt.datetime
    policy: str
    households: int
    year_points: int
    balance_points: int
    carried_points: int
    expired_points: int
    honours: int


def _with_check(notice):
    notice.check = selectors.notice_verify(notice)
    return notice


@router.get("/notices", response=list[NoticeSummaryOut], summary="积分公示（按权限范围）")
def notice_list(request, village: str | None = None):
    qs = selectors.notice_list_for_user(request.user).order_by("-period_start", "village__code")
    if village:
        qs = qs.filter(village__code=village)
    return list(qs[:200])


@router.get("/notices/{notice_id}", response=SignedInNoticeOut, summary="一期公示：名单、核验结果与异议")
def notice_get(request, notice_id: int):
    notice = _with_check(selectors.notice_get_for_user(request.user, notice_id))
    notice.objection_items = list(notice.objections.select_related("correction"))
    return notice


@router.get("/public/notices/{notice_id}", response=PublicNoticeOut, auth=None,
            summary="公开的公示（一村一码，无需登录）：名单、核验结果与异议处理结果")
def public_notice_get(request, notice_id: int):
    notice = _with_check(selectors.notice_get_public(notice_id))
    notice.objection_items = list(selectors.objection_list_public(notice))
    return notice


@router.post("/notices/{notice_id}/objections", response={201: ObjectionOut}, summary="对公示提出异议（异议期内）")
def objection_file(request, notice_id: int, payload: ObjectionIn):
    notice = selectors.notice_get_for_user(request.user, notice_id)
    household = Household.objects.filter(pk=payload.household).first()
    if household is None:
        raise PointsError("该户不在本次公示名单中", fields=field_error("household", "不存在"))
    return Status(201, services.objection_file(actor=request.user, notice=notice, household=household,
                                               text=payload.text))


@router.post("/objections/{objection_id}/resolve", response=ObjectionOut, summary="处理异议（采纳可更正积分）")
def objection_resolve(request, objection_id: int, payload: ResolveIn):
    objection = selectors.objection_get_for_user(request.user, objection_id)
    return services.objection_resolve(actor=request.user, objection=objection, upheld=payload.upheld,
                                      resolution=payload.resolution, correction=payload.correction)


@router.get("/cycles", response=list[CycleOut], summary="积分日历：某乡镇某年的审核、公示、兑换期与核算")
def cycle_list(request, township: str | None = None, year: int | None = None):
    towns = selectors.township_list_for_user(request.user)
    chosen = next((t for t in towns if t.code == township), None) if township else (towns[0] if towns else None)
    if chosen is None:
        raise NotFound()
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise PointsError("年份不正确", fields=field_error("year", "超出范围"))
    return selectors.cycle_list_for_year(chosen, year)


@router.post("/redemption-windows", response={201: CycleOut}, summary="安排临时兑换期（乡镇、区县）")
def window_add(request, payload: WindowIn):
    township = region_get_for_user(request.user, payload.township)
    return Status(201, services.redemption_window_add(actor=request.user, township=township,
                                                      opens_on=payload.opens_on, closes_on=payload.closes_on,
                                                      note=payload.note))


@router.get("/settlements", response=list[SettlementOut], summary="年度核算结果")
def settlement_list(request):
    return list(selectors.settlement_list_for_user(request.user).order_by("-year")[:100])
