"""/api/v1/duties: the county's three lists (三张清单) — the lists with their versions in force, any version
with its items, what changed between two versions, an export — read by the county and its township and
village staff as the pages are; and the county's writes through the same services: a draft, its items,
its fields, activation (routing follows at once), a spreadsheet import (all or nothing, a per-row report).
Refusals are the structured errors of ``xiangzhi.api`` (422 bad input, 409 the version's state, 403 the
role, 404 out of scope or a draft for a reader), in Chinese."""

import datetime as dt

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from xiangzhi.audit.services import export_recorded
from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.duties import selectors, services, xlsx
from xiangzhi.duties.models import ListItem, ListKind, ListVersion
from xiangzhi.duties.rules import can_edit, can_read

router = Router(tags=["三张清单"])
UPLOAD = File(..., description="清单 .xlsx，列同导出的文件")
READ_ONLY = "只有县级管理员可以修改三张清单"


class ItemOut(Schema):
    id: int
    code: str
    field: str
    title: str
    sort: int
    side: str
    subject: str
    basis: str
    steps: list[str]
    organisation: str
    organisation_name: str
    post: str
    handling_level: str
    township_role: str
    department_kind: str
    department_name: str
    unit: str
    category_codes: list[str]
    routes_to: str = ""


class VersionOut(Schema):
    id: int
    kind: str
    kind_name: str
    number: int
    state: str
    note: str
    fields: list[str]
    county: str
    created_at: dt.datetime
    activated_at: dt.datetime | None
    retired_at: dt.datetime | None
    item_count: int


class VersionDetailOut(VersionOut):
    items: list[ItemOut]


class ListOut(Schema):
    kind: str
    name: str
    active: VersionOut | None
    draft: VersionOut | None
    versions: int


class ChangeLineOut(Schema):
    column: str
    before: str
    after: str


class ChangeOut(Schema):
    code: str
    title: str
    changes: list[ChangeLineOut]


class DiffOut(Schema):
    older: VersionOut
    newer: VersionOut
    added: list[ItemOut]
    removed: list[ItemOut]
    changed: list[ChangeOut]
    fields_before: list[str]
    fields_after: list[str]


class DraftIn(Schema):
    note: str = ""


class FieldsIn(Schema):
    fields: list[str]


class ItemIn(Schema):
    code: str
    field: str
    title: str
    sort: int | None = None
    side: str = ""
    subject: str = ""
    basis: str = ""
    steps: list[str] = []
    organisation: str = ""
    post: str = ""
    handling_level: str = ""
    township_role: str = ""
    department_kind: str = ""
    unit: str = ""
    category_codes: list[str] = []


class RowErrorOut(Schema):
    row: int | None
    column: str | None
    message: str


class ImportOut(Schema):
    version: VersionOut
    items: int
    replaced: bool


class ErrorOut(Schema):
    code: str
    message: str


class ImportRejectedOut(Schema):
    error: ErrorOut
    errors: list[RowErrorOut]


def _version(v: ListVersion, item_count: int | None = None) -> dict:
    return {"id": v.pk, "kind": v.kind, "kind_name": v.get_kind_display(), "number": v.number, "state": v.state,
            "note": v.note, "fields": list(v.fields), "county": v.county.code, "created_at": v.created_at,
            "activated_at": v.activated_at, "retired_at": v.retired_at,
            "item_count": item_count if item_count is not None else getattr(v, "item_count", None) or v.items.count()}


def _item(i: ListItem) -> dict:
    return {"id": i.pk, "code": i.code, "field": i.field, "title": i.title, "sort": i.sort, "side": i.side,
            "subject": i.subject, "basis": i.basis, "steps": list(i.steps), "organisation": i.organisation,
            "organisation_name": getattr(i, "organisation_name", ""), "post": i.post,
            "handling_level": i.handling_level, "township_role": i.township_role,
            "department_kind": i.department_kind, "department_name": getattr(i, "department_name", ""),
            "unit": i.unit, "category_codes": list(i.category_codes), "routes_to": getattr(i, "level_name", "")}


def _detail(v: ListVersion) -> dict:
    items = selectors.item_list(v)
    return {**_version(v, len(items)), "items": [_item(i) for i in items]}


def _kind(kind: str) -> str:
    if kind not in ListKind.values:
        raise NotFound()
    return kind


def _county(request: HttpRequest):
    county = selectors.county_for_user(request.user)
    if county is None:
        raise NotFound()
    return county


def _draft(request: HttpRequest, version_id: int) -> ListVersion:
    require(can_edit(request.user), READ_ONLY)
    return selectors.version_get_for_user(request.user, version_id)


# --- reading ---------------------------------------------------------------------------------------


@router.get("/lists", response=list[ListOut], summary="本县（区）的三张清单及其现行版本")
def list_overview(request: HttpRequest):
    require(can_read(request.user))
    out = []
    for summary in selectors.list_overview_for_user(request.user):
        out.append({"kind": summary.kind, "name": summary.name, "versions": summary.versions,
                    "active": _version(summary.active, summary.counts.items) if summary.active else None,
                    "draft": _version(summary.draft) if summary.draft else None})
    return out


