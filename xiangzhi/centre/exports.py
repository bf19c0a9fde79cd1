"""Exports upward (上报材料): the figures of the figures page, with its rankings, as one .xlsx and as a
page to print.

On the sheet the counts are values and every rate is an Excel formula over the count cells
(``=IF(C7=0,"",B8/C7)``, shown as a percentage), the formula's words in the column beside it, so
that whoever receives the sheet can check each rate and recompute it after correcting a count.
The scope, the period and when and by whom it was made stand at the top of every sheet. Names
that came from people (regions, departments, category groups, the exporting user) are written as
text, never as formulas, with the same guard as ``lib.spreadsheets.write_xlsx``.

The rates and their words are defined once here (``HEADLINE_RATIOS``, ``RANKING_RATIOS``) for the
sheet and the printed page alike."""

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.utils import timezone
from xlsxwriter.utility import xl_rowcol_to_cell

from xiangzhi.accounts.models import Role
from xiangzhi.cases.models import Category
from xiangzhi.cases.rules import figures_allowed
from xiangzhi.centre.figures import (
    FORMULAS,
    LEVEL_NAMES,
    LEVELS,
    Figures,
    Row,
    department_figures,
    figures_grid_get_for_user,
    figures_region_get_for_user,
    home_node,
)
from xiangzhi.centre.selectors import figures_for_user, preset_period
from xiangzhi.centre.wall import PERIODS, pct
from xiangzhi.core.display import day_text, decimal_text, figure_text
from xiangzhi.core.inputs import require
from xiangzhi.lib.spreadsheets import FORMULA_STARTS
from xiangzhi.regions.models import Department, Grid, Region
from xiangzhi.regions.selectors import department_list_for_user

DEFAULT_PERIOD = "12m"


# --- what was asked: the figures page's parameters -------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class FigureQuery:
    """The figures page's parameters, read as that page reads them: a named period or two dates
    (the end included), a region or grid inside the user's scope, a department, a category."""

    start: dt.date
    last: dt.date
    preset: str
    region: Region | None = None
    grid: Grid | None = None
    department: Department | None = None
    category: Category | None = None

    @property
    def end(self) -> dt.date:
        """The day after the last: the figures count [start, end)."""
        return self.last + dt.timedelta(days=1)

    def params(self) -> dict[str, str]:
        """The same query again, for links."""
        out = {"period": self.preset} if self.preset else {"start": self.start.isoformat(),
                                                           "end": self.last.isoformat()}
        for name, obj in (("region", self.region), ("grid", self.grid), ("department", self.department),
                          ("category", self.category)):
            if obj is not None:
                out[name] = obj.code
        return out


def figure_query(user: Any, params: Mapping[str, str], today: dt.date | None = None) -> FigureQuery:
    """Residents are refused; a region or grid outside the scope is 404; an unknown department or
    category is left out, as on the figures page."""
    require(figures_allowed(user), "无权查看统计")
    today = today or timezone.localdate()
    preset = params.get("period") or ""
    start, last = _date(params.get("start")), _date(params.get("end"))
    if preset in PERIODS or start is None or last is None or last < start:
        preset = preset if preset in PERIODS else DEFAULT_PERIOD
        start, last = preset_period(preset, today)
    else:
        preset = ""
    region = figures_region_get_for_user(user, code) if (code := params.get("region")) else None
    grid = figures_grid_get_for_user(user, code) if (code := params.get("grid")) else None
    department = None
    if (code := params.get("department")) and user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN):
        department = department_list_for_user(user).filter(code=code).first()
    category = Category.objects.filter(code=code).first() if (code := params.get("category")) else None
    return FigureQuery(start, last, preset, region, grid, department, category)


