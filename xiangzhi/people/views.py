from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_edit_register, can_read_register, can_reveal_identity
from xiangzhi.core.errors import status_of
from xiangzhi.core.imports import file_response, upload_import
from xiangzhi.core.inputs import require
from xiangzhi.people import selectors, services, xlsx
from xiangzhi.people.models import Household, KeyCategory, RevealRecord
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
        "children": grid.children.order_by("code"),
        "households": households,
        "places": selectors.place_list_for_user(request.user, grid=grid)[:50],
        "organisations": selectors.organisation_list_for_user(request.user, grid=grid)[:50],
        "geojson_url": f"{reverse('regions:geojson')}?grid={grid.code}",
    })
