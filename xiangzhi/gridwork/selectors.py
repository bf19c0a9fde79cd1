"""Scoped reads of grid work: due visits, the worker's cases, patrols, per-worker and per-grid figures.

Due visits are computed, never stored: a key person's due date is the date of the last visit that
met them (or, never met, the registration date) plus the category's visit cycle; they are due when
that date is today or earlier and overdue when it is before today.
"""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.cases.models import Case as CaseRecord
from xiangzhi.cases.selectors import case_list_for_user, inbox_for_user
from xiangzhi.gridwork.models import COUNTING_OUTCOMES, DailyLog, Patrol, TrackPoint, Visit, VisitPhoto
from xiangzhi.gridwork.rules import can_patrol, can_supervise
from xiangzhi.people.models import KeyPerson
from xiangzhi.people.selectors import VisitCycles, visit_cycles
from xiangzhi.regions.models import Grid, GridAssignment
from xiangzhi.regions.selectors import WORKER_DUTIES

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

KEY_PERSON_GRID_PATH = "resident__household__grid__path"


# --- due visits -------------------------------------------------------------------------------


@dataclass
class DueVisit:
    key_person: KeyPerson
    last_visited_at: dt.datetime | None
    due_on: dt.date
    days_overdue: int  # > 0 overdue, 0 due today, < 0 due in that many days
    cycle_days: int = 0  # the cycle in force where the person lives (the township's own, else the county's)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0


class _Basis(TypedDict):
    last_visited_at: dt.datetime | None
    basis_on: dt.date


def _key_people_with_basis(user: User) -> "QuerySet[WithAnnotations[KeyPerson, _Basis]]":
    """Active key people in scope, each with ``last_visited_at`` (the last visit that met them) and
    ``basis_on`` (that visit's local date, or the registration date): correlated subqueries on the
    (key person, visited_at) index."""
    last = Visit.objects.filter(key_person=OuterRef("pk"), outcome__in=COUNTING_OUTCOMES).order_by("-visited_at")
    return (
        KeyPerson.objects.filter(
            scope_of(user).q(KEY_PERSON_GRID_PATH, "resident__household_id"), is_active=True, category__is_active=True
        )
        .annotate(last_visited_at=Subquery(last.values("visited_at")[:1]))
        .annotate(basis_on=Coalesce(Subquery(last.values("visited_on")[:1]), F("registered_on")))
    )


def _cycles() -> VisitCycles:
    return visit_cycles()


def _due_by(user: User, cycles: VisitCycles, deadline: dt.date) -> Q:
    """Key people whose due date (basis + cycle) is on or before ``deadline``: basis ≤ the category's
    cutoff. One CASE rather than an OR per category, which would lead the planner to walk each
    category's index over the whole county instead of starting from the scope's grids. A township that
    keeps its own cycle for a category (configuration) is a condition on the path only where the scope
    spans more than that township; inside it, its cycle simply replaces the county's."""
    scope = scope_of(user)
    base, partial = cycles.within(scope.paths, scope.everything)
    if not base:
        return Q(pk__in=[])
    whens = [When(Q(category_id=cid, **{f"{KEY_PERSON_GRID_PATH}__startswith": township}),
                  then=Value(deadline - dt.timedelta(days=days))) for township, cid, days in partial]
    whens += [When(category_id=cid, then=Value(deadline - dt.timedelta(days=days))) for cid, days in base.items()]
    return Q(basis_on__lte=Case(*whens, output_field=DateField()))


def visits_due_for_user(
    user: User, *, on: dt.date | None = None, within_days: int = 0, grid: Grid | None = None
) -> list[DueVisit]:
    """Key people in scope due for a visit by ``on`` + ``within_days``, most overdue first."""
    on = on or timezone.localdate()
    cycles = _cycles()
    qs = _key_people_with_basis(user).filter(_due_by(user, cycles, on + dt.timedelta(days=within_days)))
    if grid is not None:
        qs = qs.filter(resident__household__grid__path__startswith=grid.path)
    qs = qs.select_related("resident", "resident__household", "resident__household__grid", "category").defer(
        "resident__household__grid__boundary"
    )
    rows = []
    for kp in qs:
        days = cycles.days(kp.category_id, kp.resident.household.grid.path) or 0
        due_on = kp.basis_on + dt.timedelta(days=days)
        rows.append(DueVisit(kp, kp.last_visited_at, due_on, (on - due_on).days, days))
    rows.sort(key=lambda r: (-r.days_overdue, r.key_person.resident.household.number, r.key_person.pk))
    return rows


