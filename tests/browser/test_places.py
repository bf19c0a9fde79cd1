"""A grid worker adds a street light on the map from his phone; the next report made beside it offers
「路灯 · 17号杆」, and picking it names the facility on the case."""

import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

HERE = {"latitude": 37.715, "longitude": 118.015}  # inside grid A1 of the small county


def test_a_worker_adds_a_street_light_and_a_report_beside_it_names_it(browser, live_server, small_county,
                                                                      artifacts):
    from xiangzhi.cases.models import Case
    from xiangzhi.people.models import Place

    base, grid = live_server.url, small_county.grid_a1
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, service_workers="block", geolocation=HERE,
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        log_in(page, base, "worker_a1")
        page.goto(f"{base}/people/places/new/?grid={grid.code}")
        page.select_option("#s-kind", "street_light")
        page.fill("#s-name", "村口路灯")
        page.fill("#s-label", "17号杆")
        page.wait_for_function("() => document.getElementById('lon').value !== ''")  # the phone's position
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "place-new-phone.png"), full_page=True)
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(f"{base}/people/places/*/")
        place = Place.objects.get(label="17号杆")
        assert (place.grid_id, round(place.lat, 3), round(place.lon, 3)) == (grid.pk, 37.715, 118.015)
        assert "17号杆" in page.content()

        page.goto(f"{base}/cases/new/")
        near = page.get_by_test_id("near-places")
        near.wait_for(state="visible")
        button = near.get_by_role("button", name="17号杆")
        assert "路灯" in button.inner_text()
        button.click()
        assert page.input_value("#place") == str(place.pk)
        page.locator("#more summary").click()
        page.fill("#description", "路灯不亮了")
        page.screenshot(path=str(artifacts / "report-near-place-phone.png"), full_page=True)
        page.get_by_role("button", name="提交").click()
        page.wait_for_url(f"{base}/cases/*/")
        case = Case.objects.get()
        assert case.place_id == place.pk and (case.lon, case.lat) == (place.lon, place.lat)
        assert "17号杆" in page.get_by_test_id("case-place").inner_text()
    finally:
        context.close()
