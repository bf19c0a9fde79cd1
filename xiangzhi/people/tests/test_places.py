"""地、物、组织 from the field: kinds as data, add/edit/move/retire with history, the village rule, the
places near a report's pin and the case that names one, pages, API, map layer and .xlsx import."""

import pytest

from tests.factories import UserFactory
from tests.spreadsheets import workbook_upload
from xiangzhi.accounts.models import Role
from xiangzhi.cases.models import Case, Category
from xiangzhi.cases.services import case_report
from xiangzhi.core.errors import Forbidden
from xiangzhi.people import selectors, services
from xiangzhi.people.models import Organisation, OrganisationChange, Place, PlaceChange, PlaceKind
from xiangzhi.people.place_xlsx import COLUMNS, ORGANISATION_COLUMNS, organisations_import, places_import

IN_A1 = (118.015, 37.715)  # grid_a1, outside its micro-grid (东村)
IN_A2 = (118.06, 37.71)  # grid_a2 (西村)
IN_B1 = (118.11, 37.71)  # grid_b1 (南村)
METRE = 1 / 111_195  # a metre of latitude, in degrees


def add(county, who="grid_worker", grid=None, at=IN_A1, kind="street_light", **kw):
    return services.place_add(actor=county.users[who], grid=grid or county.grid_a1, kind=kind,
                              name=kw.pop("name", "村口路灯"), lon=at[0], lat=at[1], **kw)


@pytest.mark.django_db
def test_kinds_are_seeded_data_and_a_place_leaves_its_first_history_row(county):
    assert PlaceKind.objects.get(code="street_light").name == "路灯"
    place = add(county, label="17号杆")
    assert place.kind_id == "street_light" and place.title == "路灯 · 17号杆"
    change = PlaceChange.objects.get(place=place)
    assert change.action == "add" and change.actor == county.users["grid_worker"]
    assert change.after["编号标识"] == "17号杆" and change.before == {}


@pytest.mark.django_db
def test_a_point_outside_the_grids_village_or_a_retired_kind_is_refused_and_nothing_written(county):
    with pytest.raises(services.SiteError, match="东村"):
        add(county, at=IN_A2)
    PlaceKind.objects.filter(code="manhole").update(is_active=False)
    with pytest.raises(services.SiteError, match="类别"):
        add(county, kind="manhole")
    assert not Place.objects.exists() and not PlaceChange.objects.exists()
    # Another grid of the same village is the same village: 村干部 on the micro-grid.
    assert add(county, who="village_cadre", grid=county.grid_a1_micro).grid == county.grid_a1_micro


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "allowed"), [
    ("grid_worker", True), ("grid_chief", True), ("village_cadre", True), ("grid_worker_b", False),
    ("township_staff", False), ("county_admin", False), ("grid_guide", False), ("resident", False),
])
def test_who_keeps_a_grids_places(county, who, allowed):
    if allowed:
        assert add(county, who=who).pk
    else:
        with pytest.raises(Forbidden):
            add(county, who=who)


@pytest.mark.django_db
def test_move_edit_and_retire_each_leave_who_before_and_after(county):
    place = add(county)
    worker = county.users["grid_worker"]
    services.place_move(actor=worker, place=place, lon=IN_A1[0] + 0.001, lat=IN_A1[1], reason="标错了")
    services.place_edit(actor=county.users["village_cadre"], place=place, kind="street_light", name="村口路灯",
                        label="18号杆")
    with pytest.raises(services.SiteError):
        services.place_move(actor=worker, place=place, lon=IN_B1[0], lat=IN_B1[1])
    with pytest.raises(services.SiteError, match="停用原因"):
        services.place_retire(actor=worker, place=place, reason="")
    services.place_retire(actor=worker, place=place, reason="已拆除")
    rows = list(PlaceChange.objects.filter(place=place).order_by("id"))
    assert [r.action for r in rows] == ["add", "move", "edit", "retire"]
    assert rows[1].before == {"经度": round(IN_A1[0], 6)} and rows[1].reason == "标错了"
    assert rows[2].after == {"编号标识": "18号杆"} and rows[2].actor == county.users["village_cadre"]
    assert rows[3].after == {"状态": "停用"}
    with pytest.raises(services.SiteConflict):
        services.place_move(actor=worker, place=place, lon=IN_A1[0], lat=IN_A1[1])
    assert not selectors.place_list_for_user(worker).exists()


