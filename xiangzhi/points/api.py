import base64
import binascii
import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.core.errors import NOT_FOUND_MESSAGE, field_error
from xiangzhi.core.inputs import require
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people.selectors import household_get_for_user
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import PointsEntry
from xiangzhi.points.rules import can_review, can_see_rankings
from xiangzhi.regions.models import Region

router = Router(tags=["户积分"])


# --- schemas ----------------------------------------------------------------------------------


class RuleOut(Schema):
    code: str
    name: str
    category: str
    category_name: str
    direction: str
    points: int = Field(..., description="每次分值（已计入本村村规民约调整）")
    cap_period: str
    cap_count: int | None
    cap_points: int | None
    cap_text: str
    evidence_required: bool
    recorder_roles: list[str]
    overridden: bool = Field(..., description="本村村规民约调整过该条目")
    recordable: bool = Field(..., description="当前用户可以记录该条目")


class ReviewOut(Schema):
    decision: str
    reason: str
    reviewer: str | None
    reviewed_at: dt.datetime


def _name(user) -> str | None:
    """A person by name, never by login."""
    if user is None:
        return None
    return (user.full_name or "").strip() or f"{user.get_role_display()}（未填姓名）"


class EntryOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    seq: int
    household_id: int
    household_number: str = Field(..., alias="household.number")
    household_head: str = Field(..., alias="household.head_name")
    kind: str
    kind_name: str = Field(..., alias="get_kind_display")
    rule_code: str
    rule_name: str
    category_code: str
    category_name: str
    quantity: int
    points: int
    occurred_on: dt.date
    recorded_at: dt.datetime
    recorder: str | None
    requester: str | None = Field(None, description="冲正、更正的申请人")
    approver: str | None = Field(None, description="冲正、更正的批准人（与申请人为同一人时 self_approved 为 true）")
    self_approved: bool = False
    note: str
    status: str
    status_name: str
    review: ReviewOut | None
    reverses_id: int | None
    reversed_by: int | None
    source: str
    evidence: str | None
    hash: str

    @staticmethod
    def resolve_recorder(obj):
        return (obj.recorder.full_name or obj.recorder.username) if obj.recorder_id else None

    @staticmethod
    def resolve_requester(obj):
        return _name(obj.requested_by) if obj.requested_by_id else None

    @staticmethod
    def resolve_approver(obj):
        if not obj.requested_by_id:
            return None
        try:
            return _name(obj.review.reviewer)
        except PointsEntry.review.RelatedObjectDoesNotExist:
            return None

    @staticmethod
    def resolve_self_approved(obj):
        return obj.is_self_approved

    @staticmethod
    def resolve_review(obj):
        try:
            r = obj.review
        except PointsEntry.review.RelatedObjectDoesNotExist:
            return None
        name = (r.reviewer.full_name or r.reviewer.username) if r.reviewer_id else None
        return {"decision": r.decision, "reason": r.reason, "reviewer": name, "reviewed_at": r.reviewed_at}

    @staticmethod
    def resolve_reversed_by(obj):
        try:
            return obj.reversal.pk
        except PointsEntry.reversal.RelatedObjectDoesNotExist:
            return None

    @staticmethod
    def resolve_evidence(obj):
        return f"/points/entries/{obj.pk}/photo/" if obj.evidence else None


class RecordIn(Schema):
    household: int = Field(..., description="户 id")
    rule: str = Field(..., description="细则条目代码，见 GET /points/rules")
    occurred_on: dt.date | None = Field(None, description="发生日期，默认今天")
    count: int = Field(1, ge=1, le=services.MAX_QUANTITY, description="次数")
    points: int | None = Field(None, description="每次分值；不填按细则，可少记不可多记，符号须与加减分一致")
    note: str = Field("", max_length=services.NOTE_MAX)
    photo: str | None = Field(None, description="凭证照片，base64 编码")


class BatchIn(Schema):
    households: list[int] = Field(..., min_length=1, max_length=services.MAX_BATCH)
    rule: str
    occurred_on: dt.date | None = None
    count: int = Field(1, ge=1, le=services.MAX_QUANTITY)
    points: int | None = None
    note: str = Field("", max_length=services.NOTE_MAX)
    photo: str | None = None


class ReviewIn(Schema):
    approve: bool
    reason: str = Field("", max_length=services.NOTE_MAX, description="驳回时必填")


class BulkReviewIn(ReviewIn):
    ids: list[int] = Field(..., min_length=1, max_length=500)


