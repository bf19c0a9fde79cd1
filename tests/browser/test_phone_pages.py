"""Every page a villager and a grid worker reach from their menu and tab bar — and the pages of their
day one tap further: the villager's report and its progress, the worker's running patrol with its
sheets' pages and a visit form, the sign-up and SMS login, the village's public page with its
question and report forms — on a phone: it opens, nothing on it
scrolls sideways (in large type too), and it passes axe-core's WCAG 2 A/AA checks (axe-core comes
inside the axe-playwright-python wheel; nothing is fetched)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.helpers import log_in
from tests.factories import build_small_county, install_points_rulebooks
from xiangzhi.cases.models import Category
from xiangzhi.cases.services import case_report
from xiangzhi.gridwork.services import patrol_start
from xiangzhi.gridwork.tests.helpers import IN_A1, key_person
from xiangzhi.supervision.selectors import village_code_token

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Leaflet's map panes are drawn as positioned tiles and vector paths; axe cannot read contrast on
# them and the grid shapes carry their names in the page's text instead.
AXE_EXCLUDE = [".leaflet-container"]


@pytest.fixture
def day_pages(transactional_db) -> dict[str, list[str]]:
    """A county with the points rulebooks, a villager's report, a key person due for a visit and a
    patrol under way; per login, the pages one tap past the menu."""
    county = build_small_county()
    install_points_rulebooks(county.town_a, county.town_b)
    case = case_report(channel="resident", category=Category.objects.get(code="road_light"), title="村口路灯不亮",
                       lon=IN_A1[0], lat=IN_A1[1], reporter=county.users["resident"]).case
    person = key_person(county.households["a1"])
    patrol = patrol_start(worker=county.users["grid_worker"], grid=county.grid_a1)
    village = village_code_token(county.village_a1)
    return {
        "villager": [f"/cases/{case.pk}/", "/accounts/family/"],
        "worker_a1": [f"/work/patrols/{patrol.pk}/", f"/work/visits/new/{person.pk}/",
                      f"/people/key-people/{person.pk}/",
                      f"/people/key-people/new/?household={person.resident.household_id}",
                      f"/people/households/{person.resident.household_id}/changes/new/",
                      f"/people/places/new/?grid={county.grid_a1.code}",
                      f"/cases/new/?embed=1&lat={IN_A1[1]}&lon={IN_A1[0]}", f"/cases/{case.pk}/"],
        None: ["/accounts/login/", "/accounts/signup/", "/accounts/login/sms/",
               f"/v/{village}/", f"/v/{village}/ask/", f"/v/{village}/report/"],  # 一村一码, no login
    }


def menu_links(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "#nav a.nav-link, #nav a.dropdown-item, [data-testid=tabbar] a, [data-testid=inbox-link]",
        "els => els.map(e => e.getAttribute('href'))")
    return sorted({h for h in hrefs if h and h.startswith("/") and not h.startswith("/admin/")})


def sideways(page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page) -> list[str]:
    results = Axe().run(page, context={"exclude": AXE_EXCLUDE}, options=AXE_OPTIONS)
    return [f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("username", ["villager", "worker_a1", None])
def test_every_page_of_the_role_fits_a_phone_and_passes_axe(browser, live_server, day_pages, artifacts, username):
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, service_workers="block",
                                  geolocation={"latitude": 36.6, "longitude": 117.5},
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        if username:
            log_in(page, base, username)
            links = menu_links(page)
            assert len(links) >= 4
        else:
            username, links = "anonymous", []
        links += day_pages.get(None if username == "anonymous" else username, [])
        problems = []
        for href in links:
            response = page.goto(base + href)
            page.wait_for_load_state("networkidle")
            name = href.strip("/").replace("/", "-") or "home"
            if response.status != 200:
                problems.append(f"{href}: HTTP {response.status}")
                continue
            if sideways(page) > 0:
                problems.append(f"{href}: {sideways(page)} px wider than the phone")
            problems += [f"{href}: {v}" for v in axe_violations(page)]
            page.screenshot(path=str(artifacts / f"phone-{username}-{name}.png"), full_page=True)
        # Large type, on at once from the header, and the same pages at 200 % zoom (half the width).
        if username == "anonymous":
            page.context.add_cookies([{"name": "xz_large", "value": "1", "url": base}])  # what 「大字」 sets
        else:
            page.goto(base + "/")
            page.get_by_test_id("large-toggle").click()
        page.set_viewport_size({"width": 195, "height": 422})
        for href in links:  # the pages were seen whole above; here only their width counts
            page.goto(base + href, wait_until="load")
            if sideways(page) > 0:
                problems.append(f"{href} in large type at 200%: {sideways(page)} px wider than the phone")
        page.screenshot(path=str(artifacts / f"phone-{username}-large-type.png"), full_page=True)
        assert not problems, "\n".join(problems)
    finally:
        context.close()
