"""The grid assessment's eight sources (网格考核, seed 001): each answers, for one item and the period's
grids, the causes of lost points with the figures behind them, the row that caused each (case, visit,
key person, party group) and what would have kept the points.

Every source reads the period "as of" its last day, so a closed period computed again gives the same
figures whatever happened since: a case closed after the period counts as still open at its end, a
rating, a rework or a closure counts by the date of its transition (transitions are never edited), a
deadline pushed back by a suspension lifted after the moment it is judged at is taken as it stood then,
a key person ended or re-categorised later is taken as registered at the end, a points entry rejected or
reversed later still counted at the end. Rows recorded late about days inside the period (a visit sent
from a phone a day later, a points entry back-filled within ``points.services.BACKFILL_DAYS``) count
like any other. What stays as it is now: the grid a household belongs to, and the household a key
person lives in (the register keeps their moves as text, not as keys).

Each source is a few grouped queries whatever the number of grids (no query per grid); micro-grids
count in the grid above them (``Units.unit_for_grid``). ``register()`` adds the sources to the engine
and the checks of their targets to ``services.PARAMS_CHECKS``; ``AssessmentConfig.ready`` calls it.

Formulas (``points_per_case`` is the item's points per cause; the engine caps an item at its weight):
- case_late: each case of the grid closed in the period after its 办结时限, and each still unfinished at
  the period's end with its 办结时限 passed (a case suspended at the end: passed before it was suspended).
- case_rework: each 核查不通过（返工） of the grid's cases in the period.
- case_unsatisfied: each 不满意 rating of the grid's cases given in the period.
- visit_late: each visit that met a key person of the grid in the period, made after its due date.
- key_overdue: each key person of the grid overdue at the period's end (last visit that met them, or
  the registration, plus the category's cycle, before the last day): one cause per person.
- patrol: each calendar month whose finished patrols fall short of {"hours", "km"} (default 20 h and
  30 km a month; a month only partly in the period is prorated by its days).
- participation: households on the register at the end (closed ones excluded) with at least one
  addition earned by conduct (记分, 奖励, 更正) in the period ÷ all; below {"target_pct"} (default 80)
  the grid loses ``points_per_case`` per started {"step_pct"} (default 10) short. Only where the
  township's points rulebook was in force from the period's first day.
- group_activities: activities held in the period by the party group serving the grid at the period's
  end, against {"per_quarter"} (default 3) scaled to the period's length in quarters; each missing one
  costs ``points_per_case``; a grid no group serves loses the item's weight.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from xiangzhi.assessment import engine, services
from xiangzhi.assessment.errors import AssessmentError
from xiangzhi.assessment.models import Item, Period, SourceKind
from xiangzhi.cases import rules as case_rules
from xiangzhi.cases.models import DONE_STATUSES, Case, Category, Evaluation, Status, Transition
from xiangzhi.core.display import day_text, moment_text
from xiangzhi.core.errors import field_error
from xiangzhi.gridwork.models import COUNTING_OUTCOMES, Patrol, Visit
from xiangzhi.lib.workdays import WorkCalendar
from xiangzhi.party import selectors as party_selectors
from xiangzhi.people.models import Household, KeyCategory, KeyPerson, KeyPersonChange
from xiangzhi.people.selectors import visit_cycles
from xiangzhi.points.models import EARNING_KINDS, EntryKind, PointsEntry, PointsRulebook, ReviewDecision

Cause = engine.Cause
Units = engine.Units

PATROL_DEFAULTS = {"hours": 20, "km": 30}
PARTICIPATION_DEFAULTS = {"target_pct": 80, "step_pct": 10}
ACTIVITY_DEFAULTS = {"per_quarter": 3}
DAYS_PER_QUARTER = Fraction(36525, 400)  # 365.25 / 4
CHUNK = 500  # ids per IN (…) list

HINT_CASE_LATE = "按时限办结即不扣分"
HINT_REWORK = "处置一次到位、核查通过即不扣分"
HINT_UNSATISFIED = "办结前与反映人沟通、把问题解决到位，群众满意即不扣分"
HINT_VISIT_LATE = "在应访日期前走访即不扣分"
HINT_NO_GROUP = "网格建立或联系党小组后可得分"


# --- shared helpers ---------------------------------------------------------------------------------


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """[the first day 00:00, the day after the last 00:00), on the county's clock."""
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(period.start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def _county_path(period: Period) -> str:
    return engine.county_of_period(period).path


def _day(value: dt.date | dt.datetime, period: Period) -> str:
    """A day in the site's style, read against the period's year (so the stored text never depends on
    the day it was computed)."""
    return day_text(value, today=period.end)


def _moment(value: dt.datetime, period: Period) -> str:
    return moment_text(value, today=period.end)


def _num(value: float) -> str:
    """7.5, 12 (one place at most, no trailing zero)."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def mask_name(name: str) -> str:
    """张三丰 → 张**: a key person named in a published figure by surname only."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else "—"


def _this_span(period: Period) -> str:
    days = (period.end - period.start).days + 1
    return "本季度" if 85 <= days <= 95 else "本期"


def _late_by(delta: dt.timedelta) -> str:
    if delta >= dt.timedelta(days=1):
        return f"{delta.days} 天"
    return f"{max(1, math.ceil(delta.total_seconds() / 3600))} 小时"


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for n in range(0, len(ids), CHUNK):
        yield ids[n:n + CHUNK]


def _sorted(causes: list[Cause]) -> list[Cause]:
    """The order the engine takes them in (the first ones take the points up to the weight)."""
    return sorted(causes, key=lambda c: (c.day or dt.date.min, c.source_id or 0, c.unit_id))


# --- cases: as of a moment, from their transitions ---------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _hours_before(cal: WorkCalendar, moment: dt.datetime, hours: float) -> dt.datetime:
    """The moment ``hours`` working hours before ``moment``: the inverse of ``add_working_hours``, to
    take back a suspension's extension of a deadline."""
    remaining = dt.timedelta(hours=hours)
    current = moment
    for _ in range(3660):
        day_start = dt.datetime.combine(current.date(), dt.time.min, tzinfo=current.tzinfo)
        if day_start == current:
            day_start = dt.datetime.combine(current.date() - dt.timedelta(days=1), dt.time.min, tzinfo=current.tzinfo)
        if cal.is_workday(day_start.date()):
            available = current - day_start
            if remaining <= available:
                return current - remaining
            remaining -= available
        current = day_start
    return current


@dataclass
class _History:
    """One case's transitions, oldest first: (action, to_status, at)."""

    rows: list[tuple[str, str, dt.datetime]] = field(default_factory=list)

    def suspensions(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """(suspended, resumed) of every suspension lifted."""
        out, since = [], None
        for action, _, at in self.rows:
            if action == "suspend":
                since = at
            elif action == "resume" and since is not None:
                out.append((since, at))
                since = None
        return out

    def state_at(self, moment: dt.datetime) -> tuple[str, str, dt.datetime | None, dt.datetime | None]:
        """(status, the last action, the last closure, the start of a suspension under way) at ``moment``."""
        status: str = Status.REPORTED
        last, closed, suspended = "", None, None
        for action, to_status, at in self.rows:
            if at >= moment:
                break
            status, last = to_status or status, action
            if action == "close":
                closed = at
            if action == "suspend":
                suspended = at
            elif status != Status.SUSPENDED:
                suspended = None
        return status, last, closed, suspended


def _due_as_of(cal: WorkCalendar, due: dt.datetime, history: _History, moment: dt.datetime) -> dt.datetime:
    """The 办结时限 as it stood at ``moment``: today's, less what suspensions lifted since pushed it back."""
    hours = sum(cal.working_hours_between(_utc(s), _utc(r)) for s, r in history.suspensions() if r >= moment)
    return _hours_before(cal, _utc(due), hours) if hours else due


def _histories(case_ids: list[int]) -> dict[int, _History]:
    out: dict[int, _History] = defaultdict(_History)
    for chunk in _chunks(case_ids):
        rows = (Transition.objects.filter(case_id__in=chunk).order_by("case_id", "created_at", "id")
                .values_list("case_id", "action", "to_status", "created_at"))
        for case_id, action, to_status, at in rows:
            out[case_id].rows.append((action, to_status, at))
    return out


def _categories() -> dict[int, str]:
    return dict(Category.objects.values_list("id", "name"))


def _in_grids(period: Period) -> Q:
    """Cases of a grid, reported before the period's end and not closed before its start, less those
    refused or merged before its end (both for good: a refused or merged case moves no more, and its
    step clock started when it was refused or merged). The county is the units' business: a case of
    another county's grid has no unit."""
    start, end = _bounds(period)
    return (Q(grid__isnull=False, created_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start))
            & ~Q(status__in=(Status.REJECTED, Status.MERGED), step_started_at__lt=end))


def case_late(item: Item, period: Period, units: Units) -> list[Cause]:
    start, end = _bounds(period)
    cal = case_rules.calendar()
    names = _categories()
    rows = list(
        Case.objects.filter(_in_grids(period))
        .values_list("id", "grid_id", "number", "category_id", "status", "closed_at", "closed_on_time",
                     "close_due_at", "duplicate_of_id")
    )
    done = set(DONE_STATUSES)
    out: list[Cause] = []
    tangled: dict[int, tuple[int, str, str, dt.datetime]] = {}
    for row in rows:
        case_id, grid_id, number, category_id, status, closed_at, on_time, due, duplicate_of = row
        unit = units.unit_for_grid(grid_id)
        if unit is None or due is None:
            continue
        category = names.get(category_id, "")
        if status in done and closed_at is not None and closed_at < end:
            # Closed inside the period and never reopened since: its closure's own verdict stands.
            late = (closed_at > due) if on_time is None else not on_time
            if late and duplicate_of is None:
                out.append(_closed_late(item, unit, case_id, number, category, closed_at, due, period))
        else:
            tangled[case_id] = (unit, number, category, due)
    histories = _histories(sorted(tangled))
    for case_id, (unit, number, category, due) in tangled.items():
        history = histories.get(case_id, _History())
        status, last, closed, suspended = history.state_at(end)
        if status in (Status.REJECTED, Status.MERGED) or last == "close_merged":
            continue
        if status in done:
            if closed is not None and closed >= start:
                deadline = _due_as_of(cal, due, history, closed)
                if closed > deadline:
                    out.append(_closed_late(item, unit, case_id, number, category, closed, deadline, period))
            continue
        on_hold = status == Status.SUSPENDED and suspended is not None
        judged_at = suspended if on_hold and suspended is not None else end
        deadline = _due_as_of(cal, due, history, judged_at)
        if deadline < judged_at:
            out.append(Cause(
                unit, item.points_per_case,
                f"事件 {number}（{category}）办结时限 {_moment(deadline, period)}，"
                f"至{_day(period.end, period)}仍未办结，已超时 {_late_by(judged_at - deadline)}"
                + ("（缓办前已超时）" if on_hold else ""),
                case_id, timezone.localdate(deadline), HINT_CASE_LATE))
    return _sorted(out)


def _closed_late(item: Item, unit: int, case_id: int, number: str, category: str, closed: dt.datetime,
                 due: dt.datetime, period: Period) -> Cause:
    return Cause(unit, item.points_per_case, f"事件 {number}（{category}）{_day(closed, period)}办结，超过办结时限"
                          f"（{_moment(due, period)}）{_late_by(closed - due)}",
                 case_id, timezone.localdate(closed), HINT_CASE_LATE)


def case_rework(item: Item, period: Period, units: Units) -> list[Cause]:
    start, end = _bounds(period)
    names = _categories()
    cases = {
        case_id: (grid_id, number, names.get(category_id, ""))
        for case_id, grid_id, number, category_id in
        Case.objects.filter(_in_grids(period), rework_count__gt=0)
        .values_list("id", "grid_id", "number", "category_id")
        if units.unit_for_grid(grid_id) is not None
    }
    out = []
    for chunk in _chunks(sorted(cases)):
        for case_id, at, note in (
            Transition.objects.filter(case_id__in=chunk, action="verify_fail", created_at__gte=start,
                                      created_at__lt=end).values_list("case_id", "created_at", "note")
        ):
            grid_id, number, category = cases[case_id]
            unit = units.unit_for_grid(grid_id)
            if unit is None:
                continue
            why = f"：{note.strip()[:60]}" if note.strip() else ""
            out.append(Cause(unit, item.points_per_case,
                             f"事件 {number}（{category}）{_day(at, period)}核查不通过，返工{why}",
                             case_id, timezone.localdate(at), HINT_REWORK))
    return _sorted(out)


def case_unsatisfied(item: Item, period: Period, units: Units) -> list[Cause]:
    """A 不满意 rating reopens the case (``CASE_REOPEN_ON_DISSATISFIED``: a ``reopen`` transition, kept
    whatever comes later) or, where it does not, stays on the case as its final evaluation. A case rated
    in the period was last rated (``evaluated_at``, which only moves on) in it or after."""
    start, end = _bounds(period)
    names = _categories()
    rated = {
        case_id: (grid_id, number, names.get(category_id, ""), evaluation, evaluated_at, comment)
        for case_id, grid_id, number, category_id, evaluation, evaluated_at, comment in
        Case.objects.filter(grid__isnull=False, created_at__lt=end, evaluated_at__gte=start)
        .values_list("id", "grid_id", "number", "category_id", "evaluation", "evaluated_at", "evaluation_comment")
        if units.unit_for_grid(grid_id) is not None
    }
    ratings: dict[tuple[int, dt.datetime], tuple[int, str, str, str]] = {}
    for chunk in _chunks(sorted(rated)):
        for case_id, at, note in (Transition.objects.filter(case_id__in=chunk, action="reopen", created_at__gte=start,
                                                             created_at__lt=end)
                                  .values_list("case_id", "created_at", "note")):
            grid_id, number, category, *_ = rated[case_id]
            ratings[case_id, at] = (grid_id, number, category, note)
    for case_id, (grid_id, number, category, evaluation, rated_at, comment) in rated.items():
        if evaluation == Evaluation.DISSATISFIED and rated_at is not None and rated_at < end:
            ratings.setdefault((case_id, rated_at), (grid_id, number, category, comment))
    out = []
    for (case_id, at), (grid_id, number, category, note) in ratings.items():
        unit = units.unit_for_grid(grid_id)
        if unit is None:
            continue
        said = f"，意见：{note.strip()[:60]}" if note.strip() else ""
        out.append(Cause(unit, item.points_per_case,
                         f"事件 {number}（{category}）{_day(at, period)}被评价为不满意{said}",
                         case_id, timezone.localdate(at), HINT_UNSATISFIED))
    return _sorted(out)


# --- key people -------------------------------------------------------------------------------------


def visit_late(item: Item, period: Period, units: Units) -> list[Cause]:
    late = list(
        Visit.objects.filter(visited_on__gte=period.start, visited_on__lte=period.end, visited_on__gt=F("due_on"),
                             outcome__in=COUNTING_OUTCOMES)
        .values_list("id", "visited_on", "due_on", "key_person_id")
    )
    # Who was visited, for the late ones only (joining the register on every visit costs more).
    people: dict[int, tuple[str, str, int]] = {}
    for chunk in _chunks(sorted({kp for *_, kp in late})):
        for kp_id, name, category, grid_id in (
            KeyPerson.objects.filter(pk__in=chunk)
            .values_list("id", "resident__name", "category__name", "resident__household__grid_id")
        ):
            people[kp_id] = (name, category, grid_id)
    out = []
    for visit_id, visited_on, due_on, kp_id in late:
        name, category, grid_id = people[kp_id]
        unit = units.unit_for_grid(grid_id)
        if unit is None:
            continue
        out.append(Cause(unit, item.points_per_case,
                         f"{_day(visited_on, period)}走访{mask_name(name)}（{category}），"
                         f"应访日期 {_day(due_on, period)}，晚了 {(visited_on - due_on).days} 天",
                         visit_id, visited_on, HINT_VISIT_LATE))
    return _sorted(out)


def key_overdue(item: Item, period: Period, units: Units) -> list[Cause]:
    """gridwork's rule (``gridwork.selectors``: due = the last visit that met them, or the registration,
    plus the category's cycle; overdue when that day is before today), with the period's last day as
    today and the person as registered on that day."""
    on = period.end
    _, end = _bounds(period)
    # The last visit that met them by the end: a lookup on the (key person, visited_at) index each.
    met = (Visit.objects.filter(key_person=OuterRef("pk"), outcome__in=COUNTING_OUTCOMES, visited_at__lt=end)
           .order_by("-visited_at").values("visited_on")[:1])
    people = {
        pk: [grid_id, category_id, registered_on, name, seen_on, path]
        for pk, grid_id, category_id, registered_on, name, seen_on, path in
        KeyPerson.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on), registered_on__lte=on,
                                 resident__household__grid__path__startswith=_county_path(period))
        .annotate(seen_on=Subquery(met))
        .values_list("id", "resident__household__grid_id", "category_id", "registered_on", "resident__name", "seen_on",
                     "resident__household__grid__path")
    }
    cycles = visit_cycles(active_only=False)  # a township's own cycle where it keeps one
    categories = {pk: (name, cycle, active) for pk, name, cycle, active in
                  KeyCategory.objects.values_list("id", "name", "visit_cycle_days", "is_active")}
    by_name = {name: pk for pk, (name, _, _) in categories.items()}
    # Re-categorised after the end: the category it had then (the change's "before").
    seen: set[int] = set()
    changes = (KeyPersonChange.objects.filter(kind=KeyPersonChange.Kind.CATEGORY, at__gte=end,
                                              key_person__resident__household__grid__path__startswith=_county_path(period))
               .order_by("key_person_id", "at", "id").values_list("key_person_id", "before"))
    for kp_id, before in changes:
        if kp_id in seen or kp_id not in people:
            continue
        seen.add(kp_id)
        earlier = by_name.get(str((before or {}).get("类别", "")))
        if earlier is not None:
            people[kp_id][1] = earlier
    out = []
    for kp_id, (grid_id, category_id, registered_on, name, seen_on, path) in people.items():
        unit = units.unit_for_grid(grid_id)
        category = categories.get(category_id)
        if unit is None or category is None or not category[2]:
            continue
        category_name, cycle, _ = category
        cycle = cycles.days(category_id, path) or cycle
        due = (seen_on or registered_on) + dt.timedelta(days=cycle)
        if due >= on:
            continue
        basis = f"上次走访 {_day(seen_on, period)}" if seen_on else f"登记于 {_day(registered_on, period)}，从未走访"
        out.append(Cause(unit, item.points_per_case,
                         f"{mask_name(name)}（{category_name}）应于{_day(due, period)}前走访（{basis}），"
                         f"至{_day(on, period)}已超期 {(on - due).days} 天未访",
                         kp_id, due, f"按走访周期（每 {cycle} 天）按时走访即不扣分"))
    return _sorted(out)


