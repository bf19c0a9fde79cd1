"""网格考核 for the demo county (seed 001): the default grid scheme (``assessment.defaults.GRID_SCHEME``) and
this year's quarters up to the last complete one, computed by the grid sources from the demo's cases,
visits, patrols, household points and party group activities: the earlier quarters run, published and
closed (dated as they would have been), the last one run and published two days before the build, so
its appeal window is open — one appeal decided (upheld, points returned beside the original) and one
waiting; and a few scores entered by hand with their reasons in every quarter.

The rest of the demo keeps grid work short to build quickly (visits over the last three months, tracked
patrols over two weeks at street scale only), which would leave every grid short of patrols and overdue
with every key person in the earlier quarters alike. So the year before that is written here first:

- patrols of each staffed grid, month by month since the year's first day, from the paper patrol ledger
  (no GPS track; ``note`` says so), by the grid's diligence (``demo.gridwork.grid_diligence``, the same
  classes its visits keep): most meet the 20 h / 30 km a month, some fall short now and then, the lax
  ones often, and a grid with nobody on it never patrols;
- key-person visits before the three months' first, walked back a cycle at a time by the same worker
  from the visit it fell due after (its ``due_on`` less a cycle), on time or late by the grid's diligence;
- the register's households dated from its start (``REGISTER_SINCE``): the build writes them all on the
  build day, which would leave no household on the register at the end of an earlier quarter (the
  households the register's history adds later keep their day).

Deterministic for a seed and a build day: every grid draws from ``seed:gridassessment:<grid code>``,
the runs read only what the demo wrote.
"""

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Min
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.assessment import services
from xiangzhi.assessment.models import Appeal, AppealState, LostPoint, Period, Score
from xiangzhi.demo.bulkload import indexes_built_after, row_maker
from xiangzhi.demo.gridwork import NEW_VISIT, VISIT_NOTES, VISIT_ON_TIME, _at, grid_diligence
from xiangzhi.gridwork.models import Patrol, Visit, VisitOutcome
from xiangzhi.lib.periods import period_bounds
from xiangzhi.people.models import Household, KeyPerson
from xiangzhi.regions.models import Grid, GridAssignment, GridDuty, Region, RegionLevel
from xiangzhi.regions.selectors import township_of

REGISTER_SINCE = dt.date(2024, 1, 1)
PATROL_NOTE = "据纸质巡查台账补录（无轨迹）"
# The chance a month of patrols falls short, by the grid's diligence (``demo.gridwork.grid_diligence``,
# which also sets how often its visits are on time).
SLACK_MONTH = {"steady": 0.04, "uneven": 0.35, "lax": 0.8}
HOURS, KM = 20, 30  # the default scheme's monthly targets
# Scores by hand: item code, points, reason, evidence; the straw one only in a quarter with June or October.
MANUAL = [
    ("hazards", 3, "辖区一处废品收购站消防通道堵塞，网格员未及时发现上报，乡镇安监检查发现", "乡镇安监站检查记录"),
    ("environment", 2, "入户检查发现 3 户房前屋后杂物乱堆，未督促整改", "村人居环境检查表"),
    ("on_duty", 2, "季度网格工作例会缺席 2 次", "乡镇网格办签到表"),
    ("illegal_building", 4, "辖区新增违建一处（彩钢棚），网格员未及时发现上报", "乡镇综合执法中队通报"),
    ("records", 1, "工作日志 5 天未记", "网格员工作通日志"),
    ("straw", 2, "巡查发现焚烧秸秆一处，未及时制止", "乡镇秸秆禁烧巡查通报"),
]
UPHELD = ("该事件需协调供电所更换线路，经乡镇同意缓办，超时非网格原因；附乡镇协调会纪要",
          "经核实，超时系等待供电所施工，非网格原因，退还该项扣分")
PENDING = "当月抽调参加防汛抢险 10 天，巡查时长不足；附乡镇抽调通知"
NEW_PATROL = row_maker(Patrol)  # the year's patrols from the paper ledger


@dataclass
class GridAssessmentReport:
    quarters: int = 0
    grids: int = 0
    stars: Counter = field(default_factory=Counter)  # of the last quarter
    patrols: int = 0
    visits: int = 0
    manual: int = 0
    appeals: int = 0
    upheld: int = 0
    last_name: str = ""


