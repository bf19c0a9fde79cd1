"""The access matrix's rows for the configuration pages (/centre/config/), each a (method, url, body, roles
that may) for the small county ``c``; gathered by ``tests/test_access.py``. The county admin changes the
county's values and catalogues and any township's overrides; each township's staff read everything and set
their own township's overrides only (a second allowed role meets 409: the value is already so)."""


def config_cases(c):
    from django.utils import timezone

    from xiangzhi.people.services import resident_tag_create

    admin = c.users["county_admin"]
    spare = resident_tag_create(name="独居老人", actor=admin, reason="走访需要")  # one to retire
    readers = {"county_admin", "township_staff", "township_staff_b"}
    county = {"county_admin"}
    year = timezone.localdate().year + 1
    category = {"code": "", "name": "工地扬尘", "group": "人居环境", "kind": "event", "split_class": "minor",
                "default_level": "village", "department_kind": "", "accept_hours": "4", "dispatch_hours": "4",
                "handle_hours": "48", "verify_hours": "24", "warn_before_hours": "8", "overdue_action": "notify",
                "sort": "", "reason": "新增"}
    light = {**category, "name": "路灯损坏", "group": "道路与照明", "kind": "facility", "default_level": "grid",
             "department_kind": "power", "handle_hours": "96", "sort": "0", "reason": "延长时限"}
    meters = "/centre/config/settings/case.duplicate_meters/"
    cycle = "/centre/config/settings/visit_cycle.disabled/"
    return [
        ("get", "/centre/config/", None, readers),
        ("get", "/centre/config/history/", None, readers),
        ("get", "/centre/config/categories/", None, readers),
        ("post", "/centre/config/categories/", category, county),
        ("get", "/centre/config/categories/road_light/", None, readers),
        ("post", "/centre/config/categories/road_light/", light, county),
        ("post", "/centre/config/categories/road_damage/retire/", {"reason": "并入其他"}, county),
        ("get", "/centre/config/categories/no_such/", None, set()),
        ("get", f"/centre/config/holidays/{year}/", None, readers),
        ("post", f"/centre/config/holidays/{year}/", {"days": f"{year}-01-01 元旦", "reason": "通知"}, county),
        ("get", meters, None, readers),
        ("post", meters, {"region": c.county.code, "value": "300", "reason": "全区统一"}, county),
        ("post", meters, {"region": c.town_a.code, "value": "500", "reason": "村庄分散"},
         {"county_admin", "township_staff"}),
        ("post", meters, {"region": c.town_b.code, "value": "100", "reason": "村庄密集"},
         {"county_admin", "township_staff_b"}),
        ("post", meters, {"region": c.village_a1.code, "value": "100", "reason": "村里"}, set()),
        ("get", cycle, None, readers),
        ("post", cycle, {"region": c.town_a.code, "value": "30", "reason": "每月走访"},
         {"county_admin", "township_staff"}),
        ("get", "/centre/config/key-categories/", None, readers),
        ("post", "/centre/config/key-categories/", {"name": "吸毒人员", "visit_cycle_days": "30", "reason": "新增"},
         county),
        ("get", "/centre/config/key-categories/petitioner/", None, readers),
        ("post", "/centre/config/key-categories/petitioner/",
         {"name": "信访人员", "visit_cycle_days": "15", "description": "", "reason": "加密走访"}, county),
        ("get", "/centre/config/tags/", None, readers),
        ("post", "/centre/config/tags/", {"name": "困境儿童", "reason": "新增"}, county),
        ("get", f"/centre/config/tags/{spare.code}/", None, readers),
        ("post", f"/centre/config/tags/{spare.code}/retire/", {"reason": "并入空巢"}, county),
        ("get", "/centre/config/place-kinds/", None, readers),
        ("post", "/centre/config/place-kinds/street_light/", {"name": "路灯", "sort": "5", "reason": "排前"}, county),
        ("post", "/centre/config/place-kinds/bridge/retire/", {"reason": "不再登记"}, county),
    ]
