import pytest

from tests.factories import UserFactory
from tests.web import as_user, post
from xiangzhi.accounts.models import Role
from xiangzhi.points.models import PointsBalance
from xiangzhi.shop import services
from xiangzhi.shop.models import ShopItem, ShopOrder
from xiangzhi.shop.tests.conftest import fund

pytestmark = pytest.mark.django_db


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_a_villager_orders_with_a_key_replays_it_and_cancels(client, county, shop):
    fund(county, "a1", 100)
    c = as_user(client, county, "resident")
    shelf = c.get("/api/v1/shop/items").json()
    assert [i["name"] for i in shelf] == ["洗衣粉", "食用油", "理发券"]
    assert shelf[2]["stock"] is None and shelf[1]["limit_per_household"] == 1 and shelf[0]["kind_name"] == "商品"
    body = {"item": shop.powder.pk, "quantity": 2}
    first = post(c, "/api/v1/shop/orders", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    order = first.json()
    assert (order["status"], order["points"], order["price"], order["item_name"], order["household_id"]) == (
        "reserved", 40, 20, "洗衣粉", county.households["a1"].pk)
    assert [e["action"] for e in order["events"]] == ["reserve"] and order["redemption_id"]
    again = post(c, "/api/v1/shop/orders", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json() == order
    assert error(post(c, "/api/v1/shop/orders", {**body, "quantity": 1}, **{"Idempotency-Key": "k-1"})) == (
        409, "idempotency_conflict")
    cancelled = post(c, f"/api/v1/shop/orders/{order['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [e["action"] for e in cancelled.json()["events"]] == ["reserve", "cancel"]
    assert error(post(c, f"/api/v1/shop/orders/{order['id']}/cancel", {})) == (409, "conflict")
    assert error(post(c, f"/api/v1/shop/orders/{order['id']}/hand-over", {})) == (403, "forbidden")
    assert PointsBalance.objects.get(pk=county.households["a1"].pk).approved_total == 100


def test_refusals_carry_their_codes(client, county, shop):
    fund(county, "a1", 60)
    c = as_user(client, county, "resident")
    assert error(post(c, "/api/v1/shop/orders", {"item": shop.powder.pk, "quantity": 11})) == (409, "out_of_stock")
    assert post(c, "/api/v1/shop/orders", {"item": shop.oil.pk}).status_code == 201
    limited = post(c, "/api/v1/shop/orders", {"item": shop.oil.pk})
    assert error(limited) == (409, "limit_exceeded") and "每户每期最多兑换 1 桶" in limited.json()["error"]["message"]
    poor = post(c, "/api/v1/shop/orders", {"item": shop.powder.pk})
    assert error(poor) == (409, "insufficient_points") and "现有 10 分" in poor.json()["error"]["message"]
    assert error(post(c, "/api/v1/shop/orders", {"item": shop.powder.pk, "quantity": 0})) == (422, "invalid")
    assert error(post(c, "/api/v1/shop/orders", {"item": shop.salt.pk})) == (404, "not_found")  # another village
    villager_b = UserFactory(role=Role.RESIDENT, household=county.households["b1"])
    fund(county, "b1", 20)
    client.force_login(villager_b)
    closed = post(client, "/api/v1/shop/orders", {"item": shop.salt.pk})
    assert error(closed) == (409, "window_closed") and "下一个兑换期尚未安排" in closed.json()["error"]["message"]
    assert ShopOrder.objects.count() == 1


def test_staff_run_the_shelf_and_the_counter(client, county, shop):
    fund(county, "a1_micro", 100)
    c = as_user(client, county, "village_cadre")
    created = post(c, "/api/v1/shop/items", {"village": county.village_a1.code, "name": "酱油", "unit": "瓶",
                                              "price": 12, "stock": 20, "limit_per_household": 2})
    assert created.status_code == 201, created.content
    item = created.json()
    assert (item["stock"], item["village"], item["price"]) == (20, county.village_a1.code, 12)
    dup = post(c, "/api/v1/shop/items", {"village": county.village_a1.code, "name": "酱油", "price": 3})
    assert error(dup) == (409, "duplicate") and "已有“酱油”" in dup.json()["error"]["message"]
    patched = c.patch(f"/api/v1/shop/items/{item['id']}", {"price": 15, "limit_per_household": None},
                      content_type="application/json").json()
    assert (patched["price"], patched["limit_per_household"], patched["unit"]) == (15, None, "瓶")
    assert post(c, f"/api/v1/shop/items/{item['id']}/restock", {"quantity": 5}).json()["stock"] == 25
    adjust = {"reason": "adjust", "quantity": -3, "note": "破损 3 瓶"}
    assert post(c, f"/api/v1/shop/items/{item['id']}/restock", adjust).json()["stock"] == 22
    assert error(post(c, f"/api/v1/shop/items/{item['id']}/restock", {**adjust, "quantity": -30})) == (
        409, "out_of_stock")
    assert error(post(c, f"/api/v1/shop/items/{item['id']}/restock", {**adjust, "note": ""})) == (422, "invalid")

    counter = post(c, "/api/v1/shop/orders", {"item": item["id"], "household": county.households["a1_micro"].pk,
                                              "quantity": 2})
    assert counter.status_code == 201 and counter.json()["points"] == 30
    assert error(post(c, "/api/v1/shop/orders", {"item": item["id"]})) == (422, "invalid")  # which household?
    order_id = counter.json()["id"]
    listed = c.get(f"/api/v1/shop/orders?village={county.village_a1.code}&status=reserved&q=李秀英").json()
    assert [o["id"] for o in listed["items"]] == [order_id]
    handed = post(c, f"/api/v1/shop/orders/{order_id}/hand-over", {"note": "本人领取"}).json()
    assert handed["status"] == "handed_over" and handed["events"][-1]["note"] == "本人领取"
    assert ShopItem.objects.get(pk=item["id"]).stock == 20


def test_villagers_see_their_own_orders_and_shelf_only(client, county, shop):
    fund(county, "a1", 100)
    fund(county, "a1_micro", 100)
    mine = services.shop_order_reserve(actor=county.users["resident"], household=county.households["a1"],
                                       item=shop.powder).order
    theirs = services.shop_order_reserve(actor=county.users["village_cadre"], household=county.households["a1_micro"],
                                         item=shop.powder).order
    services.shop_item_update(actor=county.users["village_cadre"], item=shop.haircut, is_active=False)
    c = as_user(client, county, "resident")
    assert [o["id"] for o in c.get("/api/v1/shop/orders").json()["items"]] == [mine.pk]
    assert c.get(f"/api/v1/shop/orders/{theirs.pk}").status_code == 404
    assert [i["name"] for i in c.get("/api/v1/shop/items").json()] == ["洗衣粉", "食用油"]
    assert c.get(f"/api/v1/shop/items?village={county.village_b1.code}").status_code == 404
    staff = as_user(client, county, "points_recorder")
    assert len(staff.get("/api/v1/shop/items").json()) == 3  # staff see what is off the shelf too
    assert {o["id"] for o in staff.get("/api/v1/shop/orders").json()["items"]} == {mine.pk, theirs.pk}
    assert as_user(client, county, "township_staff_b").get("/api/v1/shop/orders").json()["items"] == []
    windows = as_user(client, county, "resident").get("/api/v1/shop/windows").json()
    assert [(w["id"], w["is_open"]) for w in windows] == [(shop.window.pk, True)]


def test_wrong_roles_and_scopes_are_refused(client, county, shop):
    fund(county, "a1", 100)
    order = services.shop_order_reserve(actor=county.users["resident"], household=county.households["a1"],
                                        item=shop.powder).order
    item_body = {"village": county.village_a1.code, "name": "醋", "price": 8, "stock": 3}
    for role in ("grid_worker", "points_supervisor", "department_staff", "grid_guide"):
        c = as_user(client, county, role)
        assert c.get("/api/v1/shop/items").status_code == 403
        assert post(c, "/api/v1/shop/items", item_body).status_code == 403
        assert post(c, "/api/v1/shop/orders", {"item": shop.powder.pk,
                                              "household": county.households["a1"].pk}).status_code in (403, 404)
        assert post(c, f"/api/v1/shop/orders/{order.pk}/hand-over", {}).status_code == 404
    c = as_user(client, county, "township_staff_b")
    assert post(c, "/api/v1/shop/items", item_body).status_code == 404
    assert c.patch(f"/api/v1/shop/items/{shop.powder.pk}", {"price": 1},
                   content_type="application/json").status_code == 404
    assert post(c, f"/api/v1/shop/items/{shop.powder.pk}/restock", {"quantity": 1}).status_code == 404
    assert post(c, f"/api/v1/shop/orders/{order.pk}/cancel", {"reason": "越权"}).status_code == 404
    c = as_user(client, county, "resident")
    assert post(c, "/api/v1/shop/items", item_body).status_code == 403
    assert c.patch(f"/api/v1/shop/items/{shop.powder.pk}", {"price": 1},
                   content_type="application/json").status_code == 403
    assert ShopItem.objects.get(pk=shop.powder.pk).price == 20


def test_the_order_list_costs_the_same_whatever_its_length(client, county, shop, django_assert_max_num_queries):
    fund(county, "a1", 200)
    c = as_user(client, county, "village_cadre")
    c.get("/api/v1/shop/orders")  # warm the session and the scope
    for _ in range(6):
        services.shop_order_reserve(actor=county.users["resident"], household=county.households["a1"],
                                    item=shop.haircut if _ < 2 else shop.powder)
    with django_assert_max_num_queries(8):
        assert len(c.get("/api/v1/shop/orders").json()["items"]) == 6
    with django_assert_max_num_queries(8):
        assert len(c.get("/api/v1/shop/items").json()) == 3
