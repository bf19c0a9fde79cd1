import re

import pytest

from tests.browser.helpers import PHONE, log_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_an_inspector_inspects_a_village_on_a_390px_phone(browser, live_server, small_county, photo, artifacts):
    """Pick the village, fix the position in it (the phone's GPS), add a finding with a photo, finish:
    the finding is the village's task."""
    from xiangzhi.inspections.models import Finding, TaskState

    c = small_county  # its 督查员 of 下洼镇 logs in as inspector_a
    context = browser.new_context(**{**PHONE, "viewport": {"width": 390, "height": 844}},
                                  geolocation={"longitude": 118.005, "latitude": 37.705}, permissions=["geolocation"])
    page = context.new_page()
    base = live_server.url
    log_in(page, base, "inspector_a")
    assert page.url.endswith("/inspections/") and page.evaluate(NO_SIDEWAYS)
    page.get_by_test_id("village-months").locator("li", has_text="东村").get_by_role("button", name="开始排查").click()
    page.wait_for_url(re.compile(r"/inspections/\d+/$"))  # loaded: the button's script is attached
    page.get_by_role("button", name="在村里定位").click()
    page.get_by_text("已在村里定位").first.wait_for()
    page.select_option("#item_code", "building_illegal")
    page.fill("#finding-text", "三组一户未批先建")
    page.set_input_files("#finding-photos", str(photo))
    page.get_by_role("button", name="记录问题").click()
    page.get_by_test_id("findings").get_by_text("三组一户未批先建").wait_for()
    assert page.evaluate(NO_SIDEWAYS)
    page.screenshot(path=str(artifacts / "inspector-inspection.png"), full_page=True)
    page.get_by_role("button", name="完成排查并交办").click()
    page.get_by_text("已交办给村里").wait_for()
    finding = Finding.objects.get()
    assert finding.state == TaskState.OPEN and finding.owner == c.users["village_cadre"]
    assert finding.photos.count() == 1
    context.close()
