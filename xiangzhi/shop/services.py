"""Every change to the supermarket: the shelf, stock, and orders (reserve → hand over, or cancel).

Locking order, everywhere (the same as the points ledger's): the village's points ledger
(``points.services.ledger_lock``), then the order row, then the item's stock, then the household's
balance (which ``entry_redeem`` and ``entry_refund`` move). Stock moves with
``UPDATE … SET stock = stock + d WHERE stock >= -d``: zero rows means there is not enough, and the
whole change is refused. A reservation writes the order, its stock move, its redemption entry and
its event in one transaction: all or nothing.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Forbidden, NotFound, field_error
from xiangzhi.core.idempotency import KEY_MAX_LENGTH, check_replay, fingerprint
from xiangzhi.core.inputs import number, text
from xiangzhi.people.models import Household
from xiangzhi.points.errors import AlreadyDone, InsufficientPoints
from xiangzhi.points.selectors import household_balance, redemption_window_for, redemption_window_next
from xiangzhi.points.services import entry_redeem, entry_refund, ledger_lock
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.shop.errors import (
    LimitExceeded,
    OrderDone,
    OutOfStock,
    ShopConflict,
    ShopError,
    WindowClosed,
)
from xiangzhi.shop.models import (
    ItemKind,
    MoveReason,
    OrderAction,
    OrderStatus,
    ShopItem,
    ShopOrder,
    ShopOrderEvent,
    ShopStockMove,
)
from xiangzhi.shop.rules import can_run_shop
from xiangzhi.shop.selectors import order_quantity_in_window

NAME_MAX = 60
UNIT_MAX = 10
NOTE_MAX = 200
MAX_PRICE = 100_000
MAX_STOCK = 1_000_000
MAX_QUANTITY = 50  # one order; the item's per-household limit may be lower
STAFF_ONLY = "只有村两委、积分管理员和乡镇（街道）、区县管理人员可以管理积分超市"


class _Unset(Enum):
    """What ``shop_item_update`` takes for a field it leaves as it is."""

    UNSET = "unset"


UNSET: Final = _Unset.UNSET


@dataclass(frozen=True)
class OrderResult:
    order: ShopOrder
    created: bool


def _date(day: dt.date) -> str:
    return day_text(day)


def _staff_check(actor: User | None, village: Region, *, system_ok: bool = False) -> None:
    """``actor`` may run the counter of ``village``. None is the system (the demo, an import), which
    may stock a shelf but never acts on an order."""
    if actor is None:
        if system_ok:
            return
        raise Forbidden(STAFF_ONLY)
    if not can_run_shop(actor):
        raise Forbidden(STAFF_ONLY)
    if not scope_of(actor).covers_path(village.path):
        raise NotFound()


# --- the shelf ------------------------------------------------------------------------------------


# The kernel's checks of what people type, refusing as the supermarket.
_text = partial(text, error=ShopError)
_optional_number = partial(number, optional=True, error=ShopError)


def _number(value: object, name: str, label: str, *, low: int, high: int) -> int:
    n = number(value, name, label, low=low, high=high, error=ShopError)
    assert n is not None  # ``number`` gives None only where the value is optional
    return n


def _kind(kind: str | None) -> str:
    if kind not in ItemKind.values:
        raise ShopError("类别应为商品、服务或荣誉", fields=field_error("kind", "不是可选的值"))
    return kind


def _stock_move(*, item_id: int, delta: int, reason: str, actor: User | None = None, order: ShopOrder | None = None,
                note: str = "", now: dt.datetime) -> ShopStockMove:
    """Move an item's stock by ``delta`` and write the move, or refuse (changing nothing) if the
    stock would go below zero. Call inside a transaction."""
    rows = ShopItem.objects.filter(pk=item_id, stock__isnull=False)
    if delta < 0:
        rows = rows.filter(stock__gte=-delta)
    if not rows.update(stock=F("stock") + delta, updated_at=now):
        have = ShopItem.objects.filter(pk=item_id).values_list("name", "stock", "unit").first()
        if have is None or have[1] is None:
            raise ShopError("该项目不限量，没有库存可调整", fields=field_error("quantity", "不限量"))
        raise OutOfStock(f"库存不足：“{have[0]}”仅剩 {have[1]} {have[2]}")
    return ShopStockMove.objects.create(item_id=item_id, delta=delta, reason=reason, order=order, actor=actor,
                                        at=now, note=note[:NOTE_MAX])


def shop_item_create(
    *, actor: User | None, village: Region, name: str, price: int, kind: str = ItemKind.GOODS, unit: str = "件",
    stock: int | None = 0, limit_per_household: int | None = None, is_active: bool = True, sort: int = 0,
    note: str = "", now: dt.datetime | None = None,
) -> ShopItem:
    """Put an item on a village's shelf. Goods keep stock (``stock`` is what comes in first, as a
    restock move); a service or honour may be unlimited (``stock=None``)."""
    if village.level != RegionLevel.VILLAGE:
        raise ShopError("积分超市按村（社区）设立", fields=field_error("village", "不是村/社区"))
    _staff_check(actor, village, system_ok=True)
    kind = _kind(kind)
    name = _text(name, "name", "名称", NAME_MAX, required=True)
    unit = _text(unit, "unit", "单位", UNIT_MAX, required=True)
    note = _text(note, "note", "说明", NOTE_MAX)
    price = _number(price, "price", "所需积分", low=1, high=MAX_PRICE)
    if stock is None and kind == ItemKind.GOODS:
        raise ShopError("商品须登记库存（服务、荣誉可不限量）", fields=field_error("stock", "必填"))
    stock = _optional_number(stock, "stock", "库存", low=0, high=MAX_STOCK)
    limit = _optional_number(limit_per_household, "limit_per_household", "每户每期限兑", low=1, high=MAX_QUANTITY)
    sort = _number(sort, "sort", "排序", low=0, high=32767)
    now = now or timezone.now()
    with transaction.atomic():
        if ShopItem.objects.filter(village=village, name=name).exists():
            raise ShopConflict(f"本村积分超市已有“{name}”", fields=field_error("name", "重复"), code="duplicate")
        item = ShopItem.objects.create(village=village, name=name, kind=kind, unit=unit, price=price,
                                       stock=None if stock is None else 0, limit_per_household=limit,
                                       is_active=bool(is_active), sort=sort, note=note)
        if stock:
            _stock_move(item_id=item.pk, delta=stock, reason=MoveReason.RESTOCK, actor=actor, note="上架入库", now=now)
            item.stock = stock
    return item


def shop_items_import(items: list[ShopItem], *, insert: Callable[[type[Any], list[Any]], list[Any]] = bulk_insert,
                      now: dt.datetime | None = None) -> list[ShopStockMove]:
    """Put many items on shelves at once (the demo county): each item's opening stock is written as
    a restock move (上架入库), so its stock equals its moves as if it had been put up through
    ``shop_item_create``. Nothing is checked: the items must already keep the shelf's rules."""
    now = now or timezone.now()
    items = insert(ShopItem, items)
    moves = [ShopStockMove(item_id=item.pk, delta=item.stock, reason=MoveReason.RESTOCK, at=now, note="上架入库")
             for item in items if item.stock]
    insert(ShopStockMove, moves)
    return moves


