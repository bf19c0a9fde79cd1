"""A day of points on phones: the recorder records, the supervisor approves, the villager reads.

Chromium is driven from a thread of its own: Playwright's sync API keeps an event loop in the thread
that starts it, and the browser tests under ``tests/browser`` keep one open for the whole session."""

import shutil
import threading

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM
from tests.factories import PASSWORD, build_small_county, install_points_rulebooks
from xiangzhi.points.models import PointsBalance, PointsEntry

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 412, "height": 915}, "locale": "zh-CN", "is_mobile": True}


@pytest.fixture
def small_county(transactional_db):
    county = build_small_county()
    install_points_rulebooks(county.town_a)
    return county


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def walk(base: str, seen: dict) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            page = browser.new_context(**PHONE).new_page()
            log_in(page, base, "recorder_a1")
            page.goto(f"{base}/points/record/")
            page.fill("input[name=q]", "张建")
            page.wait_for_function("document.querySelectorAll('#household option').length === 2")
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
        finally:
            browser.close()


def test_record_review_and_read_the_book_on_a_phone(live_server, small_county):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (the setup script does)")
    seen, errors = {}, []

    def run():
        try:
            walk(live_server.url, seen)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    assert seen["recorded"] == "已记录：张建国户 邻里互助、扶危济困 +3 分（待审核）"
    assert (seen["queue"], seen["queue_after"]) == (1, 0)
    assert seen["balance"] == "3" and "帮邻居抢收玉米" in seen["book"]
    entry = PointsEntry.objects.get()
    assert (entry.recorder.username, entry.review.reviewer.username) == ("recorder_a1", "supervisor_a1")
    assert PointsBalance.objects.get(pk=small_county.households["a1"].pk).approved_total == 3
