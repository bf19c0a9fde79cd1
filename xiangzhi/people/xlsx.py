"""Households and residents in and out of .xlsx, the format village offices already keep.

Import is all or nothing: every row is checked first, and any error means nothing is written and
the clerk gets a per-row, per-column report in Chinese.

A file that names people already registered in the importer's scope (by ID number, under the household
number they are registered in) corrects them: the import compares the file with the register and keeps
the differences as a pending ``RegisterImport`` for the importer to confirm (``register_imports``);
nothing is written to the register before that. A file of new households only is written at once.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from xiangzhi.accounts.rules import can_reveal_identity
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record, common_path
from xiangzhi.core.imports import NO_ROWS, ImportReport, RowError, UploadRefused, row_errors_sort, sheet_read
from xiangzhi.lib import crypto, idnumber, spreadsheets
from xiangzhi.people import services
from xiangzhi.people.models import Household, RegisterImport, Relation, Resident, tag_names
from xiangzhi.people.register_imports import expected, pending_change_conflicts, pending_change_message
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
MOVED = ("该居民登记在{head}户（户编号 {number}），与本行的户编号不同；户与户之间的迁移请在户页面办理迁入或迁出，"
         "不能通过导入更正")
STRANGER = "户编号 {number} 已登记（{head}户），本行的人不是该户成员；新增成员请在户页面登记出生、婚入或迁入"
STRANGERS_HIDDEN = ("文件中有写在已登记户编号下、但不是该户成员的行，未导入任何数据。为保护个人信息，不列出是哪几行；"
                    "新增成员请在户页面登记出生、婚入或迁入")
NOT_ON_REGISTER = "{name}已{state}，不能通过导入更正"
OTHER_VILLAGE = "户编号 {number} 的网格只能在本村的网格之间更正；换到别的村请办理迁移"
CLOSED = "户编号 {number} 已注销，不能通过导入更正"
NONE = "无"
TOO_MANY_LOOKUPS = "本小时按身份证号查重的次数已用完（每小时最多 {n} 次），请稍后再导入"
RELATION_BY_LABEL = {label: value for value, label in Relation.choices}
YES = {"是", "Y", "y", "1", "TRUE", "true", "外出"}
NO = {"", "否", "N", "n", "0", "FALSE", "false"}
TAG_SPLIT = re.compile(r"[、,，;；\s]+")


@dataclass
class ImportResult(ImportReport):
    """What was written; or, when the file corrects registered people, what confirming ``pending``
    will write (new households and residents, corrections) and how many registered people it leaves
    as they are."""

    households: int = 0
    residents: int = 0
    corrections: int = 0
    unchanged: int = 0
    pending: RegisterImport | None = None


@dataclass
class _Row:
    line: int
    grid: Grid
    number: str
    address: str
    resident: Resident


@dataclass
class _Existing:
    """What the file names that is registered in the importer's scope."""

    households: dict[str, Household] = field(default_factory=dict)  # by number
    residents: dict[int, Resident] = field(default_factory=dict)  # by line: the person the row names


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
    # The county's tags in use, by name: the built-in ones and those it added in its configuration.
    tag_by_label = {name: code for code, name in services.resident_tag_choices().items()}
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
        unknown = [t for t in tags if t not in tag_by_label]
        if unknown:
            err("标签", f"未知的标签“{'、'.join(unknown)}”，可用：{'、'.join(tag_by_label)}")
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
            tags=",".join(tag_by_label[t] for t in tags), is_away=away in YES,
        )
        resident.set_id_number(id_value)
        resident.set_phone(phone)
        rows.append(_Row(line, grid, cells["户编号"], cells.get("住址", ""), resident))

    households = _group(rows, errors)
    existing = _check_existing(user, rows, households, errors, seen_ids, ip_address)
    _check_heads(households, existing, errors)
    if errors:
        row_errors_sort(errors, COLUMNS)
        return result
    if not rows:
        errors.append(RowError(None, None, NO_ROWS))
        return result
    if existing.households:
        plan, result.unchanged = _compare(rows, households, existing, errors, present=set(sheet.columns))
        if errors:
            row_errors_sort(errors, COLUMNS)
        elif plan["corrections"] or plan["households"]:
            result.pending = services.register_import_create(importer=user, plan=plan, unchanged=result.unchanged)
            result.households, result.residents = result.pending.households_new, result.pending.residents_new
            result.corrections = result.pending.corrections
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
        audit_record(actor=user, action=AuditAction.IMPORT,
                     summary=f"表格导入户籍：新建 {len(created)} 户、{len(rows)} 人",
                     scope_path=common_path(h["grid"].path for h in households.values()), subject="people.household",
                     detail={"households": len(created), "residents": len(rows)}, ip=ip_address)
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
    return households


def _check_heads(households: dict[str, dict], existing: _Existing, errors: list[RowError]) -> None:
    """Exactly one head in each new household; a registered one is checked with its other members
    (``_compare``): the file may list only the people it corrects."""
    for number, h in households.items():
        if number in existing.households:
            continue
        if len(h["heads"]) != 1:
            msg = "没有户主" if not h["heads"] else f"有 {len(h['heads'])} 名户主"
            errors.append(RowError(h["first"], "与户主关系", f"户编号 {number} {msg}，每户必须有且只有一名户主"))
        else:
            h["head"] = h["heads"][0].resident.name