# --- patrols ----------------------------------------------------------------------------------------


def _months(period: Period) -> list[tuple[dt.date, dt.date, Fraction]]:
    """Each calendar month of the period: its first and last day inside the period and the share of
    the month they are."""
    out = []
    first = period.start.replace(day=1)
    while first <= period.end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        days_in_month = (following - first).days
        a, b = max(first, period.start), min(following - dt.timedelta(days=1), period.end)
        out.append((a, b, Fraction((b - a).days + 1, days_in_month)))
        first = following
    return out


def patrol(item: Item, period: Period, units: Units) -> list[Cause]:
    params = {**PATROL_DEFAULTS, **(item.params or {})}
    hours_target, km_target = float(params["hours"]), float(params["km"])
    tz = timezone.get_current_timezone()
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    out = []
    for first, last, share in _months(period):
        since = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
        until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        done: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for grid_id, seconds, metres in (
            Patrol.objects.filter(grid__path__startswith=_county_path(period), started_at__gte=since,
                                  started_at__lt=until, ended_at__isnull=False)
            .values("grid_id").order_by().annotate(seconds=Sum(duration), metres=Sum("distance_m"))
            .values_list("grid_id", "seconds", "metres")
        ):
            unit = units.unit_for_grid(grid_id)
            if unit is not None:
                secs = seconds.total_seconds() if isinstance(seconds, dt.timedelta) else (seconds or 0) / 1e6
                done[unit][0] += secs / 3600
                done[unit][1] += (metres or 0) / 1000
        hours_due, km_due = float(hours_target * share), float(km_target * share)
        prorated = "（按天数折算）" if share != 1 else ""
        for unit in units:
            hours, km = (round(x, 1) for x in done.get(unit, (0.0, 0.0)))
            short_h, short_k = max(0.0, round(hours_due - hours, 1)), max(0.0, round(km_due - km, 1))
            if short_h <= 0 and short_k <= 0:
                continue
            more = "、".join(p for p in (f"{_num(short_h)} 小时" if short_h > 0 else "",
                                         f"{_num(short_k)} 公里" if short_k > 0 else "") if p)
            out.append(Cause(unit, item.points_per_case,
                             f"{first.month}月巡查 {_num(hours)} 小时、{_num(km)} 公里，"
                             f"未达每月 {_num(hours_due)} 小时、{_num(km_due)} 公里{prorated}",
                             None, last, f"{first.month}月再巡查 {more}即达标"))
    return _sorted(out)