def shop_item_update(
    *, actor: User | None, item: ShopItem, name: str | _Unset | None = UNSET, kind: str | _Unset | None = UNSET,
    unit: str | _Unset | None = UNSET, price: int | _Unset | None = UNSET,
    limit_per_household: int | _Unset | None = UNSET, is_active: bool | _Unset | None = UNSET,
    sort: int | _Unset | None = UNSET, note: str | _Unset | None = UNSET,
) -> ShopItem:
    """Change what the shelf shows. Stock changes only by restock and adjustment; orders already
    placed keep their price."""
    _staff_check(actor, item.village, system_ok=True)
    changed = []
    if name is not UNSET:
        item.name = _text(name, "name", "名称", NAME_MAX, required=True)
        if ShopItem.objects.filter(village_id=item.village_id, name=item.name).exclude(pk=item.pk).exists():
            raise ShopConflict(f"本村积分超市已有“{item.name}”", fields=field_error("name", "重复"), code="duplicate")
        changed.append("name")
    if kind is not UNSET:
        item.kind = _kind(kind)
        if item.kind == ItemKind.GOODS and item.stock is None:
            raise ShopError("不限量的项目不能改为商品", fields=field_error("kind", "商品须有库存"))
        changed.append("kind")
    if unit is not UNSET:
        item.unit = _text(unit, "unit", "单位", UNIT_MAX, required=True)
        changed.append("unit")
    if price is not UNSET:
        item.price = _number(price, "price", "所需积分", low=1, high=MAX_PRICE)
        changed.append("price")
    if limit_per_household is not UNSET:
        item.limit_per_household = _optional_number(limit_per_household, "limit_per_household", "每户每期限兑",
                                                    low=1, high=MAX_QUANTITY)
        changed.append("limit_per_household")
    if is_active is not UNSET:
        item.is_active = bool(is_active)
        changed.append("is_active")
    if sort is not UNSET:
        item.sort = _number(sort, "sort", "排序", low=0, high=32767)
        changed.append("sort")
    if note is not UNSET:
        item.note = _text(note, "note", "说明", NOTE_MAX)
        changed.append("note")
    if changed:
        item.save(update_fields=[*changed, "updated_at"])  # never ``stock``: it moves only by UPDATE
    return item


