"""Households and residents in and out of .xlsx, the format village offices already keep.

Import is all or nothing: every row is checked first, and any error means nothing is written and
the clerk gets a per-row, per-column report in Chinese.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from xiangzhi.accounts.scope import scope_of
from xiangzhi.lib import crypto, idnumber
from xiangzhi.people.models import Household, Relation, Resident, Tag
from xiangzhi.people.selectors import household_list_for_user
from xiangzhi.regions.models import Grid

COLUMNS = ["网格编码", "户编号", "住址", "姓名", "与户主关系", "身份证号", "手机号", "标签", "外出"]
REQUIRED = {"网格编码", "户编号", "姓名", "与户主关系", "身份证号"}
RELATION_BY_LABEL = {label: value for value, label in Relation.choices}
TAG_BY_LABEL = {label: value for value, label in Tag.choices}
YES = {"是", "Y", "y", "1", "TRUE", "true", "外出"}
NO = {"", "否", "N", "n", "0", "FALSE", "false"}
TAG_SPLIT = re.compile(r"[、,，;；\s]+")


@dataclass
class RowError:
    row: int | None
    column: str | None
    message: str


@dataclass
class ImportResult:
    households: int = 0
    residents: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    grid: Grid
    number: str
    address: str
    resident: Resident


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _open(file) -> tuple[list[str], list[tuple]] | RowError:
    size = getattr(file, "size", None)
    if size is not None and size > settings.IMPORT_MAX_BYTES:
        return RowError(None, None, f"文件过大（上限 {settings.IMPORT_MAX_BYTES // 1024 // 1024} MB）")
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return RowError(None, None, "文件不是有效的 .xlsx 文件，请用 Excel 或 WPS 另存为“Excel 工作簿 (.xlsx)”后再上传")
    try:
        rows = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    if not rows:
        return RowError(None, None, "文件是空的")
    header = [_text(c) for c in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return RowError(1, None, f"表头缺少列：{'、'.join(c for c in COLUMNS if c in missing)}")
    return header, rows[1:]


def households_import(*, user, file) -> ImportResult:
    result = ImportResult()
    opened = _open(file)
    if isinstance(opened, RowError):
        result.errors.append(opened)
        return result
    header, data = opened
    col = {name: header.index(name) for name in COLUMNS if name in header}
    scope = scope_of(user)

    grid_codes = {_text(r[col["网格编码"]]) for r in data if len(r) > col["网格编码"]}
    grids = {g.code: g for g in Grid.objects.filter(code__in=grid_codes, is_active=True) if scope.covers_path(g.path)}

    rows: list[_Row] = []
    seen_ids: dict[str, int] = {}
    errors = result.errors
    for line, raw in enumerate(data, start=2):
        cells = {name: _text(raw[i]) if i < len(raw) else "" for name, i in col.items()}
        if not any(cells.values()):
            continue
        before = len(errors)

        def err(column, message, line=line):
            errors.append(RowError(line, column, message))

        for name in COLUMNS:
            if name in REQUIRED and not cells.get(name):
                err(name, f"{name}不能为空")
        grid = grids.get(cells["网格编码"])
        if cells["网格编码"] and grid is None:
            err("网格编码", f"网格编码“{cells['网格编码']}”不存在或不在您的管辖范围内")
        relation = RELATION_BY_LABEL.get(cells["与户主关系"])
        if cells["与户主关系"] and relation is None:
            err("与户主关系", f"与户主关系应为：{'、'.join(RELATION_BY_LABEL)}")
        id_value = ""
        if cells["身份证号"]:
            raw_id = raw[col["身份证号"]]
            if isinstance(raw_id, int | float):
                err("身份证号", "身份证号请以文本格式填写（数字格式会丢失末位）")
            else:
                try:
                    id_value = idnumber.parse(cells["身份证号"]).value
                except idnumber.IdNumberError as exc:
                    err("身份证号", str(exc))
        if id_value:
            if id_value in seen_ids:
                err("身份证号", f"身份证号与第 {seen_ids[id_value]} 行重复")
            else:
                seen_ids[id_value] = line
        phone = cells.get("手机号", "")
        if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            err("手机号", "手机号应为以1开头的11位数字")
        tags = [t for t in TAG_SPLIT.split(cells.get("标签", "")) if t]
        unknown = [t for t in tags if t not in TAG_BY_LABEL]
        if unknown:
            err("标签", f"未知的标签“{'、'.join(unknown)}”，可用：{'、'.join(TAG_BY_LABEL)}")
        away = cells.get("外出", "")
        if away not in YES | NO:
            err("外出", "外出一栏请填“是”或“否”")
        if len(cells["姓名"]) > 50:
            err("姓名", "姓名过长（最多50字）")
        if len(errors) > before:
            continue
        parsed = idnumber.parse(id_value)
        resident = Resident(
            name=cells["姓名"], sex=parsed.sex, birth_date=parsed.birth_date, relation=relation,
            tags=",".join(TAG_BY_LABEL[t] for t in tags), is_away=away in YES,
        )
        resident.set_id_number(id_value)
        resident.set_phone(phone)
        rows.append(_Row(line, grid, cells["户编号"], cells.get("住址", ""), resident))

    households = _group(rows, errors)
    _check_existing(rows, households, errors, seen_ids)
    if errors:
        errors.sort(key=lambda e: (e.row or 0, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
        return result
    if not rows:
        errors.append(RowError(None, None, "文件中没有数据行"))
        return result

    with transaction.atomic():
        created = Household.objects.bulk_create(
            [Household(number=n, grid=h["grid"], address=h["address"], head_name=h["head"]) for n, h in
             households.items()]
        )
        by_number = {h.number: h for h in created}
        for row in rows:
            row.resident.household = by_number[row.number]
        Resident.objects.bulk_create([row.resident for row in rows], batch_size=2000)
    result.households, result.residents = len(created), len(rows)
    return result


def _group(rows: list[_Row], errors: list[RowError]) -> dict[str, dict]:
    households: dict[str, dict] = {}
    for row in rows:
        h = households.setdefault(
            row.number, {"grid": row.grid, "address": row.address, "heads": [], "first": row.line}
        )
        if h["grid"] != row.grid:
            errors.append(RowError(row.line, "网格编码", f"同一户（{row.number}）的成员网格编码不一致"))
        if row.resident.relation == Relation.HEAD:
            h["heads"].append(row)
    for number, h in households.items():
        if len(h["heads"]) != 1:
            msg = "没有户主" if not h["heads"] else f"有 {len(h['heads'])} 名户主"
            errors.append(RowError(h["first"], "与户主关系", f"户编号 {number} {msg}，每户必须有且只有一名户主"))
        else:
            h["head"] = h["heads"][0].resident.name
    return households


def _check_existing(rows, households, errors, seen_ids) -> None:
    taken = set(Household.objects.filter(number__in=list(households)).values_list("number", flat=True))
    for number in sorted(taken):
        errors.append(RowError(households[number]["first"], "户编号", f"户编号 {number} 已存在"))
    hashes = {crypto.lookup_hash(v): line for v, line in seen_ids.items()}
    for batch_start in range(0, len(hashes), 900):
        batch = list(hashes)[batch_start:batch_start + 900]
        for h in Resident.objects.filter(id_number_hash__in=batch).values_list("id_number_hash", flat=True):
            errors.append(RowError(hashes[h], "身份证号", "该身份证号已登记在其他户"))


def households_export(*, user, grid=None) -> bytes:
    """Every household and resident the user may see, IDs and phones masked."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("户籍")
    sheet.append(COLUMNS)
    relation_labels = dict(Relation.choices)
    tag_labels = dict(Tag.choices)
    qs = household_list_for_user(user, grid=grid)
    for household in qs.iterator(chunk_size=2000):
        for r in household.residents.all():
            sheet.append([
                household.grid.code, household.number, household.address, r.name,
                relation_labels.get(r.relation, r.relation), r.id_number_masked, r.phone_masked,
                "、".join(tag_labels.get(t, t) for t in r.tag_list), "是" if r.is_away else "否",
            ])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "户籍"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(["370114010203001", "3701140102030010001", "文祖北村1号", "张三", "户主",
                  "370181196502030010", "13800000000", "党员", "否"])
    for column in "ABF":
        for cell in sheet[column]:
            cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
