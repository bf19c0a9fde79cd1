import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_a_grid_worker_sees_only_their_grid_on_a_phone(page, live_server, small_county, artifacts):
    c = small_county
    base = live_server.url
    log_in(page, base, "worker_a1")
    assert "网格员" in page.get_by_test_id("whoami").inner_text()

    page.goto(f"{base}/people/households/")
    rows = page.get_by_test_id("household-table").locator("tbody tr")
    numbers = {rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())}
    assert numbers == {c.households["a1"].number, c.households["a1_micro"].number}

    # Another grid's household, asked for by URL, is "not found" — the same as a missing one.
    response = page.goto(f"{base}/people/households/{c.households['b1'].id}/")
    assert response.status == 404

    # A household in the grid shows masked ID numbers and no reveal button.
    page.goto(f"{base}/people/households/{c.households['a1'].id}/")
    cells = page.get_by_test_id("resident-table").locator("tbody tr td:nth-child(5)")
    assert "**********" in cells.first.inner_text()
    assert page.get_by_text("查看", exact=True).count() == 0

    page.goto(f"{base}/grids/{c.grid_a1.code}/")
    grid_map = page.get_by_test_id("grid-map")
    page.wait_for_function("() => document.querySelector('[data-testid=grid-map]').dataset.ready !== undefined")
    assert grid_map.get_attribute("data-ready") == "2"  # the grid and its micro-grid
    assert page.locator(".leaflet-interactive").count() == 2
    page.screenshot(path=str(artifacts / "grid-worker-grid-map.png"), full_page=True)


def test_a_township_clerk_reveals_an_id_number_with_a_record(page, live_server, small_county, artifacts):
    from tests.factories import grant_reveal
    from xiangzhi.people.models import RevealRecord

    c = small_county
    grant_reveal(c.users["township_staff"])
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, "town_a")
    page.goto(f"{base}/map/")
    page.wait_for_function("() => document.querySelector('[data-testid=grid-map]').dataset.ready !== undefined")
    assert page.locator(".leaflet-interactive").count() == 3  # a1, its micro-grid, a2
    page.screenshot(path=str(artifacts / "township-grid-map.png"))

    page.goto(f"{base}/people/households/{c.households['a2'].id}/")
    page.get_by_role("button", name="查看").first.click()
    revealed = page.get_by_test_id("revealed")
    revealed.wait_for()
    assert "*" not in revealed.inner_text() and len(revealed.inner_text()) == 18
    assert RevealRecord.objects.filter(user=c.users["township_staff"]).count() == 1
