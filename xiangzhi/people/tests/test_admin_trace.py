"""The county's admin screens change the register only with a trace: each edit of a household or a
resident is a confirmed 「信息更正」 in its history; moves and grids are not edited there at all."""

import pytest
from django.contrib.auth.models import Permission

from xiangzhi.people.models import HouseholdChange, KeyPerson, Relation


@pytest.fixture
def staff(client, county):
    user = county.users["village_cadre"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="people"))
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_an_admin_edit_of_a_resident_leaves_a_correction_in_the_history(client, county, staff):
    a1, a2 = county.households["a1"], county.households["a2"]
    child = a1.residents.get(relation=Relation.CHILD)
    data = {"name": "张小雨", "sex": child.sex, "birth_date": child.birth_date.isoformat(), "relation": "grandchild",
            "tags": "low_income", "household": a2.pk}
    response = client.post(f"/admin/people/resident/{child.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    child.refresh_from_db()
    assert (child.name, child.relation, child.household_id) == ("张小雨", "grandchild", a1.pk)  # not moved
    row = HouseholdChange.objects.get(resident=child)
    assert (row.kind, row.state, row.decider, row.household) == ("correction", "confirmed", staff, a1)
    assert row.after == {"姓名": "张小雨", "与户主关系": "孙子女", "标签": "低保"}
    assert row.before["与户主关系"] == "子女"
    page = client.get(f"/people/households/{a1.pk}/").content.decode()
    assert "信息更正" in page and "张小雨" in page


@pytest.mark.django_db
def test_an_admin_edit_without_changes_writes_no_row_and_key_people_are_read_only(client, county, staff):
    a1 = county.households["a1"]
    response = client.post(f"/admin/people/household/{a1.pk}/change/",
                           {"number": a1.number, "head_name": a1.head_name, "address": "东村三组8号"})
    assert response.status_code == 302
    a1.refresh_from_db()
    row = HouseholdChange.objects.get(household=a1)
    assert row.after == {"住址": "东村三组8号"} and a1.address == "东村三组8号"
    client.post(f"/admin/people/household/{a1.pk}/change/",
                {"number": a1.number, "head_name": a1.head_name, "address": "东村三组8号"})
    assert HouseholdChange.objects.filter(household=a1).count() == 1
    assert client.get("/admin/people/keyperson/add/").status_code == 403
    assert not KeyPerson.objects.exists()
