"""The command centre's map (一键可查): the page, its JSON layers and a grid's panel. The layers answer
for the node (``?region=`` / ``?grid=``) and filters the page was opened with; a refusal is the API's
structured error (``core/errors.py``)."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from xiangzhi.centre import map as centre_map
from xiangzhi.centre.nav import sections_for
from xiangzhi.core.errors import DomainError
from xiangzhi.core.http import domain_error_response

QUEUE_URL = "/centre/cases/"  # the dispatch queue (centre:cases), linked by its address


def _node_query(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET[k] for k in ("region", "grid") if request.GET.get(k)}


def _json(build: Callable[[HttpRequest], dict[str, Any] | bytes]) -> Callable[[HttpRequest], HttpResponse]:
    """A layer's view: logged in, and any domain error answered as the API's structured error. The
    layer is a dict, or JSON already written."""

    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        try:
            body = build(request)
        except DomainError as exc:
            return domain_error_response(exc)
        response: HttpResponse
        if isinstance(body, bytes):
            response = HttpResponse(body, content_type="application/json")
        else:
            response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
        response["Cache-Control"] = "private, no-cache"
        return response

    view.__name__ = build.__name__
    view.__doc__ = build.__doc__
    return view


def _where(request: HttpRequest) -> Any:
    g = request.GET
    return centre_map.map_node_for_user(request.user, region=g.get("region", ""), grid=g.get("grid", ""))


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    node = _where(request)
    filters = centre_map.map_filters_for_user(user, request.GET)
    query = urlencode({**_node_query(request), **filters.query()})
    regions, grids = centre_map.node_choices_for_user(user)
    queue = {**_node_query(request), **{k: v for k, v in filters.query().items() if k != "overdue"}}
    return render(request, "centre/map.html", {
        "title": f"事件地图 · {node.name if node else '我的网格'}",
        "node": node, "filters": filters, "centre_sections": sections_for(user, "map"),
        "region_choices": regions, "grid_choices": grids,
        "category_choices": list(centre_map.Category.objects.filter(is_active=True).values_list("code", "name",
                                                                                                "group")),
        "level_choices": centre_map.HandlingLevel.choices,
        "department_choices": list(centre_map.department_choices_for_user(user).values_list("code", "name")),
        "states": centre_map.STATES, "stale_minutes": centre_map.STALE_MINUTES,
        "refresh": centre_map.REFRESH_SECONDS, "tile_url": settings.MAP_TILE_URL,
        "urls": {
            "grids": f"{reverse('centre:map_grids')}?{urlencode(_node_query(request))}",
            "cases": f"{reverse('centre:map_cases')}?{query}",
            "positions": f"{reverse('centre:map_positions')}?{urlencode(_node_query(request))}",
            "places": f"{reverse('centre:map_places')}?{urlencode(_node_query(request))}",
            "panel": reverse("centre:map_panel", args=["CODE"]),
        },
        "queue_open": f"{QUEUE_URL}?{urlencode({**queue, 'figure': 'open'})}",
        "queue_overdue": f"{QUEUE_URL}?{urlencode({**queue, 'figure': 'overdue_open'})}",
    })


@_json
def map_cases(request: HttpRequest) -> dict[str, Any]:
    """The case layer inside ``bbox`` at ``zoom``, and the node's totals."""
    user = request.user
    node = _where(request)
    filters = centre_map.map_filters_for_user(user, request.GET)
    bbox = centre_map.BBox.parse(request.GET.get("bbox", ""))
    zoom = centre_map.parse_zoom(request.GET.get("zoom", ""))
    now = timezone.now()
    layer = centre_map.case_layer_for_user(user, node=node, bbox=bbox, zoom=zoom, filters=filters, now=now)
    totals = layer.totals
    return {
        "zoom": layer.zoom, "clusters": [c.as_dict() for c in layer.clusters],
        "cases": [c.as_dict() for c in layer.cases], "truncated": layer.truncated,
        "in_view": {"open": layer.count, "overdue": layer.overdue},
        "totals": {"open": totals.open, "overdue": totals.overdue, "unlocated": totals.unlocated},
        "as_of": timezone.localtime(now).strftime("%H:%M"),
    }


@_json
def map_grids(request: HttpRequest) -> bytes:
    """The node's grids as GeoJSON, with their villages for the names."""
    return centre_map.grid_features_json_for_user(request.user, node=_where(request))


@_json
def map_positions(request: HttpRequest) -> dict[str, Any]:
    """Workers on patrol: the last fix of each patrol in progress."""
    now = timezone.now()
    return {"positions": centre_map.position_list_for_user(request.user, node=_where(request), now=now),
            "stale_minutes": centre_map.STALE_MINUTES, "as_of": timezone.localtime(now).strftime("%H:%M")}


@_json
def map_places(request: HttpRequest) -> dict[str, Any]:
    """Key places and organisations with a location."""
    return centre_map.place_features_for_user(request.user, node=_where(request))


@login_required
def map_panel(request: HttpRequest, code: str) -> HttpResponse:
    """A grid's side panel (an htmx fragment; the page's bottom sheet on a phone)."""
    panel = centre_map.grid_panel_for_user(request.user, code)
    grid_q = {"grid": panel.grid.code}
    return render(request, "centre/map_panel.html", {
        "p": panel,
        "queue_open": f"{QUEUE_URL}?{urlencode({**grid_q, 'figure': 'open'})}",
        "queue_overdue": f"{QUEUE_URL}?{urlencode({**grid_q, 'figure': 'overdue_open'})}",
        "grid_page": f"/grids/{panel.grid.code}/" if panel.households is not None else "",
    })