# --- the rates and their words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A rate as a quotient of count cells: the counts named in ``numerator`` added (a leading ``-``
    subtracts one), over ``denominator`` likewise. ``percent=False`` for a mean (hours)."""

    key: str
    name: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    words: str
    percent: bool = True

    @staticmethod
    def _sum(terms: tuple[str, ...], counts: Mapping[str, float]) -> float:
        return sum(-counts[t[1:]] if t.startswith("-") else counts[t] for t in terms)

    def value(self, counts: Mapping[str, float]) -> float | None:
        """What the sheet's formula gives: None where it gives "" (nothing to divide by)."""
        whole = self._sum(self.denominator, counts)
        return self._sum(self.numerator, counts) / whole if whole else None

    @staticmethod
    def _expression(terms: tuple[str, ...], cells: Mapping[str, str]) -> str:
        text = ""
        for i, term in enumerate(terms):
            cell = cells[term.lstrip("-")]
            text += ("-" if term.startswith("-") else "+" if i else "") + cell
        return f"({text})" if len(terms) > 1 else text

    def formula(self, cells: Mapping[str, str]) -> str:
        whole = self._expression(self.denominator, cells)
        return f'=IF({whole}=0,"",{self._expression(self.numerator, cells)}/{whole})'

    def text(self, counts: Mapping[str, float]) -> str:
        value = self.value(counts)
        if value is None:
            return "—"
        return pct(value) if self.percent else decimal_text(value, 1)

    def refs(self, cells: Mapping[str, str]) -> str:
        """The quotient over the cells: 「B12 ÷ B11」."""
        return f"{self._expression(self.numerator, cells)} ÷ {self._expression(self.denominator, cells)}"

    def working(self, counts: Mapping[str, float]) -> str:
        """The quotient with the numbers in it: 「1,180 ÷ 1,240」."""
        def side(terms: tuple[str, ...]) -> str:
            text = ""
            for i, term in enumerate(terms):
                n = _count_text(counts[term.lstrip("-")])
                text += (" − " if term.startswith("-") else " + " if i else "") + n
            return f"({text})" if len(terms) > 1 else text
        return f"{side(self.numerator)} ÷ {side(self.denominator)}"


def _count_text(value: float) -> str:
    return figure_text(value) if float(value).is_integer() else decimal_text(value, 1)


# The headline's counts, in the order of the sheet: key, name, what it counts.
HEADLINE_COUNTS: list[tuple[str, str, str]] = [
    ("received", "上报件", "统计期内上报的全部事件"),
    ("pending", "待受理件", "尚未受理审查的事件"),
    ("rejected", "不予受理件", "受理审查认定无效、不予受理的事件（无效件）"),
    ("merged", "合并的重复件", "作为重复件并入主件的事件（计入有效件，不重复计入办结）"),
    ("valid", "有效件", "上报件 − 待受理件 − 不予受理件（含合并的重复件）"),
    ("due", "应办结件", "已办结的，加上办结时限已过（截至统计期末或现在）仍未办结的（缓办中的除外）"),
    ("closed", "已办结件", "已结案的事件（合并的重复件随主件结案，不重复计）"),
    ("closed_on_time", "按期办结件", "在办结时限内办结的事件"),
    ("handled", "已处置件", "至少提交过一次处置结果的事件"),
    ("reworked", "返工件", "核查不通过、返工过的事件"),
    ("evaluated", "已评价件", "满意 + 基本满意 + 不满意"),
    ("satisfied", "满意", "评价为满意的事件"),
    ("basically_satisfied", "基本满意", "评价为基本满意的事件"),
    ("dissatisfied", "不满意", "评价为不满意的事件"),
    ("proactive", "主动发现件", "网格员主动发现上报的事件"),
    ("open", "在办件", "当前尚未办结的事件（含缓办）"),
    ("overdue_open", "超时未办结件", FORMULAS["overdue_open"][1]),
    *((f"closed_{lv}", f"{LEVEL_NAMES[lv]}办结", f"在{LEVEL_NAMES[lv]}层级办结的事件") for lv in LEVELS),
    ("hours_to_close", "办结时长合计（小时）", "已办结件从上报到结案的小时数之和（自然时间）"),
]
VISIT_COUNTS: list[tuple[str, str, str]] = [
    ("visits_done", "重点人员走访次数", "统计期内网格员走访重点人员的次数"),
    ("visits_on_time", "按期走访次数", "在应访日期前完成的走访次数"),
]
HEADLINE_RATIOS: list[Ratio] = [
    Ratio("valid_rate", "合格率", ("valid",), ("received", "-pending"), "有效件 ÷ (上报件 − 待受理件)"),
    Ratio("closure_rate", "办结率", ("closed",), ("due",), "已办结件 ÷ 应办结件"),
    Ratio("on_time_rate", "按期办结率", ("closed_on_time",), ("due",), "按期办结件 ÷ 应办结件"),
    Ratio("rework_rate", "返工率", ("reworked",), ("handled",), "返工件 ÷ 已处置件"),
    Ratio("satisfaction_rate", "满意率", ("satisfied", "basically_satisfied"), ("evaluated",),
          "(满意 + 基本满意) ÷ 已评价件"),
    Ratio("self_closed_rate", "自办自结率", ("closed_grid",), ("closed",), "网格办结 ÷ 已办结件"),
    *(Ratio(f"share_{lv}", f"{LEVEL_NAMES[lv]}办结占比", (f"closed_{lv}",), ("closed",),
            f"{LEVEL_NAMES[lv]}办结 ÷ 已办结件") for lv in LEVELS[1:]),
    Ratio("proactive_rate", "主动发现率", ("proactive",), ("received",), "主动发现件 ÷ 上报件"),
    Ratio("mean_hours_to_close", "平均办结时长（小时）", ("hours_to_close",), ("closed",),
          "办结时长合计 ÷ 已办结件", percent=False),
]
VISIT_RATIO = Ratio("visits_rate", "走访按期率", ("visits_on_time",), ("visits_done",),
                    "按期走访次数 ÷ 重点人员走访次数")
