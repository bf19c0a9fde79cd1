import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.core.inputs import require
from xiangzhi.people import selectors, services
from xiangzhi.people.models import HouseholdChange, KeyCategory, KeyPerson, KeyPersonChange, RevealRecord
from xiangzhi.people.rules import can_keep_key_people
from xiangzhi.regions.selectors import grid_filter_for_user, region_filter_for_user

router = Router(tags=["人口"])


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_year: int = Field(..., description="出生年份（完整出生日期与脱敏证件号一起可推出证件号，不返回）")
    relation: str
    id_number: str = Field(..., alias="id_number_masked", description="脱敏后的身份证号（前4后2）")
    phone: str = Field(..., alias="phone_masked", description="脱敏后的手机号")
    tags: list[str] = Field(..., alias="tag_list")
    is_away: bool
    is_deceased: bool = Field(..., description="已故（不计入人数）")
    left_on: dt.date | None = Field(..., description="迁出本县的日期（记录已关闭，不计入人数）")


class HouseholdOut(Schema):
    id: int
    number: str
    grid_code: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    address: str
    head_name: str
    residents: list[ResidentOut] = Field(..., alias="residents.all")


class RevealIn(Schema):
    field: RevealRecord.Field = RevealRecord.Field.ID_NUMBER
    reason: str = Field(..., min_length=2, max_length=200, description="查看事由（必填，留痕）")


class RevealOut(Schema):
    resident_id: int
    field: str
    value: str


@router.get("/households", response=list[HouseholdOut], summary="户列表（按权限范围，证件号脱敏）")
@paginate(PageNumberPagination, page_size=20, max_page_size=100)
def household_list(request, grid: str | None = None, q: str = ""):
    """`q` by name or household number; by full ID number or phone only with the reveal permission,
    rate-limited (429 `rate_limited`) and audited."""
    return services.household_search(user=request.user, search=q, grid=grid_filter_for_user(request.user, grid),
                                     ip_address=request.META.get("REMOTE_ADDR"))


@router.get("/households/{household_id}", response=HouseholdOut, summary="户详情")
def household_get(request, household_id: int):
    return selectors.household_get_for_user(request.user, household_id)


