import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Forbidden, IdempotencyConflict, NotFound, status_of
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.points.errors import InsufficientPoints
from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry
from xiangzhi.points.services import redemption_window_add
from xiangzhi.shop import services
from xiangzhi.shop.errors import (
    LimitExceeded,
    OrderDone,
    OutOfStock,
    ShopError,
    WindowClosed,
)
from xiangzhi.shop.models import OrderStatus, ShopItem, ShopOrder, ShopOrderEvent, ShopStockMove
from xiangzhi.shop.selectors import order_history_mismatch_list, stock_mismatch_list
from xiangzhi.shop.tests.conftest import assert_shop_holds, fund

pytestmark = pytest.mark.django_db


def reserve(county, item, who="resident", household="a1", quantity=1, **kw):
    return services.shop_order_reserve(actor=county.users[who], household=county.households[household], item=item,
                                       quantity=quantity, **kw)


def balance(county, key="a1") -> int:
    return PointsBalance.objects.get(pk=county.households[key].pk).approved_total


def stock(item) -> int | None:
    return ShopItem.objects.get(pk=item.pk).stock


def written():
    return (ShopOrder.objects.count(), ShopStockMove.objects.count(), ShopOrderEvent.objects.count(),
            PointsEntry.objects.filter(kind__in=[EntryKind.REDEMPTION, EntryKind.REFUND]).count())


# --- the happy path ---------------------------------------------------------------------------------


def test_a_reservation_takes_stock_and_points_and_leaves_every_row(county, shop):
    fund(county, "a1", 100)
    result = reserve(county, shop.powder, quantity=2)
    order = result.order
    assert result.created
    assert (order.status, order.quantity, order.price, order.points, order.item_name) == (
        "reserved", 2, 20, 40, "洗衣粉")
    assert order.number == f"{shop.window.opens_on:%y%m%d}-0001" and order.window == shop.window
    assert balance(county) == 60 and stock(shop.powder) == 8
    entry = order.redemption
    assert (entry.kind, entry.points, entry.source, entry.household_id) == (
        "redemption", -40, f"order:{order.pk}", county.households["a1"].pk)
    move = ShopStockMove.objects.get(order=order)
    assert (move.delta, move.reason, move.actor) == (-2, "reserve", county.users["resident"])
    (event,) = order.events.all()
    assert (event.action, event.from_status, event.to_status) == ("reserve", "", "reserved")
    assert reserve(county, shop.haircut).order.number.endswith("-0002")
    assert_shop_holds(county)


def test_staff_hand_over_once_and_a_handed_over_order_cannot_be_cancelled(county, shop):
    fund(county, "a1", 100)
    order = reserve(county, shop.oil).order
    done = services.shop_order_hand_over(actor=county.users["points_recorder"], order=order, note="本人领取")
    assert done.status == "handed_over" and done.handed_over_by == county.users["points_recorder"]
    assert [(e.action, e.from_status, e.to_status) for e in done.events.all()] == [
        ("reserve", "", "reserved"), ("hand_over", "reserved", "handed_over")]
    with pytest.raises(OrderDone, match="已领取，不能领取"):
        services.shop_order_hand_over(actor=county.users["village_cadre"], order=order)
    with pytest.raises(OrderDone, match="已领取，不能取消"):
        services.shop_order_cancel(actor=county.users["resident"], order=order)
    assert balance(county) == 50 and stock(shop.oil) == 2


def test_the_villager_cancels_refunds_and_restocks_exactly_once(county, shop):
    fund(county, "a1", 100)
    order = reserve(county, shop.powder, quantity=3).order
    cancelled = services.shop_order_cancel(actor=county.users["resident"], order=order)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "村民取消"
    refund = cancelled.refund
    assert (refund.kind, refund.points, refund.source) == ("refund", 60, f"order:{order.pk}")
    assert refund.status == "approved"  # refunds are not reviewed
    assert balance(county) == 100 and stock(shop.powder) == 10
    assert list(ShopStockMove.objects.filter(order=order).values_list("reason", "delta")) == [
        ("cancel", 3), ("reserve", -3)]
    with pytest.raises(OrderDone, match="已取消，不能取消"):
        services.shop_order_cancel(actor=county.users["village_cadre"], order=order, reason="重复")
    with pytest.raises(OrderDone):
        services.shop_order_hand_over(actor=county.users["village_cadre"], order=order)
    assert balance(county) == 100 and stock(shop.powder) == 10


def test_staff_cancel_with_a_reason_only_and_in_their_scope(county, shop):
    fund(county, "a1", 100)
    order = reserve(county, shop.powder).order
    with pytest.raises(ShopError, match="请填写取消原因"):
        services.shop_order_cancel(actor=county.users["village_cadre"], order=order)
    with pytest.raises(NotFound):
        services.shop_order_cancel(actor=county.users["township_staff_b"], order=order, reason="不在本镇")
    with pytest.raises(Forbidden):
        services.shop_order_cancel(actor=county.users["points_supervisor"], order=order, reason="监督员")
    done = services.shop_order_cancel(actor=county.users["township_staff"], order=order, reason="村民未来领取")
    assert done.cancel_reason == "村民未来领取" and done.cancelled_by == county.users["township_staff"]


