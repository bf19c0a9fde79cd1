"""The installable web app: the manifest, the service worker and what every page's head carries."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def _static_file(url: str) -> str | None:
    assert url.startswith("/static/"), url
    found = finders.find(url[len("/static/"):])
    return found[0] if isinstance(found, list) else found


def test_the_manifest_names_the_app_in_chinese_opens_home_and_has_real_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["name"] == "乡治" and data["short_name"] == "乡治" and data["lang"] == "zh-Hans"
    assert data["start_url"] == "/" and data["scope"] == "/" and data["display"] == "standalone"
    assert data["theme_color"] == "#198754"  # the navbar's bg-success
    sizes = {icon["sizes"] for icon in data["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert _static_file(icon["src"]), icon["src"]


def test_the_service_worker_is_served_from_the_root_and_keeps_the_shell_and_field_pages(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"  # a new version is picked up on the next visit
    body = response.content.decode()
    assert "__VERSION__" not in body and re.search(r'var VERSION = "[0-9a-f]{12}"', body)
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", body).group(1))
    for needed in ("xiangzhi/site.css", "bootstrap/css/bootstrap.min.css", "django_htmx/htmx-2.min.js",
                   "leaflet/leaflet.js", "xiangzhi/favicon.svg", "xiangzhi/offline.js"):
        assert f"/static/{needed}" in shell, needed
    assert all(_static_file(url) for url in shell)
    pages = [re.compile(p) for p in json.loads(re.search(r"var PAGES = (\[.*?\])\.map", body).group(1))]

    def kept(path: str) -> bool:
        return any(p.search(path) for p in pages)

    for path in ("/", "/work/", "/work/visits/", "/work/visits/new/17/", "/cases/new/", "/points/record/"):
        assert kept(path), path
    for path in ("/api/v1/cases", "/cases/", "/cases/17/", "/accounts/me/", "/people/", "/work/patrols/"):
        assert not kept(path), path
    assert json.loads(re.search(r"var NEVER = (\[.*?\]);", body).group(1))[0] == "/api/"
    assert 'var LOGIN = "/accounts/login/"' in body
    assert 'var LOGOUT = "/accounts/logout/"' in body  # a logout POST empties the kept pages


def test_the_worker_and_manifest_carry_nothing_personal_the_same_for_everyone(county):
    anonymous, worker, resident = Client(), Client(), Client()
    worker.force_login(county.users["grid_worker"])
    resident.force_login(county.users["resident"])
    for url in ("/sw.js", "/manifest.webmanifest"):
        bodies = {c.get(url).content for c in (anonymous, worker, resident)}
        assert len(bodies) == 1, url


def test_every_page_links_the_manifest_and_loads_the_offline_script_under_the_policy(client, county):
    user = county.users["resident"]
    client.force_login(user)
    response = client.get("/cases/new/")
    page = response.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#198754">' in page
    assert f'<meta name="xz-user" content="{user.pk}">' in page
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    script = re.search(r'<script src="/static/xiangzhi/offline\.js"[^>]*>', page).group(0)
    assert f'nonce="{nonce}"' in script and 'data-sw="/sw.js"' in script
    assert re.search(r"<form[^>]*data-offline-form", page)
    assert 'name="submission_id"' in page


def test_the_login_page_names_no_user(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="manifest"' in page and 'name="xz-user"' not in page


def test_the_points_record_form_is_marked_for_the_send_queue_with_its_key(client, county):
    client.force_login(county.users["points_recorder"])
    page = client.get("/points/record/").content.decode()
    form = re.search(r"<form[^>]*data-testid=\"record-form\"[^>]*>", page).group(0)
    assert "data-offline-form" in form and 'name="submission_id"' in page
