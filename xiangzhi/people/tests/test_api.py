import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import grant_reveal, make_household
from xiangzhi.people.models import RevealRecord


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_households_are_scoped_paginated_and_masked(client, county):
    c = as_user(client, county.users["township_staff"])
    body = c.get("/api/v1/households").json()
    numbers = {h["number"] for h in body["items"]}
    assert body["count"] == 3
    assert numbers == {county.households[k].number for k in ("a1", "a1_micro", "a2")}
    resident = body["items"][0]["residents"][0]
    stored = county.households["a1"].residents.order_by("id").first()
    assert resident["id_number"] == stored.id_number_masked == stored.id_number_masked[:4] + "*" * 12 + (
        stored.id_number_masked[-2:])
    assert resident["phone"] == "138****8000"
    assert resident["birth_year"] == stored.birth_date.year and "birth_date" not in resident
    assert "id_number_encrypted" not in resident and "id_number_hash" not in resident


@pytest.mark.django_db
def test_a_grid_worker_sees_only_the_grid_and_its_micro_grids(client, county):
    c = as_user(client, county.users["grid_worker"])
    numbers = {h["number"] for h in c.get("/api/v1/households").json()["items"]}
    assert numbers == {county.households["a1"].number, county.households["a1_micro"].number}
    other = county.households["b1"]
    assert c.get(f"/api/v1/households/{other.id}").status_code == 404
    assert c.get("/api/v1/households/999999").status_code == 404
    assert c.get(f"/api/v1/households?grid={county.grid_b1.code}").status_code == 404


@pytest.mark.django_db
def test_a_resident_sees_their_own_household_only(client, county):
    c = as_user(client, county.users["resident"])
    body = c.get("/api/v1/households").json()
    assert [h["number"] for h in body["items"]] == [county.households["a1"].number]
    assert c.get(f"/api/v1/households/{county.households['a2'].id}").status_code == 404


@pytest.mark.django_db
def test_department_staff_reach_no_household(client, county):
    c = as_user(client, county.users["department_staff"])
    assert c.get("/api/v1/households").json()["count"] == 0


@pytest.mark.django_db
def test_search_by_full_id_number_uses_the_keyed_hash(client, county):
    from xiangzhi.lib import crypto

    target = county.households["a2"].residents.first()
    plain = crypto.decrypt(target.id_number_encrypted)
    c = as_user(client, grant_reveal(county.users["township_staff"]))
    body = c.get("/api/v1/households", {"q": plain}).json()
    assert [h["number"] for h in body["items"]] == [county.households["a2"].number]


@pytest.mark.django_db
def test_the_household_list_takes_a_constant_number_of_queries(client, county):
    c = as_user(client, county.users["county_admin"])
    c.get("/api/v1/households")  # warm session and auth caches
    with CaptureQueriesContext(connection) as few:
        c.get("/api/v1/households")
    for _ in range(15):
        make_household(county.grid_a2, size=4)
    with CaptureQueriesContext(connection) as many:
        body = c.get("/api/v1/households").json()
    assert body["count"] == 19
    assert len(many) == len(few)


@pytest.mark.django_db
def test_revealing_an_id_number_needs_the_permission_and_leaves_a_record(client, county):
    resident = county.households["a1"].residents.first()
    url = f"/api/v1/residents/{resident.id}/reveal"
    body = {"field": "id_number", "reason": "核对低保申请"}
    worker = as_user(client, county.users["grid_worker"])
    refused = worker.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert RevealRecord.objects.count() == 0

    staff = grant_reveal(county.users["township_staff"])
    c = as_user(client, staff)
    response = c.post(url, body, content_type="application/json")
    assert response.status_code == 200
    assert len(response.json()["value"]) == 18 and "*" not in response.json()["value"]
    record = RevealRecord.objects.get()
    assert (record.user, record.resident, record.reason) == (staff, resident, "核对低保申请")


@pytest.mark.django_db
def test_revealing_needs_a_reason_and_stays_in_scope(client, county):
    staff_b = grant_reveal(county.users["township_staff_b"])
    c = as_user(client, staff_b)
    resident = county.households["a1"].residents.first()
    out_of_scope = c.post(f"/api/v1/residents/{resident.id}/reveal", {"reason": "核对"},
                          content_type="application/json")
    assert out_of_scope.status_code == 404
    own = county.households["b1"].residents.first()
    no_reason = c.post(f"/api/v1/residents/{own.id}/reveal", {"reason": "  "}, content_type="application/json")
    assert no_reason.status_code == 422
    assert RevealRecord.objects.count() == 0


@pytest.mark.django_db
def test_key_people_are_listed_in_scope_for_staff_only(client, county):
    from xiangzhi.people.models import KeyCategory, KeyPerson

    elderly = KeyCategory.objects.get(code="elderly_alone")
    in_a1 = county.households["a1"].residents.first()
    in_b1 = county.households["b1"].residents.first()
    for r in (in_a1, in_b1):
        KeyPerson.objects.create(resident=r, category=elderly, registered_on="2026-01-05")
    c = as_user(client, county.users["village_cadre"])
    items = c.get("/api/v1/key-people").json()["items"]
    assert [(i["name"], i["category"], i["visit_cycle_days"]) for i in items] == [(in_a1.name, "elderly_alone", 30)]
    assert c.get("/api/v1/key-people?category=petitioner").json()["count"] == 0
    resident = as_user(client, county.users["resident"])
    assert resident.get("/api/v1/key-people").status_code == 403


@pytest.mark.django_db
def test_a_search_lists_each_household_once(client, county):
    c = as_user(client, county.users["village_cadre"])
    body = c.get("/api/v1/households", {"q": "张"}).json()
    assert body["count"] == 1
    assert [h["head_name"] for h in body["items"]] == ["张建国"]
