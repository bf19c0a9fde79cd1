"""12345 hotline tickets (工单) in batch, from the .xlsx or .csv the hotline platform exports.

All or nothing, like the household import: every row is checked first (category, call time,
coordinates, phone, title, ticket number, and that the case would land inside the importer's scope);
any error means nothing is written and the clerk gets a per-row, per-column report in Chinese. A
clean file goes through ``case_report`` row by row in one transaction, each row keyed by its ticket
number, so importing the same file again creates nothing: a ticket imported before with the same
content is skipped, one imported before with different content is an error.
"""

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from openpyxl.utils.datetime import from_excel

from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import actor_path, audit_record, common_path
from xiangzhi.cases import services
from xiangzhi.cases.models import OTHER_CATEGORY, Case, Category, Channel, IdempotencyRecord
from xiangzhi.cases.routing import route
from xiangzhi.cases.rules import can_import_hotline
from xiangzhi.cases.suggestions import CategorySuggestion, category_suggest, sure_of
from xiangzhi.core.errors import Invalid
from xiangzhi.core.idempotency import fingerprint
from xiangzhi.core.imports import (
    NO_ROWS,
    ImportReport,
    Record,
    RowError,
    UploadRefused,
    cell_text,
    row_errors_sort,
    sheet_read,
)
from xiangzhi.lib import spreadsheets

COLUMNS = ["工单编号", "来电时间", "事件类别", "标题", "诉求内容", "地址", "经度", "纬度", "来电人", "联系电话"]
REQUIRED = ("工单编号", "来电时间", "标题")  # 事件类别 may be blank: the category suggester reads the words
OWNER = "hotline"  # the idempotency owner: 工单编号 are unique on the county's 12345 platform
CLOCK_SKEW = dt.timedelta(minutes=5)  # the hotline platform's clock may run a little ahead of ours
EARLIEST = dt.datetime(2000, 1, 1)
LIMITS = {"工单编号": 100, "标题": 100, "诉求内容": 5000, "地址": 200, "来电人": 50}
ANONYMOUS = "匿名来电"
REFUSED = "只有乡镇（街道）综治中心和区县管理员可以导入12345工单"
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?$"
)
_PHONE_NOISE = re.compile(r"[\s\-]")


def max_rows() -> int:
    """Tickets in one file: ~60 ms a row on a busy 2-core server stays well inside the 120 s timeout."""
    return settings.HOTLINE_IMPORT_MAX_ROWS


@dataclass
class ImportedRow:
    row: int
    ticket: str
    case: Case
    created: bool
    flag: str = ""  # 「未填类别」 or 「类别与描述不符」: the suggester's choice is on the case for the dispatcher


@dataclass
class ImportResult(ImportReport):
    rows: list[ImportedRow] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.created)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.rows if not r.created)


@dataclass
class _Ticket:
    line: int
    ticket: str
    called_at: dt.datetime
    category: Category
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    caller: str
    phone: str
    fingerprint: str = ""
    suggested: CategorySuggestion | None = None
    flag: str = ""


# --- checking one row ------------------------------------------------------------------------------

def _called_at(raw) -> dt.datetime | str:
    """The call time as an aware datetime, or the reason it is not one."""
    value = None
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time())
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            value = from_excel(raw)  # an Excel date serial in a cell not formatted as a date
        except (ValueError, OverflowError):
            value = None
    else:
        text = cell_text(raw)
        if match := _DATE.match(text):
            parts = [int(p) if p else 0 for p in match.groups()]
            try:
                value = dt.datetime(*parts)
            except ValueError:
                return f"来电时间“{text}”不是有效的日期"
        else:
            try:
                value = dt.datetime.fromisoformat(text)
            except ValueError:
                return f"来电时间“{text}”无法识别，请写成 2026-03-05 14:30 这样的格式"
    if not isinstance(value, dt.datetime):
        return "来电时间无法识别，请写成 2026-03-05 14:30 这样的格式"
    if timezone.is_naive(value):
        if value < EARLIEST:
            return "来电时间早于 2000 年，请检查"
        value = timezone.make_aware(value)
    if value > timezone.now() + CLOCK_SKEW:
        return "来电时间晚于当前时间"
    return value


def _number(raw, name: str, low: float, high: float, hint: str = "") -> float | str | None:
    text = cell_text(raw) if not isinstance(raw, int | float) else raw
    if text == "":
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return f"{name}应为数字"
    if not math.isfinite(value) or not low <= value <= high:
        return f"{name}应在 {low:g} 到 {high:g} 之间{hint}"
    return value


