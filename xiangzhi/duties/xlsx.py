"""The three lists as .xlsx, one file a list, in and out with the same columns. An import is all or
nothing: every row is checked by the same rules as an item typed on the page (``services.item_build``),
codes and governed categories across the file too, and any error means nothing is written and the clerk
gets a per-row, per-column report in Chinese. A clean file becomes the list's draft (an open draft's
items are replaced) and, when asked, is put in force. Exports write every cell as text."""

from dataclasses import dataclass
from typing import IO

from xiangzhi.core.errors import DomainError, Invalid
from xiangzhi.core.imports import NO_ROWS, ImportReport, RowError, UploadRefused, row_errors_sort, sheet_read
from xiangzhi.duties import catalog, selectors, services, words
from xiangzhi.duties.models import ListItem, ListKind, ListVersion
from xiangzhi.lib import spreadsheets
from xiangzhi.regions.models import Region

MAX_ROWS = 1000

# Columns per list: (column, ItemInput field); the first three are every list's.
_COMMON = [("编号", "code"), ("领域", "field"), ("事项", "title")]
COLUMNS: dict[str, list[tuple[str, str]]] = {
    ListKind.POWER: [*_COMMON, ("正面/负面", "side"), ("责任主体", "subject"), ("依据", "basis"),
                     ("办理流程", "steps")],
    ListKind.DUTY: [*_COMMON, ("承担机构", "organisation"), ("责任岗位", "post"), ("处置层级", "handling_level"),
                    ("事件类别", "category_codes")],
    ListKind.TERRITORIAL: [*_COMMON, ("乡镇责任", "township_role"), ("主管部门", "department_kind"),
                           ("主管单位", "unit"), ("事件类别", "category_codes")],
}
REQUIRED = {
    ListKind.POWER: {"编号", "领域", "事项", "正面/负面", "办理流程"},
    ListKind.DUTY: {"编号", "领域", "事项", "承担机构"},
    ListKind.TERRITORIAL: {"编号", "领域", "事项", "乡镇责任"},
}
EXAMPLES = {
    ListKind.POWER: [["XW-01", "重大事项决策", "村级重大事项决策", "正面清单", "村党组织、村民委员会",
                      "《中国共产党农村基层组织工作条例》",
                      "村党组织提议 → 村两委会议商议 → 党员大会审议 → 村民代表会议决议 → 决议公开 → 实施结果公开"]],
    ListKind.DUTY: [["ZZ-001", "平安建设", "消防安全隐患排查整治", "综合执法", "综合执法中队长", "职能部门",
                     "safety_fire"]],
    ListKind.TERRITORIAL: [["SD-001", "城乡建设", "违法建设巡查发现和制止", "配合", "综合执法", "区综合行政执法局",
                            "illegal_construction"]],
}


def column_names(kind: str) -> list[str]:
    return [c for c, _ in COLUMNS[kind]]


@dataclass
class ListImportResult(ImportReport):
    version: ListVersion | None = None
    items: int = 0
    replaced: bool = False  # the rows replaced an open draft's items


def _row_input(record, kind: str) -> services.ItemInput:
    cells = record.cells
    values = {name: cells.get(column, "") for column, name in COLUMNS[kind]}
    return services.ItemInput(**values)


def list_import(*, county: Region, kind: str, actor, file: IO[bytes], note: str = "",
                activate: bool = False) -> ListImportResult:
    result = ListImportResult()
    errors = result.errors
    columns = column_names(kind)
    try:
        sheet = sheet_read(file, columns=columns, required=REQUIRED[kind], max_rows=MAX_ROWS)
    except UploadRefused as exc:
        errors.append(exc.error)
        return result
    column_of = {name: column for column, name in COLUMNS[kind]}
    fields = selectors.import_fields(county, kind)
    names = catalog.category_names()
    items: list[ListItem] = []
    first_line: dict[str, int] = {}  # code → the line that first used it
    governed: dict[str, tuple[int, str]] = {}  # category code → (line, item code)
    for record in sheet.records():
        code = record.cells.get("编号", "")
        twice = bool(code) and code in first_line
        if twice:
            errors.append(RowError(record.line, "编号", f"编号“{code}”与第 {first_line[code]} 行重复"))
        elif code:
            first_line[code] = record.line
        try:
            item = services.item_build(kind=kind, data=_row_input(record, kind), fields=fields, categories=names)
        except Invalid as exc:
            for problem in exc.fields or [{"field": None, "message": exc.message}]:
                errors.append(RowError(record.line, column_of.get(problem["field"] or ""), problem["message"]))
            continue
        if twice:
            continue
        taken = [(code, governed[code]) for code in item.category_codes if code in governed]
        if taken and kind in (ListKind.DUTY, ListKind.TERRITORIAL):
            errors.append(RowError(record.line, "事件类别", "同一事件类别只能由一项负责：" + "、".join(
                f"{names.get(code, code)}（已由第 {line} 行 {owner} 负责）" for code, (line, owner) in taken)))
            continue
        for code in item.category_codes:
            governed[code] = (record.line, item.code)
        items.append(item)
    if errors:
        row_errors_sort(errors, columns)
        return result
    if not items:
        errors.append(RowError(None, None, NO_ROWS))
        return result
    had_draft = selectors.draft_of(county, kind) is not None
    try:
        version = services.version_items_replace(county=county, kind=kind, actor=actor, items=items, note=note,
                                                 activate=activate)
    except DomainError as exc:
        errors.append(RowError(None, None, exc.message))
        return result
    result.version, result.items, result.replaced = version, len(items), had_draft
    return result


def _cells(kind: str, item: ListItem) -> list[str]:
    out = []
    for _, name in COLUMNS[kind]:
        value = getattr(item, name)
        if name == "steps":
            out.append(" → ".join(value))
        elif name == "category_codes":
            out.append("、".join(value))
        elif name == "side":
            out.append(item.get_side_display())
        elif name == "organisation":
            out.append(words.organisation_name(value) if value else "")
        elif name == "handling_level":
            out.append(item.get_handling_level_display() if value else "")
        elif name == "township_role":
            out.append(item.get_township_role_display())
        elif name == "department_kind":
            out.append(words.DEPARTMENT_NAMES.get(value, value))
        else:
            out.append(str(value))
    return out


def version_export(version: ListVersion) -> bytes:
    """The version's items in the import's columns, every cell text (a code stays a code; a title
    starting with = stays words)."""
    columns = column_names(version.kind)
    rows = [_cells(version.kind, item) for item in version.items.all()]
    return spreadsheets.write_xlsx(version.get_kind_display(), columns, rows, text_columns=range(len(columns)))


def template(kind: str) -> bytes:
    columns = column_names(kind)
    return spreadsheets.write_xlsx(ListKind(kind).label, columns, EXAMPLES[kind], text_columns=range(len(columns)))


def export_name(version: ListVersion) -> str:
    """An ASCII file name (the Content-Disposition header stays plain): kind, county code, version."""
    return f"{version.kind}-{version.county.code}-v{version.number}.xlsx"
