"""党员联系户: the rules on who links whom, the page, the household page and the API."""

import pytest
from django.utils import timezone

from tests.factories import make_household
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.people.models import MemberHouseholdLink
from xiangzhi.people.services import MEMBER_MAX_HOUSEHOLDS, member_link_create, member_link_end

TODAY = timezone.localdate()


def _party(resident, **changes):
    resident.tags = "party_member"
    for name, value in changes.items():
        setattr(resident, name, value)
    resident.save()
    return resident


@pytest.fixture
def member(county):
    """A party member of 东村 (village_a1), head of the household on grid_a1."""
    return _party(county.households["a1"].residents.get(relation="head"))


def test_a_member_links_households_of_his_village(county, member):
    cadre = county.users["village_cadre"]
    made = member_link_create(member=member, households=[county.households["a1_micro"], county.households["a1"]],
                              actor=cadre)
    assert {link.household for link in made} == {county.households["a1"], county.households["a1_micro"]}
    assert all(link.started_on == TODAY and link.assigned_by == cadre for link in made)


@pytest.mark.parametrize(("changes", "message"), [
    ({"tags": ""}, "不是党员"), ({"is_deceased": True}, "已故"), ({"is_away": True}, "外出"),
])
def test_only_a_living_party_member_at_home_links_households(county, member, changes, message):
    _party(member, **changes)
    with pytest.raises(Invalid, match=message):
        member_link_create(member=member, households=[county.households["a1"]], actor=county.users["village_cadre"])
    assert not MemberHouseholdLink.objects.exists()


def test_a_household_of_another_village_is_refused_and_nothing_is_written(county, member):
    with pytest.raises(Invalid, match="党员只联系本村的户"):
        member_link_create(member=member, households=[county.households["a1"], county.households["a2"]])
    assert not MemberHouseholdLink.objects.exists()


def test_a_household_has_one_member_in_post(county, member):
    other = _party(county.households["a1_micro"].residents.get(relation="head"))
    member_link_create(member=member, households=[county.households["a1"]])
    with pytest.raises(Conflict, match="已有联系党员"):
        member_link_create(member=other, households=[county.households["a1_micro"], county.households["a1"]])
    assert MemberHouseholdLink.objects.count() == 1


def test_a_member_links_at_most_ten_households(county, member):
    extra = [make_household(county.grid_a1, size=1, head=f"户{i}") for i in range(MEMBER_MAX_HOUSEHOLDS)]
    member_link_create(member=member, households=extra[:MEMBER_MAX_HOUSEHOLDS - 1])
    with pytest.raises(Conflict, match="最多联系 10 户"):
        member_link_create(member=member, households=[extra[-1], county.households["a1"]])
    member_link_create(member=member, households=[extra[-1]])
    assert MemberHouseholdLink.objects.filter(member=member).count() == MEMBER_MAX_HOUSEHOLDS


def test_the_wrong_role_and_the_wrong_village_are_refused(county, member):
    with pytest.raises(Forbidden):
        member_link_create(member=member, households=[county.households["a1"]], actor=county.users["grid_worker"])
    with pytest.raises(Forbidden):
        member_link_create(member=member, households=[county.households["a1"]],
                           actor=county.users["township_staff"])
    other = _party(county.households["a2"].residents.get(relation="head"))
    with pytest.raises(NotFound):
        member_link_create(member=other, households=[county.households["a2"]], actor=county.users["village_cadre"])
    assert not MemberHouseholdLink.objects.exists()


def test_ending_needs_a_reason_and_frees_the_household(county, member):
    cadre = county.users["village_cadre"]
    [link] = member_link_create(member=member, households=[county.households["a1"]], actor=cadre)
    with pytest.raises(Invalid, match="请填写结束原因"):
        member_link_end(link=link, reason="", actor=cadre)
    member_link_end(link=link, reason="党员外出务工", actor=cadre)
    with pytest.raises(Conflict):
        member_link_end(link=link, reason="again", actor=cadre)
    link.refresh_from_db()
    assert (link.ended_on, link.ended_by) == (TODAY, cadre)
    member_link_create(member=member, households=[county.households["a1"]], actor=cadre)
    assert MemberHouseholdLink.objects.filter(household=county.households["a1"]).count() == 2


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_village_page_links_and_the_household_page_names_the_member(client, county, member):
    client.force_login(county.users["village_cadre"])
    url = f"/people/villages/{county.village_a1.code}/member-links/"
    body = client.get(url).content.decode()
    assert member.name in body and "安排联系" in body and "李秀英户" in body
    response = client.post(url, {"member": member.pk, "households": [county.households["a1_micro"].pk]})
    assert response.status_code == 302
    detail = client.get(f"/people/households/{county.households['a1_micro'].pk}/").content.decode()
    assert f"联系党员：<span class=\"badge text-bg-danger me-1\">{member.name}</span>" in detail
    refused = client.post(url, {"member": member.pk, "households": [county.households["a1_micro"].pk]})
    assert refused.status_code == 409 and "已有联系党员" in refused.content.decode()


@pytest.mark.django_db
def test_the_page_refuses_the_wrong_scope_and_role(client, county, member):
    [link] = member_link_create(member=member, households=[county.households["a1"]])
    url = f"/people/villages/{county.village_a1.code}/member-links/"
    client.force_login(county.users["township_staff"])
    page = client.get(url)
    assert page.status_code == 200 and "安排联系" not in page.content.decode()
    assert client.post(url, {"member": member.pk, "households": [county.households["a1_micro"].pk]}).status_code \
        == 403
    assert client.post(f"/people/member-links/{link.pk}/end/", {"reason": "x"}).status_code == 403
    client.force_login(county.users["township_staff_b"])
    assert client.get(url).status_code == 404
    assert client.get(f"/people/villages/{county.town_a.code}/member-links/").status_code == 404
    client.force_login(county.users["resident"])
    assert client.get(url).status_code == 403
    assert MemberHouseholdLink.objects.filter(ended_on__isnull=True).count() == 1


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_links_lists_and_ends(client, county, member):
    client.force_login(county.users["village_cadre"])
    made = client.post("/api/v1/member-links", {"member_id": member.pk,
                                                "household_ids": [county.households["a1"].pk]},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()[0]["member_name"] == member.name
    listed = client.get("/api/v1/member-links").json()
    assert listed["count"] == 1
    ended = client.post(f"/api/v1/member-links/{made.json()[0]['id']}/end", {"reason": "调整"},
                        content_type="application/json")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "调整"
    assert client.get("/api/v1/member-links", {"active": "false"}).json()["count"] == 1


@pytest.mark.django_db
def test_api_refuses_the_wrong_role_and_scope(client, county, member):
    payload = {"member_id": member.pk, "household_ids": [county.households["a1"].pk]}
    client.force_login(county.users["grid_worker"])
    assert client.post("/api/v1/member-links", payload, content_type="application/json").status_code == 403
    client.force_login(county.users["township_staff_b"])
    assert client.post("/api/v1/member-links", payload, content_type="application/json").status_code == 404
    assert client.get("/api/v1/member-links").json()["count"] == 0
    client.force_login(county.users["resident"])
    assert client.get("/api/v1/member-links").status_code == 403
    assert not MemberHouseholdLink.objects.exists()
