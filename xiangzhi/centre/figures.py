"""Case figures (C3, C10): counted from the cases on every request, never stored.

Every figure describes the cases *reported* in [start, end) inside the user's scope, as they stand
now. The definitions follow the evaluation indicators of digital urban management (CJ/T 292
城市市政综合监管信息系统 绩效评价: 结案率, 按期结案率, 返工率 over the cases due) and the figures
the reports quote (000: 合格率 97%, 处置完成率 98%; 001: 102 / 39 / 3; 004: 满意率 99.82%):

    合格率     valid ÷ (received − awaiting acceptance)   valid = accepted or beyond, merged duplicates
                                                          included (the problem was real); rejected = invalid
    办结率     closed ÷ due                               due = closed, or its closure deadline has passed
    按期办结率 closed on time ÷ due                        (before the end of the period, or now if earlier),
                                                          not suspended (缓办 stops the clock)
    返工率     handled with rework ÷ handled              handled = submitted as handled at least once
    满意率     (satisfied + basically satisfied) ÷ evaluated
    自办自结率 closed at grid level ÷ closed; the level split is closed by closed_level ÷ closed
    平均办结时长 mean of closed_at − created_at over closed cases, in hours
    主动发现率 proactive (网格员主动发现, 未诉先办) ÷ received

A merged duplicate closes with the case it repeats; it counts as received and as valid, but not
again in the handling figures (due, closed, level split, time to close), which would otherwise
count one problem twice.

Every count is one filter (``figure_q``): the counts aggregate it and the list behind a figure
(``figure_case_list``, the command centre's case queue) filters by it, so a list holds exactly the
cases its figure counts.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django.db import NotSupportedError, connection
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.lookups import GreaterThanOrEqual, IsNull, LessThan
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from xiangzhi.accounts.models import GRID_ROLES, Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.models import OPEN_STATUSES, Case, Category, Evaluation, HandlingLevel, Status
from xiangzhi.cases.rules import case_scope_q, figures_allowed
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Department, Grid, Region

# What the page and the API show beside each headline number.
FORMULAS = {
    "valid_rate": ("合格率", "有效件 ÷ (上报件 − 待受理件)；有效件 = 已受理及以后各环节的事件（含合并的重复件），"
                   "不予受理的为无效件"),
    "closure_rate": ("办结率", "已办结件 ÷ 应办结件；应办结件 = 已办结的，加上办结时限已过（截至统计期末或现在）"
                     "仍未办结的（缓办中的除外）"),
    "on_time_rate": ("按期办结率", "在办结时限内办结的件数 ÷ 应办结件"),
    "rework_rate": ("返工率", "核查不通过返工过的件数 ÷ 已处置件数"),
    "satisfaction_rate": ("满意率", "(满意 + 基本满意) ÷ 已评价件数"),
    "self_closed_rate": ("自办自结率", "在网格层级办结的件数 ÷ 已办结件"),
    "mean_hours_to_close": ("平均办结时长", "已办结件从上报到结案的平均小时数（自然时间）"),
    "proactive_rate": ("主动发现率", "网格员主动发现上报的件数 ÷ 上报件"),
    "overdue_open": ("超时未办结", "尚未办结、且已超过本环节时限或办结时限的件数（当前）"),
}
# Every count key a figure stands on, with the words the case list behind it is headed with.
FIGURE_NAMES = {
    "received": "上报件", "pending": "待受理", "rejected": "不予受理", "merged": "合并的重复件",
    "reviewed": "已受理审查", "valid": "有效件", "due": "应办结", "closed": "已办结", "closed_on_time": "按期办结",
    "handled": "已处置", "reworked": "返工", "evaluated": "已评价", "satisfied": "满意",
    "basically_satisfied": "基本满意", "dissatisfied": "不满意", "pleased": "满意和基本满意", "proactive": "主动发现",
    "open": "未办结", "overdue_open": "超时未办结", "open_in_time": "在办未超时", "closed_grid": "网格自办自结",
}
LEVELS = [HandlingLevel.GRID, HandlingLevel.VILLAGE, HandlingLevel.TOWNSHIP, HandlingLevel.DEPARTMENT,
          HandlingLevel.COUNTY]
LEVEL_NAMES = dict(HandlingLevel.choices)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Counts:
    """The additive counts behind every figure (breakdown rows fill ``BREAKDOWN_FIELDS`` only)."""

    received: int = 0
    pending: int = 0
    rejected: int = 0
    merged: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    handled: int = 0
    reworked: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    proactive: int = 0
    open: int = 0
    overdue_open: int = 0
    hours_to_close: float = 0.0  # summed over closed cases
    closed_by_level: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    def add(self, row: dict) -> None:
        for name in _COUNT_FIELDS:
            if name in row:
                setattr(self, name, getattr(self, name) + (row[name] or 0))
        self.hours_to_close += row.get("hours_to_close") or 0.0
        if "closed_level" in row:  # grouped by the level: its closed cases closed there
            if row["closed_level"]:
                level = row["closed_level"]
                self.closed_by_level[level] = self.closed_by_level.get(level, 0) + (row["closed"] or 0)
        elif "closed_grid" in row:
            self.closed_by_level[HandlingLevel.GRID] = (self.closed_by_level.get(HandlingLevel.GRID, 0)
                                                        + (row["closed_grid"] or 0))

    @property
    def evaluated(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    @property
    def valid(self) -> int:
        return self.received - self.pending - self.rejected

    @property
    def reviewed(self) -> int:
        return self.received - self.pending

    @property
    def pleased(self) -> int:
        return self.satisfied + self.basically_satisfied

    @property
    def open_in_time(self) -> int:
        return self.open - self.overdue_open

    @property
    def closed_grid(self) -> int:
        return self.closed_by_level.get(HandlingLevel.GRID, 0)

    def count_of(self, key: str) -> int:
        """The count of any key of ``FIGURE_NAMES``."""
        if key not in FIGURE_NAMES:
            raise KeyError(key)
        return getattr(self, key)

    @property
    def valid_rate(self) -> float | None:
        return _rate(self.valid, self.received - self.pending)

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.due)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.closed_on_time, self.due)

    @property
    def rework_rate(self) -> float | None:
        return _rate(self.reworked, self.handled)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.pleased, self.evaluated)

    @property
    def self_closed_rate(self) -> float | None:
        return _rate(self.closed_grid, self.closed)

    @property
    def proactive_rate(self) -> float | None:
        return _rate(self.proactive, self.received)

    @property
    def mean_hours_to_close(self) -> float | None:
        return round(self.hours_to_close / self.closed, 1) if self.closed else None

    @property
    def level_split(self) -> list[tuple[str, str, int, float | None]]:
        """(level, name, closed there, share of closed) for every level, grid first."""
        return [(lv, LEVEL_NAMES[lv], self.closed_by_level.get(lv, 0),
                 _rate(self.closed_by_level.get(lv, 0), self.closed)) for lv in LEVELS]

    def as_dict(self) -> dict:
        out = {name: getattr(self, name) for name in _COUNT_FIELDS}
        out["evaluated"] = self.evaluated
        out.update(
            valid=self.valid, valid_rate=self.valid_rate, closure_rate=self.closure_rate,
            on_time_rate=self.on_time_rate, rework_rate=self.rework_rate, satisfaction_rate=self.satisfaction_rate,
            self_closed_rate=self.self_closed_rate, proactive_rate=self.proactive_rate,
            mean_hours_to_close=self.mean_hours_to_close,
            closed_by_level={lv: self.closed_by_level.get(lv, 0) for lv in LEVELS},
        )
        return out


_COUNT_FIELDS = ["received", "pending", "rejected", "merged", "due", "closed", "closed_on_time", "handled",
                 "reworked", "satisfied", "basically_satisfied", "dissatisfied", "proactive", "open", "overdue_open"]
# Breakdown rows (category groups, child nodes, departments) carry these; the rest stay headline-only.
BREAKDOWN_FIELDS = ["received", "pending", "rejected", "due", "closed", "closed_on_time", "evaluated", "satisfied",
                    "basically_satisfied", "dissatisfied", "proactive", "open", "overdue_open"]
BREAKDOWN_RATES = ["valid_rate", "closure_rate", "on_time_rate", "satisfaction_rate", "self_closed_rate",
                   "proactive_rate"]


@dataclass
class Row(Counts):
    key: str = ""
    name: str = ""
    closed_in_month: int = 0  # by_month only: of the period's cases, those closed in that month

    def breakdown_dict(self) -> dict:
        """The counts a breakdown row carries (``BREAKDOWN_FIELDS``), its rates and its grid closures."""
        out = {name: getattr(self, name) for name in [*BREAKDOWN_FIELDS, *BREAKDOWN_RATES]}
        out["closed_grid"] = self.closed_grid
        return out


@dataclass
class VisitFigures:
    """Key-population visits done by the scope's grid workers in the period (gridwork)."""

    done: int
    on_time: int

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.done)