def shop_item_restock(*, actor: User | None, item: ShopItem, quantity: int, note: str = "",
                      now: dt.datetime | None = None) -> ShopStockMove:
    """入库: goods come in."""
    _staff_check(actor, item.village, system_ok=True)
    quantity = _number(quantity, "quantity", "入库数量", low=1, high=MAX_STOCK)
    note = _text(note, "note", "说明", NOTE_MAX)
    with transaction.atomic():
        move = _stock_move(item_id=item.pk, delta=quantity, reason=MoveReason.RESTOCK, actor=actor, note=note,
                     now=now or timezone.now())
    item.refresh_from_db(fields=["stock", "updated_at"])
    return move


def shop_item_adjust(*, actor: User | None, item: ShopItem, delta: int, note: str,
                     now: dt.datetime | None = None) -> ShopStockMove:
    """盘点调整: the count on the shelf differs from the book (broken, spoiled, miscounted). Needs a
    reason; never takes stock below zero."""
    _staff_check(actor, item.village, system_ok=True)
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0 or abs(delta) > MAX_STOCK:
        raise ShopError("调整数量应为非零整数", fields=field_error("delta", "不能为 0"))
    note = _text(note, "note", "调整原因", NOTE_MAX, required=True)
    with transaction.atomic():
        move = _stock_move(item_id=item.pk, delta=delta, reason=MoveReason.ADJUST, actor=actor, note=note,
                     now=now or timezone.now())
    item.refresh_from_db(fields=["stock", "updated_at"])
    return move


# --- orders ---------------------------------------------------------------------------------------


def _replay(actor: User, key: str, request_hash: str) -> OrderResult | None:
    order = ShopOrder.objects.filter(reserved_by=actor, idempotency_key=key).first()
    if order is None:
        return None
    check_replay(order.request_hash, request_hash, "兑换")
    return OrderResult(order, False)


def _window_closed(village: Region, today: dt.date) -> WindowClosed:
    upcoming = redemption_window_next(village, today)
    then = (f"下一个兑换期：{_date(upcoming.opens_on)}至{_date(upcoming.closes_on)}" if upcoming
            else "下一个兑换期尚未安排")
    return WindowClosed(f"积分超市现在不在兑换期内，暂不能兑换；{then}")


def _event_add(order: ShopOrder, action: str, from_status: str, actor: User, now: dt.datetime,
               note: str = "") -> ShopOrderEvent:
    return ShopOrderEvent.objects.create(order=order, action=action, from_status=from_status, to_status=order.status,
                                         actor=actor, at=now, note=note[:NOTE_MAX])