@router.get("/versions", response=list[VersionOut], summary="清单的版本（县级管理员另见草稿）")
def version_list(request: HttpRequest, kind: str | None = None):
    require(can_read(request.user))
    if kind is not None:
        _kind(kind)
    return [_version(v) for v in selectors.version_list_for_user(request.user, kind)]


@router.get("/versions/{version_id}", response=VersionDetailOut, summary="一个版本及其全部事项")
def version_get(request: HttpRequest, version_id: int):
    require(can_read(request.user))
    return _detail(selectors.version_get_for_user(request.user, version_id))


@router.get("/versions/{older_id}/diff/{newer_id}", response=DiffOut, summary="两个版本之间新增、删除、修改的事项")
def version_diff(request: HttpRequest, older_id: int, newer_id: int):
    require(can_read(request.user))
    diff = selectors.version_diff(selectors.version_get_for_user(request.user, older_id),
                                  selectors.version_get_for_user(request.user, newer_id))
    return {"older": _version(diff.older), "newer": _version(diff.newer), "added": [_item(i) for i in diff.added],
            "removed": [_item(i) for i in diff.removed], "fields_before": diff.fields_before,
            "fields_after": diff.fields_after,
            "changed": [{"code": c.code, "title": c.title,
                         "changes": [{"column": label, "before": b, "after": a} for label, b, a in c.what]}
                        for c in diff.changed]}


@router.get("/versions/{version_id}/export", summary="导出为 .xlsx（每个单元格都是文本）")
def version_export(request: HttpRequest, version_id: int):
    require(can_read(request.user))
    version = selectors.version_get_for_user(request.user, version_id)
    return export_recorded(request, xlsx.version_export(version), xlsx.export_name(version),
                           summary=f"导出{version.county.name}{version.get_kind_display()}第 {version.number} 版",
                           scope_path=version.county.path, subject=f"duties.listversion:{version.pk}")


# --- the county's writes -----------------------------------------------------------------------------


@router.post("/lists/{kind}/drafts", response={201: VersionDetailOut},
             summary="新建修订版（复制现行版本；已有草稿则返回草稿）")
def draft_new(request: HttpRequest, kind: str, payload: DraftIn):
    require(can_edit(request.user), READ_ONLY)
    draft = services.version_draft(county=_county(request), kind=_kind(kind), actor=request.user, note=payload.note)
    return Status(201, _detail(selectors.version_get_for_user(request.user, draft.pk)))


@router.post("/versions/{version_id}/items", response={201: ItemOut}, summary="为草稿添加事项")
def item_add(request: HttpRequest, version_id: int, payload: ItemIn):
    version = _draft(request, version_id)
    item = services.item_save(version=version, actor=request.user, data=services.ItemInput(**payload.dict()))
    return Status(201, _item(selectors.item_get(version, item.pk)))


@router.put("/versions/{version_id}/items/{item_id}", response=ItemOut, summary="修改草稿的事项")
def item_change(request: HttpRequest, version_id: int, item_id: int, payload: ItemIn):
    version = _draft(request, version_id)
    item = selectors.item_get(version, item_id)
    services.item_save(version=version, actor=request.user, data=services.ItemInput(**payload.dict()), item=item)
    return _item(selectors.item_get(version, item_id))


@router.delete("/versions/{version_id}/items/{item_id}", response=ItemOut, summary="删除草稿的事项（返回删除的事项）")
def item_remove(request: HttpRequest, version_id: int, item_id: int):
    version = _draft(request, version_id)
    item = selectors.item_get(version, item_id)
    removed = _item(item)
    services.item_remove(item=item, actor=request.user)
    return removed


@router.put("/versions/{version_id}/fields", response=VersionOut, summary="设置草稿的领域（按顺序）")
def fields_set(request: HttpRequest, version_id: int, payload: FieldsIn):
    version = services.version_fields_set(version=_draft(request, version_id), actor=request.user,
                                          fields=payload.fields)
    return _version(version)


@router.post("/versions/{version_id}/activate", response=VersionOut,
             summary="启用草稿（原现行版本停用；此后的事件按它派遣）")
def version_activate(request: HttpRequest, version_id: int):
    version = services.version_activate(version=_draft(request, version_id), actor=request.user)
    return _version(version)


@router.post("/versions/{version_id}/discard", response=VersionOut, summary="放弃草稿（返回放弃的版本）")
def version_discard(request: HttpRequest, version_id: int):
    version = _draft(request, version_id)
    discarded = _version(version)
    services.version_discard(version=version, actor=request.user)
    return discarded


@router.post("/lists/{kind}/import", response={201: ImportOut, 422: ImportRejectedOut},
             summary="导入 .xlsx 为草稿（有任何错误则全部不导入；activate=true 导入后直接启用）")
def list_import(request: HttpRequest, kind: str, file: UploadedFile = UPLOAD, note: str = Form(""),
                activate: bool = Form(False)):
    require(can_edit(request.user), READ_ONLY)
    result = xlsx.list_import(county=_county(request), kind=_kind(kind), actor=request.user, file=file, note=note,
                              activate=activate)
    if result.errors or result.version is None:
        errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]
        message = f"文件中有 {len(errors)} 处错误，未导入任何事项"
        return Status(422, {"error": {"code": "invalid_rows", "message": message}, "errors": errors})
    return Status(201, {"version": _version(result.version, result.items), "items": result.items,
                        "replaced": result.replaced})
