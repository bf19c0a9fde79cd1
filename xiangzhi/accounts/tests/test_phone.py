"""Staff phones are kept like residents' phones: encrypted, a keyed hash, a masked copy."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory
from xiangzhi.accounts.models import User
from xiangzhi.accounts.tests.test_admin import admin_staff, change_data
from xiangzhi.lib import crypto


@pytest.mark.django_db
def test_a_staff_phone_is_stored_encrypted_hashed_and_masked(county):
    user = UserFactory(username="phoned", phone="13812345678")
    row = User.objects.filter(pk=user.pk).values().get()
    assert "13812345678" not in {str(v) for v in row.values()}
    assert "phone" not in row
    assert crypto.decrypt(row["phone_encrypted"]) == "13812345678"
    assert row["phone_masked"] == "138****5678"
    assert User.objects.get(phone_hash=crypto.lookup_hash("13812345678")) == user
    with pytest.raises(AttributeError):
        user.phone  # noqa: B018 (write-only: pages read phone_masked)


@pytest.mark.django_db
def test_the_admin_sets_and_clears_a_phone_encrypted(client, county):
    client.force_login(admin_staff(county.users["county_admin"]))
    cadre = county.users["village_cadre"]
    url = f"/admin/accounts/user/{cadre.pk}/change/"
    assert client.post(url, change_data(cadre, phone="13700001111")).status_code == 302
    cadre.refresh_from_db()
    assert (crypto.decrypt(cadre.phone_encrypted), cadre.phone_masked) == ("13700001111", "137****1111")
    assert "137****1111" in client.get(url).content.decode()
    bad = client.post(url, change_data(cadre, phone="0543-321"))
    assert bad.context["adminform"].form.errors["phone"] == ["手机号应为11位数字"]
    assert client.post(url, change_data(cadre)).status_code == 302  # left blank: unchanged
    cadre.refresh_from_db()
    assert cadre.phone_masked == "137****1111"
    assert client.post(url, change_data(cadre, phone_clear="on")).status_code == 302
    cadre.refresh_from_db()
    assert (cadre.phone_encrypted, cadre.phone_hash, cadre.phone_masked) == ("", "", "")


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plain_phones_and_dates_old_tokens():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0003_user_phone_encrypted_token_expiry")])
    old = executor.loader.project_state([("accounts", "0003_user_phone_encrypted_token_expiry")]).apps
    OldUser = old.get_model("accounts", "User")
    OldToken = old.get_model("accounts", "ApiToken")
    staff = OldUser.objects.create(username="old_staff", phone="15900002222")
    OldUser.objects.create(username="no_phone", phone="")
    token = OldToken.objects.create(user=staff, digest="d" * 64, prefix="xz_old")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = User.objects.get(username="old_staff")
    assert crypto.decrypt(migrated.phone_encrypted) == "15900002222"
    assert (migrated.phone_hash, migrated.phone_masked) == (crypto.lookup_hash("15900002222"), "159****2222")
    assert User.objects.get(username="no_phone").phone_encrypted == ""
    token = migrated.api_tokens.get()
    assert (token.expires_at - token.created_at).days == 30
