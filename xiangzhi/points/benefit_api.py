"""API of 积分优先: the benefits a user may read (the village's staff and the points administrators
above it with names, a villager his own village's as its public list shows them: masked names, no
household ids), publishing and closing through the same services as the pages. A closed list carries
its digest and the check of it. Mounted under ``/points`` beside ``points.api``."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import BenefitState, PointsBenefit
from xiangzhi.points.rules import can_publish_benefits
from xiangzhi.points.templatetags.points_tags import verify_code
from xiangzhi.regions.models import Region, RegionLevel

router = Router(tags=["户积分：积分优先"])
LIST_LIMIT = 200


class BenefitOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    kind: str
    kind_name: str = Field(..., alias="get_kind_display")
    title: str
    description: str
    places: int
    threshold: int
    basis_start: dt.date
    basis_end: dt.date
    opens_on: dt.date
    closes_on: dt.date
    state: str
    published_at: dt.datetime
    closed_at: dt.datetime | None
    content_hash: str = Field(..., description="截止时名单的 SHA-256；公布中为空")
    verify_code: str | None = Field(None, description="核验码：哈希前 8 位；公布中为空")

    @staticmethod
    def resolve_verify_code(obj):
        return verify_code(obj.content_hash) if obj.content_hash else None


class BenefitRowOut(Schema):
    household: int | None = Field(None, description="户 ID；村民查看时为空")
    number: str
    name: str = Field(..., description="户主姓名；村民查看时按公示规则隐去")
    points: int = Field(..., description="计分期内获得的积分")
    position: int
    priority: bool


class BenefitCheckOut(Schema):
    ok: bool
    digest: str = Field(..., description="按现存名单重新计算的 SHA-256")
    problems: list[str]


class BenefitDetailOut(BenefitOut):
    names_masked: bool = Field(..., description="为真时按公示规则隐去户主姓名、不给户 ID（村民查看）")
    rows: list[BenefitRowOut] = Field(..., alias="rows_out")
    check: BenefitCheckOut | None = Field(None, description="截止后名单的核验；公布中为空")


class BenefitIn(Schema):
    village: str = Field(..., description="村（社区）区划代码")
    kind: str
    title: str
    description: str = ""
    places: int | None = None
    threshold: int | None = None
    basis_start: dt.date
    basis_end: dt.date
    opens_on: dt.date | None = Field(None, description="默认今天")
    closes_on: dt.date


def _detail(benefit: PointsBenefit, *, masked: bool) -> PointsBenefit:
    rows = selectors.benefit_eligible_households(benefit)
    benefit.names_masked = masked  # type: ignore[attr-defined]
    benefit.rows_out = [  # type: ignore[attr-defined]
        {"household": None if masked else r.household_id, "number": r.number,
         "name": r.masked_name if masked else r.head_name, "points": r.points, "position": r.position,
         "priority": r.priority}
        for r in rows
    ]
    benefit.check = selectors.benefit_verify(benefit)  # type: ignore[attr-defined]
    return benefit


@router.get("/benefits", response=list[BenefitOut], summary="积分优先事项（按权限范围；村民为本村事项）")
def benefit_list(request, village: str | None = None, state: str | None = None):
    qs = selectors.benefit_list_readable(request.user).order_by("-opens_on", "-pk")
    if village:
        qs = qs.filter(village__code=village)
    if state:
        if state not in BenefitState.values:
            raise PointsError("状态应为 open（公布中）或 closed（已截止）", fields=field_error("state", "不是可选的值"))
        qs = qs.filter(state=state)
    return list(qs[:LIST_LIMIT])


@router.get("/benefits/{benefit_id}", response=BenefitDetailOut, summary="一项积分优先：排序名单与核验结果")
def benefit_get(request, benefit_id: int):
    benefit = selectors.benefit_get_readable(request.user, benefit_id)
    return _detail(benefit, masked=not can_publish_benefits(request.user))


@router.post("/benefits", response={201: BenefitDetailOut},
             summary="发布积分优先事项（本村两委、积分管理员，乡镇、区县积分管理人员）")
def benefit_publish(request, payload: BenefitIn):
    village = Region.objects.filter(code=payload.village, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    benefit = services.benefit_publish(
        actor=request.user, village=village, kind=payload.kind, title=payload.title,
        description=payload.description, places=payload.places, threshold=payload.threshold,
        basis_start=payload.basis_start, basis_end=payload.basis_end, opens_on=payload.opens_on,
        closes_on=payload.closes_on,
    )
    return Status(201, _detail(benefit, masked=False))


@router.post("/benefits/{benefit_id}/close", response=BenefitDetailOut, summary="截止并固定名单（生成核验码）")
def benefit_close(request, benefit_id: int):
    benefit = selectors.benefit_get_readable(request.user, benefit_id)  # a villager reads it, then is refused
    return _detail(services.benefit_close(actor=request.user, benefit=benefit), masked=False)
