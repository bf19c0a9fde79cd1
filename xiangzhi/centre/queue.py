"""The dispatch queue (一键可管): the cases behind every figure, filtered the way a township 综治中心
dispatcher works — overdue, due today, status, level, place, category, department, channel, report
dates, who holds them — in the user's scope, most urgent first; and the bulk actions on a selection:
dispatch (受理并派遣 where a case still waits), 督办 with its reason, or both in one go.

The list behind a figure is ``figures.figure_case_list`` (the very filter the figure counts by); the
queue only adds the dispatcher's own filters and the order. Bulk actions go through the cases' own
services, each case in its own transaction, so a case either takes every step asked or none."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, reduce
from operator import or_
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases import rules, services
from xiangzhi.cases.models import OPEN_STATUSES, Case, Category, Channel, Evaluation, HandlingLevel, Status
from xiangzhi.cases.selectors import LIST_RELATED, case_route_preview
from xiangzhi.centre.figures import (
    FIGURE_NAMES,
    figure_case_list,
    figure_q,
    figures_grid_get_for_user,
    figures_region_get_for_user,
    home_node,
    month_range,
)
from xiangzhi.centre.selectors import preset_period
from xiangzhi.core.display import share_text
from xiangzhi.core.errors import Forbidden, Invalid, NotFound
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Department, Grid, Region
from xiangzhi.regions.selectors import ancestor_paths

PAGE_SIZE = 30
BULK_MAX = 100
PRESETS = {"month": "本月", "quarter": "本季度", "year": "本年", "12m": "近12个月", "24m": "近两年"}
# The status filter: 未办结 (every open case, 缓办 included) unless a figure or a status says otherwise.
OPEN = "open"
ALL = "all"
STATUS_CHOICES = [(OPEN, "未办结（在办）"), (ALL, "全部状态"), *Status.choices]
DUE_CHOICES = [("overdue", "已超时"), ("today", "今日到期")]
UNASSIGNED = "none"
EVALUATION_NONE = "none"


def queue_allowed(user: Any) -> bool:
    """The queue is the list behind every figure: open to everyone who may see the figures."""
    return bool(user.is_authenticated and user.role != Role.RESIDENT)


# Who may act on a selection: those who steer or own cases at some level. Each case is still checked
# by the cases' own rules (``rules.can_steer`` to dispatch, ``rules.is_manager`` to 督办).
BULK_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_CHIEF,
                        Role.GRID_WORKER, Role.DEPARTMENT_STAFF})


def bulk_allowed(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in BULK_ROLES))


# --- the filter -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is asked for, read and checked from a query string (``queue_filter``)."""

    figure: str = ""
    period: str = ""
    start: dt.date | None = None
    last: dt.date | None = None  # inclusive: the report dates run to the end of this day
    region: Region | None = None
    grid: Grid | None = None
    department: Department | None = None
    category: Category | None = None
    group: str = ""
    status: str = ""
    level: str = ""
    closed_level: str = ""
    channel: str = ""
    month: str = ""
    closed_month: str = ""
    due: str = ""
    evaluation: str = ""
    assignee: int | None = None
    unassigned: bool = False
    rest: bool = False
    q: str = ""

    @property
    def end(self) -> dt.date | None:
        return self.last + dt.timedelta(days=1) if self.last is not None else None

    @property
    def effective_status(self) -> str:
        return self.status or ("" if self.figure else OPEN)

    def params(self) -> dict[str, str]:
        """The query string that asks for this filter again (pages, exports, the print view)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("start", "last") and self.period:
                continue
            if value in (None, "", False):
                continue
            if f.name == "last":
                out["end"] = value.isoformat()
            elif isinstance(value, dt.date):
                out[f.name] = value.isoformat()
            elif isinstance(value, Region | Grid | Department | Category):
                out[f.name] = value.code
            elif f.name == "unassigned":
                out["assignee"] = UNASSIGNED
            elif value is True:
                out[f.name] = "1"
            else:
                out[f.name] = str(value)
        return out

    def without(self, *names: str) -> "QueueFilter":
        """The same filter less some of its parts (the heading's chips take one away each)."""
        empty: dict[str, Any] = {f.name: f.default for f in fields(self) if f.name in names}
        if "period" in names:
            empty.update(start=None, last=None)
        return replace(self, **empty)


def _choice(value: str, allowed: Iterable[str], what: str) -> str:
    if value and value not in allowed:
        raise Invalid(f"没有这个{what}：{value}")
    return value


def _date(value: str, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{what}应写作 年-月-日（如 2026-05-01）：{value}") from None


def queue_filter(user: User, params: Mapping[str, Any], *, today: dt.date | None = None) -> QueueFilter:
    """The filter a query string asks for. A region or grid outside the user's scope answers 404 like
    a missing one; anything else that cannot be read is refused (``Invalid``) in Chinese."""
    require(queue_allowed(user), "无权查看事件列表")

    def get(name: str) -> str:
        return str(params.get(name) or "").strip()

    today = today or timezone.localdate()
    period, start, last = get("period"), None, None
    if period:
        _choice(period, PRESETS, "统计期")
        start, last = preset_period(period, today)
    else:
        start, last = _date(get("start"), "起始日期"), _date(get("end"), "截止日期")
        if start is not None and last is not None and last < start:
            raise Invalid("截止日期不能早于起始日期")
    region = figures_region_get_for_user(user, get("region")) if get("region") else None
    grid = figures_grid_get_for_user(user, get("grid")) if get("grid") else None
    department = None
    if get("department"):
        department = Department.objects.filter(code=get("department")).select_related("region").first()
        if department is None:
            raise Invalid(f"没有这个职能部门：{get('department')}")
    category = None
    if get("category"):
        category = Category.objects.filter(code=get("category")).first()
        if category is None:
            raise Invalid(f"没有这个事件类别：{get('category')}")
    for name in ("month", "closed_month"):
        if get(name):
            month_range(get(name))
    assignee, unassigned = None, False
    if get("assignee") == UNASSIGNED:
        unassigned = True
    elif get("assignee"):
        try:
            assignee = int(get("assignee"))
        except ValueError:
            raise Invalid(f"承办人应为编号：{get('assignee')}") from None
    return QueueFilter(
        figure=_choice(get("figure"), FIGURE_NAMES, "统计项"), period=period, start=start, last=last,
        region=region, grid=grid, department=department, category=category, group=get("group")[:30],
        status=_choice(get("status"), [v for v, _ in STATUS_CHOICES], "状态"),
        level=_choice(get("level"), HandlingLevel.values, "处置层级"),
        closed_level=_choice(get("closed_level"), HandlingLevel.values, "办结层级"),
        channel=_choice(get("channel"), Channel.values, "来源"), month=get("month"),
        closed_month=get("closed_month"), due=_choice(get("due"), [v for v, _ in DUE_CHOICES], "时限筛选"),
        evaluation=_choice(get("evaluation"), [*Evaluation.values, EVALUATION_NONE], "评价"),
        assignee=assignee, unassigned=unassigned, rest=get("rest") == "1", q=get("q")[:50],
    )


# --- the list -------------------------------------------------------------------------------------


def _today(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    day = timezone.localtime(now).date()
    first = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return first, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def due_today_q(now: dt.datetime) -> Q:
    """Open cases whose current step falls due today (the county's day)."""
    first, following = _today(now)
    return Q(status__in=OPEN_STATUSES, due_at__gte=first, due_at__lt=following)


def overdue_q(now: dt.datetime) -> Q:
    """The figures' 超时未办结: open, past the step's or the closure's deadline."""
    return figure_q(now, now)["overdue_open"]


OPEN_Q = Q(status__in=[*OPEN_STATUSES, Status.SUSPENDED])


def _filtered(user: User, f: QueueFilter, now: dt.datetime) -> QuerySet[Case]:
    """The cases the filter asks for in the user's scope, unordered."""
    status = f.effective_status
    # A list narrowed to some statuses (the open cases, the overdue) is found by its status; SQLite is
    # kept off the place and date indexes, which would walk the whole township or county.
    by_status = bool(status and status != ALL) or bool(f.due)
    qs = figure_case_list(
        user, figure=f.figure, start=f.start, end=f.end, region=f.region, grid=f.grid, department=f.department,
        category=f.category, group=f.group, month=f.month, closed_month=f.closed_month,
        closed_level=f.closed_level, rest=f.rest, now=now, indexed=False if by_status else None,
    )
    if status == OPEN:
        qs = qs.filter(OPEN_Q)
    elif status != ALL and status:
        qs = qs.filter(status=status)
    if f.level:
        qs = qs.filter(handling_level=f.level)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.due == "overdue":
        qs = qs.filter(overdue_q(now))
    elif f.due == "today":
        qs = qs.filter(due_today_q(now))
    if f.evaluation:
        qs = qs.filter(evaluation="" if f.evaluation == EVALUATION_NONE else f.evaluation)
    if f.assignee is not None:
        qs = qs.filter(assignee_user_id=f.assignee)
    elif f.unassigned:
        qs = qs.filter(assignee_user__isnull=True)
    if f.q:
        qs = qs.filter(Q(number__startswith=f.q) | Q(title__contains=f.q))
    return qs


PROBE = 2_000  # a list this long or shorter is read whole (ids and order keys) and ordered here


def _urgency(now: dt.datetime) -> CaseWhen:
    return CaseWhen(When(overdue_q(now), then=Value(0)), When(OPEN_Q, then=Value(1)), default=Value(2),
                    output_field=IntegerField())


def _urgent_first(qs: QuerySet[Case], now: dt.datetime) -> QuerySet[Case]:
    """Overdue first, then the other open cases by their step's deadline (soonest first), then the rest
    by number, latest first. (A case that is not open has no step deadline: ``rules.set_step_clock``.)"""
    return qs.annotate(urgency=_urgency(now)).order_by("urgency", F("due_at").asc(nulls_last=True), "-id")


def _probe(qs: QuerySet[Case], now: dt.datetime) -> list[int] | None:
    """The ids of a list of at most ``PROBE`` cases in ``_urgent_first``'s order, read in one query
    that stops at ``PROBE + 1`` rows; None for a longer list."""
    rows = list(qs.annotate(urgency=_urgency(now)).order_by().values_list("pk", "urgency", "due_at")[:PROBE + 1])
    if len(rows) > PROBE:
        return None
    rows.sort(key=lambda r: (r[1], r[2] is None, r[2].timestamp() if r[2] is not None else 0.0, -r[0]))
    return [pk for pk, _, _ in rows]


def queue_list(user: User, f: QueueFilter, *, now: dt.datetime | None = None) -> QuerySet[Case]:
    """The cases the filter asks for in the user's scope, most urgent first (``_urgent_first``), with
    what their rows show: the whole list, for the sheet and the printed page."""
    now = now or timezone.now()
    return _urgent_first(_filtered(user, f, now), now).select_related(*LIST_RELATED, "suggested_category").defer(
        "grid__boundary", "region__boundary")


class _Counted(Paginator):  # type: ignore[type-arg]
    """A paginator told its count (``queue_page`` counts beside the page)."""

    def __init__(self, total: int, per_page: int) -> None:
        super().__init__([], per_page)
        self.total = total

    @cached_property
    def count(self) -> int:
        return self.total


def queue_page(user: User, f: QueueFilter, number: Any, *, size: int = PAGE_SIZE,
               now: dt.datetime | None = None) -> Page:  # type: ignore[type-arg]
    """One page of ``queue_list`` in its order, found so that no query sorts a county's cases: a list
    of up to ``PROBE`` cases (the open ones, the overdue, most figures of a township) is read whole in
    one query and ordered here; a longer one is counted, its open cases (few) ordered as such, and past
    them the rest read by number from the primary key, which stops after a page. Then the page's cases
    with what their rows show, by id. A page past the end gives the last."""
    now = now or timezone.now()
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    cases = _filtered(user, f, now)
    found = _probe(cases, now)
    total = len(found) if found is not None else cases.count()
    number = min(number, max(1, -(-total // size)))
    low, high = (number - 1) * size, number * size
    if found is not None:
        ids = found[low:high]
    else:
        only_open = f.effective_status == OPEN or bool(f.due)
        opened = None if only_open else _probe(cases.filter(OPEN_Q), now)
        if opened is not None:
            n_open, ids = len(opened), opened[low:high]
        else:
            n_open = total if only_open else cases.filter(OPEN_Q).count()
            ids = list(_urgent_first(cases if only_open else cases.filter(OPEN_Q), now).values_list(
                "pk", flat=True)[low:min(high, n_open)]) if low < n_open else []
        if high > n_open and total > n_open:
            skip = max(0, low - n_open)
            ids += cases.exclude(OPEN_Q).order_by("-id").values_list("pk", flat=True)[
                skip:skip + high - max(low, n_open)]
    by_id = (Case.objects.select_related(*LIST_RELATED, "suggested_category")
             .defer("grid__boundary", "region__boundary").in_bulk(ids))
    return Page([by_id[pk] for pk in ids], number, _Counted(total, size))


def queue_node_name(user: User, f: QueueFilter) -> str:
    node = f.grid or f.region or home_node(user)
    return node.name if node is not None else "我的网格"


def queue_title(user: User, f: QueueFilter) -> list[str]:
    """What the list is, in words, most telling first: 「超时未办结 · 下洼镇 · 下洼供电所」."""
    if f.figure:
        what = FIGURE_NAMES[f.figure]
    elif f.due:
        what = dict(DUE_CHOICES)[f.due]
    else:
        what = dict(STATUS_CHOICES)[f.effective_status] if f.effective_status not in (OPEN, ALL) else (
            "未办结事件" if f.effective_status == OPEN else "全部事件")
    parts = [what, queue_node_name(user, f)]
    if f.rest:
        parts.append("本级（未落入下级）")
    if f.department is not None:
        parts.append(f.department.name)
    if f.category is not None:
        parts.append(f.category.name)
    if f.group:
        parts.append(f.group)
    if f.month:
        parts.append(f"{f.month[:4]}年{int(f.month[5:7])}月上报")
    if f.closed_month:
        parts.append(f"{f.closed_month[:4]}年{int(f.closed_month[5:7])}月办结")
    if f.closed_level:
        parts.append(f"在{HandlingLevel(f.closed_level).label}办结")
    if f.level:
        parts.append(f"现由{HandlingLevel(f.level).label}办理")
    if f.channel:
        parts.append(Channel(f.channel).label)
    if f.evaluation:
        parts.append("未评价" if f.evaluation == EVALUATION_NONE else Evaluation(f.evaluation).label)
    if f.figure and f.due:
        parts.append(dict(DUE_CHOICES)[f.due])
    if f.unassigned:
        parts.append("未指派到个人")
    return parts


# --- the rows -------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    """Where routing would send a case (its category and the duty lists for the place)."""

    level: str
    department: Department | None

    @property
    def label(self) -> str:
        return self.department.name if self.department is not None else HandlingLevel(self.level).label


def dispatch_suggestion(case: Case) -> Suggestion | None:
    """Routing's answer for the case as it stands, for one inside a grid; None for one outside every
    grid (the township's triage decides those)."""
    if case.lon is None or case.lat is None:
        return None
    where = case_route_preview(category=case.category, lon=case.lon, lat=case.lat, fallback_region=case.region)
    if where.triage:
        return None
    return Suggestion(where.level, where.department if where.level == HandlingLevel.DEPARTMENT else None)


DISPATCHABLE = (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED)


@dataclass
class CategoryHint:
    """The category suggester's first choice for a case's words where it differs from the case's category,
    and where that category would send it: the dispatcher's cue to 改类别."""

    category: Category
    score: float
    route: Suggestion | None

    @property
    def label(self) -> str:
        to = f" → {self.route.label}" if self.route is not None else ""
        return f"{self.category.name}（把握 {share_text(self.score)}）{to}"


def category_hint(case: Case) -> CategoryHint | None:
    suggested = case.suggested_category
    if suggested is None or suggested.pk == case.category_id:
        return None
    route = None
    if case.lon is not None and case.lat is not None:
        where = case_route_preview(category=suggested, lon=case.lon, lat=case.lat, fallback_region=case.region)
        if not where.triage:
            route = Suggestion(where.level, where.department if where.level == HandlingLevel.DEPARTMENT else None)
    if route is None:  # outside every grid: the catalog's own answer
        route = Suggestion(suggested.default_level, None)
    return CategoryHint(suggested, case.suggested_score or 0.0, route)


@dataclass
class QueueRow:
    case: Case
    overdue: bool
    step_overdue: bool
    suggestion: Suggestion | None = None
    category_hint: CategoryHint | None = None

    @property
    def place(self) -> str:
        c = self.case
        return f"{c.region.name} · {c.grid.name}" if c.grid is not None else c.region.name

    @property
    def person(self) -> str:
        """The person holding the case, by name (never the login); "" for none."""
        person = self.case.assignee_user
        if person is None:
            return ""
        return (person.full_name or "").strip() or f"{person.get_role_display()}（未填姓名）"

    @property
    def holder(self) -> str:
        """Who holds the case: the department, else the level, then the person by name."""
        c = self.case
        where = c.assignee_department.name if c.assignee_department is not None else c.get_handling_level_display()
        return f"{where} · {self.person}" if self.person else where


def queue_rows(cases: Iterable[Case], *, now: dt.datetime | None = None, suggest: bool = True) -> list[QueueRow]:
    """The page's rows: overdue marks as the figures count them, and routing's suggestion for a case
    still to be dispatched (worked out in memory: routing keeps its tables)."""
    now = now or timezone.now()
    out = []
    for c in cases:
        is_open = c.status in OPEN_STATUSES
        overdue = is_open and (c.overdue_at is not None or (c.close_due_at is not None and c.close_due_at < now))
        step_overdue = is_open and c.due_at is not None and c.due_at < now
        waiting = suggest and c.status in DISPATCHABLE
        suggestion = dispatch_suggestion(c) if waiting else None
        out.append(QueueRow(c, overdue, step_overdue, suggestion, category_hint(c) if waiting else None))
    return out


# --- where a dispatcher may send cases ------------------------------------------------------------


def dispatch_departments(user: User) -> QuerySet[Department]:
    """The active departments a user may dispatch to: those of the places under him and those above
    him (the township's and the county's, where 吹哨报到 reaches)."""
    node = home_node(user)
    paths = [node.path] if node is not None else list(scope_of(user).paths)
    if not paths:
        return Department.objects.none()
    above = {a for p in paths for a in ancestor_paths(p)}
    below = reduce(or_, (Q(region__path__startswith=p) for p in paths))
    return (Department.objects.filter(Q(region__path__in=above) | below, is_active=True)
            .select_related("region").defer("region__boundary").order_by("region__path", "code"))


# Dispatch targets: routing's suggestion for each case, a level, or a department.
SUGGESTED = "suggested"
DISPATCH_LEVELS = [HandlingLevel.GRID, HandlingLevel.VILLAGE, HandlingLevel.TOWNSHIP, HandlingLevel.COUNTY]


# --- bulk actions ---------------------------------------------------------------------------------


@dataclass
class BulkItem:
    case_id: int
    number: str
    title: str
    ok: bool
    message: str
    code: str = ""


@dataclass
class BulkOutcome:
    action: str
    supervised: bool
    items: list[BulkItem] = field(default_factory=list)

    @property
    def done(self) -> list[BulkItem]:
        return [i for i in self.items if i.ok]

    @property
    def refused(self) -> list[BulkItem]:
        return [i for i in self.items if not i.ok]

    @property
    def summary(self) -> str:
        verb = "派遣" if self.action == "dispatch" else "督办"
        text = f"已{verb} {len(self.done)} 件"
        if self.action == "dispatch" and self.supervised:
            text += "并督办"
        if self.refused:
            text += f"，{len(self.refused)} 件未能{verb}"
        return text


def _ids(values: Iterable[Any]) -> list[int]:
    out: list[int] = []
    for v in values:
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise Invalid("所选事件的编号不正确") from None
        if n not in out:
            out.append(n)
    if not out:
        raise Invalid("请先勾选要处理的事件")
    if len(out) > BULK_MAX:
        raise Invalid(f"一次最多处理 {BULK_MAX} 件，请分批操作")
    return out


def _target(user: User, to: str, department_code: str) -> tuple[str, Department | None]:
    """(level or SUGGESTED, department) of a dispatch, checked before any case is touched."""
    to = to or SUGGESTED
    if to == HandlingLevel.DEPARTMENT or department_code:
        if not department_code:
            return HandlingLevel.DEPARTMENT, None  # routing picks the department of each case's category
        department = dispatch_departments(user).filter(code=department_code).first()
        if department is None:
            raise Invalid(f"不能派往该职能部门：{department_code}")
        return HandlingLevel.DEPARTMENT, department
    if to != SUGGESTED and to not in DISPATCH_LEVELS:
        raise Invalid(f"没有这个派遣去向：{to}")
    return to, None


def _dispatch_one(user: User, case: Case, level: str, department: Department | None, note: str,
                  supervise_note: str) -> str:
    """Dispatch one case (accepting it first if it still waits) and 督办 it where asked; the words
    saying what was done."""
    done = []
    if level == SUGGESTED:
        suggestion = dispatch_suggestion(case)
        if suggestion is None:
            raise Invalid("没有派遣建议（不在任何网格内），请选择派往哪一级或哪个部门")
        level, department = suggestion.level, suggestion.department
    if case.status == Status.REPORTED:
        services.case_accept(case=case, actor=user, note="派遣时一并受理")
        done.append("受理")
    services.case_dispatch(case=case, actor=user, level=level, department=department, note=note)
    where = case.assignee_department.name if case.assignee_department is not None else \
        HandlingLevel(case.handling_level).label
    done.append(f"派遣至{where}")
    if supervise_note:
        services.case_supervise(case=case, actor=user, note=supervise_note)
        done.append("督办")
    return "已" + "、".join(done)


def case_bulk_act(user: User, *, ids: Iterable[Any], action: str, to: str = SUGGESTED, department: str = "",
                  note: str = "", supervise: bool = False) -> BulkOutcome:
    """Dispatch or 督办 the selected cases, each through the cases' own services in a transaction of its
    own: a case takes every step asked (受理, 派遣, 督办) or none. ``supervise`` adds a 督办 with ``note``
    as its reason to each dispatch. Checked before anything is written: the role, the ids (cases outside
    the user's scope answer 404 for the whole request), the target and the 督办 reason. A case the
    user may not steer, or whose state refuses the step, is reported with the reason and left as it was;
    if the user may steer none of them, the request is refused (403)."""
    require(bulk_allowed(user), "无权批量派遣或督办")
    wanted = _ids(ids)
    if action not in ("dispatch", "supervise"):
        raise Invalid(f"没有这个批量操作：{action}")
    note = (note or "").strip()
    supervising = action == "supervise" or supervise
    if supervising and len(note) < 2:
        raise Invalid("请填写督办意见（至少两个字）")
    if len(note) > 500:
        raise Invalid("说明不能超过 500 个字")
    level, target_department = _target(user, to, department) if action == "dispatch" else ("", None)
    found = {c.pk: c for c in Case.objects.filter(rules.case_scope_q(user), pk__in=wanted)
             .select_related("category", "grid", "region", "assignee_department", "assignee_user")
             .defer("grid__boundary", "region__boundary")}
    if len(found) != len(wanted):
        raise NotFound
    outcome = BulkOutcome(action=action, supervised=action == "dispatch" and supervise)
    allowed = rules.is_manager if supervising else rules.can_steer
    refusal = "只有乡镇、区县管理人员可以督办" if supervising else "只有本级承办人员或上级管理人员可以派遣"
    permitted = [found[pk] for pk in wanted if allowed(user, found[pk])]
    if not permitted:
        raise Forbidden(f"所选事件都不能由您处理：{refusal}")
    for pk in wanted:
        case = found[pk]
        item = BulkItem(case.pk, case.number, case.title, ok=False, message="")
        outcome.items.append(item)
        if case not in permitted:
            item.message, item.code = refusal, Forbidden.code
            continue
        try:
            with transaction.atomic():
                if action == "dispatch":
                    item.message = _dispatch_one(user, case, level, target_department,
                                                 "" if supervise else note, note if supervise else "")
                else:
                    services.case_supervise(case=case, actor=user, note=note)
                    item.message = "已督办"
        except (Invalid, Forbidden) as exc:
            item.message, item.code = str(exc), exc.code
        else:
            item.ok = True
    return outcome
