"""Volunteer activities on phones: a villager signs up from the list; at the activity the points
recorder taps the people present and presses 一键记分. Chromium runs in a thread of its own, as in
the points browser test."""

import pytest

from tests.browser.helpers import ARTIFACTS, PHONE, in_browser_thread, log_in
from tests.factories import build_small_county, install_points_rulebooks
from xiangzhi.activities.models import ActivitySignup
from xiangzhi.activities.tests.conftest import make_activity
from xiangzhi.points.models import EntryKind, PointsEntry

pytestmark = pytest.mark.browser


@pytest.fixture
def small_county(transactional_db):
    county = build_small_county()
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    coming, _ = make_activity(county, rules)
    begun, _ = make_activity(county, rules, started=True, signups=["a1", "a1_micro"], title="防汛巡河",
                             code="volunteer_emergency")
    return county, coming, begun


def walk(browser, base: str, coming, begun, seen: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(**PHONE).new_page()
    log_in(page, base, "villager")
    page.goto(f"{base}/activities/")
    page.screenshot(path=str(ARTIFACTS / "activities-list-phone.png"), full_page=True)
    page.get_by_test_id("signup-button").first.click()
    page.wait_for_url(f"**/activities/{coming.pk}/")
    seen["signed_up"] = page.locator(".alert-success").inner_text()

    page = browser.new_context(**PHONE).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "recorder_a1")
    page.goto(f"{base}/activities/{begun.pk}/")
    rows = page.get_by_test_id("signup-row")
    rows.nth(0).get_by_test_id("check-in").click()
    page.wait_for_selector(f"#signup-{seen['first_signup']} >> text=✓ 已到")
    rows.nth(1).get_by_test_id("check-in").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=check-in].btn-success').length === 2")
    seen["count"] = page.locator("#checked-in-count").inner_text()
    page.wait_for_selector("[data-testid=award-button]")  # the award box followed the taps
    page.screenshot(path=str(ARTIFACTS / "activities-check-in-phone.png"), full_page=True)
    seen["preview"] = page.get_by_test_id("award-preview").inner_text()
    page.get_by_test_id("award-button").click()
    page.wait_for_selector(".alert-success")
    seen["awarded"] = page.locator(".alert-success").inner_text()
    page.screenshot(path=str(ARTIFACTS / "activities-awarded-phone.png"), full_page=True)


def test_sign_up_check_in_and_award_on_a_phone(live_server, small_county):
    county, coming, begun = small_county
    seen = {"first_signup": begun.signups.order_by("household__grid__code", "household__number").first().pk}
    in_browser_thread(walk, live_server.url, coming, begun, seen)
    assert seen["signed_up"] == "已报名：张建国户 1 人"
    assert seen["count"] == "2/2" and seen["preview"] == "2 户各得 5 分"
    assert seen["awarded"] == "已记分：2 户各 +5 分，待月度审核后计入"
    assert ActivitySignup.objects.filter(activity=coming, household=county.households["a1"]).exists()
    assert PointsEntry.objects.filter(kind=EntryKind.AWARD, source=f"activity:{begun.pk}").count() == 2