class OutcomeOut(Schema):
    id: int
    ok: bool
    status: str
    error: str | None


class ReverseIn(Schema):
    reason: str = Field(..., max_length=services.NOTE_MAX)
    requester: int | None = Field(None, description="申请冲正的人（账号 id）；冲正已通过的记录时必填，批准人是调用者")


class StandingOut(Schema):
    household_id: int
    household_number: str
    head_name: str
    points: int
    pending: int
    earned: int
    village: str
    village_rank: int
    village_households: int
    township: str | None
    township_rank: int | None
    township_households: int | None


class RankedHouseholdOut(Schema):
    rank: int
    household_id: int
    household_number: str = Field(..., alias="household.number")
    head_name: str = Field(..., alias="household.head_name")
    village: str = Field(..., alias="village.name")
    points: int = Field(..., alias="approved_total")


class VillageOut(Schema):
    code: str
    name: str
    households: int
    participating: int
    participation_rate: float | None = Field(..., description="有过加分（已审核、未冲正）的户 ÷ 户数，百分比")
    points: int
    average: float | None


class RankingsOut(Schema):
    region: str
    region_name: str
    households: list[RankedHouseholdOut]
    villages: list[VillageOut]


# --- helpers ----------------------------------------------------------------------------------


def _photo(item: str | None):
    if not item:
        return None
    payload = item.split(",", 1)[1] if item.startswith("data:") else item
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise PointsError("照片不是有效的 base64 编码", fields=field_error("photo", "格式不正确")) from None
    try:
        return process(data, max_bytes=settings.CASE_PHOTO_MAX_BYTES)
    except PhotoError as exc:
        raise PointsError(f"照片：{exc}", fields=field_error("photo", str(exc))) from None


def _rule(village: Region, code: str, on: dt.date):
    rule = selectors.rule_get_in_force(village, code, on)
    if rule is None:
        raise PointsError(f"未知的细则条目：{code}", fields=field_error("rule", "不存在"))
    return rule


def _entry(request, entry_id: int) -> PointsEntry:
    return selectors.entry_get_for_user(request.user, entry_id)


# --- endpoints --------------------------------------------------------------------------------


@router.get("/rules", response=list[RuleOut], summary="积分细则（某村施行的条目，含村规民约调整）")
def rule_list(request, village: str | None = None, on: dt.date | None = None):
    user = request.user
    node = selectors.village_get_for_user(user, village) if village else selectors.village_default_for_user(user)
    if node is None:
        raise PointsError("请用 village 参数指定村/社区", fields=field_error("village", "必填"))
    return [
        {"code": r.code, "name": r.name, "category": r.category.code, "category_name": r.category.name,
         "direction": r.direction, "points": r.points, "cap_period": r.cap_period, "cap_count": r.cap_count,
         "cap_points": r.cap_points, "cap_text": r.cap_text, "evidence_required": r.evidence_required,
         "recorder_roles": r.roles, "overridden": r.overridden,
         "recordable": user.is_superuser or user.role in r.roles}
        for r in selectors.rule_list_for_village(node, on)
    ]


@router.post("/entries", response={200: EntryOut, 201: EntryOut}, summary="记录积分（支持 Idempotency-Key）")
def entry_create(request, payload: RecordIn):
    household = household_get_for_user(request.user, payload.household)
    occurred_on = payload.occurred_on or timezone.localdate()
    result = services.entry_record(
        actor=request.user, household=household, rule=_rule(household.grid.region, payload.rule, occurred_on),
        occurred_on=occurred_on, count=payload.count, points=payload.points, note=payload.note,
        evidence=_photo(payload.photo), idempotency_key=request.headers.get("Idempotency-Key") or "",
    )
    return Status(201 if result.created else 200, _entry(request, result.entry.pk))


@router.post("/entries/batch", response={200: list[EntryOut], 201: list[EntryOut]},
             summary="批量记录积分（一次活动，全部成功或全部不记；支持 Idempotency-Key）")
def entry_create_batch(request, payload: BatchIn):
    households = [household_get_for_user(request.user, pk) for pk in payload.households]
    occurred_on = payload.occurred_on or timezone.localdate()
    result = services.entry_record_batch(
        actor=request.user, households=households,
        rule=_rule(households[0].grid.region, payload.rule, occurred_on), occurred_on=occurred_on,
        count=payload.count, points=payload.points, note=payload.note, evidence=_photo(payload.photo),
        idempotency_key=request.headers.get("Idempotency-Key") or "",
    )
    ids = [e.pk for e in result.entries]
    rows = {e.pk: e for e in selectors.entry_list_for_user(request.user).filter(pk__in=ids)}
    return Status(201 if result.created else 200, [rows[pk] for pk in ids])


