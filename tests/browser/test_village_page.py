"""一村一码 at 390 px: a villager without an account scans the village's code, reads the page, asks a
question (his phone number in it masked) and reports a problem with his phone confirmed by an SMS code
(read from the console backend's outbox) and its position; the village answers and closes both; he
finds the answer on the village page and his closed case behind the link sent to his phone, and rates it."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.helpers import PHONE
from tests.factories import build_small_county, jpeg_photo
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Case
from xiangzhi.cases.rules import can_steer
from xiangzhi.core import sms
from xiangzhi.supervision import selectors
from xiangzhi.supervision import services as supervision
from xiangzhi.supervision.models import Question

pytestmark = pytest.mark.browser

MOBILE = "13912345678"
PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def small_county(transactional_db, settings):
    settings.SMS_BACKEND = sms.CONSOLE
    settings.SMS_CODE_INTERVAL_SECONDS = 0
    sms.outbox.clear()
    yield build_small_county()
    sms.outbox.clear()


def _texts() -> list[str]:
    return [m.text for m in sms.outbox if m.phone == MOBILE]


def _fits_and_passes_axe(page) -> None:
    """Nothing scrolls sideways at 390 px, and axe-core's WCAG 2 A/AA checks pass."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, page.url
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in violations]


def test_a_villager_scans_asks_reports_and_sees_both_answered_and_closed(
        browser, live_server, small_county, photo, artifacts):
    base, c = live_server.url, small_county
    village_page = f"{base}/v/{selectors.village_code_token(c.village_a1)}/"
    villager = browser.new_context(**PHONE_390, permissions=["geolocation"],
                                   geolocation={"latitude": 37.705, "longitude": 118.005, "accuracy": 8}).new_page()

    # Scan: the village's page, no login.
    villager.goto(village_page)
    expect(villager.get_by_test_id("village-name")).to_have_text("东村")
    expect(villager.get_by_test_id("village-points")).to_be_visible()
    expect(villager.get_by_test_id("village-projects")).to_be_visible()
    _fits_and_passes_axe(villager)
    villager.screenshot(path=artifacts / "village-1-page.png", full_page=True)

    # 码上问, with his phone number written into the question.
    villager.get_by_test_id("ask-link").click()
    villager.fill("#id_text", "村里修路的钱花了多少？有事打我电话13800001111")
    villager.select_option("#id_category", "affairs")
    _fits_and_passes_axe(villager)
    villager.get_by_test_id("ask-submit").click()
    expect(villager.get_by_test_id("question-state")).to_have_text("待审核")
    expect(villager.get_by_test_id("question-text")).to_contain_text("138****1111")
    expect(villager.get_by_test_id("question-text")).not_to_contain_text("13800001111")
    _fits_and_passes_axe(villager)
    question_link = villager.url
    villager.screenshot(path=artifacts / "village-2-asked.png", full_page=True)

    # 码上办: phone, SMS code, words, a photo, the phone's position.
    villager.goto(village_page)
    villager.get_by_test_id("report-link").click()
    villager.fill("#id_phone", MOBILE)
    villager.get_by_test_id("send-code").click()
    expect(villager.get_by_text("验证码已发送")).to_be_visible()
    code = re.search(r"验证码是(\d{6})", _texts()[-1]).group(1)
    villager.fill("#id_code", code)
    villager.fill("#id_description", "村委会东边路口的路灯三天没亮了")
    villager.set_input_files("#id_photos", str(photo))
    villager.click("#report-locate")
    expect(villager.locator("#report-locate-status")).to_contain_text("已定位")
    villager.mouse.move(0, 0)  # a finger leaves no hover behind
    _fits_and_passes_axe(villager)
    villager.screenshot(path=artifacts / "village-3-report.png", full_page=True)
    villager.get_by_test_id("report-submit").click()
    expect(villager.get_by_test_id("case-status")).to_have_text("已受理")
    (case,) = Case.objects.all()
    assert case.channel == "qr" and case.region == c.village_a1 and case.photos.count() == 1
    link = re.search(r"http://\S+/c/\S+/", _texts()[-1]).group()
    assert case.number in _texts()[-1] and link.endswith(villager.url.split(base, 1)[1])
    villager.screenshot(path=artifacts / "village-4-reported.png", full_page=True)

    # The village answers the question and closes the case (the township checks it on site).
    cadre, town = c.users["village_cadre"], c.users["township_staff"]
    q = Question.objects.get()
    supervision.question_screen(question=q, actor=cadre, passed=True)
    supervision.question_answer(question=q, actor=cadre, answer="村北生产路共花费38万元，明细已在村务公开栏公示。")
    # Its words name a street light: filed under 路灯损坏, the grid's desk, whose staff handles it.
    assert case.category.code == "road_light"
    handler = next(u for u in (c.users["grid_worker"], c.users["grid_chief"], cadre) if can_steer(u, case))
    case = cases.case_accept(case=case, actor=handler, handle_myself=True)
    case = cases.case_handle(case=case, actor=handler, note="已更换灯泡，恢复照明", photos=[jpeg_photo()])
    cases.case_verify(case=case, actor=town, passed=True, close=True)

    # He sees the answer on his link and on the village page, never himself named.
    villager.goto(question_link)
    expect(villager.get_by_test_id("question-answer")).to_contain_text("38万元")
    _fits_and_passes_axe(villager)
    villager.goto(village_page)
    answer = villager.get_by_test_id("village-questions")
    expect(answer).to_contain_text("东村村委会")
    expect(answer).to_contain_text("村民")
    expect(answer).not_to_contain_text(cadre.full_name)
    _fits_and_passes_axe(villager)
    villager.screenshot(path=artifacts / "village-5-answered.png", full_page=True)

    # And his case behind the SMS link: every step, the result's photo, his rating.
    villager.goto(link)
    expect(villager.get_by_test_id("case-status")).to_have_text("待评价")
    expect(villager.get_by_test_id("case-progress")).to_contain_text("您 提交了反映")
    expect(villager.get_by_test_id("result-photos")).to_be_visible()
    _fits_and_passes_axe(villager)
    villager.locator("label[for=evaluation-satisfied]").click()
    villager.get_by_test_id("evaluate-submit").click()
    expect(villager.get_by_test_id("case-status")).to_have_text("已办结")
    expect(villager.get_by_test_id("my-evaluation")).to_contain_text("满意")
    _fits_and_passes_axe(villager)
    villager.screenshot(path=artifacts / "village-6-rated.png", full_page=True)
    case.refresh_from_db()
    assert case.evaluation == "satisfied"
    villager.context.close()
