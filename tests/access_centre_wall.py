"""The access matrix's rows for the command centre's wall screen and its exports upward; each a
(method, url, body, roles that may) for the small county ``c``, gathered by ``tests/test_access.py``."""

from tests.factories import ALL_ROLES


def centre_wall_cases(c):
    staff = set(ALL_ROLES) - {"resident"}  # the figures are for every role but the villagers
    over_b = {"county_admin", "township_staff_b"}
    b = c.town_b.code
    return [
        ("get", "/centre/wall/", None, staff),
        ("get", "/centre/wall/data/", None, staff),
        ("get", f"/centre/wall/?region={b}", None, over_b),
        ("get", f"/centre/wall/data/?region={b}", None, over_b),
        ("get", f"/centre/wall/data/?grid={c.grid_b1.code}", None, over_b | {"grid_worker_b"}),
        ("get", "/centre/figures/export.xlsx", None, staff),
        ("get", f"/centre/figures/export.xlsx?region={b}", None, over_b),
        ("get", "/centre/figures/print/", None, staff),
        ("get", f"/centre/figures/print/?region={b}&period=year", None, over_b),
    ]
