import datetime as dt

from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.people import selectors, services
from xiangzhi.people.models import RevealRecord
from xiangzhi.regions.selectors import grid_get_for_user

router = Router(tags=["人口"])


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: dt.date
    relation: str
    id_number: str = Field(..., alias="id_number_masked", description="脱敏后的身份证号")
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
    grid_obj = grid_get_for_user(request.user, grid) if grid else None
    return selectors.household_list_for_user(request.user, grid=grid_obj, search=q)


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
