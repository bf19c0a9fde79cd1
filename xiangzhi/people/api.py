import datetime as dt

from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.core.inputs import require
from xiangzhi.people import selectors, services
from xiangzhi.people.models import KeyCategory, KeyPerson, RevealRecord
from xiangzhi.regions.selectors import grid_filter_for_user

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


class PlaceOut(Schema):
    id: int
    kind: str
    name: str
    grid_code: str = Field(..., alias="grid.code")
    lon: float
    lat: float


@router.get("/key-people", response=list[KeyPersonOut], summary="重点人员（按权限范围）")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def key_person_list(request, category: str | None = None):
    # The registry is for the staff who visit; a resident never sees who in the village is listed.
    require(can_read_register(request.user), "无权查看重点人群")
    category_obj = KeyCategory.objects.filter(code=category).first() if category else None
    if category and category_obj is None:
        return KeyPerson.objects.none()
    return selectors.key_person_list_for_user(request.user, category=category_obj)


@router.get("/places", response=list[PlaceOut], summary="部件与场所（按权限范围）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def place_list(request, grid: str | None = None):
    return selectors.place_list_for_user(request.user, grid=grid_filter_for_user(request.user, grid))
