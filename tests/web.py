"""Small helpers for tests that call pages and the API through Django's test client."""

import re
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


# --- the Content-Security-Policy of a page (tests/test_csp.py; checked on every page of the access matrix) ---

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", re.IGNORECASE)
OUTSIDE_HOST = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy"
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def nonce_of(response) -> str | None:
    found = [s[len("'nonce-"):-1] for s in directives(response)["script-src"] if s.startswith("'nonce-")]
    return found[0] if found else None


def policy_problems(url: str, response) -> list[str]:
    """What is wrong with one HTML response's policy and scripts (nothing for a good one)."""
    d = directives(response)
    problems = []
    if d.get("script-src") is None or d["script-src"][0] != "'self'":
        problems.append(f"{url}: script-src {d.get('script-src')}")
    for directive, sources in d.items():
        bad = [s for s in sources if s in ("'unsafe-inline'", "'unsafe-eval'") and directive != "style-src"]
        bad += [s for s in sources if "://" in s or s in ("*", "http:", "https:")]
        if bad:
            problems.append(f"{url}: {directive} allows {bad}")
    if d.get("object-src") != ["'none'"] or d.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{url}: object-src {d.get('object-src')}, frame-ancestors {d.get('frame-ancestors')}")
    html = response.content.decode()
    nonce = nonce_of(response)
    page = "<html" in html[:200]  # a whole page, not a fragment htmx swaps into one
    if page and nonce is None:
        problems.append(f"{url}: no nonce in script-src")
    for attrs in SCRIPT_TAG.findall(html):
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue
        if not page:
            problems.append(f"{url}: inline <script{attrs}> in a fragment (it would not carry the page's nonce)")
        elif f'nonce="{nonce}"' not in attrs:
            problems.append(f"{url}: inline <script{attrs}> without this response's nonce")
    if m := INLINE_HANDLER.search(html):
        problems.append(f"{url}: inline event handler {m.group(0)[:80]!r}")
    if m := OUTSIDE_HOST.search(html):
        problems.append(f"{url}: loads from another host {html[m.start():m.start() + 80]!r}")
    return problems