# What each headline rate means, for the column after its words.
RATIO_NOTES = {key: text for key, (_, text) in FORMULAS.items()}

# A ranking's columns: the counts each row carries, then its rates over them.
RANKING_COUNTS: list[tuple[str, str]] = [
    ("received", "上报"), ("pending", "待受理"), ("rejected", "不予受理"), ("due", "应办结"), ("closed", "已办结"),
    ("closed_on_time", "按期办结"), ("closed_grid", "网格办结"), ("evaluated", "已评价"), ("satisfied", "满意"),
    ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意"), ("proactive", "主动发现"), ("open", "在办"),
    ("overdue_open", "超时未办结"),
]
RANKING_RATIOS: list[Ratio] = [
    Ratio("valid_rate", "合格率", ("received", "-pending", "-rejected"), ("received", "-pending"),
          "(上报 − 待受理 − 不予受理) ÷ (上报 − 待受理)"),
    Ratio("closure_rate", "办结率", ("closed",), ("due",), "已办结 ÷ 应办结"),
    Ratio("on_time_rate", "按期办结率", ("closed_on_time",), ("due",), "按期办结 ÷ 应办结"),
    Ratio("satisfaction_rate", "满意率", ("satisfied", "basically_satisfied"), ("evaluated",),
          "(满意 + 基本满意) ÷ 已评价"),
    Ratio("self_closed_rate", "自办自结率", ("closed_grid",), ("closed",), "网格办结 ÷ 已办结"),
    Ratio("proactive_rate", "主动发现率", ("proactive",), ("received",), "主动发现 ÷ 上报"),
]
MONTH_EXTRA: list[tuple[str, str]] = [("closed_in_month", "当月结案")]


# --- the report: what both the sheet and the printed page show --------------------------------------


@dataclass
class Ranking:
    key: str
    title: str  # 按村（社区）, 按类别大类…
    label_head: str  # the first column's heading
    rows: list[tuple[str, str, dict[str, float]]]  # name, code, counts
    extra: list[tuple[str, str]] = field(default_factory=list)  # counts after the usual ones (by month)
    note: str = ""

    @property
    def counts(self) -> list[tuple[str, str]]:
        return [*RANKING_COUNTS, *self.extra]

    @property
    def total(self) -> dict[str, float]:
        return {key: sum(row[2][key] for row in self.rows) for key, _ in self.counts}


def _ranking_counts(row: Row, extra: Sequence[tuple[str, str]] = ()) -> dict[str, float]:
    values = row.breakdown_dict()
    out: dict[str, float] = {key: values[key] for key, _ in RANKING_COUNTS}
    for key, _ in extra:
        out[key] = getattr(row, key)
    return out


