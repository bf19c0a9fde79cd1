"""Places (部件与场所) and organisations (组织) from .xlsx: one row each. All or nothing: every row is
checked by the same rules as one added on the phone (``services.place_build`` /
``services.organisation_build``), and any error means nothing is written and the clerk gets a
per-row, per-column report in Chinese."""

from dataclasses import dataclass

from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import Forbidden, Invalid
from xiangzhi.core.imports import NO_ROWS, ImportReport, RowError, UploadRefused, row_errors_sort, sheet_read
from xiangzhi.lib import spreadsheets
from xiangzhi.people import rules, selectors, services
from xiangzhi.people.models import Organisation, Place
from xiangzhi.regions.models import Grid

COLUMNS = ["网格编码", "类别", "名称", "编号标识", "经度", "纬度", "备注"]
REQUIRED = {"网格编码", "类别", "名称", "经度", "纬度"}
TEXT_COLUMNS = [COLUMNS.index("网格编码")]
MAX_ROWS = 2000  # each row is located on the grid index: one query a row
COLUMN_OF_FIELD = {"kind": "类别", "name": "名称", "label": "编号标识", "note": "备注", "lon": "经度", "lat": "纬度"}


ORGANISATION_COLUMNS = ["网格编码", "类别", "名称", "联系人", "联系电话", "地址", "经度", "纬度", "备注"]
ORGANISATION_REQUIRED = {"网格编码", "类别", "名称"}
ORGANISATION_TEXT_COLUMNS = [ORGANISATION_COLUMNS.index(c) for c in ("网格编码", "联系电话")]
ORGANISATION_COLUMN_OF_FIELD = {"kind": "类别", "name": "名称", "contact_name": "联系人", "contact_phone": "联系电话",
                                "address": "地址", "note": "备注", "lon": "经度", "lat": "纬度"}


@dataclass
class PlaceImportResult(ImportReport):
    places: int = 0


@dataclass
class OrganisationImportResult(ImportReport):
    organisations: int = 0


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _kinds(kind_list) -> dict[str, str]:
    """A kind by its name (路灯) or its code (street_light)."""
    kinds = {}
    for k in kind_list:
        kinds[k.name] = kinds[k.code] = k.code
    return kinds


def _row_checked(record, errors: list[RowError], *, columns: list[str], required: set[str], grids: dict[str, Grid],
                 kinds: dict[str, str], kind_names: str) -> tuple[Grid, str, float | None, float | None] | None:
    """The checks every row of both files makes (required cells, the grid kept by the user, an active
    kind, numeric coordinates); ``None`` when any failed, each failure added to ``errors``."""
    line, cells = record.line, record.cells
    before = len(errors)
    for name in columns:
        if name in required and not cells.get(name):
            errors.append(RowError(line, name, f"{name}不能为空"))
    grid = grids.get(cells["网格编码"])
    if cells["网格编码"] and grid is None:
        errors.append(RowError(line, "网格编码", f"网格编码“{cells['网格编码']}”不存在或不在您的管辖范围内"))
    kind = kinds.get(cells["类别"])
    if cells["类别"] and kind is None:
        errors.append(RowError(line, "类别", f"未知或已停用的类别“{cells['类别']}”，可用：{kind_names}"))
    lon, lat = _number(cells.get("经度", "")), _number(cells.get("纬度", ""))
    for column, value in (("经度", lon), ("纬度", lat)):
        if cells.get(column) and value is None:
            errors.append(RowError(line, column, f"{column}应为数字（如 117.5012）"))
    if len(errors) > before or grid is None or kind is None:
        return None
    return grid, kind, lon, lat


def _field_error(record, errors: list[RowError], exc: Invalid, column_of_field: dict[str, str]) -> None:
    field = exc.fields[0]["field"] if exc.fields else None
    errors.append(RowError(record.line, column_of_field.get(field or ""), exc.message))