def key_person_get_for_user(user: User, key_person_id: int) -> KeyPerson:
    return get_in_scope_or_404(
        KeyPerson.objects.select_related("resident", "resident__household", "resident__household__grid", "category"),
        scope_of(user).q(KEY_PERSON_GRID_PATH, "resident__household_id"),
        pk=key_person_id, is_active=True,
    )


@dataclass
class GridOverdue:
    grid: Grid
    key_people: int
    overdue: int


def _basic_grid_id(grid_id: int, parents: dict[int, int | None]) -> int:
    # Micro-grids share their grid's staff, so their people count under the basic grid.
    while parent := parents.get(grid_id):
        grid_id = parent
    return grid_id


def visits_overdue_count_for_user(user: User, *, on: dt.date | None = None) -> int:
    """How many key people in scope are overdue for a visit (the same rule as the per-grid list), in
    one COUNT: the home page's line, without loading every grid of a county."""
    on = on or timezone.localdate()
    return _key_people_with_basis(user).filter(_due_by(user, _cycles(), on - dt.timedelta(days=1))).count()


def grid_overdue_list_for_user(user: User, *, on: dt.date | None = None) -> list[GridOverdue]:
    """Per basic grid in scope: active key people and how many of them are overdue, most overdue first."""
    on = on or timezone.localdate()
    base = _key_people_with_basis(user)
    grid_field = "resident__household__grid_id"
    totals = dict(base.values_list(grid_field).annotate(n=Count("id")).order_by())
    overdue = dict(
        base.filter(_due_by(user, _cycles(), on - dt.timedelta(days=1))).values_list(grid_field)
        .annotate(n=Count("id"))
        .order_by()
    )
    grids = Grid.objects.filter(scope_of(user).q("path")).select_related("region").defer("boundary",
                                                                                          "region__boundary")
    by_id = {g.id: g for g in grids}
    parents = {g.id: g.parent_id for g in by_id.values()}
    rolled: dict[int, list[int]] = {}
    for grid_id, n in totals.items():
        row = rolled.setdefault(_basic_grid_id(grid_id, parents), [0, 0])
        row[0] += n
        row[1] += overdue.get(grid_id, 0)
    rows = [GridOverdue(by_id[gid], n, late) for gid, (n, late) in rolled.items() if gid in by_id]
    rows.sort(key=lambda r: (-r.overdue, r.grid.code))
    return rows


# --- the worker's cases ----------------------------------------------------------------------


@dataclass
class WorkerCase:
    case: CaseRecord
    is_overdue: bool
    due_soon: bool  # past the step's warning time, not yet overdue


@dataclass
class WorkerCases:
    total: int
    overdue: int
    first: list[WorkerCase]  # the most urgent of them


