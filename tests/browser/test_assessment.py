"""积分换项目 in a browser: the county admin runs and publishes the half-year on a desktop, reads the
ranking with its badges, opens a village's score and follows a lost point to the case behind it; the
village cadre then opens the published ranking and his village's score on a 390 px phone, nothing
scrolling sideways."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.helpers import ARTIFACTS, in_browser_thread, log_in
from xiangzhi.assessment import services
from xiangzhi.cases.models import Category
from xiangzhi.cases.services import case_report

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
PHONE_390 = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True,
             "service_workers": "block"}


def walk(browser, base: str, period_id: int, village_code: str, case_number: str, seen: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, base, "admin")
    page.goto(f"{base}/assessment/periods/{period_id}/")
    page.get_by_role("button", name="计算得分").click()
    page.wait_for_selector("[data-testid=ranking]")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="公布").click()
    page.wait_for_selector("text=已公布，得分与排名不再变动")
    seen["badges"] = page.get_by_test_id("ranking").inner_text()
    page.screenshot(path=str(ARTIFACTS / "assessment-ranking.png"), full_page=True)
    page.get_by_test_id("ranking").get_by_role("link", name="东村").click()
    page.wait_for_url(f"**/villages/{village_code}/")
    page.get_by_test_id("lost-points").get_by_role("link").first.click()
    page.wait_for_url("**/cases/*/")
    seen["case_page"] = page.content()

    phone = browser.new_context(**PHONE_390).new_page()
    log_in(phone, base, "cadre_a1")
    phone.goto(f"{base}/assessment/periods/{period_id}/")
    seen["phone_sideways"] = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    phone.get_by_test_id("ranking").get_by_role("link", name="东村").click()
    phone.wait_for_url(f"**/villages/{village_code}/")
    seen["phone_total"] = phone.get_by_test_id("village-total").inner_text()
    seen["village_sideways"] = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    phone.screenshot(path=str(ARTIFACTS / "assessment-village-phone.png"), full_page=True)


def test_the_county_publishes_the_ranking_and_a_lost_point_leads_to_its_case(live_server, small_county):
    c = small_county
    scheme = services.scheme_install_default(county=c.county)
    today = timezone.localdate()
    period = services.period_create(scheme=scheme, actor=c.users["county_admin"], start=today - dt.timedelta(days=60),
                                    end=today, funded_count=1, warned_count=1, pool_yuan=1_000_000)
    case = case_report(category=Category.objects.get(code="illegal_construction"), title="村口新建违章房",
                       channel="worker", lon=118.005, lat=37.705, reporter=c.users["grid_worker"]).case
    seen: dict = {}
    in_browser_thread(walk, live_server.url, period.pk, c.village_a1.code, case.number, seen)
    assert "获奖励" in seen["badges"] and "通报诫勉" in seen["badges"]
    assert case.number in seen["case_page"] and "村口新建违章房" in seen["case_page"]
    assert "96 分" in seen["phone_total"]
    assert seen["phone_sideways"] <= 0 and seen["village_sideways"] <= 0
