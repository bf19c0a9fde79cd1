"""A funded village project followed to completion, on phones: the village cadre marks the last
milestone done with a site photo, completes the project and the township accepts it; then anyone,
without logging in, opens the village's public projects page and follows it to its page — state,
milestones with photos, budget against spending, donors as they chose — with nothing scrolling
sideways at 390 px."""

import io

import pytest
from PIL import Image

from tests.browser.helpers import ARTIFACTS, in_browser_thread, log_in
from tests.factories import jpeg_photo
from xiangzhi.projects import services
from xiangzhi.projects.models import ProjectState
from xiangzhi.projects.tests.helpers import ago, started_project

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True,
             "service_workers": "block"}


def walk(browser, base: str, project, village_code: str, photo_path: str, seen: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(**PHONE_390).new_page()
    log_in(page, base, "cadre_a1")
    page.goto(f"{base}/projects/{project.pk}/")
    open_step = page.get_by_test_id("milestones").locator("form")
    open_step.locator("input[name=photos]").set_input_files(photo_path)
    open_step.get_by_role("button", name="完成").click()
    page.wait_for_selector(".alert-success")
    page.get_by_test_id("advance").click()  # 转为已完工
    page.wait_for_selector("text=项目已完工")
    page = browser.new_context(**PHONE_390).new_page()
    log_in(page, base, "town_a")
    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_test_id("advance").click()  # 转为已验收
    page.wait_for_selector("text=项目已验收")

    visitor = browser.new_context(**PHONE_390).new_page()
    visitor.goto(f"{base}/projects/public/{village_code}/")
    seen["list_state"] = visitor.get_by_test_id("public-projects").get_by_test_id("project-state").inner_text()
    visitor.get_by_test_id("public-projects").get_by_role("link").first.click()
    visitor.wait_for_url(f"**/projects/public/{village_code}/{project.pk}/")
    visitor.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    seen["state"] = visitor.get_by_test_id("project-state").inner_text()
    seen["photos"] = visitor.get_by_test_id("milestone-photo").count()
    seen["spent"] = visitor.get_by_test_id("spent").inner_text()
    seen["donations"] = visitor.get_by_test_id("public-donations").inner_text()
    seen["sideways"] = visitor.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    visitor.screenshot(path=str(ARTIFACTS / "projects-public-phone.png"), full_page=True)


def test_a_funded_project_is_followed_to_completion_on_the_public_page(live_server, small_county, tmp_path):
    c = small_county
    cadre = c.users["village_cadre"]
    project = started_project(c, budget=380_000)
    services.project_award(actor=c.users["county_admin"], project=project, funding_source="积分换项目奖补",
                           awarded_amount=200_000)
    first = project.milestones.first()
    services.milestone_done(actor=cadre, milestone=first, done_on=ago(12), photos=[jpeg_photo()])
    services.spending_record(actor=cadre, project=project, amount=372_600, purpose="混凝土和人工", spent_on=ago(3))
    services.donation_record(actor=cadre, project=project, kind="money", donor_name="刘志强", donor_note="在外乡贤",
                             amount=150_000, donated_on=ago(15))
    services.donation_record(actor=cadre, project=project, kind="money", donor_name="李卫东", amount=10_000,
                             donated_on=ago(15), anonymous=True)
    photo = tmp_path / "site.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 90)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())
    seen: dict = {}
    in_browser_thread(walk, live_server.url, project, c.village_a1.code, str(photo), seen)
    project.refresh_from_db()
    assert project.state == ProjectState.ACCEPTED
    assert (seen["list_state"], seen["state"]) == ("已验收", "已验收")
    assert seen["photos"] == 2
    assert seen["spent"] == "372,600"
    assert "刘志强（在外乡贤）" in seen["donations"] and "匿名" in seen["donations"]
    assert "李卫东" not in seen["donations"]
    assert seen["sideways"] <= 0