# --- refusals -------------------------------------------------------------------------------------


def test_outside_a_window_nothing_is_taken_and_the_next_window_is_named(county, shop):
    fund(county, "a1", 100)
    before = written()
    later = timezone.now() + dt.timedelta(days=20)
    with pytest.raises(WindowClosed, match="下一个兑换期尚未安排") as refused:
        reserve(county, shop.powder, now=later)
    assert (refused.value.code, status_of(refused.value)) == ("window_closed", 409)
    opens = timezone.localdate() + dt.timedelta(days=30)
    redemption_window_add(actor=county.users["county_admin"], township=county.town_a, opens_on=opens,
                          closes_on=opens + dt.timedelta(days=5))
    with pytest.raises(WindowClosed, match=f"下一个兑换期：{day_text(opens)}至"):
        reserve(county, shop.powder, now=later)
    fund(county, "b1", 20)
    with pytest.raises(WindowClosed):  # 古城镇 has no window at all
        reserve(county, shop.salt, who="township_staff_b", household="b1")
    assert written() == before and stock(shop.powder) == 10 and balance(county) == 100


def test_too_few_points_writes_nothing(county, shop):
    fund(county, "a1", 30)
    before = written()
    with pytest.raises(InsufficientPoints, match="积分不足：兑换“食用油”×1 需 50 分，该户现有 30 分") as refused:
        reserve(county, shop.oil)
    assert (refused.value.code, status_of(refused.value)) == ("insufficient_points", 409)
    assert written() == before and stock(shop.oil) == 3 and balance(county) == 30
    with pytest.raises(InsufficientPoints, match="现有 0 分"):
        reserve(county, shop.haircut, household="a1_micro", who="village_cadre")  # no points at all


def test_out_of_stock_writes_nothing(county, shop):
    fund(county, "a1", 200)
    fund(county, "a1_micro", 200)
    before = written()
    with pytest.raises(OutOfStock, match="库存不足：“洗衣粉”仅剩 10 袋") as refused:
        reserve(county, shop.powder, quantity=11)
    assert (refused.value.code, status_of(refused.value)) == ("out_of_stock", 409)
    assert written() == before
    reserve(county, shop.powder, quantity=6)
    reserve(county, shop.powder, who="village_cadre", household="a1_micro", quantity=4)
    before = written()
    with pytest.raises(OutOfStock, match="仅剩 0 袋"):
        reserve(county, shop.powder)
    assert written() == before and stock(shop.powder) == 0 and balance(county) == 80


def test_the_limit_per_household_per_window_counts_live_orders_only(county, shop):
    fund(county, "a1", 300)
    first = reserve(county, shop.oil).order
    with pytest.raises(LimitExceeded, match="每户每期最多兑换 1 桶，本户本期已兑换 1 桶") as refused:
        reserve(county, shop.oil)
    assert refused.value.code == "limit_exceeded"
    services.shop_order_cancel(actor=county.users["resident"], order=first)
    reserve(county, shop.oil)  # the cancelled one no longer counts
    reserve(county, shop.haircut, quantity=2)
    with pytest.raises(LimitExceeded):
        reserve(county, shop.haircut)


def test_inactive_items_and_other_villages_items_are_refused(county, shop):
    fund(county, "a1", 100)
    services.shop_item_update(actor=county.users["village_cadre"], item=shop.powder, is_active=False)
    with pytest.raises(ShopError, match="已下架") as refused:
        reserve(county, shop.powder)
    assert status_of(refused.value) == 409
    with pytest.raises(ShopError, match="不在本户所在村"):
        reserve(county, shop.salt)
    with pytest.raises(ShopError, match="数量"):
        reserve(county, shop.haircut, quantity=0)


def test_who_may_order_for_which_household(county, shop):
    fund(county, "a1", 100)
    fund(county, "a1_micro", 100)
    with pytest.raises(Forbidden, match="只能为本户兑换"):
        reserve(county, shop.powder, household="a1_micro")  # the villager, for a neighbour
    for role in ("grid_worker", "points_supervisor", "grid_chief"):
        with pytest.raises(Forbidden):
            reserve(county, shop.powder, who=role)
    with pytest.raises(NotFound):
        reserve(county, shop.powder, who="township_staff_b")
    for role in ("village_cadre", "points_recorder", "township_staff", "county_admin"):
        assert reserve(county, shop.powder, who=role, household="a1_micro").created
    assert balance(county, "a1_micro") == 20


def test_the_same_key_gives_the_first_order_back_and_a_different_order_is_a_conflict(county, shop):
    fund(county, "a1", 100)
    first = reserve(county, shop.powder, idempotency_key="tap-1")
    again = reserve(county, shop.powder, idempotency_key="tap-1")
    assert first.created and not again.created and again.order.pk == first.order.pk
    with pytest.raises(IdempotencyConflict) as refused:
        reserve(county, shop.powder, quantity=2, idempotency_key="tap-1")
    assert refused.value.code == "idempotency_conflict" and status_of(refused.value) == 409
    other = reserve(county, shop.powder, who="village_cadre", idempotency_key="tap-1")  # keys are per user
    assert other.created and other.order.pk != first.order.pk
    assert ShopOrder.objects.count() == 2 and balance(county) == 60


