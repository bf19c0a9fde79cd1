from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_edit_register, can_manage_grids, can_read_register, can_reveal_identity
from xiangzhi.core.errors import Invalid, field_error, status_of
from xiangzhi.core.imports import file_response, upload_import
from xiangzhi.core.inputs import require
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people import rules as people_rules
from xiangzhi.people import selectors, services, xlsx
from xiangzhi.people.models import Household, HouseholdChange, KeyCategory, Relation, Resident, RevealRecord
from xiangzhi.regions import selectors as regions


@login_required
def household_list(request):
    require(can_read_register(request.user))
    q = request.GET.get("q", "").strip()
    try:
        households = services.household_search(user=request.user, search=q,
                                               ip_address=request.META.get("REMOTE_ADDR"))
    except services.IdentitySearchRefused as exc:
        page = Paginator(Household.objects.none(), 30).get_page(1)
        return render(request, "people/household_list.html", {
            "households": page, "q": q, "refused": str(exc), "can_reveal": can_reveal_identity(request.user),
        }, status=status_of(exc))
    page = Paginator(households, 30).get_page(request.GET.get("page"))
    return render(request, "people/household_list.html", {
        "households": page, "q": q, "can_reveal": can_reveal_identity(request.user),
    })


@login_required
def household_detail(request, household_id: int):
    household = selectors.household_get_for_user(request.user, household_id)
    return render(request, "people/household_detail.html", {
        "household": household,
        "residents": household.residents.order_by("id"),
        "member_links": household.member_links.select_related("member"),
        "can_reveal": can_reveal_identity(request.user),
        "can_propose": people_rules.can_propose_change(request.user, household),
        "changes": selectors.household_change_history(request.user, household),
        "sees_drafts": people_rules.sees_change_drafts(request.user),
    })


