"""A quarter of points on phones: the recorder records, the supervisor approves, the villager reads
the book; the quarter's notice is published, the villager objects, the supervisor upholds it with a
correction, anyone verifies the public notice; the supermarket is open, the villager reserves a bag
of washing powder and the recorder hands it over at the counter.

Chromium is driven from a thread of its own: Playwright's sync API keeps an event loop in the thread
that starts it, and the browser tests under ``tests/browser`` keep one open for the whole session."""

import pytest

from tests.browser.helpers import ARTIFACTS, PHONE, in_browser_thread, log_in
from tests.factories import build_small_county, install_points_rulebooks
from xiangzhi.points.models import PointsBalance, PointsEntry

pytestmark = pytest.mark.browser


@pytest.fixture
def small_county(transactional_db):
    import datetime as dt

    from django.utils import timezone

    from xiangzhi.points import services
    from xiangzhi.shop.services import shop_item_create

    county = build_small_county()
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    u, a1 = county.users, county.households["a1"]
    # Earlier this month: six days of voluntary labour on the river, recorded and approved (18 points).
    for days_ago in range(1, 7):
        e = services.entry_record(actor=u["points_recorder"], household=a1, rule=rules["volunteer_labour"],
                                  occurred_on=timezone.localdate() - dt.timedelta(days=days_ago),
                                  note="义务整修村东河道").entry
        services.entry_review(actor=u["points_supervisor"], entry=e, approve=True)
    today = timezone.localdate()
    services.redemption_window_add(actor=u["township_staff"], township=county.town_a, opens_on=today,
                                   closes_on=today + dt.timedelta(days=14), note="岁末积分兑换")
    shop_item_create(actor=u["points_recorder"], village=county.village_a1, name="洗衣粉", price=20, unit="袋",
                     stock=5, limit_per_household=2)
    return county


def publish_quarter(county):
    """What the worker does as the quarter's notice cycle opens, for 东村."""
    from django.utils import timezone

    from xiangzhi.lib.periods import period_bounds
    from xiangzhi.points.services import notice_publish

    start, end = period_bounds("quarter", timezone.localdate())
    return notice_publish(village=county.village_a1, period_start=start, period_end=end, objection_days=7)


