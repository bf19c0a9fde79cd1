"""地、物、组织 from the phone: a grid's places and organisations, adding one with a map pin, its page
with its history, 修改, 移动位置 and 停用; the map's layers and the places near a report's pin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.core.errors import Invalid, status_of
from xiangzhi.core.imports import file_response, upload_import
from xiangzhi.core.inputs import require
from xiangzhi.people import place_xlsx, rules, selectors, services
from xiangzhi.regions import selectors as regions


def _coordinate(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        raise services.SiteError("坐标格式不正确") from None


def _grid_param(request):
    return regions.grid_filter_for_user(request.user, request.GET.get("grid") or request.POST.get("grid"))


@login_required
def place_list(request):
    """A grid's (or the whole scope's) places and organisations, one tab each, by kind."""
    require(can_read_register(request.user))
    grid = _grid_param(request)
    tab = "organisations" if request.GET.get("tab") == "organisations" else "places"
    kind = request.GET.get("kind", "")
    if tab == "places":
        rows = selectors.place_list_for_user(request.user, grid=grid, kind=kind)
        kinds = selectors.place_kind_list()
    else:
        rows = selectors.organisation_list_for_user(request.user, grid=grid, kind=kind)
        kinds = selectors.organisation_kind_list()
    return render(request, "people/places.html", {
        "grid": grid, "tab": tab, "kind": kind, "kinds": kinds,
        "rows": Paginator(rows, 50).get_page(request.GET.get("page")),
        "grids": regions.grid_list_for_user(request.user).filter(is_active=True).defer("boundary")[:200]
        if grid is None else None,
        "may_add": grid is not None and rules.can_keep_sites_in(request.user, grid),
        "may_import": rules.can_keep_sites(request.user),
    })


def _form_page(request, *, template: str, status: int = 200, **context):
    return render(request, template, {
        "report_geojson": reverse("regions:report_geojson"), "values": request.POST or {}, **context,
    }, status=status)


@login_required
def place_new(request):
    grid = _grid_param(request)
    if grid is None:
        return redirect("people:places")
    require(rules.can_keep_sites_in(request.user, grid), services.SITE_REFUSED)
    error, status = None, 200
    if request.method == "POST":
        post = request.POST
        try:
            place = services.place_add(
                actor=request.user, grid=grid, kind=post.get("kind", ""), name=post.get("name", ""),
                label=post.get("label", ""), note=post.get("note", ""),
                lon=_coordinate(post.get("lon")), lat=_coordinate(post.get("lat")),
            )
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            messages.success(request, f"已添加「{place.title}」")
            return redirect("people:place_detail", place_id=place.pk)
    return _form_page(request, template="people/place_form.html", status=status, grid=grid, error=error,
                      kinds=selectors.place_kind_list(), what="place", adding=True, center=grid)


@login_required
def organisation_new(request):
    grid = _grid_param(request)
    if grid is None:
        return redirect("people:places")
    require(rules.can_keep_sites_in(request.user, grid), services.SITE_REFUSED)
    error, status = None, 200
    if request.method == "POST":
        post = request.POST
        try:
            org = services.organisation_add(
                actor=request.user, grid=grid, data=_organisation_input(post),
                lon=_coordinate(post.get("lon")), lat=_coordinate(post.get("lat")),
            )
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            messages.success(request, f"已添加「{org.name}」")
            return redirect("people:organisation_detail", organisation_id=org.pk)
    return _form_page(request, template="people/place_form.html", status=status, grid=grid, error=error,
                      kinds=selectors.organisation_kind_list(), what="organisation", adding=True, center=grid)


def _organisation_input(post) -> services.OrganisationInput:
    return services.OrganisationInput(
        kind=post.get("kind", ""), name=post.get("name", ""), contact_name=post.get("contact_name", ""),
        contact_phone=post.get("contact_phone", ""), address=post.get("address", ""), note=post.get("note", ""),
    )


def _history(changes) -> list:
    """Each change with its lines: what, before (blank when added), after."""
    return [(c, [(k, c.before.get(k), v) for k, v in c.after.items()]) for c in changes]


@login_required
def place_detail(request, place_id: int):
    require(can_read_register(request.user))
    place = selectors.place_get_for_user(request.user, place_id)
    return render(request, "people/place_detail.html", {
        "site": place, "what": "place", "history": _history(selectors.place_history(place)),
        "may_keep": place.is_active and rules.can_keep_sites_in(request.user, place.grid),
    })


@login_required
def organisation_detail(request, organisation_id: int):
    require(can_read_register(request.user))
    org = selectors.organisation_get_for_user(request.user, organisation_id)
    return render(request, "people/place_detail.html", {
        "site": org, "what": "organisation", "history": _history(selectors.organisation_history(org)),
        "may_keep": org.is_active and rules.can_keep_sites_in(request.user, org.grid),
    })


@login_required
def place_edit(request, place_id: int):
    place = selectors.place_get_for_user(request.user, place_id)
    require(rules.can_keep_sites_in(request.user, place.grid), services.SITE_REFUSED)
    error, status = None, 200
    if request.method == "POST":
        post = request.POST
        try:
            services.place_edit(actor=request.user, place=place, kind=post.get("kind", ""),
                                name=post.get("name", ""), label=post.get("label", ""), note=post.get("note", ""))
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            messages.success(request, "已保存修改")
            return redirect("people:place_detail", place_id=place.pk)
    return _form_page(request, template="people/place_form.html", status=status, grid=place.grid, error=error,
                      kinds=selectors.place_kind_list(), what="place", site=place)


@login_required
def organisation_edit(request, organisation_id: int):
    org = selectors.organisation_get_for_user(request.user, organisation_id)
    require(rules.can_keep_sites_in(request.user, org.grid), services.SITE_REFUSED)
    error, status = None, 200
    if request.method == "POST":
        try:
            services.organisation_edit(actor=request.user, organisation=org, data=_organisation_input(request.POST),
                                       keep_phone=True)
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            messages.success(request, "已保存修改")
            return redirect("people:organisation_detail", organisation_id=org.pk)
    return _form_page(request, template="people/place_form.html", status=status, grid=org.grid, error=error,
                      kinds=selectors.organisation_kind_list(), what="organisation", site=org)


def _move_page(request, site, *, what: str, move, done: str):
    require(rules.can_keep_sites_in(request.user, site.grid), services.SITE_REFUSED)
    error, status = None, 200
    if request.method == "POST":
        try:
            move(actor=request.user, lon=_coordinate(request.POST.get("lon")),
                 lat=_coordinate(request.POST.get("lat")), reason=request.POST.get("reason", ""))
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            messages.success(request, "已移动到新位置")
            return redirect(done)
    return _form_page(request, template="people/place_move.html", status=status, site=site, what=what,
                      error=error, grid=site.grid)


@login_required
def place_move(request, place_id: int):
    place = selectors.place_get_for_user(request.user, place_id)

    def move(**kw):
        return services.place_move(place=place, **kw)

    return _move_page(request, place, what="place", move=move,
                      done=reverse("people:place_detail", args=[place.pk]))


@login_required
def organisation_move(request, organisation_id: int):
    org = selectors.organisation_get_for_user(request.user, organisation_id)

    def move(**kw):
        return services.organisation_move(organisation=org, **kw)

    return _move_page(request, org, what="organisation", move=move,
                      done=reverse("people:organisation_detail", args=[org.pk]))


@login_required
@require_POST
def place_retire(request, place_id: int):
    place = selectors.place_get_for_user(request.user, place_id)
    require(rules.can_keep_sites_in(request.user, place.grid), services.SITE_REFUSED)
    try:
        services.place_retire(actor=request.user, place=place, reason=request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已停用「{place.title}」")
    return redirect("people:place_detail", place_id=place.pk)


@login_required
@require_POST
def organisation_retire(request, organisation_id: int):
    org = selectors.organisation_get_for_user(request.user, organisation_id)
    require(rules.can_keep_sites_in(request.user, org.grid), services.SITE_REFUSED)
    try:
        services.organisation_retire(actor=request.user, organisation=org, reason=request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已停用「{org.name}」")
    return redirect("people:organisation_detail", organisation_id=org.pk)


# ---- the map's layers and the report form's places -----------------------------------------------


@login_required
def places_geojson(request):
    """Places, and organisations with a location, in the user's scope as GeoJSON points for the
    map's two layers (optionally one grid's)."""
    require(can_read_register(request.user))
    grid = regions.grid_filter_for_user(request.user, request.GET.get("grid"))
    features = []
    places = selectors.place_list_for_user(request.user, grid=grid)
    for pk, code, kind_name, name, label, lon, lat in places.values_list(
            "pk", "kind__code", "kind__name", "name", "label", "lon", "lat"):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"layer": "place", "kind": code, "kind_name": kind_name, "name": name,
                                        "label": label, "url": reverse("people:place_detail", args=[pk])}})
    orgs = selectors.organisation_list_for_user(request.user, grid=grid).filter(lon__isnull=False, lat__isnull=False)
    for pk, code, kind_name, name, lon, lat in orgs.values_list("pk", "kind__code", "kind__name", "name", "lon", "lat"):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"layer": "organisation", "kind": code, "kind_name": kind_name, "name": name,
                                        "label": "", "url": reverse("people:organisation_detail", args=[pk])}})
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
def places_near(request):
    """The places within ~150 m of a report's pin, nearest first, for everyone who may report."""
    try:
        lon, lat = float(request.GET.get("lon", "")), float(request.GET.get("lat", ""))
    except ValueError:
        return JsonResponse({"places": []})
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return JsonResponse({"places": []})
    near = selectors.place_near_list(request.user, lon=lon, lat=lat)
    return JsonResponse({"places": [
        {"id": n.place.pk, "text": n.text, "metres": n.metres, "lon": n.place.lon, "lat": n.place.lat} for n in near
    ]})