@dataclass
class Report:
    query: FigureQuery
    figures: Figures
    departments: list[Row] | None
    generated_at: dt.datetime
    generated_by: str
    node_code: str = ""  # the region or grid counted; blank for a grid worker's own grids

    @property
    def scope(self) -> str:
        q = self.query
        parts = [self.figures.node_name]
        if q.department is not None:
            parts.append(f"职能部门：{q.department.name}")
        if q.category is not None:
            parts.append(f"类别：{q.category.name}")
        return "，".join(parts)

    @property
    def period(self) -> str:
        q = self.query
        span = f"{day_text(q.start, today=dt.date.min)}至{day_text(q.last, today=dt.date.min)}"
        return f"{PERIODS[q.preset]}（{span}）" if q.preset else span

    @property
    def title(self) -> str:
        return f"事件统计 · {self.figures.node_name}"

    @property
    def generated(self) -> str:
        return f"{timezone.localtime(self.generated_at):%Y-%m-%d %H:%M}"

    def meta(self) -> list[str]:
        return [f"统计范围：{self.scope}", f"统计期：{self.period}，按上报日期；各事件按生成时的状态计算",
                f"生成时间：{self.generated}　导出人：{self.generated_by}"]

    def headline_counts(self) -> dict[str, float]:
        f = self.figures
        out: dict[str, float] = {key: getattr(f, key) for key, _, _ in HEADLINE_COUNTS
                                 if not key.startswith("closed_") or key == "closed_on_time"}
        for lv in LEVELS:
            out[f"closed_{lv}"] = f.closed_by_level.get(lv, 0)
        if f.visits is not None:
            out["visits_done"], out["visits_on_time"] = f.visits.done, f.visits.on_time
        return out

    def headline(self) -> tuple[list[tuple[str, str, str]], list[Ratio]]:
        """(the counts, the rates) the headline shows: visits only where the figures carry them."""
        if self.figures.visits is None:
            return HEADLINE_COUNTS, HEADLINE_RATIOS
        return [*HEADLINE_COUNTS, *VISIT_COUNTS], [*HEADLINE_RATIOS, VISIT_RATIO]

    def rankings(self) -> list[Ranking]:
        f = self.figures
        children = [r for r in f.by_child if r.received or r.key]
        out = [
            Ranking("children", f"按{f.child_label}", f.child_label,
                    [(r.name, r.key, _ranking_counts(r)) for r in children]),
            Ranking("groups", "按类别大类", "大类", [(r.name or "未分类", "", _ranking_counts(r)) for r in f.by_group]),
        ]
        if self.departments is not None:
            out.append(Ranking("departments", "按职能部门", "职能部门",
                               [(r.name, r.key, _ranking_counts(r)) for r in self.departments],
                               note="统计期内上报、现由该部门承办的事件"))
        out.append(Ranking("months", "按月份", "上报月份",
                           [(r.key, "", _ranking_counts(r, MONTH_EXTRA)) for r in f.by_month], MONTH_EXTRA,
                           note="按上报月份；“当月结案”为统计期内上报的事件在该月结案的件数"))
        return out


def _shows_departments(user: Any, query: FigureQuery) -> bool:
    return user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN, Role.DEPARTMENT_STAFF) and query.grid is None


def figures_report(user: Any, params: Mapping[str, str], *, now: dt.datetime | None = None) -> Report:
    """The figures of the figures page's parameters, with the department ranking where the figures
    API gives it (county, township and department staff, not narrowed to a grid)."""
    now = now or timezone.now()
    query = figure_query(user, params, timezone.localtime(now).date())
    f = figures_for_user(user, start=query.start, end=query.end, region=query.region, grid=query.grid,
                         department=query.department, category=query.category)
    departments = (department_figures(user, start=query.start, end=query.end, region=query.region, now=now)
                   if _shows_departments(user, query) else None)
    name = (getattr(user, "full_name", "") or "").strip() or user.get_username()
    node = query.grid or query.region or home_node(user)
    return Report(query, f, departments, now, name, node.code if node is not None else "")


# --- the .xlsx ---------------------------------------------------------------------------------------