def places_import(*, user, file) -> PlaceImportResult:
    result = PlaceImportResult()
    errors = result.errors
    try:
        sheet = sheet_read(file, columns=COLUMNS, required=REQUIRED, max_rows=MAX_ROWS)
    except UploadRefused as exc:
        errors.append(exc.error)
        return result
    records = list(sheet.records())
    kind_list = list(selectors.place_kind_list())
    checks = {"columns": COLUMNS, "required": REQUIRED, "grids": _grids_kept(user, records),
              "kinds": _kinds(kind_list), "kind_names": "、".join(k.name for k in kind_list)}
    places: list[Place] = []
    for record in records:
        checked = _row_checked(record, errors, **checks)
        if checked is None:
            continue
        grid, kind, lon, lat = checked
        cells = record.cells
        try:
            places.append(services.place_build(grid=grid, kind=kind, name=cells["名称"], lon=lon, lat=lat,
                                               label=cells.get("编号标识", ""), note=cells.get("备注", "")))
        except Invalid as exc:
            _field_error(record, errors, exc, COLUMN_OF_FIELD)
    if errors:
        row_errors_sort(errors, COLUMNS)
        return result
    if not places:
        errors.append(RowError(None, None, NO_ROWS))
        return result
    try:
        result.places = len(services.places_import_write(actor=user, places=places))
    except Forbidden as exc:
        errors.append(RowError(None, None, exc.message))
    return result


def _grids_kept(user, records) -> dict[str, Grid]:
    """The grids the rows name that the user keeps places and organisations on."""
    scope = scope_of(user)
    codes = {r.cells["网格编码"] for r in records}
    return {g.code: g for g in Grid.objects.filter(code__in=codes, is_active=True).select_related("region")
            if scope.covers_path(g.path) and rules.can_keep_sites_in(user, g)}


def organisations_import(*, user, file) -> OrganisationImportResult:
    result = OrganisationImportResult()
    errors = result.errors
    try:
        sheet = sheet_read(file, columns=ORGANISATION_COLUMNS, required=ORGANISATION_REQUIRED, max_rows=MAX_ROWS)
    except UploadRefused as exc:
        errors.append(exc.error)
        return result
    records = list(sheet.records())
    kind_list = list(selectors.organisation_kind_list())
    checks = {"columns": ORGANISATION_COLUMNS, "required": ORGANISATION_REQUIRED, "grids": _grids_kept(user, records),
              "kinds": _kinds(kind_list), "kind_names": "、".join(k.name for k in kind_list)}
    organisations: list[Organisation] = []
    for record in records:
        before = len(errors)
        checked = _row_checked(record, errors, **checks)
        cells = record.cells
        if bool(cells.get("经度")) != bool(cells.get("纬度")):
            errors.append(RowError(record.line, "经度", "经度和纬度要么都填，要么都不填"))
        if checked is None or len(errors) > before:
            continue
        grid, kind, lon, lat = checked
        data = services.OrganisationInput(kind=kind, name=cells["名称"], contact_name=cells.get("联系人", ""),
                                          contact_phone=cells.get("联系电话", ""), address=cells.get("地址", ""),
                                          note=cells.get("备注", ""))
        try:
            organisations.append(services.organisation_build(grid=grid, data=data, lon=lon, lat=lat))
        except Invalid as exc:
            _field_error(record, errors, exc, ORGANISATION_COLUMN_OF_FIELD)
    if errors:
        row_errors_sort(errors, ORGANISATION_COLUMNS)
        return result
    if not organisations:
        errors.append(RowError(None, None, NO_ROWS))
        return result
    try:
        result.organisations = len(services.organisations_import_write(actor=user, organisations=organisations))
    except Forbidden as exc:
        errors.append(RowError(None, None, exc.message))
    return result


def organisation_template() -> bytes:
    example = ["370114010203001", "农民专业合作社", "绿源果蔬种植专业合作社", "王建华", "13905431234",
               "东村三组", "", "", "苹果、桃"]
    return spreadsheets.write_xlsx("组织", ORGANISATION_COLUMNS, [example], text_columns=ORGANISATION_TEXT_COLUMNS)


def template() -> bytes:
    example = ["370114010203001", "路灯", "村口路灯", "17号杆", "117.501234", "36.601234", "太阳能"]
    return spreadsheets.write_xlsx("部件与场所", COLUMNS, [example], text_columns=TEXT_COLUMNS)
