from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from xiangzhi.accounts.rules import can_manage_grids, can_read_register
from xiangzhi.core.inputs import require
from xiangzhi.regions import selectors


@login_required
def browse(request):
    require(can_read_register(request.user))
    roots = list(selectors.region_roots_for_user(request.user))
    if len(roots) == 1:
        return redirect("front:region", code=roots[0].code)
    grids = selectors.grid_list_for_user(request.user) if not roots else None
    return render(request, "regions/browse.html", {"roots": roots, "grids": grids})


@login_required
def grid_map(request):
    require(can_read_register(request.user))
    return render(request, "regions/map.html", {"geojson_url": reverse("regions:geojson")})


@login_required
def geojson(request):
    """Grid polygons in the user's scope as a GeoJSON FeatureCollection (optionally one subtree)."""
    require(can_read_register(request.user))
    grids = selectors.grid_list_for_user(request.user).filter(boundary__isnull=False)
    if code := request.GET.get("region"):
        grids = grids.filter(path__startswith=selectors.region_get_for_user(request.user, code).path)
    if code := request.GET.get("grid"):
        grids = grids.filter(path__startswith=selectors.grid_get_for_user(request.user, code).path)
    return _feature_collection(grids, links=True)


@login_required
def report_geojson(request):
    """The grids a report's location map shows, for everyone who may report: the scope's grids, or a
    villager's own village's. Names only, no links: a villager does not open grid pages."""
    return _feature_collection(selectors.grid_list_for_report_map(request.user).filter(boundary__isnull=False),
                               links=False)


def _feature_collection(grids, *, links: bool) -> JsonResponse:
    features = []
    for g_code, name, region_name, level, boundary in grids.values_list(
            "code", "name", "region__name", "level", "boundary"):
        properties = {"code": g_code, "name": name, "region": region_name, "level": level}
        if links:
            properties["url"] = f"/grids/{g_code}/"
        features.append({"type": "Feature", "geometry": boundary, "properties": properties})
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
def unstaffed(request):
    require(can_manage_grids(request.user))
    grids = Paginator(selectors.grids_without_worker(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "regions/unstaffed.html", {"grids": grids})
