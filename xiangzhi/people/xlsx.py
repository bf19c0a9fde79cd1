"""Households and residents in and out of .xlsx, the format village offices already keep.

Import is all or nothing: every row is checked first, and any error means nothing is written and
the clerk gets a per-row, per-column report in Chinese.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from xiangzhi.accounts.rules import can_reveal_identity
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.imports import NO_ROWS, ImportReport, RowError, UploadRefused, row_errors_sort, sheet_read
from xiangzhi.lib import crypto, idnumber, spreadsheets
from xiangzhi.people import services
from xiangzhi.people.models import Household, Relation, Resident, Tag
from xiangzhi.people.selectors import household_list_for_user
from xiangzhi.regions.models import Grid

COLUMNS = ["网格编码", "户编号", "住址", "姓名", "与户主关系", "身份证号", "手机号", "标签", "外出"]
REQUIRED = {"网格编码", "户编号", "姓名", "与户主关系", "身份证号"}
TEXT_COLUMNS = [COLUMNS.index(c) for c in ("网格编码", "户编号", "身份证号", "手机号")]  # identifiers, never numbers
ELSEWHERE_ID = "该身份证号已在其他地方登记，无法导入；请联系上级核实"
ELSEWHERE_NUMBER = "该户编号已在其他地方使用，无法导入；请联系上级核实"
# Without the reveal permission an import must not say which of its ID numbers are registered: a file
# of every number a mask allows would otherwise finish the mask, row by row.
ID_CLASH_HIDDEN = ("文件中有 {n} 个身份证号已经登记，未导入任何数据。为保护个人信息，不列出是哪几行；"
                   "请按姓名在户籍中核对，或请有证件查看权限的同事导入")
TOO_MANY_LOOKUPS = "本小时按身份证号查重的次数已用完（每小时最多 {n} 次），请稍后再导入"
RELATION_BY_LABEL = {label: value for value, label in Relation.choices}
TAG_BY_LABEL = {label: value for value, label in Tag.choices}
YES = {"是", "Y", "y", "1", "TRUE", "true", "外出"}
NO = {"", "否", "N", "n", "0", "FALSE", "false"}
TAG_SPLIT = re.compile(r"[、,，;；\s]+")


@dataclass
class ImportResult(ImportReport):
    households: int = 0
    residents: int = 0


@dataclass
class _Row:
    line: int
    grid: Grid
    number: str
    address: str
    resident: Resident


def households_import(*, user, file, ip_address: str | None = None) -> ImportResult:
    result = ImportResult()
    if not services.identity_lookups_left(user):
        services.identity_import_refused_record(user=user, ip_address=ip_address)
        result.errors.append(RowError(None, None, TOO_MANY_LOOKUPS.format(n=settings.IDENTITY_SEARCH_PER_HOUR)))
        return result
    try:
        sheet = sheet_read(file, columns=COLUMNS, required=REQUIRED, max_rows=settings.HOUSEHOLD_IMPORT_MAX_ROWS)
    except UploadRefused as exc:
        result.errors.append(exc.error)
        return result
    records = list(sheet.records())
    scope = scope_of(user)

    grid_codes = {record.cells["网格编码"] for record in records}
    grids = {g.code: g for g in Grid.objects.filter(code__in=grid_codes, is_active=True) if scope.covers_path(g.path)}

    rows: list[_Row] = []
    seen_ids: dict[str, int] = {}
    errors = result.errors
    for record in records:
        line, cells = record.line, record.cells
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
            if isinstance(record.raw["身份证号"], int | float):
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
    _check_existing(user, households, errors, seen_ids, ip_address)
    if errors:
        row_errors_sort(errors, COLUMNS)
        return result
    if not rows:
        errors.append(RowError(None, None, NO_ROWS))
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


def _batches(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _check_existing(user, households, errors, seen_ids, ip_address=None) -> None:
    """Household numbers and ID numbers are unique across the county, so a clash is looked for
    everywhere; but only a clash inside the importer's scope may say with whom. Outside it, every
    clash gets the same words, so the import cannot be used to find where someone is registered."""
    scope = scope_of(user)
    numbers = list(households)
    for batch in _batches(numbers):
        visible = {
            h.number: h for h in Household.objects.filter(scope.q("grid__path", "pk"), number__in=batch)
        }
        for number in sorted(Household.objects.filter(number__in=batch).values_list("number", flat=True)):
            line = households[number]["first"]
            if number in visible:
                errors.append(RowError(line, "户编号", f"户编号 {number} 已存在（{visible[number].head_name}户）"))
            else:
                errors.append(RowError(line, "户编号", ELSEWHERE_NUMBER))
    hashes = {crypto.lookup_hash(v): line for v, line in seen_ids.items()}
    clashes: list[RowError] = []
    for batch in _batches(list(hashes)):
        visible = {
            r.id_number_hash: r.household
            for r in Resident.objects.filter(
                scope.q("household__grid__path", "household_id"), id_number_hash__in=batch
            ).select_related("household")
        }
        for h in Resident.objects.filter(id_number_hash__in=batch).values_list("id_number_hash", flat=True):
            if h in visible:
                household = visible[h]
                clashes.append(RowError(hashes[h], "身份证号",
                                        f"该身份证号已登记在{household.head_name}户（户编号 {household.number}）"))
            else:
                clashes.append(RowError(hashes[h], "身份证号", ELSEWHERE_ID))
    if not clashes:
        return
    services.identity_import_check_record(user=user, clashes=len(clashes), ip_address=ip_address)
    if can_reveal_identity(user):
        errors.extend(clashes)
    else:
        errors.append(RowError(None, "身份证号", ID_CLASH_HIDDEN.format(n=len(clashes))))


def households_export(*, user, grid=None) -> bytes:
    """Every household and resident the user may see, IDs and phones masked; every cell text, never a
    formula."""
    relation_labels = dict(Relation.choices)
    tag_labels = dict(Tag.choices)
    qs = household_list_for_user(user, grid=grid)

    def rows():
        for household in qs.iterator(chunk_size=2000):
            for r in household.residents.all():
                yield [
                    household.grid.code, household.number, household.address, r.name,
                    relation_labels.get(r.relation, r.relation), r.id_number_masked, r.phone_masked,
                    "、".join(tag_labels.get(t, t) for t in r.tag_list), "是" if r.is_away else "否",
                ]

    return spreadsheets.write_xlsx("户籍", COLUMNS, rows(), text_columns=TEXT_COLUMNS)


def template() -> bytes:
    example = ["370114010203001", "3701140102030010001", "文祖北村1号", "张三", "户主",
               "370181196502030010", "13800000000", "党员", "否"]
    return spreadsheets.write_xlsx("户籍", COLUMNS, [example], text_columns=TEXT_COLUMNS)
