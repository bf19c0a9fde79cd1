"""The patrol recorder in a phone browser: geolocation in, a track and a distance out."""

import pytest

from tests.browser.helpers import log_in
from tests.factories import build_small_county

pytestmark = pytest.mark.browser

WALK = [(37.705, 118.005), (37.705, 118.006), (37.706, 118.006), (37.706, 118.007)]


@pytest.fixture
def small_county(transactional_db):
    return build_small_county()


def phone(browser, **extra):
    return browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN", is_mobile=True, **extra)


def test_a_worker_walks_a_patrol_and_the_track_reaches_the_server(browser, live_server, small_county, artifacts):
    from xiangzhi.gridwork.models import Patrol
    from xiangzhi.gridwork.tests.helpers import key_person

    key_person(small_county.households["a1"], registered_days_ago=40)
    key_person(small_county.households["a1_micro"], registered_days_ago=25)

    base = live_server.url
    lat, lon = WALK[0]
    context = phone(browser, geolocation={"latitude": lat, "longitude": lon, "accuracy": 5},
                    permissions=["geolocation"])
    page = context.new_page()
    log_in(page, base, "worker_a1")
    page.goto(f"{base}/work/")
    page.screenshot(path=str(artifacts / "worker-day.png"), full_page=True)
    page.get_by_test_id("start-patrol").click()
    page.wait_for_url(f"{base}/work/patrols/*/")
    status = page.get_by_test_id("patrol-status")
    page.wait_for_function("() => document.getElementById('patrol-status').dataset.kind === 'success'")
    for n, (lat, lon) in enumerate(WALK[1:], start=2):
        page.wait_for_timeout(1100)  # fixes a second apart, as a phone reports them
        context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
        page.wait_for_function(f"() => Number(document.getElementById('patrol-count').textContent) >= {n}")
    assert float(page.locator("#patrol-distance").inner_text()) > 0.2
    assert "正在记录轨迹" in status.inner_text()
    page.screenshot(path=str(artifacts / "patrol-recording.png"), full_page=True)

    # Stopping sends the fixes still waiting, then ends the patrol; the server's distance agrees.
    page.get_by_test_id("stop-patrol").click()
    page.wait_for_selector("[data-testid=patrol-km]")
    patrol = Patrol.objects.get()
    assert patrol.ended_at is not None and patrol.point_count >= 4
    assert 250 < patrol.distance_m < 320
    assert page.get_by_test_id("patrol-km").inner_text() == str(patrol.distance_km)
    page.wait_for_function("() => document.querySelector('[data-testid=patrol-map]').dataset.ready !== undefined")
    assert page.locator("path.leaflet-interactive").count() >= 2  # the grid and the track
    page.screenshot(path=str(artifacts / "patrol-track.png"), full_page=True)
    context.close()


def test_a_refused_location_is_explained_in_chinese(browser, live_server, small_county):
    base = live_server.url
    context = phone(browser)  # no geolocation permission granted: the browser refuses
    page = context.new_page()
    log_in(page, base, "worker_a1")
    page.goto(f"{base}/work/")
    page.get_by_test_id("start-patrol").click()
    page.wait_for_url(f"{base}/work/patrols/*/")
    page.wait_for_function("() => document.getElementById('patrol-status').dataset.kind === 'danger'", timeout=15000)
    assert "未获得定位权限" in page.get_by_test_id("patrol-status").inner_text()
    context.close()