# --- household points -------------------------------------------------------------------------------


def participation(item: Item, period: Period, units: Units) -> list[Cause]:
    params = {**PARTICIPATION_DEFAULTS, **(item.params or {})}
    target, step = Fraction(params["target_pct"]), Fraction(params["step_pct"])
    county = _county_path(period)
    _, end = _bounds(period)
    in_force = [path for (path,) in PointsRulebook.objects.filter(region__isnull=False,
                                                                  effective_from__lte=period.start)
                .values_list("region__path")]
    on_register = Q(created_at__lt=end) & (Q(closed_on__isnull=True) | Q(closed_on__gt=period.end))
    households: dict[int, int] = defaultdict(int)
    for grid_id, n in (Household.objects.filter(on_register, grid__path__startswith=county).values("grid_id")
                       .order_by().annotate(n=Count("id")).values_list("grid_id", "n")):
        unit = units.unit_for_grid(grid_id)
        if unit is not None:
            households[unit] += n
    taking_part: dict[int, int] = defaultdict(int)
    entries = (
        PointsEntry.objects.filter(kind__in=EARNING_KINDS, points__gt=0, occurred_on__gte=period.start,
                                   occurred_on__lte=period.end, household__grid__path__startswith=county,
                                   household__created_at__lt=end)
        .filter(Q(household__closed_on__isnull=True) | Q(household__closed_on__gt=period.end))
        .exclude(review__decision=ReviewDecision.REJECTED, review__reviewed_at__lt=end)
        # Reversed by the end: NOT IN the few reversals (a join on them would scan the ledger per row).
        .exclude(pk__in=PointsEntry.objects.filter(kind=EntryKind.REVERSAL, recorded_at__lt=end,
                                                   reverses__occurred_on__gte=period.start,
                                                   reverses__occurred_on__lte=period.end).values("reverses_id"))
    )
    for grid_id, n in (entries.values("household__grid_id").order_by()
                       .annotate(n=Count("household_id", distinct=True)).values_list("household__grid_id", "n")):
        unit = units.unit_for_grid(grid_id)
        if unit is not None:
            taking_part[unit] += n
    out = []
    for unit, total in households.items():
        grid = units[unit]
        if not total or not any(grid.path.startswith(p) for p in in_force):
            continue
        took = taking_part.get(unit, 0)
        rate = Fraction(100 * took, total)
        if rate >= target:
            continue
        steps = math.ceil((target - rate) / step)
        needed = math.ceil(target * total / 100) - took
        out.append(Cause(unit, item.points_per_case * steps,
                         f"{_this_span(period)}在册 {total:,} 户，其中 {took:,} 户有积分记录，"
                         f"参与率 {_num(float(rate))}%，低于目标 {_num(float(target))}%"
                         f"（每差 {_num(float(step))} 个百分点扣 {item.points_per_case} 分）",
                         None, period.end, f"再有 {needed:,} 户参与即达目标 {_num(float(target))}%"))
    return _sorted(out)


