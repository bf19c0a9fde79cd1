"""Grid-work history for the demo county: key-person visits (three months; two at county scale),
and at street scale a few finished patrols per worker with GPS tracks walked inside their grid, and
recent daily logs.

Dates run back from the day of the build, so "due" and "overdue" look right whenever the demo is
built; for one seed and one build day the rows come out the same. A generator of its own
(``seed:gridwork``) leaves the rest of the county untouched by anything added here.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable

import shapely
from django.utils import timezone

from xiangzhi.demo import geography as geo
from xiangzhi.demo.bulkload import indexes_built_after, row_maker
from xiangzhi.demo.plan import GridPlan, Plan
from xiangzhi.gridwork.models import DailyLog, Patrol, TrackPoint, Visit, VisitOutcome
from xiangzhi.lib.geo_distance import METRES_PER_DEGREE, path_length_m
from xiangzhi.people.models import KeyPerson
from xiangzhi.regions.models import Grid, GridAssignment, GridDuty

HISTORY_DAYS = 92  # street scale; the county keeps two months, to keep its build quick
COUNTY_HISTORY_DAYS = 62
PATROL_DAYS = 14
LOG_DAYS = 10
FIX_EVERY_S = 30
WALK_M_PER_S = 1.1

LOG_LINES = (
    "巡查{road}，路灯、井盖完好。", "巡查{road}，发现垃圾堆放一处，已联系保洁清理。", "走访{n}户重点人员，情况稳定。",
    "入户核对{n}户人口信息。", "协助村委会发放{item}。", "排查出租房{n}处，未发现安全隐患。",
    "调解邻里纠纷一起，双方已达成一致。", "巡查河道，水面清洁。", "宣传防范电信诈骗，发放资料{n}份。",
    "检查沿街商铺消防器材{n}处。", "陪同包村干部走访困难家庭。", "收集群众意见{n}条，已上报村委会。",
)
ROADS = ("中心街", "村南路", "村北路", "东西大街", "南北大街", "村东头", "文化广场周边")
ITEMS = ("老年人补贴通知", "医保缴费通知", "秋季防火宣传单", "积分超市兑换通知")
VISIT_NOTES = {
    VisitOutcome.NORMAL: ("本人在家，身体状况良好。", "情况稳定，无新诉求。", "家属在场，生活正常。",
                          "本人在家，已提醒按时服药。", "近况良好，已宣传相关政策。"),
    VisitOutcome.ISSUE_FOUND: ("反映房屋漏雨，需协调维修。", "反映低保待遇问题，已记录上报。",
                               "情绪不稳定，已告知家属加强看护。", "反映用水不便，已联系村委会。"),
    VisitOutcome.NOT_MET: ("本人外出，家中无人，改日再访。", "本人外出务工，已电话联系家属。"),
}

NEW_VISIT = row_maker(Visit)  # three months of visits: a few hundred thousand rows in a county


# Each basic grid's diligence, kept for the year: how often its visits are on time (the grid assessment's
# history reads the same classes for its patrols). Fixed shares, so a street's mix is the county's.
DILIGENCE_SHARES = (("steady", 0.65), ("uneven", 0.23), ("lax", 0.12))
VISIT_ON_TIME = {"steady": 0.995, "uneven": 0.9, "lax": 0.7}


def grid_diligence(seed: int, codes: list[str]) -> dict[str, str]:
    """Grid code → its diligence class: the grids in the order of a draw of their own, the first 65% steady,
    the next 23% uneven, the rest lax."""
    order = sorted(codes, key=lambda code: (random.Random(f"{seed}:diligence:{code}").random(), code))
    out, start = {}, 0.0
    for name, share in DILIGENCE_SHARES:
        end = start + share
        for code in order[round(start * len(order)):round(end * len(order))]:
            out[code] = name
        start = end
    return out


def write_grid_work(insert: Callable, plan: Plan, *, seed: int, today: dt.date | None = None,
                    tracks: bool = True) -> None:
    """Write the history. ``insert(model, rows)`` is the builder's counted ``bulk_create``."""
    rng = random.Random(f"{seed}:gridwork")
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    staff = _staff_by_grid()
    with indexes_built_after(Visit, Patrol, TrackPoint, DailyLog):  # built once over the filled tables
        _write_visits(insert, rng, today, tz, staff, HISTORY_DAYS if tracks else COUNTY_HISTORY_DAYS, seed)
        if tracks:
            _write_patrols(insert, rng, plan, today, tz, staff)
            _write_daily_logs(insert, rng, today, staff)


