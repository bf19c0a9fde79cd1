import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.core.display import day_text
from xiangzhi.points.models import PointsBalance
from xiangzhi.points.services import redemption_window_add
from xiangzhi.shop import services
from xiangzhi.shop.models import ShopItem, ShopOrder
from xiangzhi.shop.tests.conftest import fund

pytestmark = pytest.mark.django_db


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def text(response) -> str:
    return response.content.decode()


def test_the_villager_sees_the_shelf_their_points_and_the_open_window(client, county, shop):
    fund(county, "a1", 120)
    page = text(login(client, county, "resident").get("/shop/"))
    assert "积分超市" in page and "东村" in page and 'data-testid="balance">120<' in page
    assert 'data-testid="window-open"' in page and "正在开放" in page
    assert page.count('data-testid="item-row"') == 3 and "食盐" not in page
    assert "每户每期限兑 1 桶" in page and "不限量" in page and page.count(">兑换</button>") == 3
    assert "还没有兑换记录" in page
    nav = [label for label, _ in client.get("/shop/").context["nav_items"]]
    assert "积分超市" in nav and "积分超市管理" not in nav


def test_only_what_the_household_can_afford_offers_a_button(client, county, shop):
    fund(county, "a1", 30)  # powder 20, oil 50
    c = login(client, county, "resident")
    rows = {row.split("</div>")[0]: row for row in text(c.get("/shop/")).split('data-testid="item-row"')[1:]}
    powder = next(row for name, row in rows.items() if "洗衣粉" in name)
    oil = next(row for name, row in rows.items() if "食用油" in name)
    assert ">兑换</button>" in powder and 'data-testid="short"' not in powder
    assert ">兑换</button>" not in oil and "我家积分不够兑换这一项" in oil


def test_the_villager_reserves_once_per_form_and_cancels(client, county, shop):
    fund(county, "a1", 120)
    c = login(client, county, "resident")
    form = {"item": shop.powder.pk, "quantity": "2", "submission_id": "form-1"}
    first = c.post("/shop/orders/", form)
    assert first.status_code == 302 and first.url == "/shop/"
    c.post("/shop/orders/", form)  # a double tap
    order = ShopOrder.objects.get()
    page = text(c.get("/shop/"))
    assert f"已预订：洗衣粉×2，扣除 40 分，兑换单号 {order.number}" in page
    assert 'data-testid="balance">80<' in page and page.count('data-testid="order-row"') == 1
    assert "取消兑换" in page
    c.post(f"/shop/orders/{order.pk}/cancel/")
    page = text(c.get("/shop/"))
    assert f"已取消兑换单 {order.number}，退还 40 分" in page and 'data-testid="balance">120<' in page
    assert "已退还积分" in page and "取消兑换</button>" not in page


def test_a_refusal_is_shown_and_nothing_is_written(client, county, shop):
    fund(county, "a1", 30)
    c = login(client, county, "resident")
    page = text(c.post("/shop/orders/", {"item": shop.oil.pk, "submission_id": "x"}, follow=True))
    assert "未能兑换“食用油”：积分不足：兑换“食用油”×1 需 50 分，该户现有 30 分" in page
    page = text(c.post("/shop/orders/", {"item": shop.powder.pk, "quantity": "abc"}, follow=True))
    assert "数量应为整数" in page
    assert not ShopOrder.objects.exists() and ShopItem.objects.get(pk=shop.oil.pk).stock == 3
    assert PointsBalance.objects.get(pk=county.households["a1"].pk).approved_total == 30


def test_outside_a_window_the_page_says_when_the_next_one_opens(client, county, shop):
    villager = UserFactory(role=Role.RESIDENT, household=county.households["b1"])
    opens = timezone.localdate() + dt.timedelta(days=40)
    redemption_window_add(actor=county.users["township_staff_b"], township=county.town_b, opens_on=opens,
                          closes_on=opens + dt.timedelta(days=9))
    client.force_login(villager)
    page = text(client.get("/shop/"))
    assert 'data-testid="window-closed"' in page and f"下一个兑换期：{day_text(opens)}至" in page
    assert "食盐" in page and ">兑换</button>" not in page
    page = text(client.post("/shop/orders/", {"item": shop.salt.pk}, follow=True))
    assert "现在不在兑换期内" in page and not ShopOrder.objects.exists()


def test_staff_without_a_household_land_on_the_counter_and_others_are_refused(client, county, shop):
    assert login(client, county, "points_recorder").get("/shop/").url == "/shop/manage/"
    nav = [label for label, _ in client.get("/shop/manage/").context["nav_items"]]
    assert "积分超市管理" in nav and "积分超市" not in nav
    for role in ("grid_worker", "points_supervisor", "department_staff"):
        assert login(client, county, role).get("/shop/").status_code == 403
        assert client.get("/shop/manage/").status_code == 403
    c = login(client, county, "township_staff_b")
    assert c.get(f"/shop/manage/?village={county.village_a1.code}").status_code == 404
    assert "南村" in text(c.get("/shop/manage/"))