# --- the shelf ------------------------------------------------------------------------------------


def test_items_are_created_edited_and_restocked_by_staff_in_scope(county, shop):
    cadre = county.users["village_cadre"]
    with pytest.raises(ShopError, match="已有“洗衣粉”"):
        services.shop_item_create(actor=cadre, village=county.village_a1, name="洗衣粉", price=5)
    with pytest.raises(ShopError, match="商品须登记库存"):
        services.shop_item_create(actor=cadre, village=county.village_a1, name="酱油", price=5, stock=None)
    with pytest.raises(ShopError, match="所需积分"):
        services.shop_item_create(actor=cadre, village=county.village_a1, name="酱油", price=0)
    with pytest.raises(ShopError, match="按村"):
        services.shop_item_create(actor=cadre, village=county.town_a, name="酱油", price=5)
    for role, error in (("points_supervisor", Forbidden), ("resident", Forbidden),
                        ("grid_chief", Forbidden), ("township_staff_b", NotFound)):
        with pytest.raises(error):
            services.shop_item_create(actor=county.users[role], village=county.village_a1, name="酱油", price=5)
        with pytest.raises(error):
            services.shop_item_restock(actor=county.users[role], item=shop.powder, quantity=5)
    honour = services.shop_item_create(actor=county.users["township_staff"], village=county.village_a1,
                                       name="星级文明户挂牌", kind="honour", unit="块", price=200, stock=None)
    assert honour.stock is None and not honour.moves.exists()
    with pytest.raises(ShopError, match="不限量"):
        services.shop_item_restock(actor=cadre, item=honour, quantity=1)
    with pytest.raises(ShopError, match="不能改为商品"):
        services.shop_item_update(actor=cadre, item=honour, kind="goods")

    move = services.shop_item_restock(actor=county.users["points_recorder"], item=shop.powder, quantity=5,
                                      note="镇里配送")
    assert (move.delta, move.reason) == (5, "restock") and stock(shop.powder) == 15
    with pytest.raises(ShopError, match="调整原因"):
        services.shop_item_adjust(actor=cadre, item=shop.powder, delta=-2, note="")
    with pytest.raises(OutOfStock):
        services.shop_item_adjust(actor=cadre, item=shop.powder, delta=-16, note="盘点")
    services.shop_item_adjust(actor=cadre, item=shop.powder, delta=-2, note="受潮 2 袋")
    assert stock(shop.powder) == 13
    assert stock_mismatch_list() == []


def test_a_price_change_never_touches_past_orders(county, shop):
    fund(county, "a1", 100)
    order = reserve(county, shop.powder).order
    services.shop_item_update(actor=county.users["village_cadre"], item=shop.powder, price=25, name="立白洗衣粉")
    order.refresh_from_db()
    assert (order.price, order.points, order.item_name) == (20, 20, "洗衣粉")
    services.shop_order_cancel(actor=county.users["resident"], order=order)
    assert balance(county) == 100  # refunded at the price paid
    assert reserve(county, shop.powder).order.points == 25


# --- proofs -------------------------------------------------------------------------------------


def test_moves_and_events_are_append_only(county, shop):
    fund(county, "a1", 100)
    order = reserve(county, shop.powder).order
    move = ShopStockMove.objects.get(order=order)
    move.delta = -5
    with pytest.raises(AppendOnlyError):
        move.save()
    with pytest.raises(AppendOnlyError):
        ShopStockMove.objects.filter(pk=move.pk).update(delta=-5)
    with pytest.raises(AppendOnlyError):
        ShopStockMove.objects.filter(pk=move.pk).delete()
    with pytest.raises(AppendOnlyError):
        order.events.first().delete()


def test_the_checks_name_a_stock_or_status_changed_behind_the_services_back(county, shop):
    fund(county, "a1", 100)
    order = reserve(county, shop.powder).order
    ShopItem.objects.filter(pk=shop.powder.pk).update(stock=50)
    ShopOrder.objects.filter(pk=order.pk).update(status=OrderStatus.HANDED_OVER, handed_over_at=timezone.now())
    (mismatch,) = stock_mismatch_list()
    assert (mismatch.item_id, mismatch.stock, mismatch.moves) == (shop.powder.pk, 50, 9)
    assert order_history_mismatch_list() == [order.pk]
    ShopItem.objects.filter(pk=shop.powder.pk).update(stock=9)
    ShopOrder.objects.filter(pk=order.pk).update(status=OrderStatus.RESERVED, handed_over_at=None)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_postgresql_refuses_a_raw_update_of_a_move(county, shop):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="积分超市流水只能追加"), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE shop_shopstockmove SET delta = 99 WHERE item_id = %s", [shop.powder.pk])