@router.post("/residents/{resident_id}/reveal", response=RevealOut, summary="查看完整证件号（需权限，留痕）")
def resident_reveal(request, resident_id: int, payload: RevealIn):
    resident = selectors.resident_get_for_user(request.user, resident_id)
    value = services.resident_reveal(
        user=request.user, resident=resident, field=payload.field, reason=payload.reason,
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    return {"resident_id": resident.id, "field": payload.field, "value": value}


class KeyPersonOut(Schema):
    id: int
    resident_id: int
    name: str = Field(..., alias="resident.name")
    household_id: int = Field(..., alias="resident.household_id")
    grid_code: str = Field(..., alias="resident.household.grid.code")
    category: str = Field(..., alias="category.code")
    category_name: str = Field(..., alias="category.name")
    visit_cycle_days: int = Field(..., alias="category.visit_cycle_days")
    registered_on: dt.date
    note: str
    is_active: bool = Field(..., description="在册；解除后为 false")
    ended_on: dt.date | None
    end_reason: str


class KeyPersonChangeOut(Schema):
    kind: str = Field(..., description="register 登记 / category 变更类别 / end 解除")
    before: dict
    after: dict
    reason: str
    actor_name: str
    at: dt.datetime

    @staticmethod
    def resolve_actor_name(obj: KeyPersonChange) -> str:
        return obj.actor.full_name or "工作人员"


class KeyPersonDetailOut(KeyPersonOut):
    changes: list[KeyPersonChangeOut] = Field(..., alias="change_rows")


class KeyPersonIn(Schema):
    resident_id: int
    category: str = Field(..., description="重点人群类别代码（启用中的）")
    note: str = ""
    registered_on: dt.date | None = Field(None, description="默认今天；不得晚于今天")


class KeyPersonCategoryIn(Schema):
    category: str
    reason: str = Field(..., description="变更原因（必填，留痕）")


class KeyPersonEndIn(Schema):
    reason: str = Field(..., description="解除原因（必填，如 解除社区矫正、刑满释放、已迁出）")
    ended_on: dt.date | None = Field(None, description="默认今天")


@router.get("/key-people", response=list[KeyPersonOut], summary="重点人员（按权限范围）")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def key_person_list(request, category: str | None = None, state: Literal["active", "ended"] = "active"):
    # The registry is for the staff who visit; a resident never sees who in the village is listed.
    require(can_read_register(request.user), "无权查看重点人群")
    category_obj = KeyCategory.objects.filter(code=category).first() if category else None
    if category and category_obj is None:
        return KeyPerson.objects.none()
    return selectors.key_person_list_for_user(request.user, category=category_obj, ended=state == "ended")


def _key_person_detail(user, key_person_id: int) -> KeyPerson:
    entry = selectors.key_person_get_for_user(user, key_person_id)
    entry.change_rows = list(selectors.key_person_changes(entry))  # type: ignore[attr-defined]
    return entry


@router.get("/key-people/{key_person_id}", response=KeyPersonDetailOut, summary="重点人员详情（含变动记录）")
def key_person_get(request, key_person_id: int):
    return _key_person_detail(request.user, key_person_id)


@router.post("/key-people", response={201: KeyPersonDetailOut}, summary="登记为重点人员")
def key_person_register(request, payload: KeyPersonIn):
    require(can_keep_key_people(request.user), "只有网格员、网格长和村干部可以登记重点人员")
    resident = selectors.resident_get_for_user(request.user, payload.resident_id)
    entry = services.key_person_register(actor=request.user, resident=resident, category=payload.category,
                                         note=payload.note, on=payload.registered_on)
    return Status(201, _key_person_detail(request.user, entry.pk))


@router.post("/key-people/{key_person_id}/category", response=KeyPersonDetailOut, summary="变更重点人员类别")
def key_person_change_category(request, key_person_id: int, payload: KeyPersonCategoryIn):
    require(can_keep_key_people(request.user), "只有网格员、网格长和村干部可以变更重点人员")
    entry = selectors.key_person_get_for_user(request.user, key_person_id)
    services.key_person_change_category(actor=request.user, key_person=entry, category=payload.category,
                                        reason=payload.reason)
    return _key_person_detail(request.user, key_person_id)


@router.post("/key-people/{key_person_id}/end", response=KeyPersonDetailOut, summary="解除重点人员（须填原因）")
def key_person_end(request, key_person_id: int, payload: KeyPersonEndIn):
    require(can_keep_key_people(request.user), "只有网格员、网格长和村干部可以解除重点人员")
    entry = selectors.key_person_get_for_user(request.user, key_person_id)
    services.key_person_end(actor=request.user, key_person=entry, reason=payload.reason, on=payload.ended_on)
    return _key_person_detail(request.user, key_person_id)




# --- 党员联系户 ----------------------------------------------------------------------------------


class MemberLinkOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(..., alias="member.name")
    household_id: int
    household_number: str = Field(..., alias="household.number")
    head_name: str = Field(..., alias="household.head_name")
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str


class MemberLinkIn(Schema):
    member_id: int = Field(..., description="党员（居民 id）")
    household_ids: list[int] = Field(..., description="要联系的户（同村，每户一名党员，一名党员最多 10 户）")
    started_on: dt.date | None = None


class MemberLinkEndIn(Schema):
    reason: str = Field(..., description="结束原因（必填）")
    ended_on: dt.date | None = None


@router.get("/member-links", response=list[MemberLinkOut], summary="党员联系户（按权限范围）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def member_link_list(request, region: str | None = None, active: bool = True):
    require(can_read_register(request.user), "无权查看党员联系户")
    return selectors.member_link_list_for_user(request.user, region=region_filter_for_user(request.user, region),
                                               active=active)


@router.post("/member-links", response={201: list[MemberLinkOut]}, summary="安排党员联系户（全部成功或全部不写）")
def member_link_create(request, payload: MemberLinkIn):
    member = selectors.resident_get_for_user(request.user, payload.member_id)
    households = [selectors.household_get_for_user(request.user, pk) for pk in dict.fromkeys(payload.household_ids)]
    return Status(201, services.member_link_create(member=member, households=households,
                                                   started_on=payload.started_on, actor=request.user))


@router.post("/member-links/{link_id}/end", response=MemberLinkOut, summary="结束党员联系户")
def member_link_end(request, link_id: int, payload: MemberLinkEndIn):
    link = selectors.member_link_get_for_user(request.user, link_id)
    return services.member_link_end(link=link, ended_on=payload.ended_on, reason=payload.reason, actor=request.user)


# ---- Register changes (登记变动): the same services as the phone form ----------------------------


class HouseholdChangeOut(Schema):
    id: int
    household_id: int
    kind: str = Field(..., description="birth / death / away / return / phone / head / marry_in / marry_out / "
                                       "move_in / move_out / split / merge / correction / grid")
    kind_name: str = Field(..., alias="get_kind_display")
    state: str = Field(..., description="pending 待确认 / confirmed 已确认 / refused 已退回")
    resident_id: int | None
    resident_name: str
    before: dict
    after: dict
    note: str
    proposer_name: str
    proposed_at: dt.datetime
    decider_name: str
    decided_at: dt.datetime | None
    refusal_reason: str

    @staticmethod
    def resolve_resident_name(obj: HouseholdChange) -> str:
        return obj.resident.name if obj.resident is not None else ""

    @staticmethod
    def resolve_proposer_name(obj: HouseholdChange) -> str:
        return obj.proposer.full_name or "工作人员"

    @staticmethod
    def resolve_decider_name(obj: HouseholdChange) -> str:
        return (obj.decider.full_name or "工作人员") if obj.decider is not None else ""


class HouseholdChangeIn(Schema):
    kind: str = Field(..., description="变动类别（信息更正、调整网格不由此登记）")
    data: dict = Field(default_factory=dict, description="与手机表单相同的字段，如 resident、died_on、new_head、"
                                                        "origin、id_number、destination、village、members…")
    note: str = ""


class HouseholdChangeRefuseIn(Schema):
    reason: str = Field(..., description="退回理由（必填）")


@router.get("/households/{household_id}/changes", response=list[HouseholdChangeOut], summary="户的登记变动记录")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def household_change_list(request, household_id: int):
    household = selectors.household_get_for_user(request.user, household_id)
    return selectors.household_change_history(request.user, household)


@router.post("/households/{household_id}/changes", response={201: HouseholdChangeOut},
             summary="登记变动（网格员提交待确认，村干部直接生效）")
def household_change_propose(request, household_id: int, payload: HouseholdChangeIn):
    household = selectors.household_get_for_user(request.user, household_id)
    change = services.household_change_propose(actor=request.user, household=household, kind=payload.kind,
                                               data=payload.data, note=payload.note)
    return Status(201, change)


@router.get("/changes", response=list[HouseholdChangeOut], summary="待本人确认的登记变动（村干部）")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def household_change_pending_list(request):
    return selectors.household_change_pending_list(request.user)


@router.post("/changes/{change_id}/confirm", response=HouseholdChangeOut, summary="确认登记变动（本村村干部）")
def household_change_confirm(request, change_id: int):
    change = selectors.household_change_get_for_user(request.user, change_id)
    return services.household_change_confirm(actor=request.user, change=change)


@router.post("/changes/{change_id}/refuse", response=HouseholdChangeOut, summary="退回登记变动（须填理由）")
def household_change_refuse(request, change_id: int, payload: HouseholdChangeRefuseIn):
    change = selectors.household_change_get_for_user(request.user, change_id)
    return services.household_change_refuse(actor=request.user, change=change, reason=payload.reason)
