import pytest

from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_a_worker_records_a_birth_and_a_departure_and_the_cadre_confirms(page, live_server, small_county, artifacts,
                                                                        photo):
    from xiangzhi.people.models import HouseholdChange

    c = small_county
    base, a1 = live_server.url, c.households["a1"]
    spouse = a1.residents.get(relation="spouse")

    # At phone size, the grid worker: a birth with the 户口本 photo, then the spouse goes to work away.
    log_in(page, base, "worker_a1")
    page.goto(f"{base}/people/households/{a1.pk}/")
    page.get_by_test_id("change-new").click()
    page.locator("[data-kind=birth]").click()
    page.fill("#c-name", "张小宝")
    page.locator("label[for=c-sex-M]").click()
    page.fill("#c-birth", "2026-01-02")
    page.select_option("#c-relation", "grandchild")
    page.set_input_files("#c-photo", str(photo))
    page.screenshot(path=str(artifacts / "register-change-birth-phone.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_test_id("change-submit").click()
    page.wait_for_url(f"{base}/people/households/{a1.pk}/")
    assert "等待村里确认" in page.content()

    page.get_by_test_id("change-new").click()
    page.locator("[data-kind=away]").click()
    page.select_option("#c-resident", str(spouse.pk))
    page.fill("#c-place", "天津市滨海新区")
    page.fill("#c-work", "建筑工")
    page.fill("#c-since", "2026-02-20")
    # expected back before leaving: refused in Chinese, nothing written
    page.fill("#c-back", "2026-01-01")
    page.get_by_test_id("change-submit").click()
    assert "预计返回时间不能早于外出时间" in page.get_by_test_id("change-error").inner_text()
    page.fill("#c-back", "2027-01-20")
    page.get_by_test_id("change-submit").click()
    page.wait_for_url(f"{base}/people/households/{a1.pk}/")
    history = page.get_by_test_id("change-history")
    assert history.inner_text().count("待确认") == 2
    page.screenshot(path=str(artifacts / "register-change-pending-phone.png"), full_page=True)
    page.context.clear_cookies()

    # At desktop size, the village cadre confirms both from his list.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, "cadre_a1")
    page.goto(f"{base}/people/changes/")
    assert page.get_by_test_id("pending-change").count() == 2
    page.screenshot(path=str(artifacts / "register-change-cadre-list.png"), full_page=True)
    for _ in range(2):
        page.get_by_test_id("change-confirm").first.click()
        page.wait_for_load_state()
    assert page.get_by_test_id("no-changes").is_visible()
    assert set(HouseholdChange.objects.values_list("state", flat=True)) == {"confirmed"}

    page.goto(f"{base}/people/households/{a1.pk}/")
    table = page.get_by_test_id("resident-table").inner_text()
    assert "张小宝" in table and "外出·天津市滨海新区" in table
    text = page.get_by_test_id("change-history").inner_text()
    assert "出生 · 张小宝" in text and "去向：天津市滨海新区" in text and "确认人" in text
    assert "worker_a1" not in text and "cadre_a1" not in text  # people by name, never login
    page.screenshot(path=str(artifacts / "register-change-history-desktop.png"), full_page=True)
