import pytest

from tests.factories import PASSWORD


def post_token(client, username, password):
    return client.post("/api/v1/auth/token", {"username": username, "password": password},
                       content_type="application/json")


@pytest.mark.django_db
def test_a_token_from_username_and_password_opens_the_api(client, county):
    response = post_token(client, "town_a", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["role"] == "township_staff"
    assert me.json()["scope_code"] == "371603101"


@pytest.mark.django_db
def test_bad_credentials_answer_401_in_chinese(client, county):
    response = post_token(client, "town_a", "wrong-password")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "bad_credentials", "message": "用户名或密码不正确"}}


@pytest.mark.django_db
def test_missing_fields_answer_a_structured_422(client, county):
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert {"field": "password", "message": "必填"} in error["fields"]


@pytest.mark.django_db
def test_unknown_or_revoked_tokens_are_refused(client, county):
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    token = post_token(client, "town_a", PASSWORD).json()["token"]
    from xiangzhi.accounts.models import ApiToken
    from xiangzhi.accounts.services import api_token_revoke

    api_token_revoke(token=ApiToken.objects.get(digest=ApiToken.digest_of(token)))
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.django_db
def test_a_login_flood_is_locked_out_on_the_api_and_the_page(client, county):
    for _ in range(4):
        assert post_token(client, "town_a", "guess").status_code == 401
    assert post_token(client, "town_a", "guess").status_code == 429
    locked = post_token(client, "town_a", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    page = client.post("/accounts/login/", {"username": "town_a", "password": PASSWORD})
    assert page.status_code == 429
    assert "登录失败次数过多" in page.content.decode()
    # Another account from the same address is not locked by someone else's flood.
    assert post_token(client, "town_b", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_the_login_page_logs_in_and_says_wrong_passwords_in_chinese(client, county):
    bad = client.post("/accounts/login/", {"username": "town_a", "password": "nope"})
    assert "用户名或密码不正确" in bad.content.decode()
    good = client.post("/accounts/login/", {"username": "town_a", "password": PASSWORD})
    assert good.status_code == 302
    assert client.get("/").status_code == 200