# ---- .xlsx ------------------------------------------------------------------------------------------


@login_required
def place_import(request):
    require(rules.can_keep_sites(request.user), "只有网格员、网格长和村干部可以导入部件与场所")
    result = upload_import(
        request, lambda upload: place_xlsx.places_import(user=request.user, file=upload), accept=".xlsx",
        nothing="部件与场所", done=lambda r: f"已导入 {r.places} 处部件与场所",
    )
    return render(request, "people/place_import.html", {
        "result": result, "columns": place_xlsx.COLUMNS, "kinds": selectors.place_kind_list(),
    }, status=422 if result is not None and not result.ok else 200)


@login_required
def place_import_template(request):
    require(rules.can_keep_sites(request.user))
    return file_response(place_xlsx.template(), "places-template.xlsx")


@login_required
def organisation_import(request):
    require(rules.can_keep_sites(request.user), "只有网格员、网格长和村干部可以导入组织")
    result = upload_import(
        request, lambda upload: place_xlsx.organisations_import(user=request.user, file=upload), accept=".xlsx",
        nothing="组织", done=lambda r: f"已导入 {r.organisations} 个组织",
    )
    return render(request, "people/place_import.html", {
        "result": result, "columns": place_xlsx.ORGANISATION_COLUMNS, "kinds": selectors.organisation_kind_list(),
        "what": "organisation",
    }, status=422 if result is not None and not result.ok else 200)


@login_required
def organisation_import_template(request):
    require(rules.can_keep_sites(request.user))
    return file_response(place_xlsx.organisation_template(), "organisations-template.xlsx")
