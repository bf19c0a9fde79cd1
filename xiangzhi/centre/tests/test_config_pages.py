"""The configuration pages: who opens them, who changes what, Chinese refusals that write nothing."""

import pytest
from django.utils import timezone

from xiangzhi.cases.models import CalendarDay, Category, CategoryTerms
from xiangzhi.configuration.models import ConfigChange, Setting
from xiangzhi.configuration.selectors import setting_value

pytestmark = pytest.mark.django_db

NEW_CATEGORY = {"code": "env_dust", "name": "工地扬尘", "group": "人居环境", "kind": "event", "split_class": "minor",
                "default_level": "village", "department_kind": "", "accept_hours": "4", "dispatch_hours": "4",
                "handle_hours": "48", "verify_hours": "24", "warn_before_hours": "8", "overdue_action": "notify",
                "sort": "", "reason": "新增扬尘治理"}


def page(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data) if data is not None else client.get(url)


@pytest.mark.parametrize("role, status", [("county_admin", 200), ("township_staff", 200), ("village_cadre", 403),
                                          ("grid_worker", 403), ("resident", 403)])
def test_the_index_opens_for_the_county_and_the_townships_only(client, county, role, status):
    response = page(client, county.users[role], "/centre/config/")
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        year = timezone.localdate().year
        assert "疑似重复件距离" in text and "孤寡/空巢老人" in text
        assert f"{year} 年" in text and f"{year + 1} 年" in text  # this year and the next, entered or not


def test_every_page_opens_for_a_township(client, county):
    town = county.users["township_staff"]
    for url in ("/centre/config/history/", "/centre/config/categories/", "/centre/config/categories/road_light/",
                f"/centre/config/holidays/{timezone.localdate().year + 1}/",
                "/centre/config/settings/case.duplicate_meters/", "/centre/config/settings/visit_cycle.petitioner/",
                "/centre/config/key-categories/", "/centre/config/key-categories/petitioner/", "/centre/config/tags/",
                "/centre/config/tags/party_member/", "/centre/config/place-kinds/",
                "/centre/config/place-kinds/street_light/"):
        response = page(client, town, url)
        assert response.status_code == 200, url
        assert 'data-testid="category-new"' not in response.content.decode()  # no county forms for him
    assert page(client, town, "/centre/config/holidays/").status_code == 302
    assert page(client, town, "/centre/config/settings/no.such/").status_code == 404
    assert page(client, town, "/centre/config/tags/nope/").status_code == 404
    assert page(client, town, "/centre/config/nothing/").status_code == 404


def test_the_county_adds_a_category_and_a_bad_one_is_refused_in_chinese(client, county):
    admin = county.users["county_admin"]
    response = page(client, admin, "/centre/config/categories/", NEW_CATEGORY)
    assert response.status_code == 302 and response["Location"] == "/centre/config/categories/env_dust/"
    dust = Category.objects.get(code="env_dust")
    assert CategoryTerms.objects.get(category=dust).handle_hours == 48
    bad = {**NEW_CATEGORY, "code": "", "name": "施工噪声", "default_level": "department", "reason": "新增"}
    response = page(client, admin, "/centre/config/categories/", bad)
    assert response.status_code == 422
    assert "默认派往职能部门的类别要选择责任部门类别" in response.content.decode()
    assert not Category.objects.filter(name="施工噪声").exists()
    response = page(client, admin, "/centre/config/categories/", {**NEW_CATEGORY, "code": "", "handle_hours": "两天"})
    assert response.status_code == 422 and "处置时限应为整数" in response.content.decode()


def test_an_edit_of_the_terms_is_a_new_version_shown_on_the_page(client, county):
    admin = county.users["county_admin"]
    form = {**NEW_CATEGORY, "code": "", "name": "路灯损坏", "group": "道路与照明", "kind": "facility",
            "default_level": "grid", "department_kind": "power", "handle_hours": "96", "verify_hours": "24",
            "sort": "0", "reason": "延长维修时限"}
    response = page(client, admin, "/centre/config/categories/road_light/", form)
    assert response.status_code == 302
    text = page(client, admin, "/centre/config/categories/road_light/").content.decode()
    assert "第 2 版" in text and "延长维修时限" in text and "处置时限：72 工作小时 → 96 工作小时" in text
    again = page(client, admin, "/centre/config/categories/road_light/", form)
    assert again.status_code == 409 and "没有修改任何内容" in again.content.decode()


