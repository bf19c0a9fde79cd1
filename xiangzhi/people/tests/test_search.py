"""Searching households by a full ID number or phone: the reveal permission, an audit row per search,
a per-user hourly limit; the page and the API answer alike."""

import importlib

import pytest
from django.apps import apps

from tests.factories import grant_reveal
from xiangzhi.lib import crypto, idnumber
from xiangzhi.people import selectors
from xiangzhi.people.models import IdentitySearch, Resident
from xiangzhi.people.services import ResidentInput, household_create

PHONE = "13800138000"  # every head of household in the small county


def plain_id(resident) -> str:
    return crypto.decrypt(resident.id_number_encrypted)


@pytest.mark.django_db
def test_without_the_permission_a_full_id_number_search_is_refused_and_recorded(client, county):
    resident = county.households["a1"].residents.first()
    client.force_login(county.users["grid_worker"])
    response = client.get("/api/v1/households", {"q": plain_id(resident)})
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden",
                                         "message": "按完整身份证号或手机号查询需要证件查看权限；请按姓名或户编号查询"}}
    row = IdentitySearch.objects.get()
    assert (row.user, row.kind, row.outcome, row.matched, row.ip_address) == (
        county.users["grid_worker"], "id_number", "denied", 0, "127.0.0.1")
    assert row.value_hash == resident.id_number_hash  # the number itself is kept nowhere


@pytest.mark.django_db
def test_without_the_permission_a_phone_search_page_says_so_and_lists_nobody(client, county):
    client.force_login(county.users["village_cadre"])
    response = client.get("/people/households/", {"q": PHONE})
    page = response.content.decode()
    assert response.status_code == 403
    assert "按完整身份证号或手机号查询需要证件查看权限" in page
    assert county.households["a1"].number not in page
    row = IdentitySearch.objects.get()
    assert (row.kind, row.outcome, row.value_hash) == ("phone", "denied", crypto.lookup_hash(PHONE))


@pytest.mark.django_db
def test_a_full_id_number_never_falls_through_to_a_household_number_prefix(client, county):
    """A household number beginning with a resident's ID number must not turn the search into an oracle."""
    resident = county.households["a2"].residents.first()
    value = plain_id(resident)
    decoy = household_create(grid=county.grid_a1, number=f"{value}7", address="东村",
                             residents=[ResidentInput(name="钱多多", id_number=idnumber.make(
                                 "371603", resident.birth_date, 991))])
    cadre = county.users["village_cadre"]
    assert not selectors.household_list_for_user(cadre, search=value).exists()
    client.force_login(cadre)
    assert client.get("/api/v1/households", {"q": value}).status_code == 403
    assert decoy.number not in client.get("/people/households/", {"q": value}).content.decode()
    # With the permission the number finds its holder by hash, not the decoy by prefix.
    client.force_login(grant_reveal(county.users["township_staff"]))
    body = client.get("/api/v1/households", {"q": value}).json()
    assert [h["number"] for h in body["items"]] == [county.households["a2"].number]


@pytest.mark.django_db
def test_with_the_permission_each_search_finds_and_is_recorded(client, county):
    staff = grant_reveal(county.users["township_staff"])
    client.force_login(staff)
    resident = county.households["a2"].residents.first()
    by_id = client.get("/api/v1/households", {"q": plain_id(resident)}).json()
    assert [h["number"] for h in by_id["items"]] == [county.households["a2"].number]
    page = client.get("/people/households/", {"q": PHONE}).content.decode()
    assert all(county.households[k].number in page for k in ("a1", "a1_micro", "a2"))
    assert county.households["b1"].number not in page  # another township: scope still holds
    rows = list(IdentitySearch.objects.order_by("id").values_list("user", "kind", "outcome", "matched",
                                                                    "value_hash"))
    assert rows == [(staff.pk, "id_number", "searched", 1, resident.id_number_hash),
                    (staff.pk, "phone", "searched", 3, crypto.lookup_hash(PHONE))]


@pytest.mark.django_db
def test_identity_searches_are_limited_per_user_and_hour(client, county, settings):
    settings.IDENTITY_SEARCH_PER_HOUR = 2
    client.force_login(grant_reveal(county.users["township_staff"]))
    value = plain_id(county.households["a1"].residents.first())
    assert client.get("/api/v1/households", {"q": value}).status_code == 200
    assert client.get("/people/households/", {"q": PHONE}).status_code == 200
    over = client.get("/api/v1/households", {"q": value})
    assert over.status_code == 429
    assert over.json()["error"] == {"code": "rate_limited",
                                    "message": "按完整身份证号或手机号查询过于频繁（每小时最多 2 次），请稍后再试"}
    page = client.get("/people/households/", {"q": PHONE})
    assert page.status_code == 429 and "查询过于频繁" in page.content.decode()
    assert list(IdentitySearch.objects.order_by("id").values_list("outcome", flat=True)) == [
        "searched", "searched", "limited", "limited"]
    # Searching by name is no lookup of a number: neither counted nor refused.
    assert client.get("/api/v1/households", {"q": "张建国"}).json()["count"] == 1
    assert IdentitySearch.objects.count() == 4
    # The limit is the user's own: another user with the permission still searches.
    client.force_login(grant_reveal(county.users["county_admin"]))
    assert client.get("/api/v1/households", {"q": value}).status_code == 200


@pytest.mark.django_db
def test_a_name_search_needs_no_permission_and_leaves_no_search_record(client, county):
    client.force_login(county.users["grid_worker"])
    body = client.get("/api/v1/households", {"q": "张成员0"}).json()
    assert [h["number"] for h in body["items"]] == [county.households["a1"].number]
    assert IdentitySearch.objects.count() == 0


@pytest.mark.django_db
def test_stored_masks_are_recomputed_from_the_encrypted_number(county):
    resident = county.households["a1"].residents.first()
    value = plain_id(resident)
    Resident.objects.filter(pk=resident.pk).update(id_number_masked=value[:4] + "*" * 10 + value[-4:])
    importlib.import_module("xiangzhi.people.migrations.0004_remask_id_numbers").forwards(apps, None)
    resident.refresh_from_db()
    assert resident.id_number_masked == value[:4] + "*" * 12 + value[-2:]
