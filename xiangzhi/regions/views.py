
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render

from xiangzhi.accounts.rules import can_manage_grids, can_read_register
from xiangzhi.people import selectors as people
from xiangzhi.regions import selectors


def _require_register(user):
    if not can_read_register(user):
        raise PermissionDenied


@login_required
def browse(request):
    _require_register(request.user)
    roots = list(selectors.region_roots_for_user(request.user))
    if len(roots) == 1:
        return redirect("regions:region", code=roots[0].code)
    grids = selectors.grid_list_for_user(request.user) if not roots else None
    return render(request, "regions/browse.html", {"roots": roots, "grids": grids})


@login_required
def region_detail(request, code: str):
    _require_register(request.user)
    region = selectors.region_get_for_user(request.user, code)
    scope_paths = selectors.region_roots_for_user(request.user).values_list("path", flat=True)
    ancestors = [a for a in _ancestors(region) if any(a.path.startswith(p) for p in scope_paths)]
    return render(request, "regions/region.html", {
        "region": region,
        "ancestors": ancestors,
        "counts": selectors.region_counts(region),
        "children": selectors.child_region_summaries(region),
        "grids": region.grids.filter(parent__isnull=True).order_by("code"),
        "departments": region.departments.filter(is_active=True),
        "liaisons": region.liaisons.select_related("user").order_by("tier", "id"),
        "geojson_url": f"{_map_url()}?region={region.code}",
    })


def _ancestors(region):
    chain = []
    node = region.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def _map_url():
    from django.urls import reverse

    return reverse("regions:geojson")


@login_required
def grid_detail(request, code: str):
    _require_register(request.user)
    grid = selectors.grid_get_for_user(request.user, code)
    households = Paginator(people.household_list_for_user(request.user, grid=grid), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "regions/grid.html", {
        "grid": grid,
        "staff": selectors.grid_staff(grid),
        "children": grid.children.order_by("code"),
        "households": households,
        "places": people.place_list_for_user(request.user, grid=grid)[:50],
        "organisations": people.organisation_list_for_user(request.user, grid=grid)[:50],
        "geojson_url": f"{_map_url()}?grid={grid.code}",
    })


@login_required
def grid_map(request):
    _require_register(request.user)
    return render(request, "regions/map.html", {"geojson_url": _map_url()})


@login_required
def geojson(request):
    """Grid polygons in the user's scope as a GeoJSON FeatureCollection (optionally one subtree)."""
    _require_register(request.user)
    grids = selectors.grid_list_for_user(request.user).filter(boundary__isnull=False)
    if code := request.GET.get("region"):
        grids = grids.filter(path__startswith=selectors.region_get_for_user(request.user, code).path)
    if code := request.GET.get("grid"):
        grids = grids.filter(path__startswith=selectors.grid_get_for_user(request.user, code).path)
    features = [
        {
            "type": "Feature",
            "geometry": boundary,
            "properties": {"code": g_code, "name": name, "region": region_name, "level": level,
                           "url": f"/grids/{g_code}/"},
        }
        for g_code, name, region_name, level, boundary in grids.values_list(
            "code", "name", "region__name", "level", "boundary"
        )
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
def unstaffed(request):
    if not can_manage_grids(request.user):
        raise PermissionDenied
    grids = Paginator(selectors.grids_without_worker(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "regions/unstaffed.html", {"grids": grids})


