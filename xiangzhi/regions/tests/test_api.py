import pytest

from tests.factories import square


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_locate_answers_the_grid_inside_the_scope(client, county):
    c = as_user(client, county.users["township_staff"])
    response = c.get("/api/v1/grids/locate", {"lon": 118.005, "lat": 37.705})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == county.grid_a1_micro.code
    assert body["region_name"] == "东村"
    assert body["parent_code"] == county.grid_a1.code


@pytest.mark.django_db
def test_locate_outside_every_grid_or_scope_is_the_same_404(client, county):
    c = as_user(client, county.users["township_staff"])
    nowhere = c.get("/api/v1/grids/locate", {"lon": 100, "lat": 30})
    other_town = c.get("/api/v1/grids/locate", {"lon": 118.105, "lat": 37.705})
    assert nowhere.status_code == other_town.status_code == 404
    assert nowhere.json() == other_town.json() == {"error": {"code": "not_found", "message": "不存在或无权查看"}}


@pytest.mark.django_db
def test_locate_refuses_impossible_coordinates(client, county):
    c = as_user(client, county.users["county_admin"])
    response = c.get("/api/v1/grids/locate", {"lon": 500, "lat": 37.7})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "lon"


@pytest.mark.django_db
def test_grid_list_and_detail_are_scoped(client, county):
    c = as_user(client, county.users["grid_worker"])
    codes = [g["code"] for g in c.get("/api/v1/grids").json()["items"]]
    assert sorted(codes) == sorted([county.grid_a1.code, county.grid_a1_micro.code])
    assert c.get(f"/api/v1/grids/{county.grid_b1.code}").status_code == 404
    detail = c.get(f"/api/v1/grids/{county.grid_a1.code}").json()
    assert detail["boundary"]["type"] == "Polygon"


@pytest.mark.django_db
def test_setting_a_boundary_needs_a_manager_in_scope(client, county):
    body = {"boundary": square(118.0, 37.7, 0.015), "reason": "按村民小组调整"}
    url = f"/api/v1/grids/{county.grid_a1.code}/boundary"
    worker = as_user(client, county.users["grid_worker"])
    assert worker.put(url, body, content_type="application/json").status_code == 403
    other_town = as_user(client, county.users["township_staff_b"])
    assert other_town.put(url, body, content_type="application/json").status_code == 404
    town = as_user(client, county.users["township_staff"])
    assert town.put(url, body, content_type="application/json").status_code == 200


@pytest.mark.django_db
def test_an_invalid_polygon_gets_a_chinese_422_and_nothing_changes(client, county):
    c = as_user(client, county.users["township_staff"])
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    response = c.put(f"/api/v1/grids/{county.grid_a1.code}/boundary", {"boundary": bowtie, "reason": "重画"},
                     content_type="application/json")
    assert response.status_code == 422
    assert "不是有效的多边形" in response.json()["error"]["message"]
    county.grid_a1.refresh_from_db()
    assert county.grid_a1.boundary == square(118.00, 37.70, 0.02)


@pytest.mark.django_db
def test_unstaffed_grids_are_listed_for_managers(client, county):
    c = as_user(client, county.users["county_admin"])
    codes = {g["code"] for g in c.get("/api/v1/grids/unstaffed").json()}
    # grid_a2 has only a guide, grid_b1_unstaffed nobody; micro-grids share their grid's staff.
    assert codes == {county.grid_a2.code, county.grid_b1_unstaffed.code}
    town_b = as_user(client, county.users["township_staff_b"])
    assert {g["code"] for g in town_b.get("/api/v1/grids/unstaffed").json()} == {county.grid_b1_unstaffed.code}


@pytest.mark.django_db
def test_region_summaries_count_basic_grids_below_each_child(county):
    from xiangzhi.people.selectors import region_counts
    from xiangzhi.regions.selectors import child_region_summaries

    towns = {t.code: t.grid_count for t in child_region_summaries(county.county)}
    assert towns == {"371603101": 2, "371603102": 2}
    counts = region_counts(county.town_a)
    assert (counts["grids"], counts["micro_grids"], counts["households"]) == (2, 1, 3)
