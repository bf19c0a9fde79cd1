"""The Content-Security-Policy in a real browser: an injected inline script or handler does not run
and the browser reports it, a grid named like an HTML tag shows as text on the map, and every page
that draws, swaps or asks still does under the policy."""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.helpers import PHONE, log_in
from tests.factories import grant_reveal, install_points_rulebooks, square

pytestmark = pytest.mark.browser

XSS_NAME = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
LINK_NAME = '<a href="http://evil.example/">点我</a>'  # plotly.js would draw this as a link
# Collects what the policy refused, from before the page's first script.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.effectiveDirective + " " + e.blockedURI);
});
"""


def open_as(browser, base: str, username: str, **context):
    page = browser.new_context(**{**PHONE, **context}).new_page()
    page.add_init_script(WATCH)
    log_in(page, base, username)
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_injected_scripts_do_not_run_and_the_map_shows_names_as_text(browser, live_server, small_county):
    from xiangzhi.regions.services import grid_create

    c = small_county
    grid_create(region=c.village_a1, name=XSS_NAME, boundary=square(118.03, 37.70, 0.01))
    grid_create(region=c.village_a1, name=LINK_NAME, boundary=square(118.00, 37.73, 0.01))
    page = open_as(browser, live_server.url, "town_a", viewport={"width": 1280, "height": 900})
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{live_server.url}/map/")
    page.wait_for_function("() => document.querySelector('[data-testid=grid-map]').dataset.ready !== undefined")
    assert page.locator(".leaflet-interactive").count() == 5  # a1, its micro-grid, a2 and the two new ones

    # Hover each polygon until the new grid's tooltip opens: its name is there as typed, not as markup.
    tip = page.locator(".leaflet-tooltip", has_text="onerror")
    for i in range(5):
        page.locator(".leaflet-interactive").nth(i).hover(force=True)  # grids overlap their micro-grids
        page.locator(".leaflet-tooltip").first.wait_for()
        if tip.count():
            break
    assert tip.inner_text() == f"东村 · {XSS_NAME}"
    assert tip.locator("img, script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert violations(page) == []  # the map page itself needs nothing the policy refuses

    # The figures page's interactive view charts the village's grids: plotly.js shows the name as
    # typed, not as markup.
    page.goto(f"{live_server.url}/centre/figures/?charts=interactive&region={c.village_a1.code}")
    page.wait_for_selector("#chart-overdue .xtick text")
    ticks = page.locator("#chart-overdue .xtick text").all_text_contents()
    assert {XSS_NAME, LINK_NAME, "东村第一网格"} <= set(ticks)
    assert page.locator("#chart-overdue a").count() == 0
    assert violations(page) == []

    # A script element without the page's nonce, as an injection would add it, is refused.
    with pytest.raises(PlaywrightError):
        page.add_script_tag(content="window.__pwned = 3;")
    # So is an inline handler in injected markup.
    page.evaluate("""document.body.insertAdjacentHTML("beforeend",
        '<img id="injected" src="/static/no-such-image.png" onerror="window.__pwned = 4">')""")
    page.wait_for_function("() => window.__violations.length >= 2")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert [v.split()[0] for v in violations(page)] == ["script-src-elem", "script-src-attr"]
    assert any("Content Security Policy" in text for text in console)


def test_charts_swaps_selects_and_questions_work_under_the_policy(browser, live_server, small_county, artifacts):
    from xiangzhi.activities.models import ActivitySignup
    from xiangzhi.activities.tests.conftest import make_activity
    from xiangzhi.points.models import EntryKind, PointsEntry

    c = small_county
    base = live_server.url
    grant_reveal(c.users["township_staff"])
    admin = c.users["county_admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    rules = install_points_rulebooks(c.town_a)[c.town_a.code]
    begun, _ = make_activity(c, rules, started=True, signups=["a1", "a1_micro"], checked_in=["a1", "a1_micro"])
    order = _villager_order(c, rules)

    # On a phone the figures page draws its charts on the server: no plotly.js, nothing wider than
    # the screen, and the desktop's 「交互图表」 button is not offered.
    page = open_as(browser, base, "admin")
    page.goto(f"{base}/centre/figures/")
    page.get_by_test_id("svg-months").wait_for()
    assert page.evaluate("() => typeof window.Plotly") == "undefined"
    assert not any("plotly" in url for url in page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name)"))
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert not page.get_by_test_id("interactive-link").is_visible()
    page.screenshot(path=str(artifacts / "figures-phone-light-charts.png"), full_page=True)
    assert violations(page) == []
    # plotly.js draws the interactive view under the policy (no eval needed for these charts); the
    # nonce lets the page's own script run; its mode bar speaks Chinese.
    page = open_as(browser, base, "admin", viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/centre/figures/")
    page.get_by_test_id("interactive-link").click()
    page.wait_for_selector("#chart-months .main-svg")
    assert page.locator(".js-plotly-plot").count() == 5
    titles = page.locator("#chart-months .modebar-btn").evaluate_all(
        "els => els.map(e => e.getAttribute('data-title'))")
    assert "下载为图片" in titles and "缩放" in titles and "平移" in titles, titles
    assert all(re.search("[\u4e00-\u9fff]", t) and not re.search("[A-Za-z]{3}", t) for t in titles), titles
    assert violations(page) == []
    # htmx runs without eval and inserts no <style> of its own (the indicator rule is in site.css).
    assert page.evaluate("() => [htmx.config.allowEval, htmx.config.includeIndicatorStyles]") == [False, False]
    assert page.evaluate("() => [...document.querySelectorAll('style')].some(s => s.textContent.includes('htmx'))") \
        is False
    # The API docs: Swagger UI from our own static files, drawn under the same policy.
    page.goto(f"{base}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert "乡治 xiangzhi API" in page.locator(".swagger-ui .info .title").inner_text()
    assert violations(page) == []
    # Django's admin: its scripts are files, its pages work as before.
    page.goto(f"{base}/admin/regions/grid/")
    page.locator("#action-toggle").check()
    assert page.locator(".action-counter").inner_text() == "选中了 5 个中的 5 个"  # admin JS ran
    assert violations(page) == []

    # htmx swaps in the revealed ID number.
    page = open_as(browser, base, "town_a", viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/people/households/{c.households['a2'].id}/")
    page.get_by_role("button", name="查看").first.click()
    page.get_by_test_id("revealed").wait_for()
    assert "*" not in page.get_by_test_id("revealed").inner_text()
    # The activity form's village choice sends itself.
    page.goto(f"{base}/activities/new/")
    page.select_option("#village-pick", c.village_a2.code)
    page.wait_for_url(f"**/activities/new/?village={c.village_a2.code}")
    # So does the shop counter's.
    page.goto(f"{base}/shop/manage/")
    page.select_option("select[name=village]", c.village_a2.code)
    page.wait_for_url(f"**/shop/manage/?village={c.village_a2.code}")
    assert violations(page) == []

    # 一键记分 asks first: "取消" sends nothing, "确定" awards.
    page = open_as(browser, base, "recorder_a1")
    questions = []
    answer = {"accept": False}

    def on_dialog(dialog):
        questions.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{base}/activities/{begun.pk}/")
    page.get_by_test_id("award-button").click()
    assert questions == [f"为 2 户各记 {begun.points} 分？记分后不能再签到。"]
    assert page.url == f"{base}/activities/{begun.pk}/"
    assert not PointsEntry.objects.filter(kind=EntryKind.AWARD, source=f"activity:{begun.pk}").exists()
    answer["accept"] = True
    page.get_by_test_id("award-button").click()
    page.wait_for_selector(".alert-success:visible")
    assert PointsEntry.objects.filter(kind=EntryKind.AWARD, source=f"activity:{begun.pk}").count() == 2
    assert ActivitySignup.objects.filter(activity=begun, checked_in_at__isnull=False).count() == 2
    assert violations(page) == []

    # The villager's cancel button asks too, naming the order.
    page = open_as(browser, base, "villager")
    page.on("dialog", on_dialog)
    answer["accept"] = False
    page.goto(f"{base}/shop/")
    page.get_by_role("button", name="取消兑换").click()
    assert questions[-1] == f"确定取消兑换单 {order.number}？积分将退还。"
    order.refresh_from_db()
    assert order.status == "reserved"
    answer["accept"] = True
    page.get_by_role("button", name="取消兑换").click()
    page.wait_for_selector(".alert")
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert violations(page) == []


def _villager_order(c, rules):
    """A redemption window open in 下洼镇 and one order of household a1, reserved by its villager."""
    import datetime as dt

    from django.utils import timezone

    from xiangzhi.points import services as points
    from xiangzhi.points.models import PointsRule
    from xiangzhi.shop import services as shop

    today = timezone.localdate()
    points.redemption_window_add(actor=c.users["township_staff"], township=c.town_a, opens_on=today,
                                 closes_on=today + dt.timedelta(days=14))
    first = rules["neighbour_help"]
    earn = PointsRule.objects.create(rulebook=first.rulebook, category=first.category, code="csp_earn",
                                     name="测试积分", direction="add", points=50)
    e = points.entry_record(actor=c.users["points_recorder"], household=c.households["a1"], rule=earn,
                            occurred_on=today).entry
    points.entry_review(actor=c.users["points_supervisor"], entry=e, approve=True)
    item = shop.shop_item_create(actor=c.users["village_cadre"], village=c.village_a1, name="洗衣粉", unit="袋",
                                 price=1, stock=20)
    return shop.shop_order_reserve(actor=c.users["resident"], household=c.households["a1"], item=item).order