@router.get("/entries", response=list[EntryOut], summary="积分记录（按权限范围）")
@paginate(PageNumberPagination, page_size=30, max_page_size=200)
def entry_list(request, household: int | None = None, status: str | None = None, kind: str | None = None,
               village: str | None = None):
    household_obj = household_get_for_user(request.user, household) if household is not None else None
    village_obj = Region.objects.filter(code=village).first() if village else None
    if village and village_obj is None:
        return PointsEntry.objects.none()
    return selectors.entry_list_for_user(request.user, household=household_obj, village=village_obj,
                                         status=status, kind=kind)


# Declared before /entries/{entry_id}, whose path would otherwise take "review" for an id.
@router.post("/entries/review", response=list[OutcomeOut], summary="批量审核（逐条处理，返回每条结果）")
def entry_review_bulk(request, payload: BulkReviewIn):
    require(can_review(request.user), "只有积分监督员、村两委和乡镇、区县管理人员可以审核积分")
    entries = list(selectors.entry_list_for_user(request.user).filter(pk__in=payload.ids))
    missing = set(payload.ids) - {e.pk for e in entries}
    outcomes = services.entry_review_bulk(actor=request.user, entries=entries, approve=payload.approve,
                                          reason=payload.reason)
    out = [{"id": o.entry.pk, "ok": o.error is None,
            "status": o.review.decision if o.review else o.entry.status, "error": o.error} for o in outcomes]
    out += [{"id": pk, "ok": False, "status": "", "error": NOT_FOUND_MESSAGE} for pk in sorted(missing)]
    return out


@router.get("/entries/{entry_id}", response=EntryOut, summary="一条积分记录")
def entry_get(request, entry_id: int):
    return _entry(request, entry_id)


@router.post("/entries/{entry_id}/review", response=EntryOut, summary="审核：通过或驳回（驳回须填理由）")
def entry_review(request, entry_id: int, payload: ReviewIn):
    entry = _entry(request, entry_id)
    services.entry_review(actor=request.user, entry=entry, approve=payload.approve, reason=payload.reason)
    return _entry(request, entry_id)


@router.post("/entries/{entry_id}/reverse", response=EntryOut,
             summary="冲正（每条一次；待审核的记录则撤回，即驳回）")
def entry_reverse(request, entry_id: int, payload: ReverseIn):
    entry = _entry(request, entry_id)
    requester = None
    if payload.requester is not None:
        requester = get_user_model().objects.filter(pk=payload.requester).first()
        if requester is None:
            raise PointsError("申请人不存在", fields=field_error("requester", "不存在"))
    services.entry_reverse(actor=request.user, entry=entry, reason=payload.reason, requester=requester)
    return _entry(request, entry_id)


@router.get("/households/{household_id}", response=StandingOut, summary="户积分：余额与村、乡镇排名")
def household_standing(request, household_id: int):
    household = household_get_for_user(request.user, household_id)
    s = selectors.household_standing(household)
    return {
        "household_id": household.pk, "household_number": household.number, "head_name": household.head_name,
        "points": s.approved, "pending": s.pending, "earned": s.earned, "village": s.village.code,
        "village_rank": s.village_rank, "village_households": s.village_households,
        "township": s.township.code if s.township else None, "township_rank": s.township_rank,
        "township_households": s.township_households,
    }


@router.get("/rankings", response=RankingsOut, summary="积分排名与各村参与率")
def rankings(request, region: str | None = None, limit: int = 50, offset: int = 0):
    user = request.user
    require(can_see_rankings(user), "无权查看积分排名")
    node = selectors.comparison_region_for_user(user, region, selectors.ranking_region_list_for_user(user))
    limit = max(1, min(limit, 200))
    return {
        "region": node.code, "region_name": node.name,
        "households": selectors.household_ranking(node, limit=limit, offset=max(0, offset)),
        "villages": [
            {"code": r.village.code, "name": r.village.name, "households": r.households,
             "participating": r.participating, "participation_rate": r.participation_rate, "points": r.points,
             "average": r.average}
            for r in selectors.village_table(node)
        ],
    }
