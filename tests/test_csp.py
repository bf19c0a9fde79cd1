"""The Content-Security-Policy on every page, and names typed by users served as text.

Every HTML page carries a policy whose scripts come only from our host or carry this response's
nonce; every inline ``<script>`` carries that nonce and no element has an inline event handler. The
API docs load nothing from another host. A grid named like an HTML tag is shown escaped.
"""

import json
import os
import re
import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders

from tests.web import OUTSIDE_HOST, SCRIPT_TAG, directives, nonce_of, policy_problems
from xiangzhi.regions.services import grid_create

XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.mark.django_db
def test_login_error_pages_and_admin_carry_the_policy(client, county):
    problems = policy_problems("/accounts/login/", client.get("/accounts/login/"))
    public = f"/points/public/{county.village_a1.code}/"  # the village's points notice, open to anyone
    response = client.get(public)
    assert response.status_code == 200
    problems += policy_problems(public, response)
    client.force_login(county.users["resident"])
    refused = client.get("/regions/")
    assert refused.status_code == 403
    problems += policy_problems("/regions/ (403)", refused)
    client.force_login(county.users["grid_worker"])
    missing = client.get(f"/grids/{county.grid_b1.code}/")
    assert missing.status_code == 404
    problems += policy_problems("/grids/… (404)", missing)
    assert not problems, "\n".join(problems)

    admin = county.users["county_admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    for url in ("/admin/", "/admin/regions/grid/", f"/admin/regions/grid/{county.grid_a1.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        d = directives(response)
        assert d["script-src"][0] == "'self'" and "'unsafe-inline'" not in d["script-src"], url
        # Django's admin keeps its data in attributes and runs only files: nothing inline to allow.
        assert all("src=" in attrs for attrs in SCRIPT_TAG.findall(response.content.decode())), url


@pytest.mark.django_db
def test_nonce_differs_per_response_and_only_its_own_runs(client, county):
    client.force_login(county.users["county_admin"])
    first, second = client.get("/centre/figures/?charts=interactive"), client.get("/centre/figures/?charts=interactive")
    assert nonce_of(first) and nonce_of(second) and nonce_of(first) != nonce_of(second)
    assert f'<script nonce="{nonce_of(first)}">' in first.content.decode()


@pytest.mark.django_db
def test_api_docs_load_only_from_our_host(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    d = directives(response)
    assert d["script-src"][0] == "'self'" and "'unsafe-inline'" not in d["script-src"]
    assert d["connect-src"] == ["'self'"] and d["img-src"] == ["'self'", "data:", "blob:"]
    srcs = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert "/static/ninja/swagger-ui-bundle.js" in srcs and "/static/ninja/swagger-ui.css" in srcs
    assert all(s.startswith("/static/") for s in srcs), srcs
    # (the CSRF token is random letters that may spell "cdn": look past it)
    assert OUTSIDE_HOST.search(html) is None and "cdn" not in re.sub(r'data-csrf-token="[^"]*"', "", html).lower()
    # ninja's own template runs only files; its one inline block is the settings, as JSON data.
    inline = [a for a in SCRIPT_TAG.findall(html) if "src=" not in a]
    assert inline == [' type="application/json" id="swagger-settings"']
    settings_json = html.split('id="swagger-settings">', 1)[1].split("</script>", 1)[0]
    assert json.loads(settings_json)["validatorUrl"] is None  # no badge from validator.swagger.io
    for path in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert finders.find(path), path  # collected into our static files like every other asset


def test_api_docs_are_off_with_api_docs_0():
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(SERVER_NAME='localhost')\n"
        "print(c.get('/api/v1/docs').status_code, c.get('/api/v1/openapi.json').status_code)\n"
    )
    # The API object is built at import: a fresh interpreter with the setting off (on: the test above).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xiangzhi.test_settings", "API_DOCS": "0"}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120,
                         check=True)
    assert run.stdout.split() == ["404", "200"]


@pytest.mark.django_db
def test_a_grid_named_like_a_tag_is_served_as_text(client, county):
    from tests.factories import square

    grid_create(region=county.village_a1, name=XSS_NAME, boundary=square(118.03, 37.70, 0.01))
    client.force_login(county.users["county_admin"])
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    for url in (f"/regions/{county.village_a1.code}/", "/alerts/unstaffed/"):
        html = client.get(url).content.decode()
        assert escaped in html, url
        assert XSS_NAME not in html, url
    # The figures page charts the village's grids on the server: the name is text in the chart's table.
    html = client.get(f"/centre/figures/?region={county.village_a1.code}").content.decode()
    assert f'<th scope="row" class="fw-normal">{escaped}</th>' in html and XSS_NAME not in html
    # Its interactive view hands them to its chart script as JSON inside <script>: the
    # "<" is written \u003C, so the name cannot close the block or open a tag.
    html = client.get(f"/centre/figures/?charts=interactive&region={county.village_a1.code}").content.decode()
    data = html.split('id="figures-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert "\\u003Cimg src=x onerror=alert(1)\\u003E" in data and "<img" not in data
    assert XSS_NAME in json.loads(data)["children"]["names"]
    # The map's data is JSON (the page script sets it as text), never an HTML page.
    geo = client.get("/map/grids.geojson")
    assert geo["Content-Type"].startswith("application/json")
    assert XSS_NAME in {f["properties"]["name"] for f in geo.json()["features"]}
