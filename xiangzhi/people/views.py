import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_edit_register, can_manage_grids, can_read_register, can_reveal_identity
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.services import common_path, export_recorded
from xiangzhi.core.errors import Invalid, field_error, status_of
from xiangzhi.core.imports import file_response, upload_import
from xiangzhi.core.inputs import optional_int, require
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people import rules as people_rules
from xiangzhi.people import selectors, services, xlsx
from xiangzhi.people.models import Household, HouseholdChange, KeyCategory, Relation, Resident, RevealRecord, counted
from xiangzhi.regions import selectors as regions
from xiangzhi.regions.rules import can_edit_boundary


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
        "residents": household.residents.filter(counted()).order_by("id"),
        # The deceased and those moved out of the county stay on the page, apart and greyed.
        "gone": household.residents.exclude(counted()).order_by("id"),
        "member_links": household.member_links.filter(ended_on__isnull=True).select_related("member"),
        "can_reveal": can_reveal_identity(request.user),
        "can_propose": people_rules.can_propose_change(request.user, household),
        "changes": selectors.household_change_history(request.user, household),
        "sees_drafts": people_rules.sees_change_drafts(request.user),
        "key_people": selectors.household_key_people(request.user, household),
        "can_keep_key_people": people_rules.can_keep_key_person(request.user, household),
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
    ended = request.GET.get("state") == "ended"
    page = Paginator(selectors.key_person_list_for_user(request.user, category=category, ended=ended), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "people/key_person_list.html", {
        "people": page, "categories": KeyCategory.objects.filter(is_active=True), "category": category,
        "ended": ended, "can_keep": people_rules.can_keep_key_people(request.user),
    })


# ---- Key people from the field (重点人员登记、变更类别、解除) --------------------------------------

# Offered beside the reason field; any other reason may be typed.
KEY_PERSON_END_REASONS = ("解除社区矫正", "刑满释放", "已迁出", "已死亡", "戒毒康复", "情况好转", "已有人照料")