@pytest.mark.django_db
def test_an_organisations_phone_is_sealed_and_its_history_masked(county):
    org = services.organisation_add(
        actor=county.users["grid_chief"], grid=county.grid_a1, lon=IN_A1[0], lat=IN_A1[1],
        data=services.OrganisationInput(kind="cooperative", name="东村蔬菜合作社", contact_name="孙立新",
                                        contact_phone="13912345678"),
    )
    org.refresh_from_db()
    assert org.contact_phone_masked == "139****5678" and "13912345678" not in org.contact_phone_encrypted
    change = OrganisationChange.objects.get(organisation=org)
    assert "13912345678" not in str(change.after) and change.after["联系电话"] == "139****5678"
    with pytest.raises(services.SiteError, match="联系电话"):
        services.organisation_add(actor=county.users["grid_chief"], grid=county.grid_a1,
                                  data=services.OrganisationInput(kind="social", name="x", contact_phone="123"))


@pytest.mark.django_db
def test_the_places_near_a_pin_nearest_first_within_the_reporters_map(county):
    far = add(county, name="远处路灯", at=(IN_A1[0], IN_A1[1] + 120 * METRE))
    near = add(county, name="近处路灯", label="17号杆", at=(IN_A1[0], IN_A1[1] + 30 * METRE))
    add(county, name="太远", at=(IN_A1[0], IN_A1[1] + 400 * METRE))
    found = selectors.place_near_list(county.users["resident"], lon=IN_A1[0], lat=IN_A1[1])
    assert [n.place for n in found] == [near, far]
    assert found[0].text == "路灯 · 17号杆（30米）"
    assert selectors.place_near_list(county.users["grid_worker_b"], lon=IN_A1[0], lat=IN_A1[1]) == []