def _categories() -> tuple[dict[str, Category], dict[str, Category | None]]:
    by_code, by_name = {}, {}
    for c in Category.objects.filter(is_active=True):
        by_code[c.code] = c
        by_name[c.name] = None if c.name in by_name else c  # None: two categories share the name
    return by_code, by_name


def _check(record: Record, categories, errors: list[RowError]) -> _Ticket | None:
    """Check one row; every problem is added to ``errors``; a clean row comes back parsed."""
    line, raw, cells = record.line, record.raw, record.cells
    before = len(errors)

    def err(column: str, message: str) -> None:
        errors.append(RowError(line, column, message))

    for name in REQUIRED:
        if not cells.get(name):
            err(name, f"{name}不能为空")
    for name, limit in LIMITS.items():
        if len(cells.get(name, "")) > limit:
            err(name, f"{name}过长（最多 {limit} 字）")
    if isinstance(raw.get("工单编号"), int | float) and abs(raw["工单编号"]) >= 1e15:
        err("工单编号", "工单编号请以文本格式填写（数字格式会丢失末位）")

    called_at = _called_at(raw["来电时间"]) if cells["来电时间"] else None
    if isinstance(called_at, str):
        err("来电时间", called_at)

    by_code, by_name = categories
    category = None
    if label := cells["事件类别"]:
        category = by_code.get(label) or by_name.get(label)
        if category is None:
            err("事件类别", f"事件类别“{label}”有重名，请填写类别代码" if label in by_name
                else f"未知或已停用的事件类别“{label}”，请填写类别代码或名称（见页面上的类别表）")
    elif OTHER_CATEGORY not in by_code:
        err("事件类别", "请填写事件类别")

    lon = _number(raw.get("经度"), "经度", -180, 180)
    lat = _number(raw.get("纬度"), "纬度", -90, 90, "（是否与经度填反了？）")
    for name, value in (("经度", lon), ("纬度", lat)):
        if isinstance(value, str):
            err(name, value)
    if (lon is None) != (lat is None) and not isinstance(lon, str) and not isinstance(lat, str):
        err("纬度" if lat is None else "经度", "经度和纬度要同时填写，或都不填")

    phone = _PHONE_NOISE.sub("", cells.get("联系电话", ""))
    if phone and not (phone.isdigit() and len(phone) == 11):
        err("联系电话", "联系电话应为11位号码")

    if len(errors) > before:
        return None
    named = category.code if category is not None else ""  # as the file says: a re-import compares it
    suggested, sure, flag = _suggested(category, f"{cells['标题']} {cells.get('诉求内容', '')}")
    if category is None:  # blank: the suggester's first choice when it is sure, else 其他
        category = sure.category if sure is not None else by_code[OTHER_CATEGORY]
    row = _Ticket(
        line=line, ticket=cells["工单编号"], called_at=called_at, category=category, title=cells["标题"],
        description=cells.get("诉求内容", ""), address=cells.get("地址", ""), lon=lon, lat=lat,
        caller=cells.get("来电人", ""), phone=phone, suggested=suggested, flag=flag,
    )
    row.fingerprint = fingerprint({
        "ticket": row.ticket, "called_at": called_at.isoformat(), "category": named, "title": row.title,
        "description": row.description, "address": row.address, "lon": lon, "lat": lat, "caller": row.caller,
        "phone": phone,
    })
    return row


def _suggested(category: Category | None, text: str) -> tuple[CategorySuggestion | None, CategorySuggestion | None,
                                                                str]:
    """(the suggester's first choice for a row's words, that choice when it is sure, why the dispatcher
    should look): the row names no category, or its category is not among the suggester's three while
    the suggester is sure of its first — the operator's guess and the caller's words part ways."""
    found = category_suggest(text)
    first, sure = (found[0] if found else None), sure_of(found)
    if category is None:
        return first, sure, "未填类别"
    if sure is not None and category.code not in {s.code for s in found}:
        return first, sure, "类别与描述不符"
    return None, None, ""


# --- the import ------------------------------------------------------------------------------------

class _Abort(Exception):
    pass


