"""四级包保: who may put whom on which place, the refusals, the pages, the API and the read-only admin."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.regions.models import GridAssignment, Liaison
from xiangzhi.regions.services import liaison_assign, liaison_end

TODAY = timezone.localdate()
COUNTY_LEADER, TOWNSHIP_CADRE, VILLAGE_CADRE = "county_leader", "township_cadre", "village_cadre"


@pytest.fixture
def cadre_a1_b(county):
    return UserFactory(role=Role.VILLAGE_CADRE, region=county.village_a1, full_name="王村委")


# --- services ------------------------------------------------------------------------------------


def test_a_county_leader_on_a_township_then_a_second_is_refused(county):
    admin = county.users["county_admin"]
    other = UserFactory(role=Role.COUNTY_ADMIN, region=county.county, full_name="李县长")
    made = liaison_assign(region=county.town_a, user=admin, tier=COUNTY_LEADER, actor=admin)
    assert made.assigned_by == admin and made.ended_on is None
    with pytest.raises(Conflict, match="已有在任的包联干部"):
        liaison_assign(region=county.town_a, user=other, tier=COUNTY_LEADER, actor=admin)
    assert Liaison.objects.filter(region=county.town_a).count() == 1


def test_township_staff_may_not_assign_county_leaders(county):
    with pytest.raises(Forbidden):
        liaison_assign(region=county.town_a, user=county.users["county_admin"], tier=COUNTY_LEADER,
                       actor=county.users["township_staff"])
    assert not Liaison.objects.exists()


def test_township_staff_assign_cadres_to_their_own_villages_only(county):
    staff = county.users["township_staff"]
    liaison_assign(region=county.village_a2, user=county.users["grid_guide"], tier=TOWNSHIP_CADRE, actor=staff)
    with pytest.raises(NotFound):
        liaison_assign(region=county.village_b1, user=county.users["township_staff_b"], tier=TOWNSHIP_CADRE,
                       actor=staff)
    assert list(Liaison.objects.values_list("region", flat=True)) == [county.village_a2.pk]


@pytest.mark.parametrize("who", ["village_cadre", "township_staff_b", "grid_worker"])
def test_a_person_who_is_no_cadre_of_the_township_is_refused(county, who):
    with pytest.raises(Invalid, match="不能担任"):
        liaison_assign(region=county.village_a1, user=county.users[who], tier=TOWNSHIP_CADRE,
                       actor=county.users["county_admin"])
    assert not Liaison.objects.exists()


def test_a_tier_on_a_region_of_the_wrong_level_is_refused(county):
    admin = county.users["county_admin"]
    with pytest.raises(Invalid, match="不是县级领导包乡镇的对象"):
        liaison_assign(region=county.village_a1, user=admin, tier=COUNTY_LEADER, actor=admin)
    with pytest.raises(Invalid, match="未知的包联层级"):
        liaison_assign(region=county.town_a, user=admin, tier="mayor", actor=admin)


def test_village_cadres_take_groups_of_their_village(county, cadre_a1_b):
    cadre = county.users["village_cadre"]
    with pytest.raises(Invalid, match="请填写村民小组"):
        liaison_assign(region=county.village_a1, user=cadre_a1_b, tier=VILLAGE_CADRE, actor=cadre)
    liaison_assign(region=county.village_a1, user=cadre_a1_b, tier=VILLAGE_CADRE, group_name="一组", actor=cadre)
    liaison_assign(region=county.village_a1, user=cadre, tier=VILLAGE_CADRE, group_name="二组", actor=cadre)
    with pytest.raises(Conflict):
        liaison_assign(region=county.village_a1, user=cadre, tier=VILLAGE_CADRE, group_name="一组", actor=cadre)
    with pytest.raises(Forbidden):  # a village cadre does not put township cadres on villages
        liaison_assign(region=county.village_a1, user=county.users["township_staff"], tier=TOWNSHIP_CADRE,
                       actor=cadre)
    with pytest.raises(NotFound):  # nor staff groups of another village
        liaison_assign(region=county.village_a2, user=cadre, tier=VILLAGE_CADRE, group_name="一组", actor=cadre)
    assert Liaison.objects.filter(tier=VILLAGE_CADRE).count() == 2


def test_ending_needs_a_reason_keeps_the_row_and_frees_the_place(county):
    staff = county.users["township_staff"]
    made = liaison_assign(region=county.village_a1, user=staff, tier=TOWNSHIP_CADRE,
                          started_on=TODAY - dt.timedelta(days=30), actor=staff)
    with pytest.raises(Invalid, match="请填写结束原因"):
        liaison_end(liaison=made, reason=" ", actor=staff)
    with pytest.raises(Invalid, match="不能早于起始日期"):
        liaison_end(liaison=made, reason="调任", ended_on=TODAY - dt.timedelta(days=31), actor=staff)
    liaison_end(liaison=made, reason="调任", actor=staff)
    with pytest.raises(Conflict, match="不能再次结束"):
        liaison_end(liaison=made, reason="调任", actor=staff)
    made.refresh_from_db()
    assert (made.ended_on, made.end_reason, made.ended_by) == (TODAY, "调任", staff)
    liaison_assign(region=county.village_a1, user=county.users["grid_guide"], tier=TOWNSHIP_CADRE, actor=staff)
    assert Liaison.objects.filter(region=county.village_a1).count() == 2


def test_grid_assignments_record_who_assigned_and_ended(county):
    from xiangzhi.regions.services import grid_assign, grid_unassign

    staff = county.users["township_staff"]
    made = grid_assign(grid=county.grid_a2, user=county.users["grid_worker"], duty="part_time", actor=staff)
    grid_unassign(assignment=made, reason="调整", actor=staff)
    made.refresh_from_db()
    assert (made.assigned_by, made.ended_by) == (staff, staff)


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_county_page_lists_townships_and_assigns_a_leader(client, county):
    admin = county.users["county_admin"]
    client.force_login(admin)
    page = client.get(f"/regions/{county.county.code}/liaisons/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "下洼镇" in body and "古城镇" in body and "2 处无人包联" in body
    response = client.post(f"/regions/{county.county.code}/liaisons/", {
        "place": county.town_a.code, "tier": COUNTY_LEADER, "user": admin.pk, "started_on": TODAY.isoformat()})
    assert response.status_code == 302
    assert Liaison.objects.get().region == county.town_a
    again = client.post(f"/regions/{county.county.code}/liaisons/", {
        "place": county.town_a.code, "tier": COUNTY_LEADER, "user": admin.pk})
    assert again.status_code == 409 and "已有在任的包联干部" in again.content.decode()


@pytest.mark.django_db
def test_the_township_page_ends_a_cadre_with_a_reason(client, county):
    staff = county.users["township_staff"]
    made = liaison_assign(region=county.village_a1, user=staff, tier=TOWNSHIP_CADRE)
    client.force_login(staff)
    body = client.get(f"/regions/{county.town_a.code}/liaisons/").content.decode()
    assert "东村" in body and "西村" in body and "南村" not in body and "结束包联" in body
    client.post(f"/liaisons/{made.pk}/end/", {"reason": "", "page": county.town_a.code})
    made.refresh_from_db()
    assert made.ended_on is None
    client.post(f"/liaisons/{made.pk}/end/", {"reason": "调任", "page": county.town_a.code})
    made.refresh_from_db()
    assert made.end_reason == "调任"


@pytest.mark.django_db
def test_pages_refuse_the_wrong_scope_and_role(client, county):
    made = liaison_assign(region=county.village_b1, user=county.users["township_staff_b"], tier=TOWNSHIP_CADRE)
    client.force_login(county.users["township_staff"])
    assert client.get(f"/regions/{county.town_b.code}/liaisons/").status_code == 404
    assert client.post(f"/liaisons/{made.pk}/end/", {"reason": "调任"}).status_code == 404
    client.force_login(county.users["village_cadre"])
    assert client.get(f"/regions/{county.village_a1.code}/liaisons/").status_code == 200
    response = client.post(f"/regions/{county.village_a1.code}/liaisons/", {
        "tier": TOWNSHIP_CADRE, "user": county.users["township_staff"].pk})
    assert response.status_code == 403 and not Liaison.objects.filter(region=county.village_a1).exists()
    client.force_login(county.users["resident"])
    assert client.get(f"/regions/{county.village_a1.code}/liaisons/").status_code == 403
    made.refresh_from_db()
    assert made.ended_on is None


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_lists_assigns_and_ends_liaisons_in_scope(client, county):
    staff = county.users["township_staff"]
    client.force_login(staff)
    created = client.post("/api/v1/liaisons", {"region": county.village_a1.code, "tier": TOWNSHIP_CADRE,
                                               "user_id": staff.pk}, content_type="application/json")
    assert created.status_code == 201 and created.json()["full_name"] == staff.full_name
    liaison_assign(region=county.village_b1, user=county.users["township_staff_b"], tier=TOWNSHIP_CADRE)
    listed = client.get("/api/v1/liaisons").json()["items"]
    assert [row["region_code"] for row in listed] == [county.village_a1.code]
    ended = client.post(f"/api/v1/liaisons/{created.json()['id']}/end", {"reason": "调任"},
                        content_type="application/json")
    assert ended.status_code == 200 and ended.json()["ended_on"] == TODAY.isoformat()
    assert client.get("/api/v1/liaisons", {"active": "false"}).json()["count"] == 1


@pytest.mark.django_db
def test_api_refuses_the_wrong_role_and_scope(client, county):
    client.force_login(county.users["township_staff"])
    other_town = client.post("/api/v1/liaisons", {"region": county.village_b1.code, "tier": TOWNSHIP_CADRE,
                                                  "user_id": county.users["township_staff_b"].pk},
                             content_type="application/json")
    assert other_town.status_code == 404
    wrong_tier = client.post("/api/v1/liaisons", {"region": county.town_a.code, "tier": COUNTY_LEADER,
                                                  "user_id": county.users["county_admin"].pk},
                             content_type="application/json")
    assert wrong_tier.status_code == 403
    client.force_login(county.users["grid_worker"])
    assert client.get("/api/v1/liaisons").status_code == 200
    assert client.get("/api/v1/liaisons").json()["items"] == []
    client.force_login(county.users["resident"])
    assert client.get("/api/v1/liaisons").status_code == 403
    assert not Liaison.objects.exists()


@pytest.mark.django_db
def test_api_grid_assignments_through_the_staffing_rules(client, county):
    client.force_login(county.users["township_staff"])
    listed = client.get(f"/api/v1/grids/{county.grid_a1.code}/assignments").json()
    assert {row["duty"] for row in listed} == {"chief", "full_time"}
    second_chief = client.post(f"/api/v1/grids/{county.grid_a1.code}/assignments",
                               {"duty": "chief", "full_name": "李四", "phone": "13900139000"},
                               content_type="application/json")
    assert second_chief.status_code == 409 and "已有在岗网格长" in second_chief.json()["error"]["message"]
    worker = county.grid_a1.assignments.get(duty="full_time")
    ended = client.post(f"/api/v1/grids/{county.grid_a1.code}/assignments/{worker.pk}/end", {"reason": "外出"},
                        content_type="application/json")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "外出"
    added = client.post(f"/api/v1/grids/{county.grid_a2.code}/assignments",
                        {"duty": "full_time", "user_id": county.users["grid_worker"].pk},
                        content_type="application/json")
    assert added.status_code == 201 and added.json()["grid_code"] == county.grid_a2.code
    assert client.get(f"/api/v1/grids/{county.grid_b1.code}/assignments").status_code == 404
    client.force_login(county.users["village_cadre"])
    refused = client.post(f"/api/v1/grids/{county.grid_a1.code}/assignments",
                          {"duty": "full_time", "user_id": county.users["grid_worker"].pk},
                          content_type="application/json")
    assert refused.status_code == 403
    assert GridAssignment.objects.filter(grid=county.grid_a1, ended_on__isnull=True).count() == 1


# --- admin ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["regions/gridassignment", "regions/liaison", "people/memberhouseholdlink"])
def test_the_admin_reads_staffing_but_never_writes_it(client, county, model):
    admin = county.users["county_admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["regions", "people"]))
    client.force_login(admin)
    assert client.get(f"/admin/{model}/").status_code == 200
    assert client.get(f"/admin/{model}/add/").status_code == 403
    assignment = county.grid_a1.assignments.first()
    if model == "regions/gridassignment":
        response = client.post(f"/admin/{model}/{assignment.pk}/change/", {
            "grid": county.grid_a1.pk, "user": county.users["grid_worker_b"].pk, "duty": "chief",
            "started_on": TODAY.isoformat()})
        assert response.status_code in (200, 403)
        assignment.refresh_from_db()
        assert assignment.duty == "chief" and assignment.user == county.users["grid_chief"]
        assert client.post(f"/admin/{model}/{assignment.pk}/delete/", {"post": "yes"}).status_code == 403