def test_the_counter_lists_searches_and_hands_over(client, county, shop):
    fund(county, "a1", 100)
    fund(county, "a1_micro", 100)
    mine = services.shop_order_reserve(actor=county.users["resident"], household=county.households["a1"],
                                       item=shop.powder).order
    c = login(client, county, "village_cadre")
    counter = c.post("/shop/orders/", {"item": shop.oil.pk, "household": "李秀英", "back": "manage",
                                       "submission_id": "counter-1"})
    assert counter.url == f"/shop/manage/?village={county.village_a1.code}"
    theirs = ShopOrder.objects.get(household=county.households["a1_micro"])
    page = text(c.get("/shop/manage/"))
    assert page.count('data-testid="awaiting-row"') == 2 and mine.number in page and theirs.number in page
    assert page.count('data-testid="item-row"') == 3 and "库存 <strong>9</strong>" in page
    assert "安排兑换期" not in page  # windows are the township's
    found = text(c.get(f"/shop/manage/orders/?village={county.village_a1.code}&q=李秀英",
                       headers={"HX-Request": "true"}))
    assert found.count('data-testid="awaiting-row"') == 1 and theirs.number in found and "<html" not in found
    by_number = text(c.get(f"/shop/manage/?q={mine.number[-4:]}"))
    assert by_number.count('data-testid="awaiting-row"') == 1
    after = text(c.post(f"/shop/orders/{mine.pk}/hand-over/", {"back": "manage"}, follow=True))
    assert f"已领取：{mine.number} 张建国户 洗衣粉×1" in after and after.count('data-testid="awaiting-row"') == 1
    again = text(c.post(f"/shop/orders/{mine.pk}/hand-over/", {"back": "manage"}, follow=True))
    assert "已领取，不能领取" in again
    refused = text(c.post(f"/shop/orders/{theirs.pk}/cancel/", {"back": "manage"}, follow=True))
    assert "请填写取消原因" in refused
    assert login(client, county, "township_staff").get("/shop/manage/").context["may_arrange"]


def test_the_counter_adds_edits_and_restocks_items(client, county, shop):
    c = login(client, county, "points_recorder")
    back = f"/shop/manage/?village={county.village_a1.code}"
    made = c.post("/shop/manage/items/", {"village": county.village_a1.code, "name": "酱油", "kind": "goods",
                                          "unit": "瓶", "price": "12", "stock": "30"})
    assert made.url == back
    soy = ShopItem.objects.get(name="酱油")
    assert (soy.price, soy.stock, soy.unit) == (12, 30, "瓶")
    page = text(c.post("/shop/manage/items/", {"village": county.village_a1.code, "name": "酱油", "price": "5"},
                       follow=True))
    assert "未能上架：本村积分超市已有“酱油”" in page
    c.post("/shop/manage/items/", {"village": county.village_a1.code, "name": "文明家庭挂牌", "kind": "honour",
                                   "unit": "块", "price": "300", "stock": ""})
    assert ShopItem.objects.get(name="文明家庭挂牌").stock is None
    c.post(f"/shop/manage/items/{soy.pk}/", {"name": "酱油", "kind": "goods", "unit": "瓶", "price": "15",
                                             "sort": "3"})
    soy.refresh_from_db()
    assert (soy.price, soy.is_active, soy.sort) == (15, False, 3)  # unticked: off the shelf
    c.post(f"/shop/manage/items/{soy.pk}/stock/", {"reason": "restock", "quantity": "10"})
    page = text(c.post(f"/shop/manage/items/{soy.pk}/stock/", {"reason": "adjust", "quantity": "-50",
                                                                 "note": "盘点"}, follow=True))
    assert "库存未变：库存不足：“酱油”仅剩 40 瓶" in page
    page = text(c.post(f"/shop/manage/items/{soy.pk}/stock/", {"reason": "adjust", "quantity": "-1",
                                                                 "note": "摔碎 1 瓶"}, follow=True))
    assert "“酱油”现有库存 39 瓶" in page
    assert login(client, county, "resident").post(f"/shop/manage/items/{soy.pk}/", {"price": "1"}).status_code == 404
    assert client.post(f"/shop/manage/items/{shop.powder.pk}/", {"price": "1"}).status_code == 403


def test_the_counter_page_costs_the_same_whatever_the_orders(client, county, shop, django_assert_max_num_queries):
    fund(county, "a1", 200)
    c = login(client, county, "village_cadre")
    c.get("/shop/manage/")
    for _ in range(5):
        services.shop_order_reserve(actor=county.users["resident"], household=county.households["a1"],
                                    item=shop.powder)
    with django_assert_max_num_queries(16):
        assert text(c.get("/shop/manage/")).count('data-testid="awaiting-row"') == 5
