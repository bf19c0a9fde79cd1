"""Small helpers for tests that call pages and the API through Django's test client."""

from http.cookies import SimpleCookie

from django.conf import settings


def post(client, url, body, **headers):
    """POST ``body`` as JSON, with extra headers (``Idempotency_Key="…"``)."""
    return client.post(url, body, content_type="application/json", headers=headers)


def as_user(client, county, role):
    """The client, logged in as the county's account of ``role``."""
    client.force_login(county.users[role])
    return client


class Sessions:
    """One login per account, reused: a matrix that asks as each role thousands of times logs each
    role in once (a login and a logout cost more than most requests) instead of once a request.

    ``use(user)`` gives the client a cookie jar holding nothing but that user's session, as a fresh
    ``force_login`` would; ``check(response, user)`` says whether the request really ran as them
    (a view that ended the session would otherwise turn the rest of the role's requests anonymous).
    """

    def __init__(self, client):
        self.client = client
        self.keys: dict[int, str] = {}

    def use(self, user) -> None:
        if user.pk not in self.keys:
            self.client.cookies = SimpleCookie()
            self.client.force_login(user)
            self.keys[user.pk] = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.client.cookies = SimpleCookie()
        self.client.cookies[settings.SESSION_COOKIE_NAME] = self.keys[user.pk]

    @staticmethod
    def check(response, user) -> bool:
        return response.wsgi_request.user.pk == user.pk
