"""A township dispatcher opens the command centre's map on her phone: the red markers and clusters count
the township's overdue open cases (another township's never show), the names on the map never overlap,
a minute later the layer has refreshed itself without a reload, and a tap on a grid opens its panel as a
bottom sheet; on a desktop the panel stands beside the map and key places are a layer one switches on."""

import datetime as dt

import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True,
         "service_workers": "block"}

OVERDUE_SUM = """() => {
  let n = 0;
  document.querySelectorAll('#centre-map .xz-cluster').forEach(e => { n += Number(e.dataset.overdue); });
  document.querySelectorAll('#centre-map .xz-case[data-overdue="1"]').forEach(() => { n += 1; });
  return n;
}"""
LABELS_OVERLAP = """() => {
  const boxes = [...document.querySelectorAll('#centre-map .xz-map-label')].map(e => e.getBoundingClientRect());
  return boxes.some((a, i) => boxes.slice(i + 1).some(b =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom));
}"""


def test_a_dispatcher_sees_the_overdue_cases_on_the_map_and_opens_a_grids_panel(browser, live_server, small_county,
                                                                               artifacts):
    from django.utils import timezone

    from xiangzhi.cases.models import Category
    from xiangzhi.cases.services import case_report
    from xiangzhi.centre.map import map_node_for_user, map_totals_for_user
    from xiangzhi.people.services import place_add

    c = small_county
    town = c.users["township_staff"]
    light = Category.objects.get(code="road_light")
    month_ago = timezone.now() - dt.timedelta(days=30)
    for i, (lon, lat, when) in enumerate([(118.012, 37.712, month_ago), (118.015, 37.715, month_ago),
                                          (118.0151, 37.7151, month_ago), (118.055, 37.705, month_ago),
                                          (118.016, 37.714, None), (118.065, 37.715, None),
                                          (118.105, 37.705, month_ago)]):  # the last in 古城镇
        case_report(category=light, title=f"路灯不亮{i}", channel="hotline", lon=lon, lat=lat, reporter=town, now=when)
    overdue = map_totals_for_user(town, node=map_node_for_user(town)).overdue
    assert overdue == 4
    place_add(actor=c.users["grid_worker"], grid=c.grid_a1, kind="street_light", name="村口路灯", lon=118.011,
              lat=37.711)

    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.clock.install()
        log_in(page, live_server.url, town.username)
        page.goto(f"{live_server.url}/centre/map/")
        page.wait_for_function("() => document.getElementById('centre-map').dataset.casesReady === '1'")
        assert page.evaluate(OVERDUE_SUM) == overdue
        assert f"超时 {overdue} 件" in page.get_by_test_id("map-status").inner_text()
        assert page.locator("[data-total=overdue]").inner_text() == str(overdue)
        assert not page.evaluate(LABELS_OVERLAP)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "centre-map-phone.png"))

        # A minute on, the layer is fetched again in place: same page, one load more.
        page.evaluate("() => { window.xzSamePage = true; }")
        page.clock.run_for(61_000)
        page.wait_for_function("() => document.getElementById('centre-map').dataset.casesReady === '2'")
        assert page.evaluate("() => window.xzSamePage === true") and page.evaluate(OVERDUE_SUM) == overdue

        # A tap on an empty corner of 东村's grid opens its panel from the bottom.
        page.locator(f'path[data-grid="{c.grid_a1.code}"]').click(position={"x": 4, "y": 4}, force=True)
        panel = page.get_by_test_id("grid-panel")
        panel.wait_for(state="visible")
        assert c.grid_a1.name in panel.inner_text()
        assert page.get_by_test_id("panel-overdue").inner_text() == "3"
        # The sheet slides up to rest on the bottom edge, over the lower part of the map.
        page.wait_for_function("() => Math.abs(document.getElementById('map-panel').getBoundingClientRect().bottom"
                               " - window.innerHeight) < 1")
        assert page.get_by_test_id("map-panel").bounding_box()["y"] > 300
        page.screenshot(path=str(artifacts / "centre-map-panel-phone.png"))
    finally:
        context.close()

    # On a desktop the panel stands beside the map.
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN", service_workers="block")
    page = context.new_page()
    try:
        log_in(page, live_server.url, town.username)
        page.goto(f"{live_server.url}/centre/map/")
        page.wait_for_function("() => document.getElementById('centre-map').dataset.casesReady === '1'")
        page.locator(f'path[data-grid="{c.grid_a2.code}"]').click(position={"x": 4, "y": 4}, force=True)
        page.get_by_test_id("grid-panel").wait_for(state="visible")
        box, sheet = page.get_by_test_id("centre-map").bounding_box(), page.get_by_test_id("map-panel").bounding_box()
        assert sheet["x"] >= box["x"] + box["width"] and page.evaluate(OVERDUE_SUM) == overdue
        # Key places are a layer one switches on (loaded then), from the layer control in Chinese.
        page.locator(".leaflet-control-layers").hover()  # expands it (the toggle is titled 图层)
        page.get_by_label("部件与场所").check()
        page.wait_for_function("() => document.getElementById('centre-map').dataset.placesReady === '1'")
        page.screenshot(path=str(artifacts / "centre-map-desktop.png"))
    finally:
        context.close()
