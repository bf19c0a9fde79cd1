from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xiangzhi.audit.services import export_recorded
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.imports import file_response, upload_import
from xiangzhi.core.inputs import form_int, require
from xiangzhi.duties import selectors, services, words, xlsx
from xiangzhi.duties.models import Level, ListKind, ListVersion, PowerSide, TownshipRole, VersionState
from xiangzhi.duties.rules import can_edit, can_read, can_view_township
from xiangzhi.regions.models import Region

READ_ONLY = "只有县级管理员可以修改三张清单"


def _kind(kind: str) -> str:
    if kind not in ListKind.values:
        raise NotFound()
    return kind


def _county(user) -> Region:
    county = selectors.county_for_user(user)
    if county is None:
        raise NotFound()
    return county


@login_required
def index(request):
    """The county's three lists: the versions in force with their counts, drafts for the county, and the
    townships whose territorial duties one may open."""
    user = request.user
    require(can_read(user))
    return render(request, "duties/index.html", {
        "county": selectors.county_for_user(user), "lists": selectors.list_overview_for_user(user),
        "may_edit": can_edit(user),
        "townships": selectors.township_list_for_user(user) if can_view_township(user) else [],
    })


@login_required
def list_detail(request, kind: str):
    """One list's versions, newest first, each beside the one before it."""
    user = request.user
    require(can_read(user))
    kind = _kind(kind)
    versions = list(selectors.version_list_for_user(user, kind))
    kept = [v for v in versions if v.state != VersionState.DRAFT]
    for v in versions:
        v.before = next((o for o in kept if o.number < v.number), None)
    return render(request, "duties/list.html", {
        "kind": kind, "name": ListKind(kind).label, "versions": versions, "may_edit": can_edit(user),
        "draft": next((v for v in versions if v.state == VersionState.DRAFT), None),
        "county": selectors.county_for_user(user),
    })


@login_required
@require_POST
def draft_new(request, kind: str):
    user = request.user
    require(can_edit(user), READ_ONLY)
    kind = _kind(kind)
    try:
        draft = services.version_draft(county=_county(user), kind=kind, actor=user, note=request.POST.get("note", ""))
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("duties:list", kind=kind)
    return redirect("duties:version", version_id=draft.pk)


@login_required
def list_import(request, kind: str):
    user = request.user
    require(can_edit(user), READ_ONLY)
    kind = _kind(kind)
    county = _county(user)
    result = upload_import(
        request, lambda upload: xlsx.list_import(
            county=county, kind=kind, actor=user, file=upload, note=request.POST.get("note", ""),
            activate=request.POST.get("activate") == "1"),
        accept=".xlsx", nothing="事项", done=lambda r: (
            f"已导入 {r.items} 项，{'替换了原草稿的内容，' if r.replaced else ''}成为{r.version}"
            + ("并已启用" if r.version and r.version.state == VersionState.ACTIVE else "（草稿，核对后启用）")),
    )
    if result is not None and result.ok and result.version is not None:
        return redirect("duties:version", version_id=result.version.pk)
    return render(request, "duties/import.html", {
        "kind": kind, "name": ListKind(kind).label, "result": result, "columns": xlsx.column_names(kind),
        "required": xlsx.REQUIRED[kind], "fields": selectors.import_fields(county, kind),
        "draft": selectors.draft_of(county, kind), "departments": list(words.DEPARTMENT_NAMES.values()),
        "levels": list(words.LEVEL_NAMES.values()), "categories": selectors.category_choices(),
    }, status=422 if result is not None and not result.ok else 200)


@login_required
def list_template(request, kind: str):
    require(can_edit(request.user), READ_ONLY)
    kind = _kind(kind)
    return file_response(xlsx.template(kind), f"{kind}-template.xlsx")


# --- one version ------------------------------------------------------------------------------------


def _choices() -> dict:
    return {
        "sides": PowerSide.choices, "roles": TownshipRole.choices, "levels": Level.choices,
        "organisations": [*words.DEPARTMENT_NAMES.items(),
                          *((lv, words.LEVEL_NAMES[lv]) for lv in words.ORGANISATION_LEVELS)],
        "departments": list(words.DEPARTMENT_NAMES.items()), "categories": selectors.category_choices(),
    }


def _form_of(item) -> dict:
    return {"code": item.code, "field": item.field, "title": item.title, "sort": item.sort, "side": item.side,
            "subject": item.subject, "basis": item.basis, "steps": "\n".join(item.steps),
            "organisation": item.organisation, "post": item.post, "handling_level": item.handling_level,
            "township_role": item.township_role, "department_kind": item.department_kind, "unit": item.unit,
            "category_codes": list(item.category_codes)}


def _form_from(post) -> dict:
    form = {name: post.get(name, "") for name in ("code", "field", "title", "sort", "side", "subject", "basis",
                                                    "steps", "organisation", "post", "handling_level",
                                                    "township_role", "department_kind", "unit")}
    form["category_codes"] = post.getlist("category_codes")
    return form