def _form_day(value: str | None, name: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise services.KeyPersonError(f"{label}格式不正确", fields=field_error(name, "格式不正确")) from None


@login_required
def key_person_new(request):
    """登记为重点人员: the household first (from its page, or found by name or number), then a member,
    a category and a note."""
    require(people_rules.can_keep_key_people(request.user), "只有网格员、网格长和村干部可以登记重点人员")
    household_id = optional_int(request.POST.get("household") or request.GET.get("household"))
    household = selectors.household_get_for_user(request.user, household_id) if household_id else None
    q = request.GET.get("q", "").strip()
    found = list(selectors.household_list_for_user(request.user, search=q)[:20]) if household is None and q else []
    error, status = None, 200
    if request.method == "POST" and household is not None:
        resident = household.residents.filter(pk=optional_int(request.POST.get("resident"))).first()
        try:
            if resident is None:
                raise services.KeyPersonError("请选择本户的一名成员", fields=field_error("resident", "必选"))
            entry = services.key_person_register(
                actor=request.user, resident=resident, category=request.POST.get("category", ""),
                note=request.POST.get("note", ""),
                on=_form_day(request.POST.get("registered_on"), "registered_on", "登记日期"),
            )
        except Invalid as exc:
            error, status = exc.message, status_of(exc)
        else:
            messages.success(request, f"已将{entry.resident.name}登记为{entry.category.name}。")
            return redirect("people:household_detail", household_id=household.pk)
    return render(request, "people/key_person_new.html", {
        "household": household, "q": q, "found": found,
        "members": household.residents.filter(is_deceased=False).order_by("id") if household else [],
        "categories": KeyCategory.objects.filter(is_active=True),
        "today": timezone.localdate().isoformat(), "error": error, "values": request.POST,
    }, status=status)


def _key_person_page(request, entry, *, error: str | None = None, status: int = 200):
    return render(request, "people/key_person_detail.html", {
        "entry": entry, "changes": selectors.key_person_changes(entry),
        "can_keep": entry.is_active and people_rules.can_keep_key_person(request.user, entry.resident.household),
        "categories": KeyCategory.objects.filter(is_active=True).exclude(pk=entry.category_id),
        "end_reasons": KEY_PERSON_END_REASONS, "today": timezone.localdate().isoformat(),
        "error": error, "values": request.POST,
    }, status=status)


@login_required
def key_person_detail(request, key_person_id: int):
    return _key_person_page(request, selectors.key_person_get_for_user(request.user, key_person_id))


@login_required
@require_POST
def key_person_change_category(request, key_person_id: int):
    entry = selectors.key_person_get_for_user(request.user, key_person_id)
    try:
        entry = services.key_person_change_category(actor=request.user, key_person=entry,
                                                    category=request.POST.get("category", ""),
                                                    reason=request.POST.get("reason", ""))
    except Invalid as exc:
        return _key_person_page(request, entry, error=exc.message, status=status_of(exc))
    messages.success(request, f"{entry.resident.name}已变更为{entry.category.name}，下次走访按新周期计算。")
    return redirect("people:key_person_detail", key_person_id=entry.pk)


def _end_reason(data) -> str:
    """A reason picked from the common ones, a typed one, or both (the typed one as its detail)."""
    picked, typed = data.get("reason_pick", "").strip(), data.get("reason", "").strip()
    return f"{picked}（{typed}）" if picked and typed else picked or typed


@login_required
@require_POST
def key_person_end(request, key_person_id: int):
    entry = selectors.key_person_get_for_user(request.user, key_person_id)
    try:
        entry = services.key_person_end(actor=request.user, key_person=entry, reason=_end_reason(request.POST),
                                        on=_form_day(request.POST.get("ended_on"), "ended_on", "解除日期"))
    except Invalid as exc:
        return _key_person_page(request, entry, error=exc.message, status=status_of(exc))
    messages.success(request, f"已解除{entry.resident.name}的「{entry.category.name}」登记。")
    return redirect("people:key_person_detail", key_person_id=entry.pk)


@login_required
def household_import(request):
    require(can_edit_register(request.user))
    result = upload_import(
        request,
        lambda upload: xlsx.households_import(user=request.user, file=upload,
                                              ip_address=request.META.get("REMOTE_ADDR")),
        accept=".xlsx", nothing="数据", done=_import_done,
    )
    if result is not None and result.pending is not None:
        return redirect("people:import_review", import_id=result.pending.pk)
    return render(request, "people/import.html", {"result": result, "columns": xlsx.COLUMNS})


def _import_done(result: xlsx.ImportResult) -> str:
    if result.pending is not None:
        return "文件已与户籍比对，请核对下面的差异；确认导入之前，户籍没有任何改动。"
    if not result.households:
        return f"文件与户籍一致（{result.unchanged} 人），没有需要导入或更正的内容。"
    return f"导入成功：{result.households} 户，{result.residents} 人"


@login_required
def register_import_review(request, import_id: int, error: str = "", status: int = 200):
    """The differences a re-imported file would make, for its importer to confirm or discard."""
    require(can_edit_register(request.user))
    pending = selectors.register_import_get_for_user(request.user, import_id)
    corrections = Paginator(pending.plan.get("corrections", []), 100).get_page(request.GET.get("page"))
    return render(request, "people/import_review.html", {
        "pending": pending, "corrections": corrections, "error": error,
        "expired": services.register_import_expired(pending),
    }, status=status)


@login_required
@require_POST
def register_import_decide(request, import_id: int, confirm: bool):
    require(can_edit_register(request.user))
    pending = selectors.register_import_get_for_user(request.user, import_id)
    counts = (pending.households_new, pending.residents_new, pending.corrections)
    try:
        if confirm:
            services.register_import_confirm(actor=request.user, register_import=pending)
            messages.success(request, "导入完成：新增 {} 户 {} 人，更正 {} 处。".format(*counts))
        else:
            services.register_import_discard(actor=request.user, register_import=pending)
            messages.success(request, "已放弃这次导入，户籍没有任何改动。")
    except Invalid as exc:
        return register_import_review(request, import_id, error=exc.message, status=status_of(exc))
    return redirect("people:import")


@login_required
def household_export(request):
    require(can_read_register(request.user))
    grid = regions.grid_filter_for_user(request.user, request.GET.get("grid"))
    where = grid.path if grid else common_path(scope_of(request.user).paths)
    return export_recorded(request, xlsx.households_export(user=request.user, grid=grid), "households.xlsx",
                           summary=f"导出户籍表（{grid.name if grid else '管辖范围内全部户'}）", scope_path=where,
                           subject="people.household")


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
        "liaisons": region.liaisons.filter(ended_on__isnull=True).select_related("user").order_by("tier", "id"),
        "geojson_url": f"{reverse('regions:geojson')}?region={region.code}",
    })


@login_required
def grid_detail(request, code: str):
    require(can_read_register(request.user))
    grid = regions.grid_get_for_user(request.user, code)
    households = Paginator(selectors.household_list_for_user(request.user, grid=grid), 30).get_page(
        request.GET.get("page")
    )
    # A TemplateResponse: the web shell adds what apps above people show on the grid page (亮身份).
    return TemplateResponse(request, "people/grid.html", {
        "grid": grid,
        "staff": regions.grid_staff(grid),
        "may_manage_staff": can_manage_grids(request.user),
        "may_edit_boundary": can_edit_boundary(request.user, grid),
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
    if kind and kind not in dict(services.FORM_KINDS):
        kind = ""
    origin = request.POST.get("origin") or request.GET.get("origin") or ""
    destination = request.POST.get("destination") or request.GET.get("destination") or ""
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
        "household": household, "kind": kind, "kinds": services.FORM_KINDS,
        "kind_label": HouseholdChange.Kind(kind).label if kind else "",
        "members": household.residents.filter(counted()).order_by("id"),
        "picked": request.POST.getlist("members"), **selectors.change_form_places(household),
        "destination": destination, "origin": origin,
        # Joining and leaving first ask from or to where; the form is sent once that is chosen.
        "ready": bool(origin or kind not in ("marry_in", "move_in")) and bool(
            destination or kind not in ("marry_out", "move_out")),
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
