"""需要调整网格的户: after a grid's boundary was redrawn, the village's households whose house now lies
in another grid, each moved by hand (「调到X网格」), never silently."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import require
from xiangzhi.people import selectors, services
from xiangzhi.regions import selectors as regions
from xiangzhi.regions.models import RegionLevel
from xiangzhi.regions.rules import can_edit_boundaries

REFUSED_ROLE = "只有村两委、乡镇（街道）和县级管理人员可以调整户的网格"


def _village(request, code: str):
    require(can_edit_boundaries(request.user), REFUSED_ROLE)
    village = regions.region_get_for_user(request.user, code)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    return village


@login_required
def regrid(request, code: str):
    village = _village(request, code)
    return render(request, "people/regrid.html", {
        "village": village,
        "rows": selectors.households_to_regrid(village),
        "grids": regions.grid_list_for_user(request.user, region=village).filter(is_active=True).order_by("code"),
    })


@login_required
@require_POST
def household_grid_move(request, code: str, household_id: int):
    village = _village(request, code)
    household = selectors.household_get_for_user(request.user, household_id)
    grid = regions.grid_get_for_user(request.user, request.POST.get("grid", ""))
    try:
        services.household_grid_move(actor=request.user, household=household, grid=grid,
                                     reason=request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{household.head_name}户（{household.number}）已调到{grid.name}")
    return redirect("people:regrid", code=village.code)
