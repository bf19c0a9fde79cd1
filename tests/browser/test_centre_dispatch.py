"""A township dispatcher's morning in the command centre (一键可管), in a real browser at 1366×800: the
figures say 超时未办结 8, the figure opens those eight in the queue, two are ticked and dispatched at
once with a 督办 note, and each case's history shows its dispatch and its 督办."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from xiangzhi.cases.models import Case, Status
from xiangzhi.centre.tests.figures_story import IN_A1, report

pytestmark = pytest.mark.browser


def test_a_dispatcher_clicks_the_overdue_figure_and_dispatches_two_with_a_supervision_note(
        browser, live_server, small_county, artifacts):
    c = small_county
    late = [report(c, "env_garbage", IN_A1, days_ago=20) for _ in range(8)]  # villagers' reports, never taken up
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN", service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "town_a")

    page.goto(f"{base}/centre/")
    page.get_by_role("navigation", name="指挥中心").get_by_role("link", name="统计").click()
    page.wait_for_url(re.compile(r"/centre/figures/"))
    figure = page.get_by_test_id("figure-link-overdue_open")
    expect(figure).to_have_text("8")
    figure.click()
    page.wait_for_url(re.compile(r"/centre/cases/\?.*figure=overdue_open"))
    expect(page.get_by_test_id("queue-title")).to_contain_text("超时未办结 · 下洼镇 · 8 件")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(8)
    assert {rows.nth(i).get_attribute("data-number") for i in range(8)} == {case.number for case in late}
    page.screenshot(path=str(artifacts / "centre-queue-overdue.png"), full_page=True)

    picks = page.get_by_test_id("pick")
    picks.nth(0).check()
    picks.nth(1).check()
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    chosen = [int(picks.nth(i).get_attribute("value")) for i in range(2)]
    page.fill("#b-note", "今天内到场处置，处置完上传照片")
    page.check("#b-supervise")
    page.get_by_test_id("bulk-dispatch").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-success")).to_contain_text("已派遣 2 件并督办")
    page.screenshot(path=str(artifacts / "centre-queue-dispatched.png"), full_page=True)
    # Back on the same list: the two are still overdue (dispatching does not stop the closure clock).
    expect(page.get_by_test_id("queue-title")).to_contain_text("超时未办结 · 下洼镇 · 8 件")

    for pk in chosen:
        case = Case.objects.get(pk=pk)
        assert (case.status, case.supervise_count) == (Status.DISPATCHED, 1)
        page.goto(f"{base}/cases/{pk}/")
        history = page.get_by_test_id("case-history")
        expect(history).to_contain_text("派遣")
        expect(history).to_contain_text("督办")
        expect(history).to_contain_text("今天内到场处置，处置完上传照片")
    untouched = Case.objects.filter(pk__in=[x.pk for x in late]).exclude(pk__in=chosen)
    assert set(untouched.values_list("status", flat=True)) == {Status.REPORTED}

    # On a phone the same list is a card per case and the page does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/centre/cases/?due=overdue")
    expect(page.get_by_test_id("queue-row")).to_have_count(8)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.get_by_test_id("queue-row").first.evaluate("e => getComputedStyle(e).display") == "block"
    page.screenshot(path=str(artifacts / "centre-queue-phone.png"), full_page=True)
    assert errors == []
    context.close()
