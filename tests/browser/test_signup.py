"""At phone size, the villager's whole way in: he signs up with an SMS code (read from the console
backend's outbox), the village cadre confirms him with one tap, he logs in by SMS code, reports a
broken street light in three taps with the network off, the report arrives when the network comes
back, the village handles it, and he follows it to the end on his phone and rates it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PHONE as PHONE_SIZE
from tests.factories import PASSWORD, build_small_county, jpeg_photo
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Case
from xiangzhi.core import sms
from xiangzhi.lib import crypto

pytestmark = pytest.mark.browser

MOBILE = "13912345678"


@pytest.fixture
def small_county(transactional_db, settings):
    settings.SMS_BACKEND = sms.CONSOLE
    settings.SMS_CODE_INTERVAL_SECONDS = 0
    sms.outbox.clear()
    yield build_small_county()
    sms.outbox.clear()


def _code() -> str:
    return re.search(r"\d{6}", [m for m in sms.outbox if m.phone == MOBILE][-1].text).group()


def test_a_villager_signs_up_reports_without_signal_and_follows_his_report_to_the_end(
        browser, live_server, small_county, photo, artifacts):
    base = live_server.url
    resident = small_county.households["a1"].residents.order_by("pk")[1]

    villager = browser.new_context(**PHONE_SIZE).new_page()
    villager.goto(f"{base}/accounts/login/")
    villager.get_by_test_id("signup-link").click()
    villager.wait_for_url(f"{base}/accounts/signup/")
    villager.fill("#id_phone", MOBILE)
    villager.get_by_test_id("send-code").click()
    expect(villager.get_by_text("验证码已发送")).to_be_visible()
    villager.fill("#id_code", _code())
    villager.select_option("#id_village", str(small_county.village_a1.pk))
    villager.fill("#id_full_name", resident.name)
    villager.fill("#id_id_number", crypto.decrypt(resident.id_number_encrypted))
    villager.fill("#id_password", "Cun-min-2026")
    villager.fill("#id_password2", "Cun-min-2026")
    assert villager.evaluate("() => document.documentElement.scrollWidth") <= 412  # no sideways scrolling
    villager.screenshot(path=artifacts / "signup-1-form.png", full_page=True)
    villager.get_by_test_id("signup-submit").click()
    villager.wait_for_url(f"{base}/accounts/pending/")
    expect(villager.get_by_test_id("pending")).to_contain_text("东村")
    villager.screenshot(path=artifacts / "signup-2-waiting.png", full_page=True)
    villager.context.close()

    cadre = browser.new_context(**PHONE_SIZE).new_page()
    cadre.goto(f"{base}/accounts/login/")
    cadre.fill("#id_username", "cadre_a1")
    cadre.fill("#id_password", PASSWORD)
    cadre.click("button[type=submit]")
    cadre.wait_for_url(lambda url: "/accounts/login/" not in url)
    cadre.goto(f"{base}/accounts/signups/")
    card = cadre.get_by_test_id("signup-card")
    expect(card.get_by_test_id("match")).to_contain_text("张建国户")
    cadre.screenshot(path=artifacts / "signup-3-cadre-review.png", full_page=True)
    card.get_by_test_id("confirm").click()
    expect(cadre.get_by_test_id("no-signups")).to_be_visible()
    expect(cadre.get_by_text(f"已确认{resident.name}的注册")).to_be_visible()
    cadre.screenshot(path=artifacts / "signup-4-cadre-confirmed.png", full_page=True)
    cadre.context.close()

    # His own phone from now on: the offline app runs, and it knows where he stands (in 东村一组).
    villager = browser.new_context(**{**PHONE_SIZE, "service_workers": "allow"}, permissions=["geolocation"],
                                   geolocation={"latitude": 37.705, "longitude": 118.005, "accuracy": 8}).new_page()
    villager.goto(f"{base}/accounts/login/")
    villager.get_by_test_id("login-sms-link").click()
    villager.fill("#id_phone", MOBILE)
    villager.get_by_test_id("send-code").click()
    expect(villager.get_by_text("验证码已发送")).to_be_visible()
    villager.fill("#id_code", _code())
    villager.screenshot(path=artifacts / "signup-5-sms-login.png", full_page=True)
    villager.get_by_test_id("login-sms-submit").click()
    villager.wait_for_url(lambda url: "/accounts/" not in url)
    assert villager.url.startswith(base)
    expect(villager.locator("body")).not_to_contain_text("等待村里确认")
    expect(villager.get_by_role("link", name="随手拍").first).to_be_attached()
    villager.screenshot(path=artifacts / "signup-6-home.png", full_page=True)

    # Three taps with no signal: 拍照, 确认位置, 提交. The report waits in the phone.
    villager.get_by_role("link", name="随手拍").first.click()
    expect(villager.locator("#pick-where")).to_contain_text("东村")
    villager.context.set_offline(True)
    villager.set_input_files("#photos", str(photo))  # 1: the camera's picture
    villager.click("#confirm-place")  # 2
    villager.click("#case-submit")  # 3
    expect(villager.get_by_test_id("offline-notice")).to_contain_text("已保存在手机上，有信号时自动发送")
    villager.screenshot(path=artifacts / "signup-7-report-without-signal.png", full_page=True)
    assert not Case.objects.exists()
    villager.context.set_offline(False)
    expect(villager.get_by_test_id("offline-notice")).to_contain_text("已发送 1 条", timeout=15000)
    (case,) = Case.objects.all()
    assert case.reporter.resident_id == resident.pk and case.photos.count() == 1
    assert case.category.name == "其他" and "东村" in case.title

    # The village handles it; the township checks it on site and closes it.
    cadre_user, town = small_county.users["village_cadre"], small_county.users["township_staff"]
    case = cases.case_accept(case=case, actor=cadre_user, handle_myself=True)
    case = cases.case_handle(case=case, actor=cadre_user, note="已更换灯泡，恢复照明", photos=[jpeg_photo()])
    cases.case_verify(case=case, actor=town, passed=True, close=True)

    # He follows it on his phone: every step with who did it, the result's photo, and his rating.
    villager.goto(f"{base}/")
    villager.get_by_test_id("my-reports").locator(".list-group-item").first.click()
    expect(villager.get_by_test_id("case-status")).to_have_text("待评价")
    progress = villager.get_by_test_id("case-progress")
    expect(progress).to_contain_text(cadre_user.full_name)
    expect(progress).not_to_contain_text(cadre_user.username)
    villager.screenshot(path=artifacts / "signup-8-progress.png", full_page=True)
    villager.locator("label[for=evaluation-satisfied]").click()
    villager.get_by_test_id("evaluate-form").locator("button").click()
    expect(villager.get_by_test_id("case-status")).to_have_text("已办结")
    case.refresh_from_db()
    assert case.evaluation == "satisfied"
    villager.screenshot(path=artifacts / "signup-9-rated.png", full_page=True)
    villager.context.close()
