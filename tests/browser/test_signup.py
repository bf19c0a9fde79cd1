"""At phone size: a villager signs up with an SMS code (read from the console backend's outbox), the
village cadre confirms him with one tap, and he logs in by SMS code and lands on his home."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PHONE as PHONE_SIZE
from tests.factories import PASSWORD, build_small_county
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


def test_a_villager_signs_up_is_confirmed_and_logs_in_by_sms_code(browser, live_server, small_county, artifacts):
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

    villager = browser.new_context(**PHONE_SIZE).new_page()
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
    villager.context.close()