@login_required
@require_POST
def resident_reveal(request, resident_id: int):
    """htmx: swaps the masked value for the plain one, after recording who asked and why."""
    resident = selectors.resident_get_for_user(request.user, resident_id)
    field = request.POST.get("field", RevealRecord.Field.ID_NUMBER)
    try:
        value = services.resident_reveal(
            user=request.user, resident=resident, field=field, reason=request.POST.get("reason", ""),
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    except services.RegisterError as exc:
        return HttpResponse(f'<span class="text-danger">{exc}</span>', status=422)
    return render(request, "people/_revealed.html", {"value": value, "field": field})


@login_required
def key_person_list(request):
    require(can_read_register(request.user))
    category = None
    if code := request.GET.get("category"):
        category = KeyCategory.objects.filter(code=code).first()
    page = Paginator(selectors.key_person_list_for_user(request.user, category=category), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "people/key_person_list.html", {
        "people": page, "categories": KeyCategory.objects.filter(is_active=True), "category": category,
    })


@login_required
def household_import(request):
    require(can_edit_register(request.user))
    result = upload_import(
        request,
        lambda upload: xlsx.households_import(user=request.user, file=upload,
                                              ip_address=request.META.get("REMOTE_ADDR")),
        accept=".xlsx", nothing="数据", done=lambda r: f"导入成功：{r.households} 户，{r.residents} 人",
    )
    return render(request, "people/import.html", {"result": result, "columns": xlsx.COLUMNS})


@login_required
def household_export(request):
    require(can_read_register(request.user))
    grid = regions.grid_filter_for_user(request.user, request.GET.get("grid"))
    return file_response(xlsx.households_export(user=request.user, grid=grid), "households.xlsx")


@login_required
def import_template(request):
    require(can_edit_register(request.user))
    return file_response(xlsx.template(), "households-template.xlsx")


# A region's and a grid's own pages are people's: regions stand below people and cannot show who
# lives there. The web shell serves them at /regions/<code>/ and /grids/<code>/ (``front/urls.py``).


@login_required
def region_detail(request, code: str):
    require(can_read_register(request.user))
    region = regions.region_get_for_user(request.user, code)
    return render(request, "people/region.html", {
        "region": region,
        "ancestors": regions.region_ancestors_for_user(request.user, region),
        "counts": selectors.region_counts(region),
        "children": regions.child_region_summaries(region),
        "grids": region.grids.filter(parent__isnull=True).order_by("code"),
        "departments": region.departments.filter(is_active=True),
        "liaisons": region.liaisons.select_related("user").order_by("tier", "id"),
        "geojson_url": f"{reverse('regions:geojson')}?region={region.code}",
    })


@login_required
def grid_detail(request, code: str):
    require(can_read_register(request.user))
    grid = regions.grid_get_for_user(request.user, code)
    households = Paginator(selectors.household_list_for_user(request.user, grid=grid), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "people/grid.html", {
        "grid": grid,
        "staff": regions.grid_staff(grid),
        "may_manage_staff": can_manage_grids(request.user),
        "children": grid.children.order_by("code"),
        "households": households,
        "places": selectors.place_list_for_user(request.user, grid=grid)[:50],
        "organisations": selectors.organisation_list_for_user(request.user, grid=grid)[:50],
        "geojson_url": f"{reverse('regions:geojson')}?grid={grid.code}",
    })


# ---- Register changes from the field (登记变动) -------------------------------------------------


def _change_photos(files) -> list:
    uploads = files.getlist("photo")
    limit = settings.CASE_PHOTO_MAX_BYTES
    if len(uploads) > services.CHANGE_PHOTO_MAX_COUNT:
        raise services.RegisterError("只能上传一张户口本照片", fields=field_error("photo", "太多"))
    out = []
    for upload in uploads:
        if upload.size > limit:
            raise services.RegisterError(f"照片过大（上限 {limit // 1024 // 1024} MB）",
                                         fields=field_error("photo", "过大"))
        try:
            out.append(process(upload.read(), max_bytes=limit))
        except PhotoError as exc:
            raise services.RegisterError(f"户口本照片：{exc}", fields=field_error("photo", str(exc))) from None
    return out


@login_required
def household_change_new(request, household_id: int):
    """登记变动: the kind first (big buttons), then that kind's fields, a note and a photo."""
    household = selectors.household_get_for_user(request.user, household_id)
    require(people_rules.can_propose_change(request.user, household), "只能为本人负责的网格或本村的户登记变动")
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    if kind and kind not in HouseholdChange.Kind.values:
        kind = ""
    error, status = None, 200
    if request.method == "POST":
        try:
            change = services.household_change_propose(
                actor=request.user, household=household, kind=kind, data=request.POST,
                note=request.POST.get("note", ""), evidence=_change_photos(request.FILES),
            )
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            done = "已登记并生效" if change.state == HouseholdChange.State.CONFIRMED else "已登记，等待村里确认"
            messages.success(request, f"「{change.get_kind_display()}」{done}。")
            return redirect("people:household_detail", household_id=household.pk)
    return render(request, "people/change_new.html", {
        "household": household, "kind": kind, "kinds": HouseholdChange.Kind.choices,
        "kind_label": HouseholdChange.Kind(kind).label if kind else "",
        "members": household.residents.filter(is_deceased=False).order_by("id"),
        "relations": [(v, label) for v, label in Relation.choices if v != Relation.HEAD],
        "sexes": Resident.Sex.choices, "today": timezone.localdate().isoformat(),
        "error": error, "values": request.POST,
    }, status=status)


@login_required
def household_change_list(request):
    """The village cadre's list of proposals waiting for him."""
    require(people_rules.can_decide_changes(request.user), "只有村干部能确认登记变动")
    return render(request, "people/changes.html", {
        "changes": selectors.household_change_pending_list(request.user),
    })


@login_required
@require_POST
def household_change_decide(request, change_id: int, confirm: bool):
    change = selectors.household_change_get_for_user(request.user, change_id)
    try:
        if confirm:
            services.household_change_confirm(actor=request.user, change=change)
            messages.success(request, f"已确认{change.household.head_name}户的「{change.get_kind_display()}」。")
        else:
            services.household_change_refuse(actor=request.user, change=change, reason=request.POST.get("reason", ""))
            messages.success(request, f"已退回{change.household.head_name}户的「{change.get_kind_display()}」。")
    except Invalid as exc:
        messages.error(request, exc.message)
        return render(request, "people/changes.html", {
            "changes": selectors.household_change_pending_list(request.user), "error": exc.message,
        }, status=status_of(exc))
    return redirect("people:changes")


@login_required
def household_change_photo(request, photo_id: int, thumb: bool = False):
    row = selectors.household_change_photo_get_for_user(request.user, photo_id)
    return FileResponse((row.thumbnail if thumb else row.image).open("rb"), content_type="image/jpeg")
