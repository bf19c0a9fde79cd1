"""The installable web app: its manifest and its service worker, both at the site root so the worker
controls every page. The worker keeps the static shell and the field pages (the day page, the
report, visit and points forms, home) for use without signal; ``offline.js`` keeps the send queue."""

import hashlib
import json
import os
import re

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

THEME_COLOUR = "#198754"  # Bootstrap's bg-success, the navbar

# Static files every page or field page needs, fetched once when the worker installs.
SHELL = [
    "bootstrap/css/bootstrap.min.css",
    "bootstrap/js/bootstrap.bundle.min.js",
    "django_htmx/htmx-2.min.js",
    "xiangzhi/site.css",
    "xiangzhi/behaviours.js",
    "xiangzhi/favicon.svg",
    "xiangzhi/offline.js",
    "xiangzhi/offline-queue.js",
    "xiangzhi/icon-192.png",
    "xiangzhi/pick.js",
    "xiangzhi/place-pick.js",
    "xiangzhi/map.js",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "leaflet/images/layers.png",
    "gridwork/visit.js",
    "gridwork/patrol.js",
]
_SAMPLE_ID = 987654321


def _offline_pages() -> list[str]:
    """The pages kept for use without signal, as regular expressions over the path."""
    names = [("front:home", None), ("gridwork:day", None), ("gridwork:visits", None),
             ("gridwork:visit_new", [_SAMPLE_ID]), ("cases:new", None), ("points:record", None),
             ("centre:wall", None)]  # a wall screen reloaded during an outage shows its last figures
    return ["^" + re.escape(reverse(name, args=args)).replace(str(_SAMPLE_ID), r"\d+") + "$"
            for name, args in names]


def _shell() -> list[tuple[str, str]]:
    """(url, version stamp) of each shell file that exists; a file another change renamed is skipped
    rather than failing the worker's installation."""
    found = []
    for path in SHELL:
        local = finders.find(path)
        if isinstance(local, list):
            local = local[0] if local else None
        if not local:
            continue
        stat = os.stat(local)
        found.append((static(path), f"{stat.st_size}-{int(stat.st_mtime)}"))
    return found


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = _shell()
    context = {
        "shell": json.dumps([url for url, _ in shell]),
        "pages": json.dumps(_offline_pages()),
        "data": json.dumps([reverse("regions:report_geojson"), reverse("centre:wall_data")]),
        "queue_script": json.dumps(static("xiangzhi/offline-queue.js")),
        "login": json.dumps(resolve_url(settings.LOGIN_URL)),
        "logout": json.dumps(reverse("accounts:logout")),
        "static_prefix": json.dumps(settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                                    else "/" + settings.STATIC_URL),
        "never": json.dumps(["/api/", "/admin/", "/open311/"]),
    }
    body = str(render_to_string("front/sw.js", context))
    # The worker updates whenever its code or a shell file changes: the version names its caches.
    version = hashlib.sha256((body + repr(shell)).encode()).hexdigest()[:12]
    body = body.replace("__VERSION__", version)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    icon = static("xiangzhi/favicon.svg")
    data = {
        "name": "乡治",
        "short_name": "乡治",
        "description": "网格化与积分制的乡村治理：上报、走访、记积分",
        "lang": "zh-Hans",
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [
            {"src": static("xiangzhi/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("xiangzhi/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("xiangzhi/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": icon, "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response
