"""The county configures itself in pages: its admin enters next year's holidays and a new category, and
the next case files under that category with a closure deadline that skips the new holidays."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from tests.browser.helpers import log_in
from xiangzhi.cases.models import CalendarDay, Category
from xiangzhi.cases.services import case_report
from xiangzhi.core.display import moment_text
from xiangzhi.lib.workdays import WorkCalendar

pytestmark = pytest.mark.browser


def calendar_now() -> WorkCalendar:
    rows = list(CalendarDay.objects.values_list("date", "is_workday"))
    return WorkCalendar(holidays=frozenset(d for d, w in rows if not w),
                        extra_workdays=frozenset(d for d, w in rows if w))


def test_next_years_holidays_and_a_new_category_reach_the_next_case(browser, live_server, small_county):
    c = small_county
    base = live_server.url
    now = timezone.now()
    year = timezone.localdate().year + 1
    new_year = dt.datetime(year, 1, 1, tzinfo=timezone.get_current_timezone())
    # 处置时限 long enough that, on today's calendar, the case would be due on 1 January of next year.
    reach = math.ceil(calendar_now().working_hours_between(now, new_year)) + 12
    handle = max(1, reach - 4 - 4 - 24)

    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN", service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "admin")

    page.goto(f"{base}/centre/config/")
    page.get_by_role("link", name=f"{year} 年").click()
    page.fill("#days", f"{year}-01-01 至 {year}-01-07 元旦（延长）")
    page.fill("#reason", "按国务院办公厅通知")
    page.get_by_role("button", name=f"保存 {year} 年安排").click()
    page.wait_for_url(f"{base}/centre/config/holidays/{year}/")
    assert "已保存" in page.inner_text("main")
    assert page.get_by_test_id("holiday-days").locator("tbody tr").count() == 7

    page.get_by_role("link", name="事件类别", exact=True).click()
    form = page.get_by_test_id("category-new")
    form.locator("#name").fill("工地扬尘")
    form.locator("#group").fill("人居环境")
    form.locator("#default_level").select_option("village")
    form.locator("#handle_hours").fill(str(handle))
    form.locator("#reason").fill("扬尘治理纳入网格")
    form.get_by_role("button", name="新增类别").click()
    page.wait_for_url(lambda url: "/centre/config/categories/cat_" in url)
    assert "第 1 版" in page.get_by_test_id("category-versions").inner_text()

    dust = Category.objects.get(name="工地扬尘")
    case = case_report(category=dust, channel="resident", title="工地扬尘", lon=118.005, lat=37.705,
                       reporter=c.users["resident"]).case
    with_holidays = calendar_now()
    expected = with_holidays.add_working_hours(case.created_at, 4 + 4 + handle + 24)
    new_days = {new_year.date() + dt.timedelta(days=i) for i in range(7)}
    without = WorkCalendar(holidays=with_holidays.holidays - new_days, extra_workdays=with_holidays.extra_workdays)
    assert case.close_due_at == expected > without.add_working_hours(case.created_at, 4 + 4 + handle + 24)
    assert timezone.localtime(expected).date() >= dt.date(year, 1, 8)  # after the new holidays

    page.goto(f"{base}/cases/{case.pk}/")
    body = page.inner_text("main")
    assert "工地扬尘" in body and moment_text(expected) in body
    assert errors == []
    context.close()