# --- party groups -----------------------------------------------------------------------------------


def group_activities(item: Item, period: Period, units: Units) -> list[Cause]:
    params = {**ACTIVITY_DEFAULTS, **(item.params or {})}
    quarters = Fraction((period.end - period.start).days + 1) / DAYS_PER_QUARTER
    required = max(1, round(int(params["per_quarter"]) * quarters))
    county = engine.county_of_period(period)
    serving: dict[int, tuple[int, str]] = {}
    for link in party_selectors.group_grid_links_on(region=county, on=period.end):
        unit = units.unit_for_grid(link.grid_id)
        if unit is not None and unit not in serving:
            serving[unit] = (link.group_id, link.group.name)
    held = party_selectors.group_activity_counts(sorted({g for g, _ in serving.values()}), period.start, period.end)
    out = []
    span = _this_span(period)
    for unit in units:
        if unit not in serving:
            out.append(Cause(unit, item.weight, "本网格没有联系的党小组，党小组活动无从开展", None, period.end,
                             HINT_NO_GROUP))
            continue
        group_id, name = serving[unit]
        missing = required - held.get(group_id, 0)
        if missing > 0:
            out.append(Cause(unit, item.points_per_case * missing,
                             f"{name}{span}开展活动 {held.get(group_id, 0)} 次，应开展 {required} 次，少 {missing} 次",
                             group_id, period.end, f"再开展 {missing} 次党小组活动即不扣分"))
    return _sorted(out)


