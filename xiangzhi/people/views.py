from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_edit_register, can_read_register, can_reveal_identity
from xiangzhi.core.errors import status_of
from xiangzhi.people import selectors, services, xlsx
from xiangzhi.people.models import Household, KeyCategory, RevealRecord
from xiangzhi.regions.selectors import grid_get_for_user


@login_required
def household_list(request):
    if not can_read_register(request.user):
        raise PermissionDenied
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
    if not can_read_register(request.user):
        raise PermissionDenied
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
    if not can_edit_register(request.user):
        raise PermissionDenied
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "请选择要导入的 .xlsx 文件")
        else:
            result = xlsx.households_import(user=request.user, file=upload, ip_address=request.META.get("REMOTE_ADDR"))
            if result.ok:
                messages.success(request, f"导入成功：{result.households} 户，{result.residents} 人")
            else:
                messages.error(request, f"文件中有 {len(result.errors)} 处错误，未导入任何数据。请修改后重新上传。")
    return render(request, "people/import.html", {"result": result, "columns": xlsx.COLUMNS})


@login_required
def household_export(request):
    if not can_read_register(request.user):
        raise PermissionDenied
    grid = grid_get_for_user(request.user, code) if (code := request.GET.get("grid")) else None
    content = xlsx.households_export(user=request.user, grid=grid)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="households.xlsx"'
    return response


@login_required
def import_template(request):
    if not can_edit_register(request.user):
        raise PermissionDenied
    response = HttpResponse(
        xlsx.template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="households-template.xlsx"'
    return response