class _Book:
    """One workbook and its formats; every string goes through ``text`` (never a formula)."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.out, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.quoted: dict[int, Any] = {}
        self.title = self._format({"bold": True, "font_size": 14})
        self.head = self._format({"bold": True, "bg_color": "#E2EFDA", "border": 1, "text_wrap": True,
                                  "valign": "top"})
        self.words = self._format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top",
                                   "border": 1})
        self.note = self._format({"font_color": "#595959", "text_wrap": True, "valign": "top", "border": 1})
        self.cell = self._format({"border": 1})
        self.bold_cell = self._format({"border": 1, "bold": True})
        self.plain = self._format({})
        self.count = self.book.add_format({"num_format": "#,##0", "border": 1})
        self.hours = self.book.add_format({"num_format": "#,##0.0", "border": 1})
        self.rate = self.book.add_format({"num_format": "0.00%", "border": 1})
        self.mean = self.book.add_format({"num_format": "#,##0.0", "border": 1})

    def _format(self, props: dict[str, Any]) -> Any:
        """A text format, and beside it the same with Excel's quote prefix."""
        fmt = self.book.add_format(props)
        self.quoted[id(fmt)] = self.book.add_format({**props, "quote_prefix": True})
        return fmt

    def text(self, sheet: Any, row: int, col: int, value: str, fmt: Any) -> None:
        """A string cell; one that starts like a formula carries the quote prefix, so editing it in
        Excel or WPS keeps it text."""
        value = str(value)
        sheet.write_string(row, col, value, self.quoted[id(fmt)] if value.startswith(FORMULA_STARTS) else fmt)

    def close(self) -> bytes:
        self.book.close()
        return self.out.getvalue()


TABLE_ROW = 5  # 0-based: the title and three lines about the figures, a blank line, then the table


def _meta(book: _Book, sheet: Any, report: Report, heading: str) -> None:
    book.text(sheet, 0, 0, f"{report.title} · {heading}", book.title)
    for i, line in enumerate(report.meta(), start=1):
        book.text(sheet, i, 0, line, book.plain)


def _headline_sheet(book: _Book, report: Report) -> None:
    sheet = book.book.add_worksheet("总览")
    _meta(book, sheet, report, "总览")
    for col, name in enumerate(["指标", "数值", "计算方法（公式）", "说明"]):
        book.text(sheet, TABLE_ROW, col, name, book.head)
    counts_rows, ratios = report.headline()
    counts = report.headline_counts()
    cells: dict[str, str] = {}
    row = TABLE_ROW + 1
    for key, name, note in counts_rows:
        cells[key] = xl_rowcol_to_cell(row, 1)
        book.text(sheet, row, 0, name, book.cell)
        sheet.write_number(row, 1, counts[key], book.hours if key == "hours_to_close" else book.count)
        book.text(sheet, row, 2, "计数", book.note)
        book.text(sheet, row, 3, note, book.note)
        row += 1
    for ratio in ratios:
        value = ratio.value(counts)
        book.text(sheet, row, 0, ratio.name, book.bold_cell)
        sheet.write_formula(row, 1, ratio.formula(cells), book.rate if ratio.percent else book.mean,
                            "" if value is None else value)
        book.text(sheet, row, 2, f"{ratio.words}（{ratio.refs(cells)}）", book.words)
        book.text(sheet, row, 3, RATIO_NOTES.get(ratio.key, ""), book.note)
        row += 1
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 2, 44)
    sheet.set_column(3, 3, 70)
    sheet.freeze_panes(TABLE_ROW + 1, 1)


