import datetime as dt
from typing import Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import field_error
from xiangzhi.core.inputs import require
from xiangzhi.people.selectors import household_get_for_user
from xiangzhi.points.selectors import redemption_window_list
from xiangzhi.regions.models import Region
from xiangzhi.shop import selectors, services
from xiangzhi.shop.errors import ShopError
from xiangzhi.shop.models import ShopItem, ShopOrder
from xiangzhi.shop.rules import can_run_shop, can_use_shop

router = Router(tags=["积分超市"])


# --- schemas ----------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    name: str
    kind: str
    kind_name: str = Field(..., alias="get_kind_display")
    unit: str
    price: int = Field(..., description="每单位所需积分")
    stock: int | None = Field(..., description="库存；null 表示不限量")
    limit_per_household: int | None = Field(..., description="每户每个兑换期最多兑换的数量；null 不限")
    is_active: bool
    sort: int
    note: str


class ItemIn(Schema):
    village: str = Field(..., description="村/社区区划代码")
    name: str = Field(..., max_length=services.NAME_MAX)
    kind: Literal["goods", "service", "honour"] = "goods"
    unit: str = Field("件", max_length=services.UNIT_MAX)
    price: int = Field(..., ge=1, le=services.MAX_PRICE)
    stock: int | None = Field(0, ge=0, le=services.MAX_STOCK, description="初始库存；服务、荣誉可为 null（不限量）")
    limit_per_household: int | None = Field(None, ge=1, le=services.MAX_QUANTITY)
    is_active: bool = True
    sort: int = Field(0, ge=0, le=32767)
    note: str = Field("", max_length=services.NOTE_MAX)


class ItemPatch(Schema):
    name: str | None = Field(None, max_length=services.NAME_MAX)
    kind: Literal["goods", "service", "honour"] | None = None
    unit: str | None = Field(None, max_length=services.UNIT_MAX)
    price: int | None = Field(None, ge=1, le=services.MAX_PRICE, description="只影响今后的兑换单")
    limit_per_household: int | None = Field(None, ge=1, le=services.MAX_QUANTITY, description="null 表示不限")
    is_active: bool | None = None
    sort: int | None = Field(None, ge=0, le=32767)
    note: str | None = Field(None, max_length=services.NOTE_MAX)


class StockIn(Schema):
    reason: Literal["restock", "adjust"] = Field("restock", description="restock 入库；adjust 盘点调整（须填说明）")
    quantity: int = Field(..., description="入库为正数；盘点调整可为负数")
    note: str = Field("", max_length=services.NOTE_MAX)


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str | None
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_actor(obj):
        return (obj.actor.full_name or obj.actor.username) if obj.actor_id else None


class OrderOut(Schema):
    id: int
    number: str
    village: str = Field(..., alias="village.code")
    household_id: int
    household_number: str = Field(..., alias="household.number")
    household_head: str = Field(..., alias="household.head_name")
    item_id: int
    item_name: str
    unit: str
    quantity: int
    price: int = Field(..., description="下单时的单价")
    points: int
    status: str
    status_name: str = Field(..., alias="get_status_display")
    window_opens_on: dt.date = Field(..., alias="window.opens_on")
    window_closes_on: dt.date = Field(..., alias="window.closes_on")
    reserved_at: dt.datetime
    handed_over_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    redemption_id: int | None
    refund_id: int | None


class OrderDetailOut(OrderOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.select_related("actor").order_by("at", "id"))


class OrderIn(Schema):
    item: int = Field(..., description="商品 id")
    household: int | None = Field(None, description="户 id；村民不填即本户，工作人员代为兑换时必填")
    quantity: int = Field(1, ge=1, le=services.MAX_QUANTITY)


class HandOverIn(Schema):
    note: str = Field("", max_length=services.NOTE_MAX)


class CancelIn(Schema):
    reason: str = Field("", max_length=services.NOTE_MAX, description="工作人员取消时必填")


class WindowOut(Schema):
    id: int
    township: str = Field(..., alias="township.code")
    opens_on: dt.date
    closes_on: dt.date
    state: str
    note: str
    is_open: bool

    @staticmethod
    def resolve_is_open(obj):
        return obj.opens_on <= timezone.localdate() <= obj.closes_on


# --- helpers ----------------------------------------------------------------------------------


def _village(user, code: str | None) -> Region:
    if code:
        return selectors.shop_village_get_for_user(user, code)
    village = selectors.shop_village_get_own(user) or selectors.shop_village_list_for_user(user).first()
    if village is None:
        raise ShopError("请用 village 参数指定村/社区", fields=field_error("village", "必填"))
    return village