def test_the_catch_all_category_stays_and_others_retire(client, county):
    admin = county.users["county_admin"]
    page(client, admin, "/centre/config/categories/other/retire/", {"reason": "不用了"})
    assert Category.objects.get(code="other").is_active
    page(client, admin, "/centre/config/categories/road_damage/retire/", {"reason": "并入其他类别"})
    assert not Category.objects.get(code="road_damage").is_active
    assert page(client, county.users["township_staff"], "/centre/config/categories/road_light/retire/",
                {"reason": "试试"}).status_code == 403


def test_holidays_are_saved_all_or_nothing(client, county):
    admin = county.users["county_admin"]
    year = timezone.localdate().year + 1
    url = f"/centre/config/holidays/{year}/"
    bad = f"{year}-01-01 至 {year}-01-03 元旦\n{year}-01-02 元旦\n{year - 1}-12-31 跨年"
    response = page(client, admin, url, {"days": bad, "reason": "国务院通知"})
    assert response.status_code == 422
    text = response.content.decode()
    assert f"第 2 行：{year}-01-02 已在第 1 行写过" in text and f"第 3 行：日期应在 {year} 年内" in text
    assert not CalendarDay.objects.filter(date__year=year).exists()
    response = page(client, admin, url, {"days": f"{year}-01-01 至 {year}-01-03 元旦", "reason": "国务院通知"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=year, is_workday=False).count() == 3
    assert page(client, county.users["township_staff"], url,
                {"days": f"{year}-05-01 劳动节", "reason": "试试"}).status_code == 403
    assert page(client, admin, "/centre/config/holidays/1999/").status_code == 404


def test_a_township_sets_its_own_override_and_nobody_elses(client, county):
    town = county.users["township_staff"]
    url = "/centre/config/settings/case.duplicate_meters/"
    ok = page(client, town, url, {"region": county.town_a.code, "value": "500", "reason": "本镇村庄分散"})
    assert ok.status_code == 302
    assert setting_value("case.duplicate_meters", path=county.village_a1.path) == 500
    assert page(client, town, url, {"region": county.town_b.code, "value": "50", "reason": "试试"}).status_code == 403
    assert page(client, town, url, {"region": county.county.code, "value": "50", "reason": "试试"}).status_code == 403
    refused = page(client, town, url, {"region": county.town_a.code, "value": "99999", "reason": "太大"})
    assert refused.status_code == 422 and "疑似重复件距离应为 10～5000 米之间的整数" in refused.content.decode()
    assert Setting.objects.count() == 1
    # Township b never reads a's override in the history; the county admin does.
    b = page(client, county.users["township_staff_b"], url).content.decode()
    assert "本镇村庄分散" not in b
    assert "本镇村庄分散" in page(client, county.users["county_admin"], url).content.decode()
    cleared = page(client, town, url, {"region": county.town_a.code, "clear": "1", "reason": "恢复统一"})
    assert cleared.status_code == 302
    assert setting_value("case.duplicate_meters", path=county.village_a1.path) == 200


def test_a_visit_cycle_override_and_the_catalogues(client, county):
    admin = county.users["county_admin"]
    url = "/centre/config/settings/visit_cycle.disabled/"
    assert page(client, admin, url, {"region": county.county.code, "value": "10", "reason": "试试"}).status_code == 422
    assert page(client, admin, url, {"region": county.town_b.code, "value": "30", "reason": "古城镇每月走访"}
                ).status_code == 302
    assert "古城镇 每 30 天" in page(client, admin, "/centre/config/").content.decode()
    response = page(client, admin, "/centre/config/tags/", {"code": "", "name": "独居", "sort": "", "reason": "新增"})
    assert response.status_code == 302
    text = page(client, admin, "/centre/config/tags/").content.decode()
    assert "独居" in text and "tag_" in text
    new_category = {"name": "吸毒人员", "visit_cycle_days": "30", "description": "", "reason": "新增"}
    assert page(client, admin, "/centre/config/key-categories/", new_category).status_code == 302
    assert page(client, admin, "/centre/config/place-kinds/street_light/retire/", {"reason": "改用路灯杆"}
                ).status_code == 302
    assert ConfigChange.objects.filter(kind="place_kind", code="street_light").exists()
    history = page(client, admin, "/centre/config/history/?kind=resident_tag").content.decode()
    history = history[history.index('data-testid="config-history"'):]
    assert "独居" in history and "吸毒人员" not in history