def walk(browser, base: str, seen: dict, county) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(**PHONE).new_page()
    log_in(page, base, "recorder_a1")
    page.goto(f"{base}/points/record/")
    page.fill("input[name=q]", "张建")
    page.wait_for_function("() => document.querySelectorAll('#household option').length === 2")
    page.select_option("#household", index=1)
    page.select_option("#rule", label=page.locator("#rule option", has_text="邻里互助").inner_text())
    page.fill("#note", "帮邻居抢收玉米")
    page.click("button[type=submit]")
    page.wait_for_url("**/points/record/?household=*")
    seen["recorded"] = page.locator(".alert-success").inner_text()
    page.screenshot(path=str(ARTIFACTS / "points-record-phone.png"), full_page=True)

    page = browser.new_context(**PHONE).new_page()
    log_in(page, base, "supervisor_a1")
    page.goto(f"{base}/points/review/")
    seen["queue"] = page.get_by_test_id("queue-row").count()
    page.screenshot(path=str(ARTIFACTS / "points-review-phone.png"), full_page=True)
    page.check("#check-all")
    page.get_by_test_id("bulk-approve").click()
    page.wait_for_selector("text=已通过 1 条")
    seen["queue_after"] = page.get_by_test_id("queue-row").count()

    page = browser.new_context(**PHONE).new_page()
    log_in(page, base, "villager")
    page.goto(f"{base}/points/")  # a villager lands on their own book
    page.wait_for_url("**/points/book/")
    seen["balance"] = page.get_by_test_id("balance").inner_text()
    seen["book"] = page.content()
    page.screenshot(path=str(ARTIFACTS / "points-book-phone.png"), full_page=True)
    villager = page

    # 一季一公示: the notice is out; the villager questions their own row.
    notice = publish_quarter(county)
    villager.goto(f"{base}/points/notices/")
    villager.get_by_test_id("notice-row").first.click()
    villager.wait_for_url(f"**/points/notices/{notice.pk}/")
    seen["villager_sees_verified"] = villager.get_by_test_id("notice-verified").is_visible()
    form = villager.get_by_test_id("objection-form")
    form.locator("select[name=household]").select_option(str(county.households["a1"].pk))
    form.locator("textarea[name=text]").fill("本户本月帮邻居修缮院墙一次，名单上没有")
    form.locator("button").click()
    villager.wait_for_selector(".alert-success")
    villager.screenshot(path=str(ARTIFACTS / "points-notice-phone.png"), full_page=True)

    supervisor = browser.new_context(**PHONE).new_page()
    log_in(supervisor, base, "supervisor_a1")
    supervisor.goto(f"{base}/points/notices/")
    supervisor.get_by_test_id("waiting-objections").locator("a").first.click()
    resolve = supervisor.get_by_test_id("resolve-form")
    resolve.locator("input[name=resolution]").fill("经核实属实，补记邻里互助 3 分")
    resolve.locator("input[name=correction]").fill("3")
    resolve.locator("button[value=uphold]").click()
    supervisor.wait_for_selector(".alert-success")
    seen["objection_state"] = supervisor.get_by_test_id("objection-state").first.inner_text()

    # Anyone with the village's link checks the published list.
    public = browser.new_context(**PHONE).new_page()
    public.goto(f"{base}/points/public/{county.village_a1.code}/")
    seen["public_verified"] = public.get_by_test_id("notice-verified").is_visible()
    seen["public"] = public.content()
    public.screenshot(path=str(ARTIFACTS / "points-public-notice-phone.png"), full_page=True)

    # 兑换: the supermarket is open; the villager reserves a bag of washing powder.
    villager.goto(f"{base}/shop/")
    seen["shop_balance_before"] = villager.get_by_test_id("balance").inner_text()
    row = villager.get_by_test_id("item-row").filter(has_text="洗衣粉")
    row.locator("button[type=submit]").click()
    reserved = villager.locator(".alert-success", has_text="已预订")
    reserved.wait_for()
    seen["reserved"] = reserved.inner_text()
    seen["shop_balance_after"] = villager.get_by_test_id("balance").inner_text()
    villager.screenshot(path=str(ARTIFACTS / "shop-reserved-phone.png"), full_page=True)

    counter = browser.new_context(**PHONE).new_page()
    log_in(counter, base, "recorder_a1")
    counter.goto(f"{base}/shop/manage/?village={county.village_a1.code}")
    counter.get_by_test_id("awaiting-row").filter(has_text="洗衣粉").locator("button", has_text="领取").click()
    handed = counter.locator(".alert-success", has_text="已领取")
    handed.wait_for()
    seen["handed_over"] = handed.inner_text()
    counter.screenshot(path=str(ARTIFACTS / "shop-counter-phone.png"), full_page=True)


def test_a_quarter_of_points_from_recording_to_the_supermarket_on_phones(live_server, small_county):
    seen = {}
    in_browser_thread(walk, live_server.url, seen, small_county)
    assert seen["recorded"] == "已记录：张建国户 邻里互助、扶危济困 +3 分（待审核）"
    assert (seen["queue"], seen["queue_after"]) == (1, 0)
    assert seen["balance"] == "21" and "帮邻居抢收玉米" in seen["book"]
    entry = PointsEntry.objects.get(note="帮邻居抢收玉米")
    assert (entry.recorder.username, entry.review.reviewer.username) == ("recorder_a1", "supervisor_a1")
    # The objection was upheld with a correcting entry; the published list still proves itself.
    assert seen["villager_sees_verified"] and seen["public_verified"] and seen["objection_state"] == "已采纳"
    assert "本户本月帮邻居修缮院墙一次" in seen["public"] and "经核实属实" in seen["public"]
    correction = PointsEntry.objects.get(kind="correction")
    assert correction.points == 3 and correction.household_id == small_county.households["a1"].pk
    # 21 + 3 = 24 points; a bag of washing powder costs 20.
    assert (seen["shop_balance_before"], seen["shop_balance_after"]) == ("24", "4")
    assert "洗衣粉×1，扣除 20 分" in seen["reserved"] and "已领取" in seen["handed_over"]
    from xiangzhi.points import selectors
    from xiangzhi.shop.models import ShopItem, ShopOrder

    order = ShopOrder.objects.get()
    assert order.status == "handed_over" and order.redemption.points == -20
    assert ShopItem.objects.get().stock == 4
    assert PointsBalance.objects.get(pk=small_county.households["a1"].pk).approved_total == 4
    assert selectors.balance_mismatch_list() == [] and selectors.ledger_verify(small_county.village_a1) is None