def _staff_by_grid() -> dict[int, list[tuple[int, str]]]:
    staff: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for grid_id, user_id, duty in (
        GridAssignment.objects.filter(ended_on__isnull=True).exclude(duty=GridDuty.GUIDE)
        .order_by("grid_id", "duty", "user_id").values_list("grid_id", "user_id", "duty")
    ):
        staff[grid_id].append((user_id, duty))
    return staff


def _at(day: dt.date, rng: random.Random, tz, start_h: float = 8.5, end_h: float = 17.5) -> dt.datetime:
    minute = rng.randrange(int(start_h * 60), int(end_h * 60))
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randrange(60)), tzinfo=tz)


def _write_visits(insert, rng, today: dt.date, tz, staff, history_days: int, seed: int) -> None:
    """Each key person is visited around their due date by a worker of their grid (or its parent
    grid); each grid keeps its diligence (``grid_diligence``), so some fall behind and leave people
    overdue. Where a grid has nobody, nobody visits: those people are overdue too (一格一人 shows why)."""
    window_start = today - dt.timedelta(days=history_days)
    now = timezone.now()
    codes = dict(Grid.objects.values_list("id", "code"))
    diligence = grid_diligence(seed, list(Grid.objects.filter(level=3).values_list("code", flat=True)))
    people = (
        KeyPerson.objects.filter(is_active=True, category__is_active=True)
        .order_by("id")
        .values_list("id", "registered_on", "category__visit_cycle_days", "resident__household__grid_id",
                     "resident__household__grid__parent_id")
    )
    rows: list[Visit] = []
    for kp_id, registered_on, cycle, grid_id, parent_id in people:
        visitors = staff.get(grid_id, []) + staff.get(parent_id, [])
        if not visitors:
            continue
        # Full-time workers do most visits; a micro-grid's part-time worker or the chief the rest.
        weights = [3 if duty == GridDuty.FULL_TIME else 2 if duty == GridDuty.PART_TIME else 1 for _, duty in visitors]
        visitor = rng.choices(visitors, weights=weights)[0][0]
        r = VISIT_ON_TIME[diligence.get(codes[parent_id or grid_id], "steady")]
        if registered_on >= window_start:
            basis = registered_on
        else:
            # The visit that anchors the window: within one cycle before it.
            basis = window_start - dt.timedelta(days=rng.randrange(cycle))
            rows.append(_visit(rng, kp_id, visitor, _at(basis, rng, tz), VisitOutcome.NORMAL,
                               basis + dt.timedelta(days=rng.randint(0, 3))))
        while True:
            due = basis + dt.timedelta(days=cycle)
            day = due - dt.timedelta(days=rng.randint(0, min(10, cycle // 3))) if rng.random() < r else (
                due + dt.timedelta(days=rng.randint(1, 25)))
            day = max(day, basis + dt.timedelta(days=1))
            if day > today or (day == today and rng.random() < 0.5):
                break
            at = _at(day, rng, tz)
            if at > now:  # today's visit has not happened yet (a build just after midnight)
                break
            outcome = rng.choices((VisitOutcome.NORMAL, VisitOutcome.ISSUE_FOUND, VisitOutcome.NOT_MET),
                                  weights=(84, 9, 7))[0]
            rows.append(_visit(rng, kp_id, visitor, at, outcome, due))
            if outcome == VisitOutcome.NOT_MET:
                # Not met: try again a few days later, against the same due date.
                day += dt.timedelta(days=rng.randint(1, 5))
                if day >= today:
                    break
                rows.append(_visit(rng, kp_id, visitor, _at(day, rng, tz), VisitOutcome.NORMAL, due))
            basis = day
    insert(Visit, rows)


def _visit(rng, kp_id: int, visitor: int, at: dt.datetime, outcome: str, due_on: dt.date) -> Visit:
    return NEW_VISIT(key_person_id=kp_id, visitor_id=visitor, visited_at=at, visited_on=at.date(),
                     outcome=outcome, due_on=due_on, notes=rng.choice(VISIT_NOTES[outcome]),
                     place="家中" if outcome != VisitOutcome.NOT_MET else "")


def _grid_geoms(plan: Plan) -> dict[int, object]:
    geoms: dict[int, object] = {}

    def add(gp: GridPlan):
        geoms[gp.pk] = gp.geom
        for child in gp.children:
            add(child)

    for v in plan.villages:
        for gp in v.grids:
            add(gp)
    return geoms


def _walk(rng: random.Random, geom, start: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    """A walk inside ``geom``: ~33 m a fix, the heading drifting, turning back at the boundary."""
    shapely.prepare(geom)
    lon, lat = start
    heading = rng.uniform(0, 2 * math.pi)
    points = [(lon, lat)]
    k = math.cos(math.radians(lat))
    for _ in range(steps - 1):
        step = WALK_M_PER_S * FIX_EVERY_S * rng.uniform(0.6, 1.3)
        for _attempt in range(8):
            heading += rng.gauss(0, 0.35)
            nlon = lon + step * math.sin(heading) / (METRES_PER_DEGREE * k)
            nlat = lat + step * math.cos(heading) / METRES_PER_DEGREE
            if geom.contains(shapely.Point(nlon, nlat)):
                lon, lat = nlon, nlat
                break
            heading += math.pi * rng.uniform(0.5, 1.5)
        points.append((round(lon, 6), round(lat, 6)))
    return points


def _write_patrols(insert, rng, plan: Plan, today: dt.date, tz, staff) -> None:
    """Finished patrols over the last two weeks: full-time workers most days, chiefs and part-time
    micro-grid workers now and then; each walks inside the grid they staff."""
    geoms = _grid_geoms(plan)
    sampler = geo.PointSampler()
    per_duty = {GridDuty.FULL_TIME: (4, 7), GridDuty.CHIEF: (1, 3), GridDuty.PART_TIME: (1, 2)}
    patrols: list[Patrol] = []
    walks: list[list[tuple[float, float]]] = []
    for grid_id in sorted(staff):
        geom = geoms.get(grid_id)
        if geom is None:
            continue
        for user_id, duty in staff[grid_id]:
            low, high = per_duty.get(duty, (1, 2))
            days = sorted(rng.sample(range(1, PATROL_DAYS + 1), rng.randint(low, high)))
            for back in days:
                start = _at(today - dt.timedelta(days=back), rng, tz, 8.0, 16.0)
                steps = rng.randint(40, 110)  # 20–55 minutes
                walk = _walk(rng, geom, sampler.point(rng, geom), steps)
                patrols.append(Patrol(
                    worker_id=user_id, grid_id=grid_id, started_at=start,
                    ended_at=start + dt.timedelta(seconds=FIX_EVERY_S * (steps - 1) + rng.randint(20, 90)),
                    distance_m=round(path_length_m(walk)), point_count=len(walk),
                ))
                walks.append(walk)
    patrols = insert(Patrol, patrols)
    batch: list[TrackPoint] = []
    for patrol, walk in zip(patrols, walks, strict=True):
        for i, (lon, lat) in enumerate(walk):
            batch.append(TrackPoint(patrol_id=patrol.pk, lon=lon, lat=lat, accuracy_m=rng.choice((4, 5, 6, 8, 10, 15)),
                                    recorded_at=patrol.started_at + dt.timedelta(seconds=FIX_EVERY_S * i)))
        if len(batch) >= 20_000:
            insert(TrackPoint, batch)
            batch = []
    insert(TrackPoint, batch)


def _write_daily_logs(insert, rng, today: dt.date, staff) -> None:
    rows = []
    for grid_id in sorted(staff):
        for user_id, duty in staff[grid_id]:
            if duty != GridDuty.FULL_TIME:
                continue
            for back in range(LOG_DAYS, 0, -1):
                if rng.random() < 0.3:
                    continue
                lines = rng.sample(LOG_LINES, rng.randint(1, 3))
                text = "".join(
                    line.format(road=rng.choice(ROADS), n=rng.randint(2, 12), item=rng.choice(ITEMS)) for line in lines
                )
                rows.append(DailyLog(worker_id=user_id, grid_id=grid_id, date=today - dt.timedelta(days=back),
                                     text=text))
    insert(DailyLog, rows)

