"""A grid's boundary redrawn on the map (网格边界): the page, its refusals drawn, and its history."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from xiangzhi.core.errors import Invalid
from xiangzhi.core.inputs import require
from xiangzhi.lib.geometry import to_geojson
from xiangzhi.regions import selectors, services
from xiangzhi.regions.rules import can_edit_boundary

REFUSED_ROLE = "只有村两委、乡镇（街道）和县级管理人员可以修改网格边界"


def _drawable(value: object) -> dict | None:
    """A submitted boundary worth drawing again beside its refusal (a polygon, even a crossed one)."""
    if isinstance(value, dict) and value.get("type") in {"Polygon", "MultiPolygon"}:
        return value
    return None


def _page(request, grid, *, boundary, problems=(), error: str = "", form=None, status: int = 200):
    around = selectors.boundary_surroundings(grid)
    data = {
        "grid_name": grid.name,
        "boundary": boundary,
        "original": grid.boundary,
        "container": {"name": around.container_name,
                      "geometry": to_geojson(around.container) if around.container is not None else None},
        "neighbours": [{"name": g.name, "geometry": g.boundary} for g, _ in around.neighbours],
        "problems": [p for p in problems if p.get("geometry")],
    }
    return render(request, "regions/grid_boundary.html", {
        "grid": grid,
        "map_data": data,
        "container_name": around.container_name,
        "error": error,
        "problems": problems,
        "form": form or {},
        "revisions": selectors.grid_boundary_revisions(grid)[:20],
    }, status=status)


@login_required
def grid_boundary(request, code: str):
    """The grid's polygon to drag or redraw, a reason, 保存. A refusal comes back on the same page
    with the reason in words and its places drawn in red; a saved boundary leads to the village's
    households that now stand in another grid."""
    grid = selectors.grid_get_for_user(request.user, code)
    require(can_edit_boundary(request.user, grid), REFUSED_ROLE)
    if request.method != "POST":
        return _page(request, grid, boundary=grid.boundary)
    try:
        submitted = json.loads(request.POST.get("boundary") or "null")
    except ValueError:
        submitted = None
    try:
        services.grid_set_boundary(grid=grid, boundary=submitted, actor=request.user,
                                   reason=request.POST.get("reason", ""))
    except Invalid as exc:
        problems = [p for p in exc.fields if p.get("field") == "boundary"]
        return _page(request, grid, boundary=_drawable(submitted) or grid.boundary, problems=problems,
                     error=str(exc), form=request.POST, status=422)
    messages.success(request, f"{grid.name}的边界已保存")
    return redirect("people:regrid", code=grid.region.code)