def _batches(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _check_existing(user, rows: list[_Row], households: dict[str, dict], errors: list[RowError],
                    seen_ids: dict[str, int], ip_address: str | None = None) -> _Existing:
    """Household numbers and ID numbers are unique across the county, so a clash is looked for
    everywhere; but only a clash inside the importer's scope may say with whom. Outside it, every
    clash gets the same words, so the import cannot be used to find where someone is registered.

    Inside the scope, a row naming a registered person under the household number he is registered in
    is a correction (found, not an error); under another number it is a move, refused. Each answer
    about an ID number is a lookup by full number: recorded and counted like a search, and without
    the reveal permission told as a count, never by row."""
    scope = scope_of(user)
    found = _Existing()
    for batch in _batches(list(households)):
        visible = {
            h.number: h for h in Household.objects.filter(scope.q("grid__path", "pk"), number__in=batch)
            .select_related("grid")
        }
        for number in sorted(Household.objects.filter(number__in=batch).values_list("number", flat=True)):
            if number in visible:
                found.households[number] = visible[number]
            else:
                errors.append(RowError(households[number]["first"], "户编号", ELSEWHERE_NUMBER))
    by_line = {row.line: row for row in rows}
    hashes = {crypto.lookup_hash(v): line for v, line in seen_ids.items()}
    registered: set[str] = set()
    clashes: list[RowError] = []
    for batch in _batches(list(hashes)):
        visible_residents = {
            r.id_number_hash: r
            for r in Resident.objects.filter(
                scope.q("household__grid__path", "household_id"), id_number_hash__in=batch
            ).select_related("household")
        }
        for h in Resident.objects.filter(id_number_hash__in=batch).values_list("id_number_hash", flat=True):
            assert h is not None
            registered.add(h)
            line = hashes[h]
            resident = visible_residents.get(h)
            if resident is None:
                clashes.append(RowError(line, "身份证号", ELSEWHERE_ID))
            elif line in by_line and by_line[line].number == resident.household.number:
                found.residents[line] = resident
            else:
                clashes.append(RowError(line, "身份证号", MOVED.format(head=resident.household.head_name,
                                                                     number=resident.household.number)))
    strangers = [
        RowError(row.line, "身份证号", STRANGER.format(number=row.number, head=found.households[row.number].head_name))
        for row in rows if row.number in found.households and row.resident.id_number_hash not in registered
    ]
    if not (clashes or strangers or found.residents):
        return found
    services.identity_import_check_record(user=user, clashes=len(clashes) + len(found.residents),
                                          ip_address=ip_address)
    if can_reveal_identity(user):
        errors.extend(clashes + strangers)
        return found
    if clashes:
        errors.append(RowError(None, "身份证号", ID_CLASH_HIDDEN.format(n=len(clashes))))
    if strangers:
        errors.append(RowError(None, "身份证号", STRANGERS_HIDDEN))
    return found


def _living(resident: Resident) -> bool:
    return not resident.is_deceased and resident.left_on is None


def _tag_text(codes: set[str]) -> str:
    labels = tag_names.get()
    return "、".join(labels.get(t, t) for t in sorted(codes, key=_tag_order)) or NONE


def _tag_order(code: str) -> int:
    order = list(tag_names.get())
    return order.index(code) if code in order else len(order)


def _resident_diff(registered: Resident, new: Resident, present: set[str]) -> tuple[list, dict, list]:
    """The differences between a registered person and the row naming him: (fields as shown, values
    to set, touches). Only the columns the file has are compared."""
    fields: list[list[str]] = []
    values: dict[str, Any] = {}
    touches: list[str] = []
    key = f"r{registered.pk}"
    if new.name != registered.name:
        fields.append(["姓名", registered.name, new.name])
        values["name"] = new.name
        touches.append(f"{key}:name")
    if new.relation != registered.relation:
        labels = dict(Relation.choices)
        fields.append(["与户主关系", labels.get(registered.relation, registered.relation), labels[new.relation]])
        values["relation"] = new.relation
        touches.append(f"{key}:relation")
    if "手机号" in present and new.phone_hash != registered.phone_hash:
        fields.append(["手机号", registered.phone_masked or NONE, new.phone_masked or NONE])
        values["phone"] = [new.phone_encrypted, new.phone_hash, new.phone_masked]
        touches.append(f"{key}:phone")
    if "标签" in present and set(new.tag_list) != set(registered.tag_list):
        fields.append(["标签", _tag_text(set(registered.tag_list)), _tag_text(set(new.tag_list))])
        values["tags"] = ",".join(sorted(new.tag_list, key=_tag_order))
        touches.append(f"{key}:tags")
    if "外出" in present and new.is_away != registered.is_away:
        fields.append(["外出", "是" if registered.is_away else "否", "是" if new.is_away else "否"])
        values["is_away"] = new.is_away
        touches.append(f"{key}:away")
    return fields, values, touches


def _compare(rows: list[_Row], households: dict[str, dict], existing: _Existing, errors: list[RowError], *,
             present: set[str]) -> tuple[dict[str, Any], int]:
    """The plan of a file that corrects registered people (``register_imports`` describes it) and how
    many of the people it names stay as they are. Refusals go to ``errors``."""
    by_number: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        by_number[row.number].append(row)
    members: dict[int, list[Resident]] = defaultdict(list)
    for batch in _batches([h.pk for h in existing.households.values()]):
        for member in Resident.objects.filter(household_id__in=batch).order_by("id"):
            members[member.household_id].append(member)
    corrections: list[dict[str, Any]] = []
    new_households: list[dict[str, Any]] = []
    first_line: dict[int, int] = {}
    unchanged = 0
    for number, h in households.items():
        household = existing.households.get(number)
        if household is None:
            new_households.append(_new_household(number, h, by_number[number]))
            continue
        first_line[household.pk] = h["first"]
        living = {m.pk: m for m in members[household.pk] if _living(m)}
        relation_after = {pk: m.relation for pk, m in living.items()}
        name_after = {pk: m.name for pk, m in living.items()}
        edits = 0
        for row in by_number[number]:
            registered = existing.residents[row.line]
            fields, values, touches = _resident_diff(registered, row.resident, present)
            if not fields:
                unchanged += 1
                continue
            if not _living(registered):
                state = "故" if registered.is_deceased else "迁出本县"
                errors.append(RowError(row.line, "姓名", NOT_ON_REGISTER.format(name=registered.name, state=state)))
                continue
            relation_after[registered.pk], name_after[registered.pk] = row.resident.relation, row.resident.name
            edits += 1
            corrections.append({
                "household": household.pk, "resident": registered.pk, "line": row.line,
                "who": f"{registered.name}（{registered.id_number_masked}）",
                "where": f"{household.head_name}户（{number}）", "fields": fields,
                "expect": expected(registered), "set": values, "touches": touches,
            })
        heads = [pk for pk, relation in relation_after.items() if relation == Relation.HEAD]
        if len(heads) != 1:
            problem = "没有户主" if not heads else f"有 {len(heads)} 名户主"
            errors.append(RowError(h["first"], "与户主关系",
                                   f"户编号 {number} 更正后{problem}，每户必须有且只有一名户主"))
            continue
        fields, values, touches = [], {}, []
        key = f"h{household.pk}"
        if "住址" in present and h["address"] != household.address:
            fields.append(["住址", household.address or NONE, h["address"] or NONE])
            values["address"] = h["address"]
            touches.append(f"{key}:address")
        grid = h["grid"]
        if grid.pk != household.grid_id:
            if grid.region_id != household.grid.region_id:
                errors.append(RowError(h["first"], "网格编码", OTHER_VILLAGE.format(number=number)))
            fields.append(["网格", f"{household.grid.name}（{household.grid.code}）", f"{grid.name}（{grid.code}）"])
            values["grid_id"] = grid.pk
            touches.append(f"{key}:grid")
        head_name = name_after[heads[0]]
        if head_name != household.head_name:
            fields.append(["户主", household.head_name or NONE, head_name])
            values["head_name"] = head_name
            touches.append(f"{key}:head")
        if household.closed_on is not None and (fields or edits):
            errors.append(RowError(h["first"], "户编号", CLOSED.format(number=number)))
            continue
        if fields:
            corrections.append({
                "household": household.pk, "resident": None, "line": h["first"],
                "who": f"{household.head_name}户（户编号 {number}）", "where": f"{household.head_name}户（{number}）",
                "fields": fields, "expect": expected(household), "set": values, "touches": touches,
            })
    touched: dict[int, set[str]] = defaultdict(set)
    for c in corrections:
        touched[c["household"]].update(c["touches"])
    for change in pending_change_conflicts(touched, touched):
        errors.append(RowError(first_line[change.household_id], None, pending_change_message(change)))
    corrections.sort(key=lambda c: (c["line"], c["resident"] is not None))
    return {"corrections": corrections, "households": new_households}, unchanged


def _new_household(number: str, h: dict, rows: list[_Row]) -> dict[str, Any]:
    return {
        "number": number, "grid": h["grid"].pk, "address": h["address"], "head_name": h["head"],
        "residents": [{
            "name": r.name, "sex": r.sex, "birth_date": r.birth_date.isoformat(), "relation": r.relation,
            "tags": r.tags, "is_away": r.is_away,
            "id_number": [r.id_number_encrypted, r.id_number_hash, r.id_number_masked],
            "phone": [r.phone_encrypted, r.phone_hash, r.phone_masked],
        } for r in (row.resident for row in rows)],
    }


def households_export(*, user, grid=None) -> bytes:
    """Every household and resident the user may see, IDs and phones masked; every cell text, never a
    formula."""
    relation_labels = dict(Relation.choices)
    tag_labels = tag_names.get()
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
