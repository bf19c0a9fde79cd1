"""At desktop size, 一格一人 closed from its alert: the township's staff ends a worker's assignment, the
alert shows the grid, he follows it to the grid's staffing page and assigns a successor whose account
is made on the spot; the successor's login reaches his phone by SMS (the console backend's outbox),
he must choose his own password at his first login, and the alert no longer lists the grid."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.factories import build_small_county
from xiangzhi.core import sms
from xiangzhi.regions.models import GridAssignment

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", "service_workers": "block"}
MOBILE = "13900001234"


@pytest.fixture
def small_county(transactional_db, settings):
    settings.SMS_BACKEND = sms.CONSOLE
    sms.outbox.clear()
    yield build_small_county()
    sms.outbox.clear()


def test_a_worker_leaves_and_the_alert_leads_to_his_successor(browser, live_server, small_county, artifacts):
    base = live_server.url
    grid = small_county.grid_b1
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, base, "town_b")

    # The worker leaves: his assignment is ended with a reason.
    page.goto(f"{base}/grids/{grid.code}/")
    page.get_by_test_id("grid-staff-link").click()
    page.wait_for_url(f"{base}/grids/{grid.code}/staff/")
    page.get_by_text("结束任职").click()
    page.get_by_test_id("end-form").locator("input[name=reason]").fill("外出务工")
    page.get_by_role("button", name="确认结束").click()
    expect(page.get_by_text("外出务工")).to_be_visible()
    expect(page.get_by_test_id("staff-unstaffed")).to_be_visible()

    # The alert shows the grid, and leads to its staffing page with the form ready.
    page.goto(f"{base}/")
    page.get_by_test_id("task-unstaffed").click()
    row = page.get_by_test_id("unstaffed-row").filter(has_text=grid.name)
    expect(row).to_be_visible()
    page.screenshot(path=artifacts / "staffing-1-alert.png", full_page=True)
    row.get_by_role("link", name="安排人员").click()
    page.wait_for_url(f"{base}/grids/{grid.code}/staff/#assign")
    page.select_option("#duty", "full_time")
    page.fill("#full_name", "孙立新")
    page.fill("#phone", MOBILE)
    page.screenshot(path=artifacts / "staffing-2-assign.png", full_page=True)
    page.get_by_test_id("assign-form").get_by_role("button", name="安排人员").click()
    expect(page.get_by_text("登录账号和临时密码已通过短信发送到其手机")).to_be_visible()
    expect(page.get_by_test_id("staff-list")).to_contain_text("孙立新")
    page.screenshot(path=artifacts / "staffing-3-assigned.png", full_page=True)

    # His login and temporary password are in the SMS, and nowhere on the page.
    (message,) = [m for m in sms.outbox if m.phone == MOBILE]
    successor = GridAssignment.objects.select_related("user").get(grid=grid, ended_on__isnull=True).user
    assert successor.username in message.text
    temporary = message.text.split("临时密码：")[1].split("。")[0]
    assert temporary not in page.content()

    page.goto(f"{base}/alerts/unstaffed/")
    expect(page.get_by_test_id("unstaffed-list")).not_to_contain_text(grid.name)
    expect(page.get_by_test_id("unstaffed-list")).to_contain_text(small_county.grid_b1_unstaffed.name)
    page.context.close()

    # The successor logs in with what the SMS said and must first choose his own password.
    worker = browser.new_context(**DESKTOP).new_page()
    log_in(worker, base, successor.username, temporary)
    worker.goto(f"{base}/work/")
    assert worker.url == f"{base}/accounts/me/"  # every page leads to the password change first
    worker.context.close()

    # The same pages on a cheap phone: nothing wider than the screen.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                has_touch=True, service_workers="block").new_page()
    log_in(phone, base, "town_b")
    for path in (f"/grids/{grid.code}/staff/", "/alerts/unstaffed/"):
        phone.goto(base + path)
        if path.endswith("/staff/"):
            phone.get_by_text("结束任职").click()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390, path
    phone.goto(f"{base}/grids/{grid.code}/staff/")
    phone.screenshot(path=artifacts / "staffing-4-phone.png", full_page=True)
    phone.context.close()
