"""At desktop size, the village cadre redraws two grids' boundaries on the map (driving Leaflet-Geoman
through its JavaScript API, as dragging vertices would): a crossed polygon is refused with the crossing
drawn in red and nothing saved; 第一网格 gives up its east strip and 第二网格 takes it; the house that
stood in the strip is listed under 「需要调整网格的户」 and moved with one button."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from xiangzhi.people.models import HouseholdChange
from xiangzhi.regions.models import GridBoundaryRevision
from xiangzhi.regions.services import grid_create

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", "service_workers": "block"}
REDRAW = """([ring]) => {
  const editor = document.getElementById("boundary-map").xzEditor;
  editor.layer().setLatLngs(ring.map(([lon, lat]) => [lat, lon]));
}"""


def redraw(page, ring, reason):
    page.wait_for_function("() => document.getElementById('boundary-map').dataset.ready === '1'")
    page.evaluate(REDRAW, [ring])
    page.fill("#reason", reason)
    page.get_by_test_id("boundary-form").get_by_role("button", name="保存").click()


def test_the_cadre_redraws_a_boundary_and_moves_the_house_that_changed_grid(browser, live_server, small_county,
                                                                               artifacts):
    base = live_server.url
    c = small_county
    second = grid_create(region=c.village_a1, name="东村第二网格",
                         boundary={"type": "Polygon", "coordinates": [[[118.02, 37.70], [118.04, 37.70],
                                                                       [118.04, 37.72], [118.02, 37.72],
                                                                       [118.02, 37.70]]]})
    house = c.households["a1"]
    house.lon, house.lat = 118.019, 37.71  # in 第一网格's east strip
    house.save(update_fields=["lon", "lat"])
    page = browser.new_context(**DESKTOP).new_page()
    log_in(page, base, "cadre_a1")

    page.goto(f"{base}/grids/{c.grid_a1.code}/")
    page.get_by_test_id("grid-boundary-link").click()
    page.wait_for_url(f"{base}/grids/{c.grid_a1.code}/boundary/")
    expect(page.locator(".leaflet-pm-toolbar")).to_be_visible()  # the editing plugin, from our own static files

    # A crossed polygon: refused, the crossing drawn, nothing saved.
    redraw(page, [[118.0, 37.70], [118.02, 37.72], [118.02, 37.70], [118.0, 37.72]], "重画")
    expect(page.get_by_test_id("boundary-problem")).to_contain_text("边线自相交（东经 118.010000，北纬 37.710000）")
    page.wait_for_function("() => document.getElementById('boundary-map').dataset.ready === '1'")
    assert page.locator("path.leaflet-interactive[stroke='#c62828']").count() >= 1
    page.screenshot(path=artifacts / "boundary-1-refused.png", full_page=True)
    assert not GridBoundaryRevision.objects.exists()

    # 第一网格 gives up its east strip: the house now stands in no grid, nothing to move yet.
    redraw(page, [[118.0, 37.70], [118.015, 37.70], [118.015, 37.72], [118.0, 37.72]], "东侧划给第二网格")
    page.wait_for_url(f"{base}/people/villages/{c.village_a1.code}/regrid/")
    expect(page.get_by_test_id("regrid-empty")).to_be_visible()

    # 第二网格 takes the strip: the house is listed, not moved.
    page.goto(f"{base}/grids/{second.code}/boundary/")
    redraw(page, [[118.015, 37.70], [118.04, 37.70], [118.04, 37.72], [118.015, 37.72]], "并入第一网格东侧")
    page.wait_for_url(f"{base}/people/villages/{c.village_a1.code}/regrid/")
    row = page.get_by_test_id("regrid-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("张建国户")
    expect(row).to_contain_text("登记在 东村第一网格，位置在 东村第二网格")
    house.refresh_from_db()
    assert house.grid_id == c.grid_a1.pk
    page.screenshot(path=artifacts / "boundary-2-regrid.png", full_page=True)

    row.get_by_role("button", name="调到东村第二网格").click()
    expect(page.get_by_text("已调到东村第二网格")).to_be_visible()
    expect(page.get_by_test_id("regrid-empty")).to_be_visible()
    house.refresh_from_db()
    assert house.grid_id == second.pk
    assert HouseholdChange.objects.filter(household=house, kind=HouseholdChange.Kind.GRID).count() == 1

    # The history on the edit page.
    page.goto(f"{base}/grids/{second.code}/boundary/")
    expect(page.get_by_test_id("boundary-revision")).to_contain_text("并入第一网格东侧")
    page.context.close()
