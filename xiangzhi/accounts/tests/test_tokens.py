"""Tokens end: they expire, their owner lists and revokes them, logging out and changing the password end them."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD
from xiangzhi.accounts.models import ApiToken
from xiangzhi.accounts.services import account_password_reset, api_token_issue


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def me_status(token) -> int:
    """/auth/me with the token alone, from a client that holds no web session."""
    return Client().get("/api/v1/auth/me", headers=bearer(token)).status_code


def issue(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", {"username": username, "password": password},
                       content_type="application/json")


@pytest.mark.django_db
def test_tokens_expire_after_the_configured_days(client, county, settings):
    before = timezone.now()
    body = issue(client, "town_a").json()
    row = ApiToken.objects.get(digest=ApiToken.digest_of(body["token"]))
    assert row.expires_at - row.created_at == pytest.approx(dt.timedelta(days=30), abs=dt.timedelta(seconds=1))
    assert abs(dt.datetime.fromisoformat(body["expires_at"]) - row.expires_at) < dt.timedelta(milliseconds=1)
    settings.API_TOKEN_DAYS = 7
    short = ApiToken.objects.get(digest=ApiToken.digest_of(api_token_issue(user=county.users["township_staff"])))
    assert before + dt.timedelta(days=7) <= short.expires_at <= timezone.now() + dt.timedelta(days=7)


@pytest.mark.django_db
def test_an_expired_token_answers_401_like_an_unknown_one(client, county):
    token = api_token_issue(user=county.users["township_staff"])
    assert me_status(token) == 200
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "unauthenticated", "message": "请先登录或提供有效的令牌"}}


@pytest.mark.django_db
def test_the_owner_lists_and_revokes_only_his_own_tokens(client, county):
    first = api_token_issue(user=county.users["township_staff"])
    second = api_token_issue(user=county.users["township_staff"])
    other = api_token_issue(user=county.users["township_staff_b"])
    listed = client.get("/api/v1/auth/tokens", headers=bearer(second)).json()
    assert [(t["prefix"], t["current"], t["revoked_at"]) for t in listed] == [(second[:8], True, None),
                                                                               (first[:8], False, None)]
    assert set(listed[0]) == {"id", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "current"}
    other_id = ApiToken.objects.get(digest=ApiToken.digest_of(other)).pk
    assert client.delete(f"/api/v1/auth/tokens/{other_id}", headers=bearer(second)).status_code == 404
    assert me_status(other) == 200
    first_id = listed[1]["id"]
    response = client.delete(f"/api/v1/auth/tokens/{first_id}", headers=bearer(second))
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert me_status(first) == 401
    assert me_status(second) == 200


@pytest.mark.django_db
def test_api_logout_revokes_the_presenting_token_only(client, county):
    phone = api_token_issue(user=county.users["grid_worker"])
    tablet = api_token_issue(user=county.users["grid_worker"])
    response = client.post("/api/v1/auth/logout", headers=bearer(phone))
    assert response.status_code == 200
    assert response.json() == {"revoked": 1}
    assert me_status(phone) == 401
    assert me_status(tablet) == 200


@pytest.mark.django_db
def test_web_logout_revokes_every_token_of_the_account(client, county):
    token = api_token_issue(user=county.users["grid_worker"])
    others = api_token_issue(user=county.users["grid_worker_b"])
    client.post("/accounts/login/", {"username": "worker_a1", "password": PASSWORD})
    assert client.post("/accounts/logout/").status_code == 302
    assert me_status(token) == 401
    assert me_status(others) == 200


@pytest.mark.django_db
def test_the_account_page_changes_the_password_keeps_the_session_and_ends_tokens(client, county):
    token = api_token_issue(user=county.users["grid_worker"])
    client.post("/accounts/login/", {"username": "worker_a1", "password": PASSWORD})
    page = client.get("/accounts/me/")
    assert page.status_code == 200
    assert token[:8] in page.content.decode()
    assert "修改密码" in page.content.decode()
    wrong = client.post("/accounts/me/", {"old_password": "nope", "new_password1": "Grid-new-pass-88",
                                          "new_password2": "Grid-new-pass-88"})
    assert wrong.status_code == 200
    assert "你的旧密码不正确" in wrong.content.decode()
    weak = client.post("/accounts/me/", {"old_password": PASSWORD, "new_password1": "12345678",
                                         "new_password2": "12345678"})
    assert "这个密码太常见了" in weak.content.decode()
    assert me_status(token) == 200  # nothing half-done
    done = client.post("/accounts/me/", {"old_password": PASSWORD, "new_password1": "Grid-new-pass-88",
                                         "new_password2": "Grid-new-pass-88"})
    assert done.status_code == 302
    assert client.get("/work/").status_code == 200  # the web session goes on
    assert me_status(token) == 401
    assert issue(client, "worker_a1", "Grid-new-pass-88").status_code == 200


@pytest.mark.django_db
def test_the_token_list_on_the_page_revokes_own_tokens_only(client, county):
    mine = api_token_issue(user=county.users["grid_worker"])
    theirs = api_token_issue(user=county.users["grid_worker_b"])
    client.force_login(county.users["grid_worker"])
    their_id = ApiToken.objects.get(digest=ApiToken.digest_of(theirs)).pk
    assert client.post(f"/accounts/me/tokens/{their_id}/revoke/").status_code == 404
    my_id = ApiToken.objects.get(digest=ApiToken.digest_of(mine)).pk
    assert client.post(f"/accounts/me/tokens/{my_id}/revoke/").status_code == 302
    assert me_status(mine) == 401
    assert me_status(theirs) == 200
    assert "已吊销" in client.get("/accounts/me/").content.decode()


@pytest.mark.django_db
def test_after_a_reset_only_the_password_page_opens_until_the_password_is_changed(client, county):
    worker = county.users["grid_worker"]
    temporary = account_password_reset(user=worker)
    token_attempt = issue(client, "worker_a1", temporary)
    assert token_attempt.status_code == 403
    assert token_attempt.json()["error"]["code"] == "password_change_required"
    assert client.post("/accounts/login/", {"username": "worker_a1", "password": temporary}).status_code == 302
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/accounts/me/")
    assert client.get("/admin/").status_code == 302
    api = client.get("/api/v1/auth/me")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "password_change_required"
    page = client.get("/accounts/me/")
    assert page.status_code == 200 and "管理员已重置您的密码" in page.content.decode()
    client.post("/accounts/me/", {"old_password": temporary, "new_password1": "My-own-pass-2027",
                                  "new_password2": "My-own-pass-2027"})
    assert client.get("/work/").status_code == 200
    worker.refresh_from_db()
    assert worker.must_change_password is False


@pytest.mark.django_db
def test_a_token_of_an_account_awaiting_a_new_password_is_refused_with_a_code(client, county):
    worker = county.users["grid_worker"]
    token = api_token_issue(user=worker)
    worker.must_change_password = True
    worker.save(update_fields=["must_change_password"])
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"
    assert client.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 200