def _input(form: dict) -> services.ItemInput:
    return services.ItemInput(
        code=form["code"], field=form["field"], title=form["title"], sort=form_int(form["sort"], "排序"),
        side=form["side"], subject=form["subject"], basis=form["basis"], steps=form["steps"],
        organisation=form["organisation"], post=form["post"], handling_level=form["handling_level"],
        township_role=form["township_role"], department_kind=form["department_kind"], unit=form["unit"],
        category_codes=form["category_codes"])


def _editing(request, version: ListVersion) -> bool:
    return version.state == VersionState.DRAFT and can_edit(request.user)


def _version_page(request, version: ListVersion, *, form: dict | None = None, status: int = 200):
    q, field_name = request.GET.get("q", "").strip(), request.GET.get("field", "")
    items = selectors.item_list(version, q=q, field_name=field_name)
    return render(request, "duties/version.html", {
        "version": version, "groups": selectors.by_field(version.fields, items), "count": len(items),
        "counts": selectors.counts_of(items), "q": q, "field": field_name, "editing": _editing(request, version),
        "may_edit": can_edit(request.user), "previous": selectors.previous_version(version),
        "form": form or {"category_codes": []}, "fields_text": "\n".join(version.fields),
        **(_choices() if _editing(request, version) else {}),
    }, status=status)


@login_required
def version_detail(request, version_id: int):
    require(can_read(request.user))
    return _version_page(request, selectors.version_get_for_user(request.user, version_id))


@login_required
def version_export(request, version_id: int):
    require(can_read(request.user))
    version = selectors.version_get_for_user(request.user, version_id)
    return export_recorded(request, xlsx.version_export(version), xlsx.export_name(version),
                           summary=f"导出{version.county.name}{version.get_kind_display()}第 {version.number} 版",
                           scope_path=version.county.path, subject=f"duties.listversion:{version.pk}")


def _draft_for_editor(request, version_id: int) -> ListVersion:
    require(can_edit(request.user), READ_ONLY)
    return selectors.version_get_for_user(request.user, version_id)


@login_required
@require_POST
def item_add(request, version_id: int):
    version = _draft_for_editor(request, version_id)
    form = _form_from(request.POST)
    try:
        item = services.item_save(version=version, actor=request.user, data=_input(form))
    except Invalid as exc:
        messages.error(request, str(exc))
        return _version_page(request, version, form=form, status=422)
    messages.success(request, f"已添加 {item.code} {item.title}")
    return redirect("duties:version", version_id=version.pk)


@login_required
def item_detail(request, version_id: int, item_id: int):
    """One item (a small power's process drawn as steps); in a draft, the county changes it here."""
    user = request.user
    require(can_read(user))
    version = selectors.version_get_for_user(user, version_id)
    item = selectors.item_get(version, item_id)
    form, status = _form_of(item), 200
    if request.method == "POST":
        require(can_edit(user), READ_ONLY)
        form = _form_from(request.POST)
        try:
            services.item_save(version=version, actor=user, data=_input(form), item=item)
        except Invalid as exc:
            messages.error(request, str(exc))
            status = 422
        else:
            messages.success(request, "已保存")
            return redirect("duties:item", version_id=version.pk, item_id=item.pk)
    return render(request, "duties/item.html", {
        "version": version, "item": item, "form": form, "editing": _editing(request, version),
        **(_choices() if _editing(request, version) else {}), "fields": version.fields,
    }, status=status)


@login_required
@require_POST
def item_remove(request, version_id: int, item_id: int):
    version = _draft_for_editor(request, version_id)
    item = selectors.item_get(version, item_id)
    try:
        services.item_remove(item=item, actor=request.user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除 {item.code} {item.title}")
    return redirect("duties:version", version_id=version.pk)


@login_required
@require_POST
def fields_set(request, version_id: int):
    version = _draft_for_editor(request, version_id)
    try:
        services.version_fields_set(version=version, actor=request.user, fields=request.POST.get("fields", ""))
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已保存领域")
    return redirect("duties:version", version_id=version.pk)


@login_required
@require_POST
def version_activate(request, version_id: int):
    version = _draft_for_editor(request, version_id)
    try:
        services.version_activate(version=version, actor=request.user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{version}已启用，原现行版本停用" + (
            "；此后上报的事件按新版本确定处置层级和部门" if version.kind != ListKind.POWER else ""))
    return redirect("duties:version", version_id=version.pk)


@login_required
@require_POST
def version_discard(request, version_id: int):
    version = _draft_for_editor(request, version_id)
    try:
        services.version_discard(version=version, actor=request.user)
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("duties:version", version_id=version.pk)
    messages.success(request, f"已放弃{version}草稿")
    return redirect("duties:list", kind=version.kind)


@login_required
def compare(request, older_id: int, newer_id: int):
    user = request.user
    require(can_read(user))
    older = selectors.version_get_for_user(user, older_id)
    newer = selectors.version_get_for_user(user, newer_id)
    return render(request, "duties/compare.html", {"diff": selectors.version_diff(older, newer)})


@login_required
def township(request, code: str):
    require(can_view_township(request.user))
    return render(request, "duties/township.html", {"duties": selectors.township_duties_for_user(request.user, code)})
