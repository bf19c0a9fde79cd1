"""Every page and endpoint refuses the wrong role and the wrong scope.

The matrix lists, for each URL, which roles of the small county may open it; every other role must
be refused (403 for a role that may never, 404 for an object outside the scope, 302 to login for
anonymous visitors, 401 on the API).
"""

import pytest

from tests.factories import square

ALL_ROLES = ["county_admin", "township_staff", "township_staff_b", "department_staff", "village_cadre",
             "points_recorder", "points_supervisor", "grid_chief", "grid_worker", "grid_worker_b", "grid_guide",
             "resident"]
REGISTER = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_recorder",
            "points_supervisor", "grid_chief", "grid_worker", "grid_worker_b", "grid_guide"}


def cases(c):
    """(method, url, body, roles that may) for the small county `c`."""
    a1 = c.households["a1"]
    resident_a1 = a1.residents.first()
    in_a1 = {"county_admin", "township_staff", "village_cadre", "points_recorder", "points_supervisor",
             "grid_chief", "grid_worker"}
    return [
        ("get", "/", None, set(ALL_ROLES)),
        ("get", "/regions/", None, REGISTER),
        ("get", f"/regions/{c.town_a.code}/", None, {"county_admin", "township_staff"}),
        ("get", f"/regions/{c.village_a1.code}/", None, {"county_admin", "township_staff", "village_cadre",
                                                          "points_recorder", "points_supervisor"}),
        ("get", f"/grids/{c.grid_a1.code}/", None, in_a1),
        ("get", "/map/", None, REGISTER),
        ("get", "/map/grids.geojson", None, REGISTER),
        ("get", "/alerts/unstaffed/", None, {"county_admin", "township_staff", "township_staff_b"}),
        ("get", "/people/households/", None, REGISTER),
        ("get", f"/people/households/{a1.id}/", None, in_a1 | {"resident"}),
        ("get", "/people/key-people/", None, REGISTER),
        ("get", "/people/import/", None, {"county_admin", "township_staff", "township_staff_b", "village_cadre",
                                          "grid_chief", "grid_worker", "grid_worker_b"}),
        ("get", "/people/export.xlsx", None, REGISTER),
        ("post", f"/people/residents/{resident_a1.id}/reveal/", {"reason": "核对", "field": "id_number"},
         {"county_admin", "township_staff"}),
        ("get", "/api/v1/households", None, set(ALL_ROLES)),
        ("get", f"/api/v1/households/{a1.id}", None, in_a1 | {"resident"}),
        ("post", f"/api/v1/residents/{resident_a1.id}/reveal", {"reason": "核对"},
         {"county_admin", "township_staff"}),
        ("get", "/api/v1/grids", None, set(ALL_ROLES)),
        ("get", f"/api/v1/grids/{c.grid_a1.code}", None, in_a1),
        ("get", "/api/v1/grids/locate?lon=118.015&lat=37.715", None, in_a1),
        ("put", f"/api/v1/grids/{c.grid_a1.code}/boundary", {"boundary": square(118.0, 37.7, 0.02)},
         {"county_admin", "township_staff"}),
        ("get", f"/api/v1/regions/{c.village_a1.code}", None, {"county_admin", "township_staff", "village_cadre",
                                                                "points_recorder", "points_supervisor"}),
        ("get", "/api/v1/auth/me", None, set(ALL_ROLES)),
        ("get", "/api/v1/key-people", None, REGISTER),
        ("get", "/api/v1/places", None, set(ALL_ROLES)),
        ("get", f"/api/v1/places?grid={c.grid_a1.code}", None, in_a1),
        ("get", "/api/v1/departments", None, set(ALL_ROLES)),
        ("get", "/api/v1/regions", None, set(ALL_ROLES)),
        ("get", "/api/v1/grids/unstaffed", None, set(ALL_ROLES)),
    ]


def request(client, method, url, body):
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return getattr(client, method)(url, body, content_type="application/json")
    return client.post(url, body)


@pytest.mark.django_db
def test_every_url_refuses_the_wrong_role_and_scope(client, county):
    from tests.factories import grant_reveal

    # The permission to reveal is granted to managers, as the demo does.
    county.users["county_admin"] = grant_reveal(county.users["county_admin"])
    county.users["township_staff"] = grant_reveal(county.users["township_staff"])
    county.users["township_staff_b"] = grant_reveal(county.users["township_staff_b"])
    failures = []
    for method, url, body, allowed in cases(county):
        for role in ALL_ROLES:
            client.force_login(county.users[role])
            status = request(client, method, url, body).status_code
            ok = status in (200, 302) if role in allowed else status in (403, 404)
            if not ok:
                failures.append(f"{role:18} {method.upper()} {url} → {status} (allowed={role in allowed})")
            client.logout()
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login_or_refused(client, county):
    for method, url, body, _ in cases(county):
        status = request(client, method, url, body).status_code
        expected = 401 if url.startswith("/api/") else 302
        assert status == expected, (method, url, status)
