import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_manage_grids, can_read_register
from xiangzhi.core.errors import Invalid, NotFound, status_of
from xiangzhi.core.inputs import form_day, form_int, require
from xiangzhi.regions import selectors, services
from xiangzhi.regions.models import GridDuty


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


# --- 网格人员配备 -------------------------------------------------------------------------------


def _day(value: str | None, name: str, label: str) -> dt.date:
    return form_day(value, name, label, error=services.StaffingError)


def _staff_page(request, grid, *, form: dict, status: int = 200):
    return render(request, "regions/grid_staff.html", {
        "grid": grid,
        "assignments": selectors.grid_assignment_list(grid),
        "candidates": selectors.staff_candidates_for_user(request.user),
        "duties": GridDuty.choices,
        "form": form,
        "today": timezone.localdate().isoformat(),
        "unstaffed": selectors.grids_without_worker(request.user).filter(pk=grid.pk).exists(),
    }, status=status)


@login_required
def grid_staff(request, code: str):
    """A grid's staffing: who is in post and who was, 「安排人员」 and 「结束」."""
    require(can_manage_grids(request.user))
    grid = selectors.grid_get_for_user(request.user, code)
    if request.method != "POST":
        return _staff_page(request, grid, form={})
    form = request.POST
    try:
        duty = form.get("duty", "")
        started_on = _day(form.get("started_on"), "started_on", "起始日期")
        user_id = form_int(form.get("user"), "人员")
        if user_id is not None:
            user = selectors.staff_candidates_for_user(request.user).filter(pk=user_id).first()
            if user is None:
                raise NotFound()
            assignment = services.grid_assign(grid=grid, user=user, duty=duty, started_on=started_on,
                                              actor=request.user)
            messages.success(request, f"已安排{assignment.user}为{assignment.get_duty_display()}")
        else:
            made = services.grid_assign_new_account(
                grid=grid, duty=duty, full_name=form.get("full_name", ""), phone=form.get("phone", ""),
                started_on=started_on, actor=request.user,
            )
            who = f"{made.assignment.user}为{made.assignment.get_duty_display()}"
            if made.sms_sent:
                messages.success(request, f"已安排{who}；登录账号和临时密码已通过短信发送到其手机")
            else:
                messages.warning(request, f"已安排{who}；但短信未能发送，请到账号管理为其重置密码")
    except Invalid as exc:
        messages.error(request, str(exc))
        return _staff_page(request, grid, form=form, status=status_of(exc))
    return redirect("regions:grid_staff", code=grid.code)


@login_required
@require_POST
def grid_staff_end(request, code: str, assignment_id: int):
    require(can_manage_grids(request.user))
    grid = selectors.grid_get_for_user(request.user, code)
    assignment = selectors.grid_assignment_get_for_user(request.user, grid, assignment_id)
    try:
        ended_on = _day(request.POST.get("ended_on"), "ended_on", "结束日期")
        services.grid_unassign(assignment=assignment, ended_on=ended_on, reason=request.POST.get("reason", ""),
                               actor=request.user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已结束{assignment.user}的{assignment.get_duty_display()}任职")
    return redirect("regions:grid_staff", code=grid.code)
