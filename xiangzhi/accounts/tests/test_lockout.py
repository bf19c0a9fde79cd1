"""Lockout by username + address (axes) and by address alone, for one password sprayed over many usernames."""

import pytest

from tests.factories import PASSWORD, UserFactory


def post_token(client, username, password, ip="203.0.113.7"):
    return client.post("/api/v1/auth/token", {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=ip)


def login_page(client, username, password, ip="203.0.113.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_a_few_usernames_failing_from_one_address_is_no_lockout(client, county):
    for i in range(5):
        assert login_page(client, f"guess{i}", "Spring2026!").status_code == 200
    assert post_token(client, "town_a", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_one_password_sprayed_over_twenty_usernames_locks_the_address(client, county):
    for i in range(19):
        assert post_token(client, f"guess{i}", "Spring2026!").status_code == 401
    # The twentieth username trips the address rule: that request already answers 429.
    assert post_token(client, "guess19", "Spring2026!").status_code == 429
    # Now the right password of a real account is refused from that address, on the API and the page.
    locked = post_token(client, "town_a", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    page = login_page(client, "town_b", PASSWORD)
    assert page.status_code == 429
    assert "登录失败次数过多" in page.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked.
    assert post_token(client, "town_a", PASSWORD, ip="198.51.100.9").status_code == 200


@pytest.mark.django_db
def test_the_address_limit_is_a_setting(client, county, settings):
    settings.AXES_IP_FAILURE_LIMIT = 3
    UserFactory(username="x1")
    for name in ("x1", "x2"):
        assert login_page(client, name, "wrong").status_code == 200
    assert login_page(client, "x3", "wrong").status_code == 429
