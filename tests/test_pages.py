import pytest

from xiangzhi.regions.models import Grid


@pytest.mark.django_db
def test_a_household_page_shows_masked_ids_and_the_reveal_button_only_with_permission(client, county):
    from tests.factories import grant_reveal

    household = county.households["a1"]
    client.force_login(county.users["grid_worker"])
    page = client.get(f"/people/households/{household.id}/").content.decode()
    assert household.residents.first().id_number_masked in page
    assert "查看完整号码" not in page
    client.force_login(grant_reveal(county.users["township_staff"]))
    page = client.get(f"/people/households/{household.id}/").content.decode()
    assert "查看完整号码" in page


@pytest.mark.django_db
def test_the_reveal_fragment_returns_the_plain_number(client, county):
    from tests.factories import grant_reveal
    from xiangzhi.lib import crypto

    resident = county.households["a1"].residents.first()
    client.force_login(grant_reveal(county.users["township_staff"]))
    response = client.post(f"/people/residents/{resident.id}/reveal/", {"field": "id_number", "reason": "户籍核对"},
                           headers={"HX-Request": "true"})
    assert crypto.decrypt(resident.id_number_encrypted) in response.content.decode()


@pytest.mark.django_db
def test_the_grid_map_geojson_holds_only_the_scope(client, county):
    client.force_login(county.users["grid_worker"])
    features = client.get("/map/grids.geojson").json()["features"]
    assert {f["properties"]["code"] for f in features} == {county.grid_a1.code, county.grid_a1_micro.code}


@pytest.mark.django_db
def test_the_report_map_shows_a_villager_the_grids_of_his_village_by_name_only(client, county):
    client.force_login(county.users["resident"])
    response = client.get("/map/report-grids.geojson")
    assert response.status_code == 200
    features = response.json()["features"]
    village_grids = {g.code for g in Grid.objects.filter(region=county.village_a1, is_active=True)}
    assert village_grids and {f["properties"]["code"] for f in features} == village_grids
    assert all(set(f["properties"]) == {"code", "name", "region", "level"} for f in features)
    client.force_login(county.users["grid_worker"])
    features = client.get("/map/report-grids.geojson").json()["features"]
    assert {f["properties"]["code"] for f in features} == {county.grid_a1.code, county.grid_a1_micro.code}


@pytest.mark.django_db
def test_navigation_fits_the_role(client, county):
    client.force_login(county.users["resident"])
    page = client.get("/").content.decode()
    assert "我的家庭" in page and "户籍</a>" not in page
    client.force_login(county.users["county_admin"])
    page = client.get("/").content.decode()
    assert "一格一人预警" in page and "户籍</a>" in page


def test_the_menu_folds_registers_and_points_into_dropdowns():
    from xiangzhi.front.context import menu

    items = [("首页", "/"), ("户籍", "/people/"), ("记积分", "/points/record/"), ("重点人群", "/people/key/"),
             ("积分超市管理", "/shop/manage/"), ("积分手册", "/points/book/"), ("积分公示", "/points/notices/")]
    got = menu(items)
    assert [label for label, _, _ in got] == ["首页", "基础信息", "积分", "积分手册"]
    assert got[1][2] == [("户籍", "/people/"), ("重点人群", "/people/key/")]
    assert [c for c, _ in got[2][2]] == ["记积分", "积分超市管理", "积分公示"]
    # A group with one entry stays a plain link.
    assert menu([("户籍", "/people/")]) == [("户籍", "/people/", [])]
