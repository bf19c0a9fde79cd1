"""The patrol recorder in a phone browser: geolocation in, a track and a distance out."""

import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

WALK = [(37.705, 118.005), (37.705, 118.006), (37.706, 118.006), (37.706, 118.007), (37.707, 118.007),
        (37.707, 118.008)]


def phone(browser, **extra):
    return browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                               service_workers="block", **extra)


def jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 160, 40)).save(out, "JPEG")
    return out.getvalue()


def no_sideways_scroll(page_or_frame) -> bool:
    return page_or_frame.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'main button, main a.btn, main label.btn, main .list-group-item-action, .xz-sheet button'))
  .filter(el => el.offsetParent !== null)
  .map(el => [el.textContent.trim(), Math.round(el.getBoundingClientRect().height)])
  .filter(([, h]) => h < 44)"""


def test_a_worker_reports_and_visits_inside_one_patrol_and_the_track_goes_on(
    browser, live_server, small_county, artifacts
):
    from xiangzhi.cases.models import Case
    from xiangzhi.gridwork.models import Patrol, TrackPoint, Visit
    from xiangzhi.gridwork.tests.helpers import key_person

    overdue = key_person(small_county.households["a1"], registered_days_ago=40)
    key_person(small_county.households["a1_micro"], registered_days_ago=25)

    base = live_server.url
    lat, lon = WALK[0]
    context = phone(browser, geolocation={"latitude": lat, "longitude": lon, "accuracy": 5},
                    permissions=["geolocation"])
    page = context.new_page()
    log_in(page, base, "worker_a1")
    page.goto(f"{base}/work/")
    page.screenshot(path=str(artifacts / "patrol-1-day.png"), full_page=True)
    page.get_by_test_id("start-patrol").click()
    page.wait_for_url(f"{base}/work/patrols/*/")
    status = page.get_by_test_id("patrol-status")
    page.wait_for_function("() => document.getElementById('patrol-status').dataset.kind === 'success'")

    def walk_to(n):
        """Move to the n-th place of the walk and wait for the recorder to take the fix."""
        lat, lon = WALK[n - 1]
        before = int(page.locator("#patrol-count").inner_text())
        page.wait_for_timeout(1100)  # fixes a second apart, as a phone reports them
        context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
        page.wait_for_function(f"() => Number(document.getElementById('patrol-count').textContent) > {before}")

    for n in (2, 3):
        walk_to(n)
    assert "正在记录轨迹" in status.inner_text() and no_sideways_scroll(page)
    assert page.evaluate(SMALL_TARGETS) == []
    page.screenshot(path=str(artifacts / "patrol-2-recording.png"), full_page=True)

    # 上报事件: the report form opens in a sheet over the patrol, at the patrol's last fix.
    page.get_by_test_id("sheet-report").click()
    sheet = page.get_by_test_id("patrol-sheet")
    frame = page.frame_locator("[data-testid=sheet-frame]")
    frame.locator("[data-testid=case-form]").wait_for()
    assert frame.locator("#lat").input_value() == "37.706000" and frame.locator("#lon").input_value() == "118.006000"
    assert frame.locator("nav.navbar").count() == 0
    walk_to(4)  # the recorder goes on underneath the sheet
    frame.locator("#photos").set_input_files([{"name": "light.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    frame.locator("#more summary").click()
    frame.locator("#title").fill("巡查发现路灯不亮")
    page.screenshot(path=str(artifacts / "patrol-3-report-sheet.png"))
    frame.locator("[data-testid=case-form] [type=submit]").click()
    flash = page.get_by_test_id("patrol-flash")
    page.wait_for_function("() => document.getElementById('patrol-flash').textContent.startsWith('已上报')")
    assert flash.inner_text() == "已上报：巡查发现路灯不亮" and sheet.is_hidden()
    assert page.get_by_test_id("patrol-case").inner_text().count("巡查发现路灯不亮") == 1
    page.screenshot(path=str(artifacts / "patrol-4-reported.png"), full_page=True)

    # 走访: pick a person due in the patrol's grid, then the visit form, in the same sheet.
    page.get_by_test_id("sheet-visit").click()
    rows = page.get_by_test_id("patrol-due-row")
    rows.first.wait_for()
    assert rows.count() == 2 and overdue.resident.name in rows.first.inner_text()
    assert page.evaluate(SMALL_TARGETS) == []
    page.screenshot(path=str(artifacts / "patrol-5-visit-pick.png"))
    rows.first.click()
    frame.locator("[data-testid=visit-form]").wait_for()
    assert no_sideways_scroll(frame.locator("html")) and frame.locator("html").evaluate(SMALL_TARGETS) == []
    frame.locator("#id_notes").fill("老人身体尚好，门前台阶有破损")
    frame.locator("#visit-photos").set_input_files([{"name": "home.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.screenshot(path=str(artifacts / "patrol-6-visit-sheet.png"))
    frame.locator("[data-testid=visit-submit]").click()
    page.wait_for_function("() => document.getElementById('patrol-flash').textContent.startsWith('已走访')")
    assert flash.inner_text() == f"已走访：{overdue.resident.name}" and sheet.is_hidden()
    assert overdue.resident.name in page.get_by_test_id("patrol-visit").inner_text()

    # The phone reloads the page (or it comes back from a locked screen): the same patrol records on.
    page.reload()
    page.wait_for_function("() => document.getElementById('patrol-status').dataset.kind === 'success'")
    for n in (5, 6):
        walk_to(n)
    page.screenshot(path=str(artifacts / "patrol-7-after.png"), full_page=True)

    # Stopping sends the fixes still waiting, then ends the patrol; the server's distance agrees.
    page.get_by_test_id("stop-patrol").click()
    page.wait_for_selector("[data-testid=patrol-km]")
    patrol = Patrol.objects.get()
    case = Case.objects.get(reporter__username="worker_a1")
    visit = Visit.objects.get()
    assert patrol.ended_at is not None and patrol.point_count >= 6
    assert case.title == "巡查发现路灯不亮" and case.photos.count() == 1
    assert (round(case.lat, 6), round(case.lon, 6)) == (37.706, 118.006)
    assert visit.key_person == overdue and visit.photos.count() == 1
    times = list(TrackPoint.objects.filter(patrol=patrol).values_list("recorded_at", flat=True))
    assert sum(t < case.created_at for t in times) >= 3 and sum(t > visit.created_at for t in times) >= 2
    assert 440 < patrol.distance_m < 530
    assert page.get_by_test_id("patrol-km").inner_text() == f"{patrol.distance_km:.2f}"
    assert "巡查发现路灯不亮" in page.get_by_test_id("patrol-activity").inner_text()
    page.wait_for_function("() => document.querySelector('[data-testid=patrol-map]').dataset.ready !== undefined")
    assert page.locator("path.leaflet-interactive").count() >= 2  # the grid and the track
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "patrol-8-track.png"), full_page=True)
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