@pytest.mark.django_db
def test_a_report_naming_a_place_is_snapped_to_it_and_shows_it(client, county):
    place = add(county, label="17号杆")
    resident = county.users["resident"]
    client.force_login(resident)
    response = client.post("/api/v1/cases", {"category": "road_light", "lon": IN_A1[0] + 0.0003, "lat": IN_A1[1],
                                              "place": place.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["place"] == place.pk and body["place_name"] == "路灯 · 17号杆"
    case = Case.objects.get(pk=body["id"])
    assert (case.lon, case.lat, case.place) == (place.lon, place.lat, place)
    client.force_login(county.users["grid_worker"])
    assert "路灯 · 17号杆" in client.get(f"/cases/{case.pk}/").content.decode()
    # A place the reporter's map does not hold is not his to name.
    other = add(county, who="grid_worker_b", grid=county.grid_b1, at=IN_B1)
    client.force_login(resident)
    response = client.post("/api/v1/cases", {"category": "road_light", "place": other.pk},
                           content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_case_report_with_a_place_costs_no_query(county, django_assert_num_queries):
    place = add(county)
    category = Category.objects.get(code="road_light")
    reporter = county.users["township_staff"]
    case_report(channel="api", category=category, title="路灯", lon=IN_A1[0], lat=IN_A1[1], reporter=reporter)
    with django_assert_num_queries(5):  # the case, its number, the report; SAVEPOINT and RELEASE
        result = case_report(channel="api", category=category, title="路灯", place=place, reporter=reporter)
    assert result.case.place == place and result.case.grid == county.grid_a1


@pytest.mark.django_db
def test_pages_add_move_and_show_the_history_in_scope_only(client, county):
    client.force_login(county.users["grid_worker"])
    page = client.get(f"/people/places/?grid={county.grid_a1.code}")
    assert page.status_code == 200 and "添加部件" in page.content.decode()
    response = client.post(f"/people/places/new/?grid={county.grid_a1.code}", {
        "kind": "hydrant", "name": "东村消防栓", "label": "3号", "lon": IN_A1[0], "lat": IN_A1[1]})
    place = Place.objects.get(name="东村消防栓")
    assert response.status_code == 302 and response.url == f"/people/places/{place.pk}/"
    refused = client.post(f"/people/places/{place.pk}/move/", {"lon": IN_A2[0], "lat": IN_A2[1]})
    assert refused.status_code == 422 and "不在东村范围内" in refused.content.decode()
    client.post(f"/people/places/{place.pk}/move/", {"lon": IN_A1[0] + 0.002, "lat": IN_A1[1]})
    detail = client.get(f"/people/places/{place.pk}/").content.decode()
    assert "移动位置" in detail and "登记" in detail and "3号" in detail
    assert PlaceChange.objects.filter(place=place, action="move").count() == 1
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/people/places/{place.pk}/").status_code == 404
    assert client.post(f"/people/places/{place.pk}/move/", {"lon": IN_A1[0], "lat": IN_A1[1]}).status_code == 404
    client.force_login(county.users["township_staff"])
    assert client.get(f"/people/places/{place.pk}/").status_code == 200
    assert client.post(f"/people/places/{place.pk}/retire/", {"reason": "x"}).status_code == 403
    assert client.get(f"/people/places/new/?grid={county.grid_a1.code}").status_code == 403


@pytest.mark.django_db
def test_the_map_layer_and_the_near_list_are_scoped(client, county):
    mine = add(county)
    theirs = add(county, who="grid_worker_b", grid=county.grid_b1, at=IN_B1, name="南村路灯")
    services.organisation_add(actor=county.users["grid_worker"], grid=county.grid_a1, lon=IN_A1[0], lat=IN_A1[1],
                              data=services.OrganisationInput(kind="social", name="红白理事会"))
    client.force_login(county.users["grid_worker"])
    features = client.get("/people/places/map.geojson").json()["features"]
    assert {(f["properties"]["layer"], f["properties"]["name"]) for f in features} == {
        ("place", mine.name), ("organisation", "红白理事会")}
    assert theirs.name not in str(features)
    client.force_login(county.users["resident"])
    assert client.get("/people/places/map.geojson").status_code == 403
    near = client.get(f"/people/places/near.json?lon={IN_A1[0]}&lat={IN_A1[1]}").json()["places"]
    assert [p["id"] for p in near] == [mine.pk]


@pytest.mark.django_db
def test_api_lists_by_kind_adds_and_moves_with_role_and_scope_refusals(client, county):
    add(county, kind="manhole", name="井盖1")
    client.force_login(county.users["grid_worker"])
    body = {"grid": county.grid_a1.code, "kind": "street_light", "name": "路灯2", "label": "2号杆",
            "lon": IN_A1[0], "lat": IN_A1[1]}
    created = client.post("/api/v1/places", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["kind_name"] == "路灯"
    listed = client.get("/api/v1/places?kind=manhole").json()
    assert [p["name"] for p in listed["items"]] == ["井盖1"]
    moved = client.post(f"/api/v1/places/{created.json()['id']}/move", {"lon": IN_A2[0], "lat": IN_A2[1]},
                        content_type="application/json")
    assert moved.status_code == 422 and moved.json()["error"]["code"] == "invalid"
    client.force_login(county.users["township_staff"])
    assert client.post("/api/v1/places", body, content_type="application/json").status_code == 403
    client.force_login(county.users["grid_worker_b"])
    assert client.post("/api/v1/places", body, content_type="application/json").status_code == 404
    assert client.post(f"/api/v1/places/{created.json()['id']}/move", {"lon": IN_A1[0], "lat": IN_A1[1]},
                       content_type="application/json").status_code == 404
    assert client.get("/api/v1/places").json()["count"] == 0


def _file(rows):
    return workbook_upload("places.xlsx", COLUMNS, rows)


@pytest.mark.django_db
def test_import_writes_every_row_with_history_or_nothing_with_a_per_row_report(county):
    cadre = county.users["village_cadre"]
    code = county.grid_a1.code
    bad = places_import(user=cadre, file=_file([
        [code, "路灯", "路灯1", "1号杆", IN_A1[0], IN_A1[1], ""],
        [code, "飞碟", "路灯2", "", IN_A1[0], IN_A1[1], ""],
        [code, "井盖", "井盖1", "", IN_A2[0], IN_A2[1], ""],
        [county.grid_b1.code, "路灯", "路灯3", "", IN_B1[0], IN_B1[1], ""],
        [code, "hydrant", "", "", "东经", IN_A1[1], ""],
    ]))
    assert [(e.row, e.column) for e in bad.errors] == [(3, "类别"), (4, "经度"), (5, "网格编码"), (6, "名称"),
                                                       (6, "经度")]
    assert not Place.objects.exists()
    good = places_import(user=cadre, file=_file([
        [code, "路灯", "路灯1", "1号杆", IN_A1[0], IN_A1[1], ""],
        [county.grid_a1_micro.code, "manhole", "井盖1", "", 118.005, 37.705, "铸铁"],
    ]))
    assert good.ok and good.places == 2
    assert PlaceChange.objects.filter(action="import", actor=cadre).count() == 2
    stranger = UserFactory(role=Role.TOWNSHIP_STAFF, region=county.town_a)
    refused = places_import(user=stranger, file=_file([[code, "路灯", "路灯9", "", IN_A1[0], IN_A1[1], ""]]))
    assert refused.errors and refused.errors[0].column == "网格编码"


@pytest.mark.django_db
def test_import_page_and_template(client, county):
    client.force_login(county.users["grid_worker"])
    assert client.get("/people/places/import/template.xlsx").status_code == 200
    response = client.post("/people/places/import/", {"file": _file([
        [county.grid_a1.code, "路灯", "路灯1", "", IN_A1[0], IN_A1[1], ""]])})
    assert response.status_code == 200 and Place.objects.count() == 1
    client.force_login(county.users["township_staff"])
    assert client.get("/people/places/import/").status_code == 403
    assert Organisation.objects.count() == 0


def _org_file(rows):
    return workbook_upload("organisations.xlsx", ORGANISATION_COLUMNS, rows)


@pytest.mark.django_db
def test_organisations_import_all_or_nothing_with_phones_sealed_and_history(client, county):
    cadre = county.users["village_cadre"]
    code = county.grid_a1.code
    bad = organisations_import(user=cadre, file=_org_file([
        [code, "农民专业合作社", "绿源果蔬合作社", "王建华", "13905431234", "东村三组", "", "", ""],
        [code, "飞碟协会", "某协会", "", "", "", "", "", ""],
        [code, "企业", "某厂", "", "12345", "", "", "", ""],
        [code, "企业", "某店", "", "", "", IN_A1[0], "", ""],
        [county.grid_b1.code, "企业", "北村厂", "", "", "", "", "", ""],
    ]))
    assert [(e.row, e.column) for e in bad.errors] == [(3, "类别"), (4, "联系电话"), (5, "经度"), (6, "网格编码")]
    assert not Organisation.objects.exists()
    good = organisations_import(user=cadre, file=_org_file([
        [code, "农民专业合作社", "绿源果蔬合作社", "王建华", "13905431234", "东村三组", "", "", "苹果"],
        [code, "family_farm", "李家农场", "", "", "", IN_A1[0], IN_A1[1], ""],
    ]))
    assert good.ok and good.organisations == 2
    coop = Organisation.objects.get(name="绿源果蔬合作社")
    assert coop.contact_phone_masked == "139****1234" and "13905431234" not in str(coop.__dict__.values())
    assert OrganisationChange.objects.filter(action="import", actor=cadre).count() == 2

    client.force_login(county.users["grid_worker"])
    assert client.get("/people/organisations/import/template.xlsx").status_code == 200
    page = client.post("/people/organisations/import/", {"file": _org_file([
        [code, "企业", "某厂", "", "", "", "", "", ""]])})
    assert page.status_code == 200 and Organisation.objects.count() == 3
    client.force_login(county.users["township_staff"])
    assert client.get("/people/organisations/import/").status_code == 403