def shop_order_reserve(*, actor: User, household: Household, item: ShopItem, quantity: int = 1,
                       idempotency_key: str = "", now: dt.datetime | None = None) -> OrderResult:
    """预订: a villager for their own household, or staff at the counter for a household under
    them, inside a redemption window. Takes the stock and the points at once; a retry with the same
    Idempotency-Key and the same order returns the first order."""
    own = bool(actor.household_id) and actor.household_id == household.pk
    if not own:
        if not can_run_shop(actor):
            raise Forbidden("只能为本户兑换")
        if not scope_of(actor).covers_path(household.grid.path):
            raise NotFound()
    key = (idempotency_key or "").strip()
    if len(key) > KEY_MAX_LENGTH:
        raise ShopError(f"Idempotency-Key 不能超过 {KEY_MAX_LENGTH} 个字符")
    request_hash = fingerprint(("order", household.pk, item.pk, quantity))
    if key and (replay := _replay(actor, key, request_hash)):
        return replay
    village = household.grid.region
    if item.village_id != village.pk:
        raise ShopError("该项目不在本户所在村的积分超市", fields=field_error("item", "不是本村的"))
    quantity = _number(quantity, "quantity", "数量", low=1, high=MAX_QUANTITY)
    now = now or timezone.now()
    today = timezone.localdate(now)
    window = redemption_window_for(village, today)
    if window is None:
        raise _window_closed(village, today)
    try:
        with transaction.atomic():
            ledger_lock(village.pk)
            if key and (replay := _replay(actor, key, request_hash)):
                return replay
            item = ShopItem.objects.get(pk=item.pk)  # as it is now: price, limit and shelf state
            if not item.is_active:
                raise ShopConflict(f"“{item.name}”已下架", code="item_inactive")
            if item.limit_per_household is not None:
                had = order_quantity_in_window(household.pk, item.pk, window.pk)
                if had + quantity > item.limit_per_household:
                    raise LimitExceeded(f"超出限兑：“{item.name}”每户每期最多兑换 {item.limit_per_household} "
                                        f"{item.unit}，本户本期已兑换 {had} {item.unit}",
                                        fields=field_error("quantity", "超出限兑"))
            seq = ShopOrder.objects.filter(village=village, window=window).count() + 1
            order = ShopOrder.objects.create(
                village=village, number=f"{window.opens_on:%y%m%d}-{seq:04d}", household=household, item=item,
                item_name=item.name, unit=item.unit, quantity=quantity, price=item.price,
                points=item.price * quantity, window=window, reserved_by=actor, reserved_at=now,
                idempotency_key=key, request_hash=request_hash,
            )
            if item.stock is not None:
                _stock_move(item_id=item.pk, delta=-quantity, reason=MoveReason.RESERVE, actor=actor, order=order,
                            note=order.number, now=now)
            try:
                order.redemption = entry_redeem(
                    village_id=village.pk, household_id=household.pk, points=order.points, actor=actor,
                    source=f"order:{order.pk}", note=f"积分超市兑换：{item.name}×{quantity}（{order.number}）", now=now,
                )
            except InsufficientPoints:
                raise InsufficientPoints(f"积分不足：兑换“{item.name}”×{quantity} 需 {order.points} 分，"
                                         f"该户现有 {household_balance(household.pk)} 分") from None
            order.save(update_fields=["redemption"])
            _event_add(order, OrderAction.RESERVE, "", actor, now)
    except IntegrityError:
        if key and (replay := _replay(actor, key, request_hash)):
            return replay
        raise
    order.household = household
    return OrderResult(order, True)


def _status_refusal(order: ShopOrder, verb: str) -> OrderDone:
    return OrderDone(f"兑换单 {order.number} {OrderStatus(order.status).label}，不能{verb}")


def shop_order_hand_over(*, actor: User, order: ShopOrder, note: str = "", now: dt.datetime | None = None) -> ShopOrder:
    """领取: staff of the village hand the goods over; each order once."""
    _staff_check(actor, order.village)
    note = _text(note, "note", "说明", NOTE_MAX)
    now = now or timezone.now()
    with transaction.atomic():
        done = ShopOrder.objects.filter(pk=order.pk, status=OrderStatus.RESERVED).update(
            status=OrderStatus.HANDED_OVER, handed_over_by=actor, handed_over_at=now)
        order.refresh_from_db()
        if not done:
            raise _status_refusal(order, "领取")
        _event_add(order, OrderAction.HAND_OVER, OrderStatus.RESERVED, actor, now, note)
    return order


def shop_order_cancel(*, actor: User, order: ShopOrder, reason: str = "", now: dt.datetime | None = None) -> ShopOrder:
    """取消: the household's villager while the order waits, or staff with a reason. Refunds the
    points and puts the stock back, once."""
    own = bool(actor.household_id) and actor.household_id == order.household_id
    if not own:
        _staff_check(actor, order.village)
    reason = _text(reason, "reason", "取消原因", NOTE_MAX, required=not own)
    if not own and len(reason) < 2:
        raise ShopError("请填写取消原因", fields=field_error("reason", "必填"))
    now = now or timezone.now()
    with transaction.atomic():
        ledger_lock(order.village_id)
        order = ShopOrder.objects.select_for_update().select_related("item", "village", "household").get(pk=order.pk)
        if order.status != OrderStatus.RESERVED:
            raise _status_refusal(order, "取消")
        if order.item.stock is not None:
            _stock_move(item_id=order.item_id, delta=order.quantity, reason=MoveReason.CANCEL, actor=actor,
                        order=order, note=order.number, now=now)
        try:
            order.refund = entry_refund(
                village_id=order.village_id, household_id=order.household_id, points=order.points, actor=actor,
                source=f"order:{order.pk}", note=f"积分超市取消兑换，退还积分（{order.number}）", now=now,
            )
        except AlreadyDone:
            raise OrderDone(f"兑换单 {order.number} 的积分已退还") from None
        order.status = OrderStatus.CANCELLED
        order.cancelled_by, order.cancelled_at, order.cancel_reason = actor, now, reason or "村民取消"
        order.save(update_fields=["status", "refund", "cancelled_by", "cancelled_at", "cancel_reason"])
        _event_add(order, OrderAction.CANCEL, OrderStatus.RESERVED, actor, now, order.cancel_reason)
    return order