# --- the checks of the targets ----------------------------------------------------------------------


def _value(params: dict[str, object], key: str, label: str, default: float, low: float, high: float, *,
           whole: bool = False) -> float:
    raw = params.get(key, default)
    if isinstance(raw, str):
        raw = raw.strip() or default
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str):
        try:
            value = float(raw)
        except ValueError:
            value = None
    kind = "整数" if whole else "数"
    if value is None or math.isnan(value) or not low <= value <= high or (whole and value != int(value)):
        raise AssessmentError(f"{label}应为 {_num(low)}～{_num(high)} 之间的{kind}",
                              fields=field_error(key, "超出范围"))
    return int(value) if value == int(value) else round(value, 1)


def _only(params: dict[str, object], known: Iterable[str]) -> None:
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise AssessmentError("不认识的参数：" + "、".join(map(str, unknown)), fields=field_error("params", "未知参数"))


def patrol_params(params: dict[str, object]) -> dict[str, float]:
    _only(params, PATROL_DEFAULTS)
    hours = _value(params, "hours", "每月巡查时长（小时）", PATROL_DEFAULTS["hours"], 0, 300)
    km = _value(params, "km", "每月巡查里程（公里）", PATROL_DEFAULTS["km"], 0, 1000)
    if not hours and not km:
        raise AssessmentError("每月巡查时长和里程不能都为 0", fields=field_error("hours", "必填"))
    return {"hours": hours, "km": km}


