"""A villager on a 390 px phone: he finds the village's survey under 群众参与, its answers are large buttons,
the page fits the screen and passes axe-core, he votes for his household and sees it counted; the notice
sent to the village opens from the list and is marked read."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.browser.helpers import log_in
from xiangzhi.participation import selectors, services
from xiangzhi.participation.models import AnnouncementReceipt, PollBallot

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_a_villager_votes_for_his_household_and_reads_a_notice_on_his_phone(browser, live_server, small_county,
                                                                           artifacts):
    c = small_county
    village = selectors.audience_get("village", c.village_a1.code)
    now = timezone.now()
    poll = services.poll_create(actor=c.users["village_cadre"], audience=village, title="村务满意度测评",
                                unit="household", opens_at=now - dt.timedelta(hours=1),
                                closes_at=now + dt.timedelta(days=7), results_live=True,
                                questions=[services.QuestionInput("对村务公开是否满意", "scale"),
                                           services.QuestionInput("最希望办的实事", "single",
                                                                  ["硬化生产路", "安装路灯"])])
    notice = services.announcement_send(actor=c.users["village_cadre"], audience=village, title="关于秋季防火的通知",
                                        body="请清理房前屋后的柴草。", issuer="东村村民委员会")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, service_workers="block")
    page = context.new_page()
    base = live_server.url
    try:
        log_in(page, base, "villager")
        page.goto(f"{base}/participation/polls/")
        page.get_by_text("村务满意度测评").click()
        page.wait_for_url(f"{base}/participation/polls/{poll.pk}/")
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, [v["id"] for v in violations]
        form = page.get_by_test_id("vote-form")
        satisfied = form.get_by_text("满意", exact=True)
        box = satisfied.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300  # a big target, full width
        satisfied.click()
        form.get_by_text("安装路灯").click()
        page.screenshot(path=str(artifacts / "phone-villager-poll.png"), full_page=True)
        page.get_by_test_id("vote").click()
        page.get_by_test_id("voted").wait_for()
        assert "投票成功" in page.content() and "目前结果" in page.content()
        page.goto(f"{base}/participation/announcements/")
        page.get_by_text("关于秋季防火的通知").click()
        page.get_by_test_id("read-at").wait_for()
        page.screenshot(path=str(artifacts / "phone-villager-notice.png"), full_page=True)
    finally:
        context.close()
    ballot = PollBallot.objects.get(poll=poll)
    assert ballot.household == c.households["a1"] and not ballot.on_paper
    assert AnnouncementReceipt.objects.get(announcement=notice, user=c.users["resident"]).read_at is not None