@dataclass
class Figures(Counts):
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    node_name: str = ""
    child_label: str = ""  # what the rows of ``by_child`` are: 乡镇（街道）, 村（社区）, 网格…
    by_group: list[Row] = field(default_factory=list)
    by_child: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)  # by report month; closed_in_month by closing month
    visits: VisitFigures | None = None


class HoursBetween(Func):
    """``later − earlier`` in hours, as a float, natively on each database (no per-row Python)."""

    output_field = FloatField()

    def __init__(self, earlier: Any, later: Any) -> None:
        super().__init__(earlier, later)

    def _compiled(self, compiler):
        (earlier, p1), (later, p2) = (compiler.compile(e) for e in self.source_expressions)
        return earlier, later, [*p2, *p1]  # params in the order the SQL below names them

    def as_sqlite(self, compiler, conn, **extra):
        earlier, later, params = self._compiled(compiler)
        return f"((julianday({later}) - julianday({earlier})) * 24.0)", params

    def as_postgresql(self, compiler, conn, **extra):
        earlier, later, params = self._compiled(compiler)
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)", params

    def as_sql(self, compiler, conn, **extra):
        raise NotSupportedError("HoursBetween: SQLite and PostgreSQL only")


class LocalMonth(Func):
    """The local calendar month (``YYYY-MM``) of a timestamp.

    PostgreSQL converts with the named zone. On SQLite Django's ``TruncMonth`` calls back into Python
    for every row; ``strftime`` with the zone's current UTC offset is native and exact for zones
    without daylight saving (Asia/Shanghai has had none since 1991)."""

    output_field = CharField()

    def as_sqlite(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        offset = timezone.localtime().utcoffset() or dt.timedelta()
        minutes = int(offset.total_seconds() // 60)
        return f"strftime('%%Y-%%m', {sql}, '{minutes:+d} minutes')", params

    def as_postgresql(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char(({sql}) AT TIME ZONE %s, 'YYYY-MM')", [*params, timezone.get_current_timezone_name()]

    def as_sql(self, compiler, conn, **extra):
        raise NotSupportedError("LocalMonth: SQLite and PostgreSQL only")


# --- scope ----------------------------------------------------------------------------------------


def _aware(moment: dt.date | dt.datetime) -> dt.datetime:
    """A date means that day's local midnight."""
    if isinstance(moment, dt.datetime):
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    return timezone.make_aware(dt.datetime.combine(moment, dt.time.min))


def _path_q(path: str, *, indexed: bool = True) -> Q:
    """Everything under ``path``. On SQLite ``LIKE`` cannot use the index (it is case-insensitive
    and the column is not), so the same prefix is asked as a range, exact in SQLite's binary
    collation: ``/`` sorts just before ``0``. PostgreSQL plans ``LIKE 'prefix%'`` on its pattern index
    whatever the database's collation, where a range would not be safe. ``indexed=False`` keeps
    SQLite off the path's indexes (``LIKE``), for a list better found another way (by its status, or
    by reading the whole table when the path covers most of it)."""
    if connection.vendor == "sqlite" and path.endswith("/") and indexed:
        return Q(scope_path__gte=path, scope_path__lt=path[:-1] + "0")
    return Q(scope_path__startswith=path)


class NoIndex(Func):
    """An expression's value as it is. On SQLite it is written ``+expr``, SQLite's own way to keep
    its planner off the column's indexes: a list that covers most of a county reads the table once
    rather than walk an index row by row, and a mostly-empty column (``duplicate_of``) is not taken
    for a selective one. Other databases get the bare expression."""

    arity = 1

    def as_sqlite(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(+{sql})", params

    def as_sql(self, compiler, conn, **extra):
        return compiler.compile(self.source_expressions[0])


def _check_user(user) -> None:
    require(figures_allowed(user), "无权查看统计")


def home_node(user) -> Region | Grid | None:
    """Where a user's figures start: their region, their department's region, the county for a
    superuser; None for grid staff (their rows are their grids). Looked up once per user object, as
    its scope is (a page asks several times)."""
    if hasattr(user, "_centre_home_node"):
        return user._centre_home_node
    regions = Region.objects.defer("boundary")
    node = None
    if user.role == Role.DEPARTMENT_STAFF:
        node = regions.filter(departments=user.department_id).first() if user.department_id else None
    elif user.role in GRID_ROLES:
        node = None
    elif user.region_id:
        node = regions.filter(pk=user.region_id).first()
    elif user.is_superuser:
        node = regions.filter(level="county").order_by("code").first()
    user._centre_home_node = node
    return node


def _node_in_scope(user, path: str) -> bool:
    if user.role == Role.DEPARTMENT_STAFF:
        home = home_node(user)
        return home is not None and path.startswith(home.path)
    return scope_of(user).covers_path(path)


def figures_region_get_for_user(user, code: str) -> Region:
    """A region to count under: inside the user's scope, or 404 exactly like a missing one."""
    _check_user(user)
    region = Region.objects.filter(code=code).defer("boundary").first()
    if region is None or not _node_in_scope(user, region.path):
        raise NotFound
    return region


def figures_grid_get_for_user(user, code: str) -> Grid:
    _check_user(user)
    grid = Grid.objects.filter(code=code).select_related("region").defer("boundary", "region__boundary").first()
    if grid is None or not _node_in_scope(user, grid.path):
        raise NotFound
    return grid


def _cases(user, *, region, grid, department, category,
           indexed: bool = True) -> tuple[QuerySet[Case], Region | Grid | None]:
    """The user's cases under the node and filters, any report date (``indexed``: see ``_path_q``)."""
    _check_user(user)
    node = grid or region
    if node is not None and not _node_in_scope(user, node.path):
        raise NotFound
    node = node or home_node(user)
    if node is None or user.role == Role.DEPARTMENT_STAFF:
        qs = Case.objects.filter(case_scope_q(user))
    else:
        # The node lies inside the user's scope (checked above, or it is the scope's own node), so
        # ``case_scope_q`` adds nothing under it; leaving it out spares a pattern match per row.
        qs = Case.objects.all()
    if node is not None:
        qs = qs.filter(_path_q(node.path, indexed=indexed))
    if department is not None:
        qs = qs.filter(assignee_department=department)
    if category is not None:
        qs = qs.filter(category=category)
    return qs, node


def scope_cases(user, *, region: Region | None = None, grid: Grid | None = None,
                indexed: bool = True) -> QuerySet[Case]:
    """The user's cases under a region or grid (404 outside the scope) or under his whole scope, any
    report date: what the figures count, for other counts of the centre (workload). ``indexed``: see
    ``_path_q``."""
    return _cases(user, region=region, grid=grid, department=None, category=None, indexed=indexed)[0]


# --- the counts -------------------------------------------------------------------------------


def figure_q(as_of: dt.datetime, now: dt.datetime) -> dict[str, Q]:
    """The one definition of every count key (``FIGURE_NAMES``) as a filter on cases: what a figure
    counts and what the list behind it holds. ``as_of`` is when the closure deadlines are judged (the
    end of the period, or now if earlier); ``now`` when a case is overdue."""
    # A merged duplicate is handled as the case it repeats. (Nearly every case has no duplicate_of: as
    # a list's filter, the column's index would be walked over the whole table.)
    handling = Q(IsNull(NoIndex(F("duplicate_of_id"), output_field=IntegerField()), True))
    closed = handling & Q(closed_at__isnull=False)
    open_ = Q(status__in=[*OPEN_STATUSES, Status.SUSPENDED])
    overdue = Q(status__in=OPEN_STATUSES) & (Q(overdue_at__isnull=False) | Q(close_due_at__lt=now))
    due = handling & ~Q(status=Status.REJECTED) & (
        Q(closed_at__isnull=False) | (Q(close_due_at__lt=as_of) & ~Q(status=Status.SUSPENDED))
    )
    handled = handling & Q(handled_at__isnull=False)
    return {
        "received": Q(),
        "pending": Q(status=Status.REPORTED),
        "rejected": Q(status=Status.REJECTED),
        "merged": ~handling,
        "reviewed": ~Q(status=Status.REPORTED),
        "valid": ~Q(status__in=[Status.REPORTED, Status.REJECTED]),
        "due": due,
        "closed": closed,
        "closed_on_time": closed & Q(closed_on_time=True),
        "handled": handled,
        "reworked": handled & Q(rework_count__gt=0),
        "evaluated": Q(evaluation__in=Evaluation.values),
        "satisfied": Q(evaluation=Evaluation.SATISFIED),
        "basically_satisfied": Q(evaluation=Evaluation.BASICALLY_SATISFIED),
        "dissatisfied": Q(evaluation=Evaluation.DISSATISFIED),
        "pleased": Q(evaluation__in=[Evaluation.SATISFIED, Evaluation.BASICALLY_SATISFIED]),
        "proactive": Q(is_proactive=True),
        "open": open_,
        "overdue_open": overdue,
        "open_in_time": open_ & ~overdue,
        "closed_grid": closed & Q(closed_level=HandlingLevel.GRID),
    }


def _count(q: Q) -> Count:
    return Count("id", filter=q) if q else Count("id")


def _aggregates(as_of: dt.datetime, now: dt.datetime, *, breakdown: bool = False) -> dict:
    """Conditional counts over the rows of a group, each by its ``figure_q``. The headline set leaves
    the level split to the grouping (by ``closed_level``); a breakdown takes fewer counts and grid
    closures only."""
    qs = figure_q(as_of, now)
    names = [n for n in BREAKDOWN_FIELDS if n in _COUNT_FIELDS] if breakdown else _COUNT_FIELDS
    out: dict = {name: _count(qs[name]) for name in names}
    if breakdown:
        out["closed_grid"] = _count(qs["closed_grid"])
    else:
        out["hours_to_close"] = Sum(HoursBetween(F("created_at"), F("closed_at")), filter=qs["closed"])
    return out


def case_figures(user, *, start: dt.date | dt.datetime, end: dt.date | dt.datetime, region: Region | None = None,
                 grid: Grid | None = None, department: Department | None = None, category: Category | None = None,
                 visit_totals: tuple[int, int] | None = None, now: dt.datetime | None = None) -> Figures:
    """Figures for the cases reported in [start, end) in the user's scope, narrowed to a region or
    grid (404 outside the scope), a department or a category. Residents get Forbidden. Gridwork's
    key-person visits ``(done, on time)`` over the days ``figures_visit_days`` names, where given,
    show beside them as 走访按期率.

    Two passes over the cases whatever their number, each one grouped aggregate query: by report
    month, closing month and closing level (summed for the headline, the monthly trend and the
    level split), and by category and region or grid (rolled up into category groups and child
    nodes, with the smaller breakdown set of counts). Three small lookups name the
    nodes and the groups."""
    start, end = _aware(start), _aware(end)
    now = now or timezone.now()
    cases, node = _cases(user, region=region, grid=grid, department=department, category=category)
    qs = cases.filter(created_at__gte=start, created_at__lt=end)
    aggregates = _aggregates(min(end, now), now)
    figures = Figures(start=start, end=end, node_name=_node_name(user, node))

    months: dict[str, Row] = {}
    closings: dict[str, int] = {}
    for row in (qs.annotate(month=LocalMonth("created_at"), closed_month=LocalMonth("closed_at"))
                .values("month", "closed_month", "closed_level").order_by().annotate(**aggregates)):
        figures.add(row)
        month = _month_key(row["month"])
        months.setdefault(month, Row(key=month, name=month)).add(row)
        if row["closed_month"]:
            closed_month = _month_key(row["closed_month"])
            closings[closed_month] = closings.get(closed_month, 0) + row["closed"]
    figures.by_month = _month_rows(start, end, months, closings)

    children = _children(user, node)
    figures.child_label = children.label
    groups = dict(Category.objects.values_list("id", "group"))
    by_group: dict[str, Row] = {}
    by_child = {code: Row(key=code, name=name) for code, name in children.names.items()}
    # Grouped by ``category_id + 0``: on the bare column SQLite would walk the (category, created_at)
    # index across the whole county to save a sort, instead of the node's scope_path range.
    by_category = qs.annotate(category_key=ExpressionWrapper(F("category_id") + 0, output_field=IntegerField()))
    parts = _aggregates(min(end, now), now, breakdown=True)
    for row in by_category.values("category_key", children.field).order_by().annotate(**parts):
        group = groups.get(row["category_key"], "")
        by_group.setdefault(group, Row(key=group, name=group)).add(row)
        code = children.key_of.get(row[children.field], "")
        if code not in by_child:
            by_child[code] = Row(key="", name=children.own_name)
        by_child[code].add(row)
    figures.by_group = sorted(by_group.values(), key=lambda r: (-r.received, r.key))
    figures.by_child = sorted(by_child.values(), key=lambda r: (r.key == "", r.key))
    if visit_totals is not None:
        done, on_time = visit_totals
        figures.visits = VisitFigures(done=done, on_time=on_time)
    return figures


def _month_key(value) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m}"
    return str(value)[:7]


def _month_rows(start, end, months: dict[str, Row], closings: dict[str, int]) -> list[Row]:
    rows = []
    local_start, local_end = timezone.localtime(start), timezone.localtime(end - dt.timedelta(microseconds=1))
    year, month = local_start.year, local_start.month
    while (year, month) <= (local_end.year, local_end.month):
        key = f"{year:04d}-{month:02d}"
        row = months.get(key) or Row(key=key, name=key)
        row.closed_in_month = closings.get(key, 0)
        rows.append(row)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return rows


def _row(values: dict, key: str, name: str) -> Row:
    row = Row(key=key, name=name)
    row.add(values)
    return row


def _node_name(user, node) -> str:
    if node is not None:
        return node.name
    return "我的网格"


@dataclass
class _Children:
    """The next level down and how a case's region or grid id maps to it."""

    label: str
    field: str  # "region_id" or "grid_id"
    key_of: dict[int, str]  # region/grid id → the child's code ("" for the node itself)
    names: dict[str, str]  # child code → name
    own_name: str = "本级（未落入下级）"
    paths: tuple[str, ...] = ()  # the children's paths: a case under none of them makes the node's own row


def _children(user, node) -> _Children:
    """Child regions of a region (villages roll up into their management area or township), the
    grids of a village, the micro-grids of a grid; for grid staff, their own grids. Cases filed on the
    node itself (a township's triage queue, a grid outside its micro-grids) make a row of their own."""
    if isinstance(node, Region) and node.level != "village":
        below = list(Region.objects.filter(path__startswith=node.path)
                     .values_list("id", "path", "parent_id", "code", "name", "level"))
        children = [(path, code, name, level) for _, path, parent, code, name, level in below if parent == node.id]
        key_of = {rid: next((code for p, code, *_ in children if path.startswith(p)), "") for rid, path, *_ in below}
        label = _child_label(children[0][3] if children else "village")
        return _Children(label, "region_id", key_of, {code: name for _, code, name, _ in children},
                         paths=tuple(path for path, *_ in children))
    if isinstance(node, Region | Grid):
        grids = list(Grid.objects.filter(path__startswith=node.path).values_list("id", "path", "parent_id", "code",
                                                                                  "name"))
        top = (lambda parent: parent is None) if isinstance(node, Region) else (lambda parent: parent == node.id)
        tops = [(path, code, name) for _, path, parent, code, name in grids if top(parent)]
        label, own = ("网格", "本级（未落入网格）") if isinstance(node, Region) else ("微网格", "本级（未落入微网格）")
    else:  # grid staff: the grids they stand on; their own reports elsewhere make the last row
        scope = scope_of(user)
        grids = list(Grid.objects.filter(scope.q("path")).values_list("id", "path", "parent_id", "code", "name"))
        tops = [(path, code, name) for _, path, _, code, name in grids if path in set(scope.paths)]
        label, own = "网格", "其他（本人在管辖网格外上报）"
    key_of = {gid: next((code for p, code, _ in tops if path.startswith(p)), "") for gid, path, *_ in grids}
    return _Children(label, "grid_id", key_of, {code: name for _, code, name in tops}, own,
                     paths=tuple(path for path, *_ in tops))


def _child_label(level: str) -> str:
    return {"township": "乡镇（街道）", "area": "管区", "village": "村（社区）"}.get(level, "下级区域")


def figures_visit_days(user, start: dt.date | dt.datetime, end: dt.date | dt.datetime, *,
                       narrowed: bool) -> tuple[dt.date, dt.date] | None:
    """The days (first, last) of [start, end) whose key-person visits show beside the figures, or None
    where they are left out: gridwork counts visits over the user's whole scope only, so not when the
    figures are narrowed to a region, grid, department or category, and not for department staff."""
    _check_user(user)
    if narrowed or user.role == Role.DEPARTMENT_STAFF:
        return None
    start, end = _aware(start), _aware(end)
    return timezone.localtime(start).date(), timezone.localtime(end - dt.timedelta(microseconds=1)).date()


# --- departments ------------------------------------------------------------------------------


def department_figures(user, *, start, end, region: Region | None = None, grid: Grid | None = None,
                       category: Category | None = None, now: dt.datetime | None = None) -> list[Row]:
    """Per department (职能部门): the cases reported in the period that are assigned to it now, with
    the same counts. Department staff get their own department's row; others every department
    with cases under their scope (or the region or grid, of the category)."""
    start, end = _aware(start), _aware(end)
    now = now or timezone.now()
    cases, _ = _cases(user, region=region, grid=grid, department=None, category=category)
    qs = cases.filter(created_at__gte=start, created_at__lt=end)
    counts = (qs.filter(assignee_department__isnull=False).values("assignee_department_id").order_by()
              .annotate(**_aggregates(min(end, now), now, breakdown=True)))
    rows = {r["assignee_department_id"]: r for r in counts}
    departments = Department.objects.filter(pk__in=rows).order_by("code").values_list("id", "code", "name")
    return [_row(rows[pk], code, name) for pk, code, name in departments]


# --- the cases behind a figure ------------------------------------------------------------------


def month_range(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[first moment, first moment of the next) of a local calendar month ``YYYY-MM``."""
    try:
        year, number = int(month[:4]), int(month[5:7])
        if len(month) != 7 or month[4] != "-":
            raise ValueError(month)
        first = dt.date(year, number, 1)
    except ValueError:
        raise Invalid(f"月份应写作 年-月（如 2026-05）：{month}") from None
    following = dt.date(year + 1, 1, 1) if number == 12 else dt.date(year, number + 1, 1)
    return _aware(first), _aware(following)


def figure_case_list(user, *, figure: str = "", start: dt.date | dt.datetime | None = None,
                     end: dt.date | dt.datetime | None = None, region: Region | None = None, grid: Grid | None = None,
                     department: Department | None = None, category: Category | None = None, group: str = "",
                     month: str = "", closed_month: str = "", closed_level: str = "", rest: bool = False,
                     now: dt.datetime | None = None, indexed: bool | None = None) -> QuerySet[Case]:
    """The cases a figure counts, unordered: the same scope and node as ``case_figures`` (404 outside
    the scope, Forbidden for residents), reported in [start, end) where given, filtered by the
    figure's ``figure_q`` and narrowed like a breakdown row — a category ``group``, a report ``month``
    or a ``closed_month`` (``YYYY-MM``), a ``closed_level``, or ``rest``: the node's own row, the
    cases under none of its children.

    ``indexed=False`` keeps SQLite off the place and report-date indexes (the caller filters by
    something sharper, such as open statuses); by default they are left alone for a list over a
    whole county, which is read faster straight from the table. PostgreSQL plans its own way."""
    now = now or timezone.now()
    if indexed is None:
        indexed = not spans_a_county(user, region, grid, department)
    cases, node = _cases(user, region=region, grid=grid, department=department, category=category,
                         indexed=indexed)
    created = F("created_at") if indexed else NoIndex(F("created_at"), output_field=DateTimeField())
    as_of = now
    if start is not None:
        cases = cases.filter(GreaterThanOrEqual(created, _aware(start)))
    if end is not None:
        end = _aware(end)
        cases = cases.filter(LessThan(created, end))
        as_of = min(end, now)
    if figure:
        q = figure_q(as_of, now).get(figure)
        if q is None:
            raise Invalid(f"没有这项统计：{figure}")
        cases = cases.filter(q)
    if group:
        cases = cases.filter(category__group=group)
    if month:
        first, following = month_range(month)
        cases = cases.filter(GreaterThanOrEqual(created, first), LessThan(created, following))
    if closed_month:
        first, following = month_range(closed_month)
        cases = cases.filter(closed_at__gte=first, closed_at__lt=following)
    if closed_level:
        if closed_level not in HandlingLevel.values:
            raise Invalid(f"没有这个办结层级：{closed_level}")
        cases = cases.filter(closed_level=closed_level)
    if rest:
        paths = _children(user, node).paths
        if paths:
            cases = cases.exclude(reduce(or_, (_path_q(p) for p in paths)))
    return cases


def spans_a_county(user, region: Region | None, grid: Grid | None, department: Department | None) -> bool:
    """Whether a list spans a whole county or more (a county admin's, a superuser's)."""
    if grid is not None or department is not None:
        return False
    node = region or home_node(user)
    return isinstance(node, Region) and node.level in ("county", "city", "province")


@lru_cache(maxsize=8)
def _cases_path(prefix: str) -> str:
    return reverse("centre:cases")


def cases_link(**params) -> str:
    """The address of the case list behind a figure (``/centre/cases/``) with these filters; empty
    values are left out. (A page may carry thousands: the path is worked out once.)"""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", False)})
    return _cases_path(get_script_prefix()) + (f"?{query}" if query else "")