def _item(request, item_id: int) -> ShopItem:
    return selectors.shop_item_get_for_user(request.user, item_id)


def _order(request, order_id: int) -> ShopOrder:
    return selectors.shop_order_get_for_user(request.user, order_id)


# --- the shelf --------------------------------------------------------------------------------


@router.get("/items", response=list[ItemOut], summary="某村积分超市的商品（村民只见上架的）")
def item_list(request, village: str | None = None):
    user = request.user
    require(can_use_shop(user), "无权查看积分超市")
    node = _village(user, village)
    staff = can_run_shop(user) and scope_of(user).covers_path(node.path)
    return selectors.shop_item_list(node, active_only=not staff).select_related("village")


@router.post("/items", response={201: ItemOut}, summary="上架商品（初始库存记为入库）")
def item_create(request, payload: ItemIn):
    require(can_run_shop(request.user), services.STAFF_ONLY)
    village = selectors.shop_village_get_for_user(request.user, payload.village)
    data = payload.dict(exclude={"village"})
    item = services.shop_item_create(actor=request.user, village=village, **data)
    return Status(201, _item(request, item.pk))


@router.patch("/items/{item_id}", response=ItemOut, summary="修改商品（价格变动不影响已有兑换单）")
def item_update(request, item_id: int, payload: ItemPatch):
    item = _item(request, item_id)
    services.shop_item_update(actor=request.user, item=item, **payload.dict(exclude_unset=True))
    return _item(request, item_id)


@router.post("/items/{item_id}/restock", response=ItemOut, summary="入库或盘点调整")
def item_restock(request, item_id: int, payload: StockIn):
    item = _item(request, item_id)
    if payload.reason == "restock":
        services.shop_item_restock(actor=request.user, item=item, quantity=payload.quantity, note=payload.note)
    else:
        services.shop_item_adjust(actor=request.user, item=item, delta=payload.quantity, note=payload.note)
    return _item(request, item_id)


# --- orders -----------------------------------------------------------------------------------


@router.post("/orders", response={200: OrderDetailOut, 201: OrderDetailOut},
             summary="预订兑换（兑换期内；支持 Idempotency-Key，重放返回第一次的兑换单）")
def order_create(request, payload: OrderIn):
    user = request.user
    require(can_use_shop(user), "无权使用积分超市")
    household_id = payload.household or user.household_id
    if not household_id:
        raise ShopError("请指定户", fields=field_error("household", "必填"))
    household = household_get_for_user(user, household_id)
    result = services.shop_order_reserve(actor=user, household=household, item=_item(request, payload.item),
                                         quantity=payload.quantity,
                                         idempotency_key=request.headers.get("Idempotency-Key") or "")
    return Status(201 if result.created else 200, _order(request, result.order.pk))


@router.get("/orders", response=list[OrderOut], summary="兑换单（按权限范围；村民只见本户的）")
@paginate(PageNumberPagination, page_size=30, max_page_size=200)
def order_list(request, village: str | None = None, status: str | None = None, household: int | None = None,
               q: str = ""):
    user = request.user
    require(can_use_shop(user), "无权查看兑换单")
    node = Region.objects.filter(code=village).first() if village else None
    if village and node is None:
        return ShopOrder.objects.none()
    return selectors.shop_order_list_for_user(user, village=node, status=status, household_id=household, search=q)


@router.get("/orders/{order_id}", response=OrderDetailOut, summary="一张兑换单及其经过")
def order_get(request, order_id: int):
    return _order(request, order_id)


@router.post("/orders/{order_id}/hand-over", response=OrderDetailOut, summary="领取（工作人员在柜台发放）")
def order_hand_over(request, order_id: int, payload: HandOverIn):
    order = _order(request, order_id)
    services.shop_order_hand_over(actor=request.user, order=order, note=payload.note)
    return _order(request, order_id)


@router.post("/orders/{order_id}/cancel", response=OrderDetailOut,
             summary="取消（预订后、领取前；退还积分、退回库存）")
def order_cancel(request, order_id: int, payload: CancelIn):
    order = _order(request, order_id)
    services.shop_order_cancel(actor=request.user, order=order, reason=payload.reason)
    return _order(request, order_id)


# --- redemption windows -----------------------------------------------------------------------


# Windows are arranged through POST /points/redemption-windows (points.services.redemption_window_add).
@router.get("/windows", response=list[WindowOut], summary="兑换期（近期结束的、进行中的和将来的）")
def window_list(request, village: str | None = None):
    require(can_use_shop(request.user), "无权查看积分超市")
    return redemption_window_list(_village(request.user, village))
