"""The issue's whole path in a real browser: a villager's photo report of a broken street light goes
to the grid worker, is escalated to the township, dispatched to the power department, handled,
verified by the village and rated by the villager; the township's figures count it and an Open311
client reads it as closed."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from xiangzhi.open311.services import open311_client_create

pytestmark = pytest.mark.browser


def as_user(browser, base, username, phone=True, **context_options):
    context = browser.new_context(viewport={"width": 412, "height": 915} if phone else {"width": 1280, "height": 900},
                                  locale="zh-CN", service_workers="block", **context_options)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(base) and "/accounts/login/" not in url)
    return page


def act(page, action, note=None, **selects):
    form = page.locator(f"form[data-action={action}]")
    for name, value in selects.items():
        form.locator(f"select[name={name}]").select_option(value)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button").click()
    page.wait_for_load_state()


def read_figures(page, base) -> dict[str, int]:
    """The headline counts of the figures page: the default period (the last twelve months) over the
    user's whole scope."""
    page.goto(f"{base}/centre/figures/")
    cards = page.get_by_test_id("figures-cards").inner_text()

    def count(pattern: str) -> int:
        found = re.search(pattern, cards)
        return int(found.group(1).replace(",", "")) if found else 0

    return {
        "received": int(page.get_by_test_id("figure-received").inner_text().replace(",", "")),
        "closed": count(r"已办结 ([\d,]+) / 应办结"),
        "due": count(r"已办结 [\d,]+ / 应办结 ([\d,]+)"),
        "closed_on_time": count(r"按期 ([\d,]+) / 应办结"),
        "satisfied": count(r"满意 ([\d,]+) · 基本满意"),
        "closed_by_department": count(r"职能部门 ([\d,]+)"),  # the level split lists non-zero levels only
    }


def open311_request(browser, base, number: str) -> dict:
    """GET one request the way a GeoReport client does: no session, no key."""
    client = browser.new_context()
    try:
        response = client.request.get(f"{base}/open311/v2/requests/{number}.json")
        assert response.status == 200, response.text()
        (request,) = response.json()
    finally:
        client.close()
    return request


def test_a_street_light_goes_round_the_whole_loop(browser, live_server, small_county, photo, artifacts):
    c = small_county
    base = live_server.url
    open311_client_create(name="12345热线平台", region=c.town_a)  # publishes 下洼镇's cases over Open311

    town = as_user(browser, base, "town_a", phone=False)
    before = read_figures(town, base)

    # The villager's phone knows where it is: the map finds it, names the grid and shows no coordinates.
    villager = as_user(browser, base, "villager", geolocation={"latitude": 37.705, "longitude": 118.005,
                                                                 "accuracy": 8}, permissions=["geolocation"])
    villager.goto(f"{base}/cases/new/")
    expect(villager.locator("#pick-where")).to_contain_text("位置：东村")
    assert villager.locator("#lon").input_value() == "118.005000"
    assert villager.locator("input:visible[name=lon], input:visible[name=lat]").count() == 0
    # The pin is Leaflet's own marker image, served from our static files (it was a 404 and the word "Marker").
    villager.wait_for_function("() => { const i = document.querySelector('.leaflet-marker-icon');"
                               " return i !== null && i.complete && i.naturalWidth > 0; }", timeout=10_000)
    assert villager.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"
    villager.screenshot(path=str(artifacts / "case-report-located.png"))
    villager.locator("summary", has_text="补充说明（可不填）").click()  # category and words are optional, folded
    villager.select_option("#category", "road_light")
    villager.fill("#title", "村口路灯不亮")
    villager.fill("#description", "东村一组路口的路灯连续三晚不亮")
    villager.set_input_files("#photos", str(photo))
    expect(villager.locator("#photos-picked")).to_have_text("已选 1 张照片")
    villager.click("button[type=submit]")
    villager.wait_for_url(f"{base}/cases/*/")
    assert villager.get_by_test_id("case-status").inner_text() == "已受理"  # a villager's words (issue 12)
    case_url = villager.url
    number = re.search(r"已上报，编号 (\d+)", villager.content()).group(1)
    villager.screenshot(path=str(artifacts / "case-reported.png"), full_page=True)
    reported = open311_request(browser, base, number)
    assert (reported["status"], reported["service_code"]) == ("open", "road_light")

    # The worker finds it on their day page, under 我的事件.
    worker = as_user(browser, base, "worker_a1")
    worker.goto(f"{base}/work/")
    mine = worker.get_by_test_id("cases-card")
    assert "待办 1 件" in mine.get_by_test_id("cases-count").inner_text()
    mine.get_by_test_id("my-case").filter(has_text=number).click()
    worker.wait_for_url(case_url)
    act(worker, "accept")
    act(worker, "escalate", note="灯杆线路老化，网格无法处置，请供电所更换", level="township")
    assert "乡镇" in worker.get_by_test_id("case-level").inner_text()

    town.goto(case_url)
    act(town, "dispatch", level="department", department=c.department.code)
    assert "下洼供电所" in town.get_by_test_id("case-level").inner_text()

    dept = as_user(browser, base, "dept")
    dept.goto(f"{base}/cases/inbox/")
    dept.get_by_text("村口路灯不亮").click()
    act(dept, "start")
    act(dept, "handle", note="已更换灯头和线路，恢复照明")
    assert dept.get_by_test_id("case-status").inner_text() == "已处置待核查"

    cadre = as_user(browser, base, "cadre_a1")
    cadre.goto(f"{base}/cases/inbox/")
    cadre.get_by_text("村口路灯不亮").click()
    act(cadre, "verify_pass")
    assert cadre.get_by_test_id("case-status").inner_text() == "已结案"

    villager.goto(case_url)
    assert villager.get_by_test_id("case-status").inner_text() == "待评价"
    villager.locator("label[for=evaluation-satisfied]").click()
    act(villager, "evaluate", note="修得很快，谢谢")
    assert villager.get_by_test_id("case-status").inner_text() == "已办结"
    history = villager.get_by_test_id("case-progress").inner_text()
    for step in ["提交了反映", "受理了您的反映", "转交乡镇（街道）处理", "安排下洼供电所处理", "开始处理",
                 "已更换灯头和线路，恢复照明", "问题已解决", "办结了您的反映", "作出了评价"]:
        assert step in history
    assert "worker_a1" not in history and "cadre_a1" not in history
    villager.screenshot(path=str(artifacts / "case-evaluated.png"), full_page=True)

    # The figures move: the township's figures count the case as received, due and closed on time at
    # the department level, and rated 满意.
    after = read_figures(town, base)
    assert after == {name: value + 1 for name, value in before.items()}, (before, after)
    town.screenshot(path=str(artifacts / "case-figures.png"), full_page=True)

    # An Open311 client sees it closed, as the street-light service.
    closed = open311_request(browser, base, number)
    assert (closed["service_request_id"], closed["status"], closed["service_code"]) == (number, "closed",
                                                                                        "road_light")