def participation_params(params: dict[str, object]) -> dict[str, float]:
    _only(params, PARTICIPATION_DEFAULTS)
    target = _value(params, "target_pct", "目标参与率（%）", PARTICIPATION_DEFAULTS["target_pct"], 1, 100)
    step = _value(params, "step_pct", "每档百分点", PARTICIPATION_DEFAULTS["step_pct"], 1, 100)
    return {"target_pct": target, "step_pct": step}


def group_activities_params(params: dict[str, object]) -> dict[str, float]:
    _only(params, ACTIVITY_DEFAULTS)
    per_quarter = _value(params, "per_quarter", "每季度应开展活动次数", ACTIVITY_DEFAULTS["per_quarter"], 1, 30,
                         whole=True)
    return {"per_quarter": per_quarter}


def no_params(params: dict[str, object]) -> dict[str, float]:
    _only(params, ())
    return {}


SOURCES: dict[str, engine.Source] = {
    SourceKind.CASE_LATE: case_late,
    SourceKind.CASE_REWORK: case_rework,
    SourceKind.CASE_UNSATISFIED: case_unsatisfied,
    SourceKind.VISIT_LATE: visit_late,
    SourceKind.KEY_PERSON_OVERDUE: key_overdue,
    SourceKind.PATROL: patrol,
    SourceKind.POINTS_PARTICIPATION: participation,
    SourceKind.GROUP_ACTIVITIES: group_activities,
}
CHECKS: dict[str, Callable[[dict[str, object]], dict[str, float]]] = {
    SourceKind.CASE_LATE: no_params,
    SourceKind.CASE_REWORK: no_params,
    SourceKind.CASE_UNSATISFIED: no_params,
    SourceKind.VISIT_LATE: no_params,
    SourceKind.KEY_PERSON_OVERDUE: no_params,
    SourceKind.PATROL: patrol_params,
    SourceKind.POINTS_PARTICIPATION: participation_params,
    SourceKind.GROUP_ACTIVITIES: group_activities_params,
}


def register() -> None:
    """Add the grid sources to the engine and their checks to the item form (idempotent)."""
    for kind, source in SOURCES.items():
        engine.register_source(kind, source)
    services.PARAMS_CHECKS.update(CHECKS)
