"""The access matrix's rows for the command centre's map (地图, 一键可查): the page, its JSON layers and a
grid's panel; each a (method, url, body, roles that may) for the small county ``c``, gathered by
``tests/test_access.py``. Every staff role opens the map of its own node; a villager is refused (403), and
another township's region or grid answers 404 like a missing one."""

from tests.factories import ALL_ROLES

BBOX = "bbox=117.9,37.6,118.2,37.8&zoom=12"


def centre_map_cases(c):
    staff = set(ALL_ROLES) - {"resident"}
    town_b = {"county_admin", "township_staff_b"}
    # Grid a1 lies under 下洼镇 (its township staff, 督查员 and 供电所) and village a1 (its cadre, points
    # roles, chief and worker); the grid guide stands on a2, the other worker and township on 古城镇.
    over_a1 = {"county_admin", "township_staff", "department_staff", "inspector", "village_cadre", "points_recorder",
               "points_supervisor", "grid_chief", "grid_worker"}
    b = c.town_b.code
    return [
        ("get", "/centre/map/", None, staff),
        ("get", f"/centre/map/?region={b}", None, town_b),
        ("get", f"/centre/map/?grid={c.grid_a1.code}", None, over_a1),
        ("get", f"/centre/map/cases.json?{BBOX}", None, staff),
        ("get", f"/centre/map/cases.json?{BBOX}&region={b}", None, town_b),
        ("get", "/centre/map/grids.json", None, staff),
        ("get", f"/centre/map/grids.json?region={b}", None, town_b),
        ("get", "/centre/map/positions.json", None, staff),
        ("get", f"/centre/map/positions.json?grid={c.grid_b1.code}", None, town_b | {"grid_worker_b"}),
        ("get", "/centre/map/places.json", None, staff),
        ("get", f"/centre/map/places.json?region={b}", None, town_b),
        ("get", f"/centre/map/grids/{c.grid_a1.code}/", None, over_a1),
        ("get", f"/centre/map/grids/{c.grid_b1.code}/", None, town_b | {"grid_worker_b"}),
    ]
