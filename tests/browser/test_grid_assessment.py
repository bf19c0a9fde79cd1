"""网格考核 in a browser, on a 390 px phone: the grid chief logs in, opens his quarter from the card on
his day, reads his lost points with the case behind each and how not to lose it, and appeals one; the
township's staff member upholds it and returns the points; the chief sees them beside the original. No
page scrolls sideways; the 失分点 page, the ranking and the appeals pass axe-core's WCAG 2 A/AA checks."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.browser.helpers import ARTIFACTS, in_browser_thread, log_in
from xiangzhi.assessment import engine, services
from xiangzhi.assessment.models import Appeal, AppealState, SourceKind
from xiangzhi.assessment.tests.conftest import report
from xiangzhi.assessment.tests.grid_factories import HINT, grid_scheme, late_cases, this_quarter
from xiangzhi.core.display import moment_text

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True,
             "service_workers": "block"}
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"]]


def walk(browser, base: str, grid_code: str, seen: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chief = browser.new_context(**PHONE_390).new_page()
    log_in(chief, base, "chief_a1")
    chief.goto(f"{base}/")  # his home is his day
    chief.wait_for_url("**/work/")
    seen["card"] = chief.get_by_test_id("grid-assessment-card").inner_text()
    chief.get_by_test_id("my-grid-score").click()
    chief.wait_for_url(f"**/grids/{grid_code}/")
    seen["total"] = chief.get_by_test_id("grid-total").inner_text()
    seen["lost"] = chief.get_by_test_id("lost-points").inner_text()
    seen["sideways"] = chief.evaluate(SIDEWAYS)
    seen["axe"] = axe_violations(chief)
    chief.screenshot(path=str(ARTIFACTS / "grid-assessment-lost-points-phone.png"), full_page=True)
    first = chief.get_by_test_id("lost-point").first
    first.get_by_text("对此失分点申诉").click()
    first.get_by_label("申诉理由").fill("该事件已在时限内办结，回执已上传")
    first.get_by_label("证明材料（可空）").fill("办结回执照片")
    first.get_by_role("button", name="提交申诉").click()
    chief.wait_for_selector("text=已提交申诉")
    seen["pending"] = chief.get_by_test_id("lost-point").first.inner_text()

    town = browser.new_context(**PHONE_390).new_page()
    log_in(town, base, "town_a")
    town.goto(f"{base}/assessment/grids/mine/")  # 网格考核 in the menu: his township's ranking
    seen["axe"] += axe_violations(town)
    town.get_by_test_id("appeals-link").click()
    card = town.get_by_test_id("appeal").first
    seen["appeal"] = card.inner_text()
    seen["axe"] += axe_violations(town)
    card.get_by_label("申诉成立", exact=True).check()
    card.get_by_label("退还分值（成立时填写，最多 3 分）").fill("3")
    card.get_by_label("处理意见").fill("经核实已按时办结，退还扣分")
    card.get_by_role("button", name="提交处理结果").click()
    town.wait_for_selector("text=已处理")
    seen["town_sideways"] = town.evaluate(SIDEWAYS)
    town.screenshot(path=str(ARTIFACTS / "grid-assessment-appeals-phone.png"), full_page=True)

    chief.reload()
    seen["after"] = chief.get_by_test_id("grid-total").inner_text()
    seen["after_lost"] = chief.get_by_test_id("lost-point").first.inner_text()
    chief.screenshot(path=str(ARTIFACTS / "grid-assessment-upheld-phone.png"), full_page=True)


def test_a_grid_chief_appeals_a_lost_point_and_sees_the_points_returned(live_server, small_county, monkeypatch):
    monkeypatch.setitem(engine.SOURCES, SourceKind.CASE_LATE, late_cases)
    c = small_county
    admin = c.users["county_admin"]
    quarter = this_quarter(c, grid_scheme(c))
    case = report(c, "a1", "road_light", days_ago=2)
    services.period_run(period=quarter, actor=admin)
    services.period_publish(period=quarter, actor=admin)
    seen: dict = {}
    in_browser_thread(walk, live_server.url, c.grid_a1.code, seen)
    assert "本季度考核：" in seen["card"] and "97 分，第 4 名" in seen["card"]
    assert "97" in seen["total"] and "三星" not in seen["total"] and "五星" in seen["total"]
    quarter.refresh_from_db()
    assert f"申诉截止：{moment_text(services.appeal_deadline(quarter))}" in seen["total"]
    assert case.number in seen["lost"] and f"怎样不失分：{HINT}" in seen["lost"] and "查看事件" in seen["lost"]
    assert "待处理" in seen["pending"] and "对此失分点申诉" not in seen["pending"]
    assert "该事件已在时限内办结" in seen["appeal"] and "办结回执照片" in seen["appeal"]
    appeal = Appeal.objects.get()
    assert appeal.state == AppealState.UPHELD and appeal.points_returned == 3
    assert appeal.decided_by == c.users["township_staff"] and appeal.filed_at <= timezone.now()
    assert "97" in seen["after"] and "更正后 100 分" in seen["after"] and "申诉退还 3 分" in seen["after"]
    assert "申诉成立" in seen["after_lost"] and "退还 3 分" in seen["after_lost"]
    assert "经核实已按时办结" in seen["after_lost"] and "对此失分点申诉" not in seen["after_lost"]
    assert seen["sideways"] <= 0 and seen["town_sideways"] <= 0
    assert seen["axe"] == []
