"""Workload (工作量): per person holding cases and per department, in the user's scope — open, overdue,
due today, closed this month and the mean hours those took — each number the length of a list the
queue gives (``queue.queue_list`` with ``assignee`` or ``department``), counted by the same filters.

One grouped pass over the scope's cases that are open or closed this month, by (person, department);
two small lookups name them. People by name, never by login."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.models import Case
from xiangzhi.centre.figures import HoursBetween, NoIndex, figure_q, month_range, scope_cases, spans_a_county
from xiangzhi.centre.queue import OPEN, due_today_q, overdue_q
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Department, Grid, Region

WORKLOAD_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_CHIEF,
                            Role.DEPARTMENT_STAFF})


def workload_allowed(user: Any) -> bool:
    """Those who steer or supervise others' cases: township and county, village cadres, grid chiefs,
    a department for its own staff."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in WORKLOAD_ROLES))


@dataclass
class Load:
    key: str  # the person's id or the department's code; "" for cases held by no one person
    name: str
    open: int = 0
    overdue: int = 0
    due_today: int = 0
    closed: int = 0  # closed this month
    hours: float = 0.0  # summed over those

    @property
    def mean_hours(self) -> float | None:
        return round(self.hours / self.closed, 1) if self.closed else None

    def add(self, row: dict[str, Any]) -> None:
        self.open += row["open"]
        self.overdue += row["overdue"]
        self.due_today += row["due_today"]
        self.closed += row["closed"]
        self.hours += row["hours"] or 0.0


@dataclass
class Workload:
    month: str  # YYYY-MM: "closed this month" is closed in it
    people: list[Load] = field(default_factory=list)
    unassigned: Load = field(default_factory=lambda: Load("", "未指派到个人"))
    departments: list[Load] = field(default_factory=list)


def _busiest_first(load: Load) -> tuple[int, int, str]:
    return -load.overdue, -load.open, load.name


def _person_name(full_name: str, role: str) -> str:
    return (full_name or "").strip() or f"{Role(role).label}（未填姓名）"


def workload_rows(user: User, *, region: Region | None = None, grid: Grid | None = None,
                  now: dt.datetime) -> QuerySet[Case, dict[str, Any]]:
    """The one grouped query: per (person, department), the counts of the scope's cases that are open
    or were closed this month."""
    require(workload_allowed(user), "无权查看工作量")
    first, following = month_range(f"{timezone.localtime(now):%Y-%m}")
    q = figure_q(now, now)
    open_q = q[OPEN]
    closed_q = q["closed"] & Q(closed_at__gte=first, closed_at__lt=following)
    # Over a whole county SQLite reads the table once; the groups' keys are not taken from an index
    # (walking one row by row to save a sort is slower).
    cases = scope_cases(user, region=region, grid=grid, indexed=not spans_a_county(user, region, grid, None))
    return (cases.filter(open_q | closed_q)
            .annotate(person=NoIndex(F("assignee_user_id"), output_field=IntegerField()),
                      unit=NoIndex(F("assignee_department_id"), output_field=IntegerField()))
            .values("person", "unit").order_by()
            .annotate(open=Count("id", filter=open_q), overdue=Count("id", filter=overdue_q(now)),
                      due_today=Count("id", filter=due_today_q(now)), closed=Count("id", filter=closed_q),
                      hours=Sum(HoursBetween(F("created_at"), F("closed_at")), filter=closed_q)))


def workload_for_user(user: User, *, region: Region | None = None, grid: Grid | None = None,
                      now: dt.datetime | None = None) -> Workload:
    """Per person holding cases (``Case.assignee_user``) and per department in the user's scope, under
    the region or grid where given (404 outside the scope): open, overdue, due today, closed this month
    (the county's calendar month) and their mean hours from report to closure."""
    now = now or timezone.now()
    month = f"{timezone.localtime(now):%Y-%m}"
    rows = workload_rows(user, region=region, grid=grid, now=now)
    out = Workload(month=month)
    people: dict[int, Load] = {}
    departments: dict[int, Load] = {}
    for row in rows:
        person, department = row["person"], row["unit"]
        if person is None:
            out.unassigned.add(row)
        else:
            people.setdefault(person, Load(str(person), "")).add(row)
        if department is not None:
            departments.setdefault(department, Load("", "")).add(row)
    names = {pk: _person_name(full_name, role) for pk, full_name, role in
             User.objects.filter(pk__in=people).values_list("pk", "full_name", "role")}
    for pk, load in people.items():
        load.name = names.get(pk, "（已删除的账号）")
    for pk, code, name in Department.objects.filter(pk__in=departments).values_list("pk", "code", "name"):
        departments[pk].key, departments[pk].name = code, name
    out.people = sorted(people.values(), key=_busiest_first)
    out.departments = sorted(departments.values(), key=_busiest_first)
    return out
