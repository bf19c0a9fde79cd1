"""The accounts admin: a county admin manages every account of his county and nothing else, and no
privilege he does not hold."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from tests.factories import PASSWORD, RegionFactory, UserFactory
from xiangzhi.accounts.models import ApiToken, Role, User
from xiangzhi.accounts.services import api_token_issue
from xiangzhi.regions.models import Department


def admin_staff(user):
    """Admin-site access with the demo's 县级管理 permissions (xiangzhi/demo/register.py write_accounts)."""
    group, _ = Group.objects.get_or_create(name="县级管理")
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=["regions", "people", "accounts"])
                          .exclude(codename__startswith="delete_").exclude(codename="reveal_identity"))
    user.groups.add(group)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def outsider(county):
    """Another county with its own admin, and a superuser: neither is the county admin's to manage."""
    other = RegionFactory(code="371602", name="滨城区", level="county")
    UserFactory(username="superman", is_superuser=True, is_staff=True, region=county.county)
    return UserFactory(username="other_admin", role=Role.COUNTY_ADMIN, region=other)


def change_data(account, **overrides):
    data = {
        "username": account.username, "full_name": account.full_name, "role": account.role,
        "region": account.region_id or "", "department": account.department_id or "",
        "household": account.household_id or "", "is_active": "on", "first_name": "", "last_name": "",
        "email": "", "phone": "", "_save": "保存",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_county_admin_lists_every_account_of_his_county_and_no_other(client, county, outsider):
    client.force_login(admin_staff(county.users["county_admin"]))
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    listed = {u.username for u in response.context["cl"].queryset}
    # All thirteen accounts of the small county: region roles, grid roles (by assignment), the department's
    # staff (by the department's region) and the villager (by household); not the other county, not the superuser.
    assert listed == {u.username for u in county.users.values()}
    assert response.context["cl"].result_count == 13


@pytest.mark.django_db
def test_a_township_admin_sees_only_his_township(client, county):
    client.force_login(admin_staff(county.users["township_staff"]))
    listed = {u.username for u in client.get("/admin/accounts/user/").context["cl"].queryset}
    assert listed == {"town_a", "dept", "cadre_a1", "recorder_a1", "supervisor_a1", "chief_a1", "worker_a1",
                      "guide", "villager", "inspector_a"}


@pytest.mark.django_db
def test_privilege_fields_posted_by_a_county_admin_are_ignored(client, county):
    admin = admin_staff(county.users["county_admin"])
    worker = county.users["grid_worker"]
    client.force_login(admin)
    group = Group.objects.get(name="县级管理")
    perm = Permission.objects.get(codename="reveal_identity")
    for account in (worker, admin):
        response = client.post(f"/admin/accounts/user/{account.pk}/change/", change_data(
            account, is_superuser="on", is_staff="on", groups=[group.pk], user_permissions=[perm.pk],
            full_name="改过的名字",
        ))
        assert response.status_code == 302, response.context["adminform"].form.errors
    worker.refresh_from_db()
    admin.refresh_from_db()
    assert worker.full_name == "改过的名字"  # the rest of the form was saved
    assert (worker.is_superuser, worker.is_staff, worker.groups.count(), worker.user_permissions.count()) == (
        False, False, 0, 0)
    assert (admin.is_superuser, admin.user_permissions.count()) == (False, 0)
    page = client.get(f"/admin/accounts/user/{worker.pk}/change/")
    fields = page.context["adminform"].form.fields
    assert not {"is_superuser", "is_staff", "groups", "user_permissions", "last_login", "date_joined"} & set(fields)


@pytest.mark.django_db
def test_a_superuser_still_grants_privileges(client, county):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    worker = county.users["grid_worker"]
    response = client.post(f"/admin/accounts/user/{worker.pk}/change/", change_data(
        worker, is_staff="on", date_joined_0="2026-01-01", date_joined_1="08:00:00"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    worker.refresh_from_db()
    assert worker.is_staff is True


@pytest.mark.django_db
def test_accounts_outside_the_county_cannot_be_opened_or_changed(client, county, outsider):
    client.force_login(admin_staff(county.users["county_admin"]))
    superman = User.objects.get(username="superman")
    for account in (outsider, superman):
        assert client.get(f"/admin/accounts/user/{account.pk}/change/").status_code == 302  # "does not exist"
        client.post(f"/admin/accounts/user/{account.pk}/change/", change_data(account, full_name="被改了"))
        client.post(f"/admin/accounts/user/{account.pk}/password/",
                    {"password1": "Another-pass-99", "password2": "Another-pass-99", "usable_password": "true"})
        account.refresh_from_db()
        assert account.full_name != "被改了"
        assert account.check_password(PASSWORD)


@pytest.mark.django_db
def test_region_department_and_household_choices_stay_inside_the_scope(client, county, outsider):
    town_admin = admin_staff(county.users["township_staff"])
    Department.objects.create(code="371603102-water", name="古城水务站", kind="water", region=county.town_b)
    client.force_login(town_admin)
    form = client.get(f"/admin/accounts/user/{county.users['grid_worker'].pk}/change/").context["adminform"].form
    assert {r.code for r in form.fields["region"].queryset} == {"371603101", "371603101001", "371603101002"}
    assert [d.name for d in form.fields["department"].queryset] == ["下洼供电所"]
    assert set(form.fields["household"].queryset) == {county.households[k] for k in ("a1", "a1_micro", "a2")}
    # Every admin screen built on ScopedAdmin scopes its choices: a department's region.
    form = client.get("/admin/regions/department/add/").context["adminform"].form
    assert {r.code for r in form.fields["region"].queryset} == {"371603101", "371603101001", "371603101002"}
    # Grid posts are read here, never written: the staffing page and the API keep the rules and who did it.
    assert client.get("/admin/regions/gridassignment/add/").status_code == 403
    listed = client.get("/admin/regions/gridassignment/").content.decode()
    assert county.grid_a1.name in listed and county.grid_b1.name not in listed


@pytest.mark.django_db
def test_an_account_cannot_be_moved_or_raised_out_of_the_scope(client, county, outsider):
    client.force_login(admin_staff(county.users["township_staff"]))
    cadre = county.users["village_cadre"]
    url = f"/admin/accounts/user/{cadre.pk}/change/"
    # Into the other township: not a valid choice.
    response = client.post(url, change_data(cadre, region=county.village_b1.pk))
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    # County admin of the whole county: the county is not his to give.
    response = client.post(url, change_data(cadre, role=Role.COUNTY_ADMIN, region=county.county.pk))
    assert "region" in response.context["adminform"].form.errors
    # County admin standing on a village: the role does not fit the level.
    response = client.post(url, change_data(cadre, role=Role.COUNTY_ADMIN))
    assert response.context["adminform"].form.errors["region"] == ["「县级管理员」应挂在县（区）上"]
    # Hanging nowhere would take the account out of his sight.
    response = client.post(url, change_data(cadre, role=Role.GRID_WORKER, region=""))
    assert response.context["adminform"].form.non_field_errors()
    cadre.refresh_from_db()
    assert (cadre.role, cadre.region_id) == (Role.VILLAGE_CADRE, county.village_a1.pk)


@pytest.mark.django_db
def test_a_county_admin_adds_an_account_in_his_county(client, county):
    client.force_login(admin_staff(county.users["county_admin"]))
    response = client.post("/admin/accounts/user/add/", {
        "username": "cadre_new", "usable_password": "true", "password1": "Cadre-pass-2026",
        "password2": "Cadre-pass-2026", "full_name": "新村干部", "phone": "13912345678",
        "role": Role.VILLAGE_CADRE, "region": county.village_a2.pk, "_save": "保存",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    account = User.objects.get(username="cadre_new")
    assert (account.region, account.phone_masked, account.is_staff) == (county.village_a2, "139****5678", False)


@pytest.mark.django_db
def test_the_reset_action_shows_a_temporary_password_once_and_revokes_tokens(client, county):
    client.force_login(admin_staff(county.users["county_admin"]))
    worker = county.users["grid_worker"]
    token = api_token_issue(user=worker)
    response = client.post("/admin/accounts/user/", {"action": "reset_password", "_selected_action": [worker.pk]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    ((account, temporary),) = response.context["rows"]
    assert account == worker
    assert temporary in response.content.decode()
    worker.refresh_from_db()
    assert worker.must_change_password is True
    assert worker.check_password(temporary)
    assert not ApiToken.objects.filter(user=worker, revoked_at__isnull=True).exists()
    assert Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.mark.django_db
def test_a_password_typed_by_the_admin_revokes_tokens_and_must_be_changed(client, county):
    client.force_login(admin_staff(county.users["county_admin"]))
    worker = county.users["grid_worker"]
    api_token_issue(user=worker)
    response = client.post(f"/admin/accounts/user/{worker.pk}/password/", {
        "password1": "Typed-by-admin-77", "password2": "Typed-by-admin-77", "usable_password": "true"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Typed-by-admin-77") and worker.must_change_password
    assert not ApiToken.objects.filter(user=worker, revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_token_admin_lists_and_revokes_only_tokens_in_scope(client, county, outsider):
    api_token_issue(user=county.users["grid_worker"])
    api_token_issue(user=county.users["grid_worker_b"])
    api_token_issue(user=outsider)
    client.force_login(admin_staff(county.users["township_staff"]))
    listed = client.get("/admin/accounts/apitoken/").context["cl"].queryset
    assert [t.user.username for t in listed] == ["worker_a1"]
    everyone = list(ApiToken.objects.values_list("pk", flat=True))
    response = client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": everyone})
    assert response.status_code == 302
    live = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("user__username", flat=True))
    assert live == {"worker_b1", "other_admin"}