def worker_cases(user: User, *, now: dt.datetime | None = None, limit: int = 10) -> WorkerCases:
    """The cases waiting on the user (their inbox, ``inbox_for_user``), most urgent first: overdue
    ones, then by the current step's due time, cases without a running clock (缓办) last. Two
    queries however many cases wait."""
    now = now or timezone.now()
    inbox = inbox_for_user(user)
    late = Q(overdue_at__isnull=False) | Q(due_at__lte=now)
    counts = inbox.aggregate(total=Count("id"), overdue=Count("id", filter=late))
    # A CASE rather than the bare condition, which PostgreSQL makes NULL (FALSE OR NULL) for a case
    # without a clock.
    urgency = Case(When(late, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = inbox.annotate(urgency=urgency).order_by("urgency", F("due_at").asc(nulls_last=True), "id")[:limit]
    first = [
        WorkerCase(c, c.urgency == 0, c.urgency != 0 and c.warn_at is not None and c.warn_at <= now) for c in rows
    ]
    return WorkerCases(counts["total"], counts["overdue"], first)


# --- patrols ----------------------------------------------------------------------------------


def _patrol_scope_q(user: User) -> Q:
    """Supervisors see patrols on grids in their scope; a worker sees their own; others nothing."""
    if can_supervise(user):
        return scope_of(user).q("grid__path") | Q(worker=user)
    if can_patrol(user):
        return Q(worker=user)
    return Q(pk__in=[])


def patrol_list_for_user(user: User, *, worker: User | None = None) -> QuerySet[Patrol]:
    qs = Patrol.objects.filter(_patrol_scope_q(user)).select_related("worker", "grid", "grid__region").defer(
        "grid__boundary", "grid__region__boundary"
    )
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs.order_by("-started_at", "-id")


def patrol_get_for_user(user: User, patrol_id: int) -> Patrol:
    return get_in_scope_or_404(
        Patrol.objects.select_related("worker", "grid", "grid__region"), _patrol_scope_q(user), pk=patrol_id
    )


def patrol_get_own(user: User, patrol_id: int) -> Patrol:
    """The user's own patrol, for writing to it; anybody else's answers 404 like a missing one."""
    return get_in_scope_or_404(Patrol.objects.select_related("grid"), Q(worker=user), pk=patrol_id)


def patrol_open_for_user(user: User) -> Patrol | None:
    return Patrol.objects.filter(worker=user, ended_at__isnull=True).select_related("grid").first()


def patrol_track(patrol: Patrol) -> list[tuple[float, float, float | None]]:
    """The track as (lat, lon, accuracy) in time order: lat first, the way Leaflet takes points."""
    fixes = patrol.points.order_by("recorded_at").values_list("lon", "lat", "accuracy_m")
    return [(lat, lon, acc) for lon, lat, acc in fixes]


@dataclass(frozen=True)
class PatrolPosition:
    """Where a running patrol was last seen: its latest fix."""

    patrol_id: int
    worker_id: int
    worker_name: str  # empty when the account has no name on it
    worker_role: str
    grid_code: str
    grid_name: str
    started_at: dt.datetime
    lon: float
    lat: float
    recorded_at: dt.datetime


def patrol_position_list_for_user(user: User, *, path: str = "") -> list[PatrolPosition]:
    """The last fix of each patrol in progress that the user may see (the supervisors' rule of
    ``patrol_list_for_user``), optionally on the grids under ``path``; a patrol without a fix yet has
    no position. Two queries however many patrols run: the patrols with the id of their latest fix
    (read backwards on the (patrol, recorded_at) index), then those fixes."""
    latest = TrackPoint.objects.filter(patrol=OuterRef("pk")).order_by("-recorded_at").values("id")[:1]
    patrols = Patrol.objects.filter(_patrol_scope_q(user), ended_at__isnull=True)
    if path:
        patrols = patrols.filter(grid__path__startswith=path)
    rows = list(patrols.annotate(last_id=Subquery(latest)).filter(last_id__isnull=False).values_list(
        "pk", "worker_id", "worker__full_name", "worker__role", "grid__code", "grid__name", "started_at", "last_id"))
    fixes = {pk: (lon, lat, at) for pk, lon, lat, at in TrackPoint.objects.filter(
        pk__in=[r[-1] for r in rows]).values_list("pk", "lon", "lat", "recorded_at")} if rows else {}
    out = [PatrolPosition(pk, worker, name, role, code, grid_name, started, *fixes[last])
           for pk, worker, name, role, code, grid_name, started, last in rows if last in fixes]
    return sorted(out, key=lambda p: (p.grid_code, p.worker_id))


@dataclass
class PatrolActivity:
    cases: list[CaseRecord]
    visits: list[Visit]


def patrol_activity_for_user(user: User, patrol: Patrol, *, now: dt.datetime | None = None) -> PatrolActivity:
    """What the patrol's worker reported and visited while it ran, as far as ``user`` may see it.

    Found by time, not by a link stored on each record: a case belongs to the cases app, which knows
    no patrols, and a report or visit queued on the phone offline still carries its own time. The
    window opens at the start of the patrol's minute because the visit form takes minutes only."""
    since = patrol.started_at.replace(second=0, microsecond=0)
    until = patrol.ended_at or (now or timezone.now())
    cases = case_list_for_user(user).filter(reporter_id=patrol.worker_id, created_at__gte=since,
                                            created_at__lte=until)
    visits = visit_list_for_user(user).filter(visitor_id=patrol.worker_id, visited_at__gte=since,
                                              visited_at__lte=until)
    return PatrolActivity(list(cases.order_by("created_at", "id")[:100]),
                          list(visits.order_by("visited_at", "id")[:100]))


def grid_list_for_worker(user: User) -> QuerySet[Grid]:
    """The grids a worker staffs (not as guide), basic grids first."""
    return (
        Grid.objects.filter(assignments__user=user, assignments__ended_on__isnull=True,
                            assignments__duty__in=WORKER_DUTIES, is_active=True)
        .select_related("region").defer("boundary", "region__boundary").distinct().order_by("level", "code")
    )


# --- daily logs -------------------------------------------------------------------------------


def daily_log_get_for_user(user: User, date: dt.date) -> DailyLog | None:
    return DailyLog.objects.filter(worker=user, date=date).first()


# --- visits -----------------------------------------------------------------------------------


def visit_list_for_user(user: User) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(
            scope_of(user).q(f"key_person__{KEY_PERSON_GRID_PATH}", "key_person__resident__household_id")
        )
        .select_related("key_person", "key_person__resident", "key_person__category", "visitor")
        .order_by("-visited_at", "-id")
    )


def visit_get_for_user(user: User, visit_id: int) -> Visit:
    return get_in_scope_or_404(
        visit_list_for_user(user),
        Q(),
        pk=visit_id,
    )


def visit_history(key_person: KeyPerson, *, limit: int = 5) -> list[Visit]:
    """The key person's latest visits with their photos (the caller has fetched the person in scope)."""
    return list(
        key_person.visits.select_related("visitor")
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("id")))
        .order_by("-visited_at", "-id")[:limit]
    )