def quarters_to_assess(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The quarters of the last complete quarter's year, up to it (in January–March: last year's four)."""
    last_start = period_bounds("quarter", period_bounds("quarter", today)[0] - dt.timedelta(days=1))[0]
    out, start = [], dt.date(last_start.year, 1, 1)
    while start <= last_start:
        out.append(period_bounds("quarter", start))
        start = out[-1][1] + dt.timedelta(days=1)
    return out


def write_grid_assessment(insert: Callable, *, seed: int, households_through: int | None = None,
                          today: dt.date | None = None) -> GridAssessmentReport:
    """``insert(model, rows)`` is the builder's counted bulk insert (rows are written as they are: every
    field set here); ``households_through`` the last household the build itself wrote (those after it
    came with the register's history)."""
    report = GridAssessmentReport()
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("id").first()
    today = today or timezone.localdate()
    quarters = quarters_to_assess(today)
    if county is None or admin is None or not quarters:
        return report
    since = quarters[0][0]
    tz = timezone.get_current_timezone()
    grids = list(Grid.objects.filter(is_active=True, level=3, region__path__startswith=county.path)
                 .order_by("code").values_list("id", "code"))
    classes = grid_diligence(seed, [code for _, code in grids])
    diligence = {pk: classes[code] for pk, code in grids}
    registered = Household.objects.all() if households_through is None else Household.objects.filter(
        pk__lte=households_through)
    # The households' plain indexes are not rewritten row by row for the new dates, nor the patrols'
    # and visits' as they are written: all are built again before the quarters are scored.
    with indexes_built_after(Household, Patrol, Visit):
        registered.update(created_at=dt.datetime.combine(REGISTER_SINCE, dt.time.min, tzinfo=tz))
        report.patrols = _write_patrols(insert, seed, grids, diligence, since, today, tz)
        report.visits = _write_visits(insert, seed, diligence, since, tz)

    scheme = services.scheme_install_grid(county=county, actor=admin)
    now = timezone.now()
    for n, (start, end) in enumerate(quarters):
        last = n == len(quarters) - 1
        period = services.period_create(scheme=scheme, actor=admin, start=start, end=end)
        report.manual += _manual_scores(period, admin, random.Random(f"{seed}:gridassessment:manual:{start}"),
                                        diligence)
        services.period_run(period=period, actor=admin)
        services.period_publish(period=period, actor=admin)
        # The last quarter two days before the build (never before the morning after it ended), so its
        # appeal window is open; the earlier ones ten days after they ended.
        after_end = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        published = min(now, max(now - dt.timedelta(days=2), after_end)) if last else dt.datetime.combine(
            end + dt.timedelta(days=10), dt.time(9), tzinfo=tz)
        Period.objects.filter(pk=period.pk).update(published_at=published)
        if last:
            period.refresh_from_db()
            report.appeals, report.upheld = _appeals(period, published, now)
            report.last_name = period.name
        else:
            services.period_close(period=period, actor=admin)
            closed = published + dt.timedelta(days=scheme.appeal_days + 3)
            Period.objects.filter(pk=period.pk).update(closed_at=closed)
        report.quarters += 1
        if last:
            scores = Score.objects.filter(run_id=Period.objects.get(pk=period.pk).current_run_id)
            report.grids = scores.count()
            report.stars = Counter(scores.values_list("stars", flat=True))
    return report


# --- patrols ----------------------------------------------------------------------------------------


def _write_patrols(insert: Callable, seed: int, grids: list[tuple[int, str]], diligence: dict[int, str],
                   since: dt.date, today: dt.date, tz: dt.tzinfo) -> int:
    """Finished patrols from ``since`` to the day before the first tracked one (or yesterday), by the
    grid's full-time worker (its chief where it has none); a grid with neither has none."""
    walker: dict[int, int] = {}
    for grid_id, user_id, duty in (GridAssignment.objects.filter(ended_on__isnull=True, grid__level=3,
                                                                  duty__in=[GridDuty.FULL_TIME, GridDuty.CHIEF])
                                   .order_by("grid_id", "duty", "user_id").values_list("grid_id", "user_id", "duty")):
        if duty == GridDuty.FULL_TIME or grid_id not in walker:
            walker[grid_id] = user_id
    first_tracked = Patrol.objects.order_by("started_at").values_list("started_at", flat=True).first()
    until = min(timezone.localdate(first_tracked), today) if first_tracked else today  # patrols before this day
    rows: list[Patrol] = []
    for grid_id, code in grids:
        worker = walker.get(grid_id)
        if worker is None:
            continue
        rng = random.Random(f"{seed}:gridassessment:patrols:{code}")
        slack = SLACK_MONTH[diligence[grid_id]]
        first = since.replace(day=1)
        while first < until:
            following = (first + dt.timedelta(days=32)).replace(day=1)
            last = min(following, until) - dt.timedelta(days=1)
            days = (last - max(first, since)).days + 1
            share = days / (following - first).days
            factor = rng.uniform(0.45, 0.93) if rng.random() < slack else rng.uniform(1.04, 1.45)
            hours = HOURS * share * factor
            km = KM * share * factor * rng.uniform(0.9, 1.15)
            count = max(1, min(days, round(hours / rng.uniform(1.5, 2.5))))
            for offset in sorted(rng.sample(range(days), count)):
                start = _at(max(first, since) + dt.timedelta(days=offset), rng, tz, 8.0, 15.0)
                length = hours / count * rng.uniform(0.8, 1.2)
                rows.append(NEW_PATROL(worker_id=worker, grid_id=grid_id, started_at=start,
                                       ended_at=start + dt.timedelta(hours=length),
                                       distance_m=round(km / count * rng.uniform(0.8, 1.2) * 1000), point_count=0,
                                       note=PATROL_NOTE))
            first = following
    insert(Patrol, rows)
    return len(rows)


# --- visits -----------------------------------------------------------------------------------------


def _write_visits(insert: Callable, seed: int, diligence: dict[int, str], since: dt.date, tz: dt.tzinfo) -> int:
    """Visits walked back, a cycle at a time, from the visit each key person's first visit on record
    falls due after (its ``due_on`` less a cycle), until a cycle before ``since`` or the registration."""
    people = {
        pk: (registered_on, cycle, parent or grid)
        for pk, registered_on, cycle, grid, parent in
        KeyPerson.objects.filter(is_active=True, category__is_active=True)
        .values_list("id", "registered_on", "category__visit_cycle_days", "resident__household__grid_id",
                     "resident__household__grid__parent_id")
    }
    first = Visit.objects.values("key_person_id").order_by().annotate(first=Min("id")).values("first")
    anchors = Visit.objects.filter(pk__in=first).order_by("key_person_id").values_list(
        "key_person_id", "visitor_id", "visited_on", "due_on")
    rows: list[Visit] = []
    written = 0
    for kp_id, visitor_id, visited_on, due_on in anchors:
        person = people.get(kp_id)
        if person is None:
            continue
        registered_on, cycle, grid_id = person
        day = due_on - dt.timedelta(days=cycle)  # the visit the first one on record fell due after
        if day <= registered_on or day >= visited_on or day < since - dt.timedelta(days=cycle):
            continue
        on_time = VISIT_ON_TIME[diligence.get(grid_id, "steady")]
        rng = random.Random(f"{seed}:gridassessment:visits:{kp_id}")
        days = [day]
        while True:
            late = rng.random() >= on_time
            gap = cycle + rng.randint(1, 25) if late else cycle - rng.randint(0, min(10, cycle // 3))
            earlier = day - dt.timedelta(days=max(1, gap))
            if earlier <= registered_on or earlier < since - dt.timedelta(days=cycle):
                break
            days.append(earlier)
            day = earlier
        days.reverse()
        # The first of them: due a cycle after the registration when that came just before, else on time.
        due = registered_on + dt.timedelta(days=cycle) if earlier <= registered_on else days[0] + dt.timedelta(
            days=rng.randint(0, 3))
        for n, visited in enumerate(days):
            if n:
                due = days[n - 1] + dt.timedelta(days=cycle)
            if rng.random() < 0.07 and (tried := visited - dt.timedelta(days=rng.randint(1, 5))) > (
                    days[n - 1] if n else registered_on):
                rows.append(_visit(rng, kp_id, visitor_id, tried, VisitOutcome.NOT_MET, due, tz))
            outcome = VisitOutcome.ISSUE_FOUND if rng.random() < 0.09 else VisitOutcome.NORMAL
            rows.append(_visit(rng, kp_id, visitor_id, visited, outcome, due, tz))
        if len(rows) >= 50_000:
            insert(Visit, rows)
            written, rows = written + len(rows), []
    insert(Visit, rows)
    return written + len(rows)


def _visit(rng: random.Random, kp_id: int, visitor_id: int, day: dt.date, outcome: str, due: dt.date,
           tz: dt.tzinfo) -> Visit:
    at = _at(day, rng, tz)
    return NEW_VISIT(key_person_id=kp_id, visitor_id=visitor_id, visited_at=at, visited_on=day,
                     outcome=outcome, due_on=due, notes=rng.choice(VISIT_NOTES[outcome]),
                     place="家中" if outcome != VisitOutcome.NOT_MET else "", created_at=at)


# --- the quarters -----------------------------------------------------------------------------------


def _manual_scores(period: Period, admin: User, rng: random.Random, diligence: dict[int, str]) -> int:
    """A few grids lose points by hand, the lax ones more often."""
    items = {i.code: i for i in period.version.items.all()}
    grids = list(Grid.objects.filter(pk__in=list(diligence)).select_related("region").order_by("code"))
    weights = [{"steady": 1, "uneven": 3, "lax": 6}[diligence[g.pk]] for g in grids]
    months = {m for m in range(period.start.month, period.end.month + 1)}
    choices = [m for m in MANUAL if m[0] != "straw" or months & {6, 10}]
    rng.shuffle(choices)
    count = max(3, len(grids) // 10)
    done = 0
    for n in range(count):
        grid = rng.choices(grids, weights=weights)[0]
        code, points, reason, evidence = choices[n % len(choices)]
        if code not in items:
            continue
        when = period.start + dt.timedelta(days=rng.randrange((period.end - period.start).days + 1))
        services.manual_score_add(period=period, village=grid, item=items[code], points=points, reason=reason,
                                  evidence=evidence, actor=admin, day=when)
        done += 1
    return done


def _appeals(period: Period, published: dt.datetime, now: dt.datetime) -> tuple[int, int]:
    """Two appeals within the window: on a late case (upheld, its points returned) and on a short patrol
    month (waiting for the township)."""
    lost = LostPoint.objects.filter(score__run_id=period.current_run_id, points__gt=0).select_related(
        "score__grid__region__parent").order_by("score__rank", "id")
    chiefs = dict(GridAssignment.objects.filter(ended_on__isnull=True, duty=GridDuty.CHIEF)
                  .order_by("grid_id", "id").values_list("grid_id", "user_id"))
    made = upheld = 0
    span = min(now - published, dt.timedelta(days=2))  # filed half way, decided at the end of it
    for source, text_, decided in (("case_late", UPHELD[0], UPHELD[1]), ("patrol", PENDING, None)):
        lp = next((lp for lp in lost if lp.source == source and lp.score.grid_id in chiefs
                   and not Appeal.objects.filter(period=period, grid=lp.score.grid).exists()), None)
        if lp is None:
            continue
        grid = lp.score.grid
        chief = User.objects.get(pk=chiefs[grid.pk])
        appeal = services.appeal_file(period=period, unit=grid, actor=chief, text_=text_, lost_point=lp,
                                      evidence="附件已报乡镇网格办", now=published + span / 2)
        made += 1
        if decided is None:
            continue
        town = township_of(grid.region)
        decider = User.objects.filter(role=Role.TOWNSHIP_STAFF, region=town, is_active=True).order_by("id").first() \
            or User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("id").first()
        services.appeal_decide(appeal=appeal, actor=decider, upheld=True, outcome=decided,
                               points_returned=lp.points, now=published + span)
        upheld += Appeal.objects.filter(pk=appeal.pk, state=AppealState.UPHELD).count()
    return made, upheld
