"""The issue's whole path in a real browser: a villager's photo report of a broken street light goes
to the grid worker, is escalated to the township, dispatched to the power department, handled,
verified by the village and rated by the villager."""

import io

import pytest
from PIL import Image

from tests.factories import PASSWORD, build_small_county

pytestmark = pytest.mark.browser


@pytest.fixture
def small_county(transactional_db):
    return build_small_county()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "light.jpg"
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 30, 30)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def as_user(browser, base, username, phone=True):
    context = browser.new_context(viewport={"width": 412, "height": 915} if phone else {"width": 1280, "height": 900},
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def act(page, action, note=None, **selects):
    form = page.locator(f"form[data-action={action}]")
    for name, value in selects.items():
        form.locator(f"select[name={name}]").select_option(value)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    form.locator("button").click()
    page.wait_for_load_state()


def test_a_street_light_goes_round_the_whole_loop(browser, live_server, small_county, photo, artifacts):
    c = small_county
    base = live_server.url

    villager = as_user(browser, base, "villager")
    villager.goto(f"{base}/cases/new/")
    villager.select_option("#category", "road_light")
    villager.fill("#title", "村口路灯不亮")
    villager.fill("#description", "东村一组路口的路灯连续三晚不亮")
    villager.set_input_files("#photos", str(photo))
    villager.fill("#lon", "118.005")
    villager.fill("#lat", "37.705")
    villager.click("button[type=submit]")
    villager.wait_for_url(f"{base}/cases/*/")
    assert villager.get_by_test_id("case-status").inner_text() == "待受理"
    case_url = villager.url
    villager.screenshot(path=str(artifacts / "case-reported.png"), full_page=True)

    worker = as_user(browser, base, "worker_a1")
    worker.goto(f"{base}/cases/inbox/")
    worker.get_by_text("村口路灯不亮").click()
    act(worker, "accept")
    act(worker, "escalate", note="灯杆线路老化，网格无法处置，请供电所更换", level="township")
    assert "乡镇" in worker.get_by_test_id("case-level").inner_text()

    town = as_user(browser, base, "town_a", phone=False)
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
    villager.check("input[value=satisfied]")
    act(villager, "evaluate", note="修得很快，谢谢")
    assert villager.get_by_test_id("case-status").inner_text() == "已评价"
    history = villager.get_by_test_id("case-history").inner_text()
    for step in ["上报", "受理", "上报上级（吹哨）", "派遣", "开始处置", "处置完毕", "核查通过", "结案", "评价"]:
        assert step in history
    villager.screenshot(path=str(artifacts / "case-evaluated.png"), full_page=True)