def _ranking_sheet(book: _Book, report: Report, ranking: Ranking) -> None:
    sheet = book.book.add_worksheet(_sheet_name(ranking.title))
    _meta(book, sheet, report, ranking.title)
    head = TABLE_ROW
    columns = ranking.counts
    first_rate = 2 + len(columns)
    book.text(sheet, head, 0, ranking.label_head or "名称", book.head)
    book.text(sheet, head, 1, "编码", book.head)
    for i, (_, name) in enumerate(columns):
        book.text(sheet, head, 2 + i, name, book.head)
    for i, ratio in enumerate(RANKING_RATIOS):
        book.text(sheet, head, first_rate + i, ratio.name, book.head)
    # The formula's words, beneath each rate's heading.
    book.text(sheet, head + 1, 0, "计算方法", book.words)
    for col in range(1, first_rate):
        book.text(sheet, head + 1, col, "计数", book.words)
    for i, ratio in enumerate(RANKING_RATIOS):
        book.text(sheet, head + 1, first_rate + i, ratio.words, book.words)
    top = head + 2

    def write(row: int, name: str, code: str, counts: Mapping[str, float], fmt: Any,
              sums: tuple[int, int] | None = None) -> None:
        book.text(sheet, row, 0, name, fmt)
        if code:
            book.text(sheet, row, 1, code, book.cell)
        else:
            sheet.write_blank(row, 1, None, book.cell)
        cells = {}
        for i, (key, _) in enumerate(columns):
            cells[key] = xl_rowcol_to_cell(row, 2 + i)
            if sums is None:
                sheet.write_number(row, 2 + i, counts[key], book.count)
            else:
                span = f"{xl_rowcol_to_cell(sums[0], 2 + i)}:{xl_rowcol_to_cell(sums[1], 2 + i)}"
                sheet.write_formula(row, 2 + i, f"=SUM({span})", book.count, counts[key])
        for i, ratio in enumerate(RANKING_RATIOS):
            value = ratio.value(counts)
            sheet.write_formula(row, first_rate + i, ratio.formula(cells), book.rate, "" if value is None else value)

    for n, (name, code, counts) in enumerate(ranking.rows):
        write(top + n, name, code, counts, book.cell)
    total_row = top + len(ranking.rows)
    sums = (top, total_row - 1) if ranking.rows else None
    if sums is None:
        write(total_row, "合计", "", ranking.total, book.bold_cell)
    else:
        write(total_row, "合计", "", ranking.total, book.bold_cell, sums)
    if ranking.note:
        book.text(sheet, total_row + 2, 0, f"说明：{ranking.note}", book.plain)
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, first_rate - 1, 9)
    sheet.set_column(first_rate, first_rate + len(RANKING_RATIOS) - 1, 13)
    sheet.set_row(head + 1, 45)
    sheet.freeze_panes(top, 1)


def _sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``."""
    for ch in "[]:*?/\\":
        title = title.replace(ch, "·")
    return title[:31]


def report_xlsx(report: Report) -> bytes:
    """The headline on 总览, then one sheet per ranking."""
    book = _Book()
    _headline_sheet(book, report)
    for ranking in report.rankings():
        _ranking_sheet(book, report, ranking)
    return book.close()


def report_filename(report: Report) -> str:
    q = report.query
    return f"figures-{report.node_code or 'grids'}-{q.start:%Y%m%d}-{q.last:%Y%m%d}.xlsx"


# --- the printed page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintLine:
    name: str
    value: str
    words: str
    working: str
    note: str
    rate: bool


def print_headline(report: Report) -> list[PrintLine]:
    counts_rows, ratios = report.headline()
    counts = report.headline_counts()
    lines = [PrintLine(name, _count_text(counts[key]), "计数", "", note, False) for key, name, note in counts_rows]
    lines += [PrintLine(r.name, r.text(counts), r.words, r.working(counts), RATIO_NOTES.get(r.key, ""), True)
              for r in ratios]
    return lines


@dataclass(frozen=True)
class PrintTable:
    ranking: Ranking
    head: list[str]
    words: list[str]
    rows: list[list[str]]
    total: list[str]


def print_tables(report: Report) -> list[PrintTable]:
    tables = []
    for ranking in report.rankings():
        head = [ranking.label_head or "名称", *(name for _, name in ranking.counts),
                *(r.name for r in RANKING_RATIOS)]
        words = ["计算方法", *("" for _ in ranking.counts), *(r.words for r in RANKING_RATIOS)]

        def cells(name: str, counts: Mapping[str, float], ranking: Ranking = ranking) -> list[str]:
            return [name, *(_count_text(counts[k]) for k, _ in ranking.counts),
                    *(r.text(counts) for r in RANKING_RATIOS)]

        rows = [cells(name, counts) for name, _, counts in ranking.rows]
        tables.append(PrintTable(ranking, head, words, rows, cells("合计", ranking.total)))
    return tables