def hotline_import(*, user, file) -> ImportResult:
    result = ImportResult()
    errors = result.errors
    if not can_import_hotline(user):
        errors.append(RowError(None, None, REFUSED))
        return result
    try:
        sheet = sheet_read(file, columns=COLUMNS, required=REQUIRED, max_rows=max_rows(), csv=True,
                           missing_hint="（可下载模板对照）")
    except UploadRefused as exc:
        errors.append(exc.error)
        return result
    categories = _categories()
    rows: list[_Ticket] = []
    seen: dict[str, int] = {}
    for record in sheet.records():
        parsed = _check(record, categories, errors)
        if ticket := record.cells["工单编号"]:
            if ticket in seen:
                errors.append(RowError(record.line, "工单编号", f"工单编号与第 {seen[ticket]} 行重复"))
                parsed = None
            else:
                seen[ticket] = record.line
        if parsed is not None:
            rows.append(parsed)

    if not errors and not rows:
        errors.append(RowError(None, None, NO_ROWS))
    _check_scope(user, _not_imported_before(user, rows, errors), errors)
    if errors:
        row_errors_sort(errors, COLUMNS)
        return result

    imported = []
    try:
        with transaction.atomic():
            for row in rows:
                try:
                    report = services.case_report(
                        channel=Channel.HOTLINE, category=row.category, title=row.title,
                        description=f"【12345工单 {row.ticket}】\n{row.description}", lon=row.lon, lat=row.lat,
                        address=row.address, reporter=user, reporter_name=row.caller or ANONYMOUS,
                        reporter_phone=row.phone, idempotency_key=row.ticket, idempotency_owner=OWNER,
                        fingerprint=row.fingerprint, suggested=row.suggested,
                        now=row.called_at.astimezone(dt.UTC),  # like every other channel's timezone.now()
                    )
                except Invalid as exc:  # another import of the same ticket raced this one
                    errors.append(RowError(row.line, None, str(exc)))
                    raise _Abort from None
                imported.append(ImportedRow(row.line, row.ticket, report.case, report.created,
                                            row.flag if report.created else ""))
            created = sum(1 for r in imported if r.created)
            audit_record(actor=user, action=AuditAction.IMPORT,
                         summary=f"导入12345工单：新建 {created} 件事件，{len(imported) - created} 条此前已导入",
                         scope_path=common_path(r.case.scope_path for r in imported) or actor_path(user),
                         subject="cases.case", detail={"created": created, "skipped": len(imported) - created})
    except _Abort:
        return result
    result.rows = imported
    return result


def _not_imported_before(user, rows: list[_Ticket], errors: list[RowError]) -> list[_Ticket]:
    """Tickets imported before: the same content is skipped (case_report replays it), different
    content is an error. Returns the rows that will create a case."""
    earlier = {}
    tickets = [r.ticket for r in rows]
    for start in range(0, len(tickets), 500):
        for rec in IdempotencyRecord.objects.filter(owner=OWNER, key__in=tickets[start:start + 500]).select_related(
            "case"
        ):
            earlier[rec.key] = rec
    scope = scope_of(user)
    fresh = []
    for row in rows:
        rec = earlier.get(row.ticket)
        if rec is None:
            fresh.append(row)
            continue
        visible = rec.case.reporter_id == user.pk or scope.covers_path(rec.case.scope_path)
        if not visible:
            errors.append(RowError(row.line, "工单编号", f"工单 {row.ticket} 已由其他单位导入"))
        elif rec.request_hash != row.fingerprint:
            errors.append(RowError(row.line, "工单编号",
                                   f"工单 {row.ticket} 已导入为事件 {rec.case.number}，本次内容与当时不同；"
                                   "如需更正，请在该事件中处理"))
    return fresh


def _check_scope(user, rows: list[_Ticket], errors: list[RowError]) -> None:
    """Refuse a row whose case would land outside the importer's scope: the same ``route`` the
    intake will use, so the check and the outcome cannot differ."""
    scope = scope_of(user)
    if scope.everything:
        return
    for row in rows:
        where = route(category=row.category, lon=row.lon, lat=row.lat, fallback_region=user.region)
        if scope.covers_path(where.scope_path):
            continue
        place = where.grid.name if where.grid else f"{where.region.name}（不在任何网格内，按最近网格归属）"
        errors.append(RowError(row.line, "经度", f"该位置属于{place}，不在您的管辖范围内，请转交所属乡镇或区县导入"))


# --- templates -----------------------------------------------------------------------------------

EXAMPLE = ["12345-20260305-0001", "2026-03-05 09:30", "road_light", "村口路灯不亮", "东村村口路灯连续三晚不亮",
           "下洼镇东村村口", "118.005", "37.705", "张先生", "13800000000"]


def template_xlsx() -> bytes:
    # Ticket numbers, call times, coordinates and phones as text: no lost digits, no guessed dates.
    text = [COLUMNS.index(c) for c in ("工单编号", "来电时间", "经度", "纬度", "联系电话")]
    return spreadsheets.write_xlsx("12345工单", COLUMNS, [EXAMPLE], text_columns=text)


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel open it as UTF-8
