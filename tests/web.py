"""Small helpers for tests that call pages and the API through Django's test client."""


def post(client, url, body, **headers):
    """POST ``body`` as JSON, with extra headers (``Idempotency_Key="…"``)."""
    return client.post(url, body, content_type="application/json", headers=headers)


def as_user(client, county, role):
    """The client, logged in as the county's account of ``role``."""
    client.force_login(county.users[role])
    return client