def visit_photo_get_for_user(user: User, photo_id: int) -> VisitPhoto:
    """A visit photo, only for those whose scope holds the visited person; otherwise 404."""
    return get_in_scope_or_404(
        VisitPhoto.objects.select_related("visit"),
        scope_of(user).q(f"visit__key_person__{KEY_PERSON_GRID_PATH}", "visit__key_person__resident__household_id"),
        pk=photo_id,
    )


# --- supervision ------------------------------------------------------------------------------


@dataclass
class WorkerSummary:
    user_id: int
    username: str
    name: str
    grids: list[str]
    patrols: int = 0
    distance_m: int = 0
    patrol_seconds: int = 0
    visits: int = 0
    visits_on_time: int = 0
    daily_logs: int = 0

    @property
    def distance_km(self) -> float:
        return round(self.distance_m / 1000, 2)

    @property
    def hours(self) -> float:
        return round(self.patrol_seconds / 3600, 1)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the visits done that were on time, or None without visits."""
        return round(self.visits_on_time / self.visits, 3) if self.visits else None


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in local time."""
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def worker_summaries(user: User, start: dt.date, end: dt.date) -> list[WorkerSummary]:
    """Per worker staffing a grid in scope (chief, full- or part-time), over the days start..end:
    patrols started, distance and hours of finished patrols, visits done and on time, daily logs.
    Four queries whatever the number of workers."""
    scope = scope_of(user)
    since, until = _period(start, end)
    assignments = (
        GridAssignment.objects.filter(scope.q("grid__path"), ended_on__isnull=True, duty__in=WORKER_DUTIES)
        .order_by("grid__code", "id").values_list("user_id", "user__username", "user__full_name", "grid__name")
    )
    rows: dict[int, WorkerSummary] = {}
    for user_id, username, full_name, grid_name in assignments:
        row = rows.setdefault(user_id, WorkerSummary(user_id, username, full_name or username, []))
        row.grids.append(grid_name)
    if not rows:
        return []
    worker_ids = GridAssignment.objects.filter(
        scope.q("grid__path"), ended_on__isnull=True, duty__in=WORKER_DUTIES
    ).values("user_id")

    finished = Q(ended_at__isnull=False)
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    patrols = (
        Patrol.objects.filter(scope.q("grid__path"), worker_id__in=worker_ids, started_at__gte=since,
                              started_at__lt=until)
        .values("worker_id").order_by()
        .annotate(n=Count("id"), distance=Sum("distance_m", filter=finished), seconds=Sum(duration, filter=finished))
    )
    for p in patrols:
        row = rows[p["worker_id"]]
        row.patrols, row.distance_m = p["n"], p["distance"] or 0
        seconds = p["seconds"]
        row.patrol_seconds = int(seconds.total_seconds()) if isinstance(seconds, dt.timedelta) else int(seconds or 0)

    on_time = Q(outcome__in=COUNTING_OUTCOMES, due_on__gte=F("visited_on"))
    visits = (
        Visit.objects.filter(scope.q(f"key_person__{KEY_PERSON_GRID_PATH}"), visitor_id__in=worker_ids,
                             visited_at__gte=since, visited_at__lt=until)
        .values("visitor_id").order_by()
        .annotate(n=Count("id"), timely=Count("id", filter=on_time))
    )
    for v in visits:
        row = rows[v["visitor_id"]]
        row.visits, row.visits_on_time = v["n"], v["timely"]

    logs = (
        DailyLog.objects.filter(worker_id__in=worker_ids, date__gte=start, date__lte=end)
        .values("worker_id").order_by().annotate(n=Count("id"))
    )
    for entry in logs:
        rows[entry["worker_id"]].daily_logs = entry["n"]
    return list(rows.values())


def visit_totals_for_user(user: User, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(visits done, of them on time) by the workers staffing grids in the user's scope over the days
    start..end: the 走访按期率 the case figures show beside their own."""
    rows = worker_summaries(user, start, end)
    return sum(r.visits for r in rows), sum(r.visits_on_time for r in rows)
