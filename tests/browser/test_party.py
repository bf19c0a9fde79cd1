"""A party group's activities on a phone (390 px): the village cadre opens his group's page, opens
「登记活动」, records a 主题党日 held yesterday and sees it listed; a member who moved to another village
is marked for the transfer with the end form open. Nothing scrolls sideways."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.browser.helpers import ARTIFACTS, in_browser_thread, log_in
from xiangzhi.party.models import GroupActivity
from xiangzhi.party.tests.helpers import build_party
from xiangzhi.people.services import household_change_propose

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True,
             "service_workers": "block"}


def walk(browser, base: str, group_id: int, day: str, seen: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(**PHONE_390).new_page()
    log_in(page, base, "cadre_a1")
    page.goto(f"{base}/party/groups/{group_id}/")
    seen["moved"] = page.get_by_test_id("moved").inner_text()
    seen["end_open"] = page.get_by_test_id("member").filter(has=page.get_by_test_id("moved")).locator(
        "details").last.get_attribute("open")
    page.get_by_text("登记活动", exact=True).click()
    form = page.get_by_test_id("activity-form")
    form.get_by_label("活动主题").fill("主题党日：清理村道环境卫生")
    form.get_by_label("类型").select_option("theme_day")
    form.get_by_label("活动日期").fill(day)
    form.get_by_label("参加党员人数").fill("2")
    form.get_by_label("情况说明").fill("清理垃圾两车")
    seen["form_sideways"] = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    form.get_by_role("button", name="登记").click()
    page.wait_for_selector(".alert-success")
    seen["listed"] = page.get_by_test_id("activities").inner_text()
    seen["sideways"] = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "party-group-phone.png"), full_page=True)


def test_the_cadre_records_an_activity_and_sees_a_moved_member_on_a_phone(live_server, transactional_db):
    p = build_party()
    c = p.county
    other = c.households["a1_micro"].residents.exclude(pk=p.member.pk).first()
    household_change_propose(actor=c.users["village_cadre"], household=c.households["a1_micro"], kind="move_out",
                             data={"resident": p.member.pk, "destination": "county", "village": c.village_b1.code,
                                   "to_household": c.households["b1"].number, "relation": "spouse",
                                   "moved_on": timezone.localdate().isoformat(), "new_head": other.pk})
    day = timezone.localdate() - dt.timedelta(days=1)
    seen: dict = {}
    in_browser_thread(walk, live_server.url, p.group.pk, day.isoformat(), seen)
    made = GroupActivity.objects.get()
    assert (made.held_on, made.kind, made.attendees, made.recorded_by) == (day, "theme_day", 2,
                                                                          c.users["village_cadre"])
    assert "主题党日：清理村道环境卫生" in seen["listed"] and "2 名党员参加" in seen["listed"]
    assert seen["moved"] == "已迁往南村，请办理组织关系转接" and seen["end_open"] is not None
    assert seen["form_sideways"] <= 0 and seen["sideways"] <= 0
