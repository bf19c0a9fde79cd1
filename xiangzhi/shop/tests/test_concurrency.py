"""Many villagers at once, on PostgreSQL, with real threads each on its own connection: balance and
stock never go below zero, and a retried request makes one order."""


import pytest
from django.db import connection

from tests.concurrency import run_threads
from xiangzhi.points import selectors
from xiangzhi.points.errors import InsufficientPoints
from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry
from xiangzhi.shop import services
from xiangzhi.shop.errors import OutOfStock
from xiangzhi.shop.models import ShopItem, ShopOrder
from xiangzhi.shop.selectors import stock_mismatch_list
from xiangzhi.shop.tests.conftest import fund

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL property; SQLite serialises writers"),
]
# PostgreSQL allows 100 connections and other test runs share the server: at most 50 threads, and
# where a test wants more attempts than that, each thread makes several, all released together.
THREADS = 50


def test_100_one_point_redemptions_against_10_points_take_exactly_10(county, shop):
    fund(county, "a1", 10)
    stamp = services.shop_item_create(actor=county.users["village_cadre"], village=county.village_a1,
                                      name="积分纪念贴", kind="service", unit="张", price=1, stock=None)
    villager, household = county.users["resident"], county.households["a1"]

    def redeem(_):
        return services.shop_order_reserve(actor=villager, household=household, item=stamp).order.pk

    results, errors = run_threads(THREADS, redeem, each=2)
    assert len(results) == 10 and len(errors) == 90
    assert all(isinstance(e, InsufficientPoints) for e in errors), {type(e) for e in errors}
    assert PointsBalance.objects.get(pk=household.pk).approved_total == 0
    assert ShopOrder.objects.count() == 10
    assert PointsEntry.objects.filter(kind=EntryKind.REDEMPTION).count() == 10
    assert selectors.balance_mismatch_list() == [] and selectors.ledger_verify(county.village_a1) is None


def test_50_orders_for_the_last_5_in_stock_take_exactly_5(county, shop):
    fund(county, "a1", 500)
    fund(county, "a1_micro", 500)
    services.shop_item_adjust(actor=county.users["village_cadre"], item=shop.powder, delta=-5, note="只剩 5 袋")
    staff = [county.users[k] for k in ("village_cadre", "points_recorder", "township_staff", "county_admin")]
    buyers = [(county.users["resident"], county.households["a1"])] + [
        (u, county.households["a1_micro"]) for u in staff]

    def order(i):
        actor, household = buyers[i % len(buyers)]
        return services.shop_order_reserve(actor=actor, household=household, item=shop.powder).order.pk

    results, errors = run_threads(THREADS, order)
    assert len(results) == 5 and len(errors) == 45
    assert all(isinstance(e, OutOfStock) for e in errors), {type(e) for e in errors}
    assert ShopItem.objects.get(pk=shop.powder.pk).stock == 0
    assert stock_mismatch_list() == []
    spent = 1000 - sum(PointsBalance.objects.filter(
        pk__in=[county.households["a1"].pk, county.households["a1_micro"].pk]).values_list("approved_total", flat=True))
    assert spent == 5 * 20 and selectors.balance_mismatch_list() == []


def test_the_same_key_replayed_20_times_at_once_makes_one_order(county, shop):
    fund(county, "a1", 100)
    villager, household = county.users["resident"], county.households["a1"]

    def submit(_):
        r = services.shop_order_reserve(actor=villager, household=household, item=shop.powder, quantity=2,
                                        idempotency_key="tap-1")
        return r.order.pk, r.order.number, r.order.points, r.created

    results, errors = run_threads(20, submit)
    assert not errors, errors
    assert len(results) == 20 and len({r[:3] for r in results}) == 1
    assert sum(created for *_, created in results) == 1
    assert ShopOrder.objects.count() == 1 and PointsEntry.objects.filter(kind=EntryKind.REDEMPTION).count() == 1
    assert PointsBalance.objects.get(pk=household.pk).approved_total == 60
    assert ShopItem.objects.get(pk=shop.powder.pk).stock == 8
