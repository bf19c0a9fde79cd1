"""Pages in a sheet of our own pages: no menu, framed by our own origin only, redirects stay embedded."""

import pytest
from django.http import HttpResponseRedirect
from django.test import RequestFactory

from xiangzhi.front.embed import EmbedMiddleware, with_embed

pytestmark = pytest.mark.django_db


def frame_ancestors(response) -> str:
    policy = dict(p.strip().split(" ", 1) for p in response["Content-Security-Policy"].split(";") if p.strip())
    return policy["frame-ancestors"]


def test_an_embedded_page_may_be_framed_by_our_pages_only_and_has_no_menu(client, county):
    client.force_login(county.users["grid_worker"])
    plain = client.get("/cases/new/")
    assert plain["X-Frame-Options"] == "DENY" and frame_ancestors(plain) == "'none'"
    assert 'class="navbar' in plain.content.decode()
    embedded = client.get("/cases/new/?embed=1")
    assert embedded["X-Frame-Options"] == "SAMEORIGIN" and frame_ancestors(embedded) == "'self'"
    assert 'class="navbar' not in embedded.content.decode()
    # The browser's own word for a frame of our origin counts too (a link followed inside the sheet).
    framed = client.get("/work/", headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "same-origin"})
    assert frame_ancestors(framed) == "'self'" and 'class="navbar' not in framed.content.decode()
    # Another site's frame is not ours: the page keeps refusing to be framed.
    foreign = client.get("/work/", headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"})
    assert foreign["X-Frame-Options"] == "DENY" and frame_ancestors(foreign) == "'none'"


def test_a_redirect_from_an_embedded_page_stays_embedded_on_our_site_only():
    rf = RequestFactory()

    def answer(location):
        return EmbedMiddleware(lambda request: HttpResponseRedirect(location))

    request = rf.get("/cases/new/?embed=1")
    assert answer("/cases/7/")(request)["Location"] == "/cases/7/?embed=1"
    assert answer("/work/visits/?grid=1")(rf.get("/x/?embed=1"))["Location"] == "/work/visits/?grid=1&embed=1"
    assert answer("https://example.com/")(rf.get("/x/?embed=1"))["Location"] == "https://example.com/"
    assert answer("/cases/7/")(rf.get("/cases/new/"))["Location"] == "/cases/7/"
    assert with_embed("/a/?embed=1") == "/a/?embed=1"
