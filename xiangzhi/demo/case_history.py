"""Two years of case history for the demo county, so the figures and charts have something real to
show: ~97% of reports valid, ~98–99% closed, most on time, nearly all evaluations satisfied, and
closures spread over the levels like 青草镇's 102 / 39 / 3 (seed 001).

Rows are written with ``bulk_create``, not through the services (a county's 200,000 cases would take
hours that way), but every case's story is played through the same rules: the transition table
(``rules.TRANSITIONS``), who acts at each level, the step clocks and the closure deadline (all in
``cases.rules``, on the county's working calendar), the minute sweep's warnings, overdue
marks and automatic escalation, the evaluation window and automatic archiving. A history case reads
exactly like one the platform handled, transition by transition.

Deterministic for a seed and a moment ``now``: each village's cases draw from their own generator
(``seed:cases:village code``), so a village's history is the same whether the whole county or a
few villages are built.
"""

import datetime as dt
import random
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

import shapely
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases import rules
from xiangzhi.cases.models import (
    OPEN_STATUSES,
    Case,
    Category,
    CategoryTerms,
    Channel,
    Evaluation,
    HandlingLevel,
    OverdueAction,
    Status,
    Transition,
)
from xiangzhi.cases.rules import TRANSITIONS, level_up
from xiangzhi.demo.bulkload import indexes_built_after, row_maker
from xiangzhi.demo.geography import poisson
from xiangzhi.demo.names import draw_name
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.geometry import parse_boundary
from xiangzhi.people.models import Household
from xiangzhi.regions.models import Department, Grid, GridAssignment, GridDuty, Region

L = HandlingLevel
S = Status
HISTORY_DAYS = 730
NEW_TRANSITION = row_maker(Transition)  # ten a case: two hundred thousand in a county
# Cases per household over the two years: 文祖街道 ~3,000; 沾化区 ~20,000 in the demo build (the
# benchmark adds up to 200,000, the county's real rate of about 10万 a year, seed 003).
PER_HOUSEHOLD = {"street": 0.44, "county": 0.143}

# How often each category comes up, per thousand cases. Rural grids see mostly litter, neighbour
# quarrels and broken lights; big-ticket matters are rare. With the level shifts below, closures come
# out about 70% grid, 25% village, 3% township, 2% departments (seed 001: 102 / 39 / 3 of 144).
CATEGORY_WEIGHTS = {
    "env_garbage": 300, "road_light": 135, "dispute_neighbour": 245, "dispute_family": 110,
    "env_sewage": 35, "dispute_land": 25, "safety_traffic": 15, "petition_policy": 50, "livelihood_welfare": 20,
    "pollution_noise": 12, "device_alarm": 8,
    "env_straw_burning": 4, "road_damage": 7, "road_manhole": 3, "safety_building": 2, "petition_complaint": 3,
    "epidemic_clue": 0.5,
    "safety_fire": 3, "livelihood_water": 3, "livelihood_power": 3, "illegal_construction": 2, "illegal_land": 1,
    "pollution_water": 0.5, "pollution_air": 1, "epidemic_animal": 0.5, "market_food": 1,
}
# Straw burning is a June and October matter (summer and autumn harvests).
SEASONAL = {"env_straw_burning": {6: 6.0, 10: 5.0}}
MONTH_WEIGHT = {1: 0.8, 2: 0.7, 3: 0.95, 4: 1.05, 5: 1.1, 6: 1.2, 7: 1.15, 8: 1.1, 9: 1.0, 10: 1.1, 11: 0.95,
                12: 0.85}
HOUR_WEIGHT = [0, 0, 0, 0, 0, 0.2, 0.6, 1.4, 2.6, 3.2, 3.0, 2.2, 1.2, 1.6, 2.6, 2.9, 2.6, 1.8, 1.2, 1.0, 0.8,
               0.5, 0.2, 0.05]
# Where a case that starts at a level ends up being closed.
LEVEL_PLAN = {
    L.GRID: ((L.GRID, 0.92), (L.VILLAGE, 0.075), (L.TOWNSHIP, 0.005)),
    L.VILLAGE: ((L.VILLAGE, 0.96), (L.TOWNSHIP, 0.03), (L.DEPARTMENT, 0.01)),
    L.TOWNSHIP: ((L.TOWNSHIP, 0.70), (L.DEPARTMENT, 0.30)),
    L.DEPARTMENT: ((L.DEPARTMENT, 1.0),),
}
P_PROACTIVE = 0.18      # 网格员主动发现 (未诉先办), seed 004
P_TRIAGE = 0.004        # hotline calls with no usable location: the township's triage queue
P_REJECT = 0.03         # seed 000: 合格率 97%
P_DUPLICATE = 0.012     # a second report of the same problem nearby, merged
P_LATE = 0.045          # handled past the step's limit
P_STUCK = 0.008         # hard cases that drag on for weeks or months
P_REWORK = 0.03         # verification fails once
P_SUSPEND = 0.004       # 缓办: waiting for funds, a court, the season
P_EVALUATE = 0.85       # of cases whose reporter can evaluate in the app
EVALUATIONS = ((Evaluation.SATISFIED, 0.905), (Evaluation.BASICALLY_SATISFIED, 0.085),
               (Evaluation.DISSATISFIED, 0.01))
CHANNELS = ((Channel.RESIDENT, 0.52), (Channel.HOTLINE, 0.34), (Channel.QR, 0.10), (Channel.API, 0.04))

TITLES = {
    "env_garbage": ("{place}垃圾堆放未清运", "{place}生活垃圾乱倒", "{place}建筑垃圾堆放", "垃圾桶满溢无人清理"),
    "env_sewage": ("{place}污水外溢", "排水沟堵塞污水漫流", "化粪池满溢"),
    "env_straw_burning": ("{place}田间焚烧秸秆", "麦田边有人焚烧秸秆"),
    "road_light": ("{place}路灯不亮", "{place}路灯损坏", "太阳能路灯夜间不亮"),
    "road_damage": ("{place}路面坑洼", "村道塌陷", "桥面破损"),
    "road_manhole": ("{place}井盖缺失", "井盖破损有安全隐患"),
    "dispute_neighbour": ("邻里宅基地界线纠纷", "邻里因排水发生纠纷", "邻里因堆放杂物发生口角",
                          "邻里因树木遮挡发生纠纷"),
    "dispute_family": ("赡养老人纠纷", "夫妻矛盾需调解", "兄弟分家纠纷"),
    "dispute_land": ("土地流转面积争议", "承包地边界纠纷", "土地流转费未按时支付"),
    "safety_fire": ("{place}柴草堆放占用消防通道", "电动车楼道充电", "私拉乱接电线"),
    "safety_building": ("老旧房屋墙体开裂", "危房有倒塌风险"),
    "safety_traffic": ("{place}路口缺少减速带", "农用车占道停放", "{place}视线遮挡有事故隐患"),
    "petition_policy": ("咨询医保缴费政策", "咨询养老保险待遇", "咨询耕地地力补贴", "咨询高龄补贴申领"),
    "petition_complaint": ("反映征地补偿问题", "反映村务不公开", "反映工程款拖欠"),
    "livelihood_water": ("{place}停水", "自来水水压不足", "供水管道破裂"),
    "livelihood_power": ("{place}停电", "电压不稳", "线路老化经常跳闸"),
    "livelihood_welfare": ("申请临时救助", "申请低保", "残疾人补贴申请"),
    "illegal_construction": ("{place}私搭乱建", "占用村道违规建房"),
    "illegal_land": ("占用耕地堆放杂物", "耕地上违规建设"),
    "pollution_water": ("河道水体发黑", "养殖废水直排"),
    "pollution_air": ("企业排放异味", "露天焚烧垃圾冒黑烟"),
    "pollution_noise": ("夜间施工噪声扰民", "广场舞音响声音过大"),
    "epidemic_clue": ("外地返乡人员未报备",),
    "epidemic_animal": ("家禽异常死亡", "生猪疑似患病"),
    "market_food": ("小卖部销售过期食品", "流动摊贩食品无证经营"),
    "device_alarm": ("河道水位监测告警", "消防烟感告警"),
}
PLACES = ("村口", "村东头", "村西头", "中心街", "村南路", "村北路", "文化广场", "小学门口", "村委会附近", "河边")
REJECT_NOTES = ("现场核实无此情况", "不属于受理范围，已告知反映人", "信息不全，联系不上反映人", "已自行解决，无需处置")
HANDLE_NOTES = {
    L.GRID: ("已现场处置完毕", "已协调清理", "已调解，双方达成一致", "已联系维修，恢复正常"),
    L.VILLAGE: ("村两委已协调解决", "已组织人员处置完毕", "已召开协调会达成一致"),
    L.TOWNSHIP: ("乡镇已协调相关单位处置完毕", "已现场处置并回访"),
    L.DEPARTMENT: ("部门已到场处置完毕", "已依法处理并反馈", "已维修恢复"),
    L.COUNTY: ("区级已协调处置完毕",),
}


def _cum(pairs):
    return [k for k, _ in pairs], list(accumulate(w for _, w in pairs))


@dataclass
class Leaf:
    """A grid with no children: where a located case lands (``locate`` returns the deepest grid)."""

    id: int
    code: str
    path: str
    village_id: int
    households: int
    geom: object
    bounds: tuple
    worker: int | None  # whoever staffs it: its own worker, else its grid's


@dataclass
class HistoryReport:
    cases: int = 0
    transitions: int = 0
    statuses: Counter = field(default_factory=Counter)


class _County:
    """Everything the stories need, loaded once: categories, the calendar, regions, grids and staff."""

    def __init__(self):
        self.categories = {c.code: c for c in Category.objects.filter(is_active=True)}
        # category id → its versions of terms, oldest first: a case keeps the one in force when it was
        # reported (as ``case_report`` does), the first for a case older than every version.
        self.versions: dict[int, list[CategoryTerms]] = defaultdict(list)
        for terms in CategoryTerms.objects.order_by("category_id", "version"):
            self.versions[terms.category_id].append(terms)
        self.cal = rules.calendar()
        self.regions = {r[0]: r for r in Region.objects.values_list("id", "code", "name", "level", "path", "parent_id")}
        self.county_id = next((r[0] for r in self.regions.values() if r[3] == "county"), None)
        staff: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for grid_id, user_id, duty in (GridAssignment.objects.filter(ended_on__isnull=True)
                                       .exclude(duty=GridDuty.GUIDE).order_by("grid_id", "user_id")
                                       .values_list("grid_id", "user_id", "duty")):
            staff[grid_id][duty].append(user_id)
        households = dict(Household.objects.values_list("grid_id").annotate(n=Count("id")).order_by())
        grids = list(Grid.objects.filter(is_active=True).values_list("id", "code", "path", "region_id", "parent_id",
                                                                      "boundary"))
        parents = {g[0] for g in grids if g[4] is not None} and {g[4] for g in grids if g[4] is not None}
        self.leaves: dict[int, list[Leaf]] = defaultdict(list)
        for gid, code, path, region_id, parent_id, boundary in grids:
            if gid in parents or not boundary:
                continue
            geom = parse_boundary(boundary)
            shapely.prepare(geom)
            worker = _worker(staff.get(gid)) or (_worker(staff.get(parent_id)) if parent_id else None)
            self.leaves[region_id].append(Leaf(gid, code, path, region_id, households.get(gid, 0), geom, geom.bounds,
                                               worker))
        users = defaultdict(list)
        residents = defaultdict(list)
        for uid, role, region_id, village_id in (User.objects.filter(is_active=True).order_by("username")
                                                 .values_list("id", "role", "region_id", "household__grid__region_id")):
            if role == Role.RESIDENT and village_id:
                residents[village_id].append(uid)
            elif region_id:
                users[(role, region_id)].append(uid)
        self.users, self.residents = users, residents
        self.dept_staff = dict(User.objects.filter(role=Role.DEPARTMENT_STAFF, is_active=True,
                                                   department__isnull=False).values_list("department_id", "id"))
        self.departments = {}
        for did, kind, region_id in Department.objects.filter(is_active=True).order_by("code").values_list(
                "id", "kind", "region_id"):
            self.departments.setdefault((region_id, kind), did)

    def terms_at(self, category_id: int, at: dt.datetime) -> CategoryTerms | None:
        versions = self.versions.get(category_id) or [None]
        return next((v for v in reversed(versions) if v is not None and v.created_at <= at), versions[0])

    def township_of(self, region_id: int) -> int:
        node = self.regions[region_id]
        while node[3] not in ("township", "county") and node[5] is not None:
            node = self.regions[node[5]]
        return node[0]

    def department_for(self, category: Category, township_id: int) -> int | None:
        """``routing.department_for``: the township's department of the kind, else the county's."""
        if not category.department_kind:
            return None
        return (self.departments.get((township_id, category.department_kind))
                or self.departments.get((self.county_id, category.department_kind)))

    def one(self, role: str, region_id: int, i: int = 0) -> int | None:
        people = self.users.get((role, region_id)) or []
        return people[min(i, len(people) - 1)] if people else None


def _worker(duties) -> int | None:
    if not duties:
        return None
    for duty in (GridDuty.FULL_TIME, GridDuty.PART_TIME, GridDuty.CHIEF):
        if duties.get(duty):
            return duties[duty][0]
    return None


# --- one case's story ---------------------------------------------------------------------------


class _Story:
    """Plays actions on a Case the way ``services._move`` and the sweep would, recording a Transition
    for each; an action later than ``now`` has not happened yet, and nothing after it does."""

    def __init__(self, county: _County, case: Case, now: dt.datetime):
        self.county, self.c, self.now = county, case, now
        self.rows: list[Transition] = []
        self.stopped = False
        self.leaf: Leaf | None = None
        self.leaf_worker: int | None = None
        self.closed_first: tuple[dt.datetime, bool, str, int | None] | None = None  # when, on time, level, by

    def wh(self, start: dt.datetime, hours: float) -> dt.datetime:
        return self.county.cal.add_working_hours(start, hours)

    def record(self, action, at, actor, from_status, from_level, note="") -> None:
        c = self.c
        self.rows.append(NEW_TRANSITION(case_id=c.id, action=action, from_status=from_status, to_status=c.status,
                                        from_level=from_level, to_level=c.handling_level, actor_id=actor,
                                        department_id=c.assignee_department_id, note=note, created_at=at))

    def sweep(self, until: dt.datetime, *, chain: bool = False) -> None:
        """What the minute sweep (``cases.services.case_deadline_sweep``) did before ``until``. It stops after
        an automatic escalation, for the level above to act, unless ``chain`` (nobody acts any more)."""
        c = self.c
        until = min(until, self.now)
        while c.status in OPEN_STATUSES and c.due_at is not None:
            if c.warned_at is None and c.warn_at is not None and c.warn_at < c.due_at and c.warn_at <= until:
                c.warned_at = c.warn_at
                self.record("warn", c.warn_at, None, c.status, c.handling_level, "系统：即将超时")
            if c.overdue_at is not None or c.due_at > until:
                return
            at = c.overdue_at = c.due_at
            c.ever_overdue = True
            self.record("overdue", at, None, c.status, c.handling_level, "系统：已超过本环节时限")
            up = level_up(c.handling_level)
            if (rules.terms_of(c).overdue_action != OverdueAction.ESCALATE or up is None
                    or c.status not in TRANSITIONS["escalate"][0]):
                return
            if c.status == S.REPORTED:
                self.move("accept", at, None, note="上报时一并受理", accepted_at=at)
            self.move("escalate", at, None, note="超时自动上报", handling_level=up, assignee_department_id=None,
                      assignee_user_id=None, escalation_count=c.escalation_count + 1)
            if not chain:
                return

    def move(self, action: str, at: dt.datetime, actor: int | None, *, to_status: str | None = None, note: str = "",
             keep_clock: bool = False, **changes) -> bool:
        if self.stopped or at > self.now:
            self.stopped = True
            return False
        self.sweep(at)
        c = self.c
        from_status, from_level = c.status, c.handling_level
        if action in TRANSITIONS:
            allowed, target = TRANSITIONS[action]
            assert from_status in allowed, (action, from_status)
        target = to_status or TRANSITIONS[action][1]
        for name, value in changes.items():
            setattr(c, name, value)
        c.status = target
        if target != from_status or "handling_level" in changes:
            rules.set_step_clock(c, started=at, keep_running=keep_clock)
        self.record(action, at, actor, from_status, from_level, note)
        return True

    def finish(self) -> list[Transition]:
        self.sweep(self.now, chain=True)
        return self.rows


# --- the county ---------------------------------------------------------------------------------


def write_case_history(insert: Callable, *, seed: int, per_household: float | None = None, total: int | None = None,
                       now: dt.datetime | None = None, days: int = HISTORY_DAYS, stdout=None) -> HistoryReport:
    """Write ``days`` of history ending at ``now``: ``per_household`` cases per household, or ``total``
    cases spread over the households. ``insert(model, rows)`` is a counted ``bulk_create``."""
    now = (now or timezone.now()).replace(microsecond=0)
    county = _County()
    villages = sorted((r for r in county.regions.values() if r[3] == "village"), key=lambda r: r[1])
    all_households = sum(leaf.households for v in villages for leaf in county.leaves.get(v[0], []))
    if not all_households or not county.categories:
        return HistoryReport()
    rate = per_household if per_household is not None else (total or 0) / all_households
    next_id = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    report = HistoryReport()
    days_cum = _day_weights(now, days)
    with indexes_built_after(Case, Transition):  # built once over the two years
        for i, village in enumerate(villages, start=1):
            leaves = county.leaves.get(village[0], [])
            if not leaves:
                continue
            households = sum(leaf.households for leaf in leaves)
            rng = random.Random(f"{seed}:cases:{village[1]}")
            n = poisson(rng, rate * households)
            cases, transitions = _village_history(county, village, leaves, rng, n, now, days, days_cum, next_id)
            next_id += len(cases)
            insert(Case, cases)
            insert(Transition, transitions)
            report.cases += len(cases)
            report.transitions += len(transitions)
            report.statuses.update(c.status for c in cases)
            if stdout is not None and (i % 100 == 0 or i == len(villages)):
                stdout.write(f"  已生成 {i}/{len(villages)} 个村的事件历史（{report.cases:,} 件）\n")
                stdout.flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
                cursor.execute(sql)
    return report


def _day_weights(now: dt.datetime, days: int) -> tuple[list[dt.date], list[float]]:
    """Local days of the window with their weights: slowly rising use, seasons, quieter weekends."""
    today = timezone.localtime(now).date()
    dates = [today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    weights = [(0.75 + 0.5 * i / days) * MONTH_WEIGHT[d.month] * (1.0 if d.weekday() < 5 else 0.7)
               for i, d in enumerate(dates)]
    return dates, list(accumulate(weights))


def _moment(rng: random.Random, dates, cum, now: dt.datetime) -> dt.datetime:
    tz = timezone.get_current_timezone()
    hours = list(accumulate(HOUR_WEIGHT))
    for _ in range(50):
        day = dates[bisect(cum, rng.random() * cum[-1])]
        hour = bisect(hours, rng.random() * hours[-1])
        local = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=tz)
        moment = local.astimezone(dt.UTC)
        if moment <= now:
            return moment
    return now - dt.timedelta(minutes=rng.randrange(1, 600))


def _point(rng: random.Random, leaf: Leaf) -> tuple[float, float]:
    minx, miny, maxx, maxy = leaf.bounds
    for _ in range(200):
        x, y = round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6)
        if shapely.contains_xy(leaf.geom, x, y):
            return x, y
    p = leaf.geom.representative_point()
    return round(p.x, 6), round(p.y, 6)


def _village_history(county: _County, village, leaves: list[Leaf], rng: random.Random, n: int, now, days,
                     days_cum, first_id: int) -> tuple[list[Case], list[Transition]]:
    township_id = county.township_of(village[0])
    township = county.regions[township_id]
    codes = [c for c in CATEGORY_WEIGHTS if c in county.categories]
    leaf_cum = list(accumulate(max(1, leaf.households) for leaf in leaves))
    channel_names, channel_cum = _cum(CHANNELS)
    residents = county.residents.get(village[0], [])
    # The demo has an app account for only a few households a village: they report some of the
    # 随手拍 cases (and evaluate them); the rest come from villagers without an account or by phone.
    p_account = min(0.5, len(residents) * 12 / max(1.0, n * 0.5)) if residents else 0.0
    ids = iter(range(first_id, first_id + 10 * n + 10))

    stories: list[_Story] = []
    for _ in range(n):
        created = _moment(rng, *days_cum, now)
        month = timezone.localtime(created).month
        weights = [CATEGORY_WEIGHTS[c] * (SEASONAL[c].get(month, 0.2) if c in SEASONAL else 1.0) for c in codes]
        category = county.categories[rng.choices(codes, weights=weights)[0]]
        leaf = leaves[bisect(leaf_cum, rng.random() * leaf_cum[-1])]
        case = Case(id=next(ids), category=category, created_at=created, step_started_at=created)
        triage = rng.random() < P_TRIAGE
        if not triage and leaf.worker is not None and rng.random() < P_PROACTIVE:
            case.channel, case.is_proactive, case.reporter_id = Channel.WORKER, True, leaf.worker
        else:
            case.channel = (Channel.HOTLINE if triage
                            else channel_names[bisect(channel_cum, rng.random() * channel_cum[-1])])
            if case.channel == Channel.RESIDENT and rng.random() < p_account:
                case.reporter_id = rng.choice(residents)
        _place(case, county, rng, leaf, village, township, triage)
        _title(case, rng, village[2])
        _anonymous_reporter(case, rng)
        story = _open(county, case, now, leaf.worker if not triage else None,
                      "不在任何网格内，进入乡镇分拨队列" if triage else "")
        story.leaf = leaf
        stories.append(story)

    stories.sort(key=lambda s: s.c.created_at)
    extra: list[_Story] = []
    for story in stories:
        _play(county, story, rng, township_id)
    for story in stories:
        if story.c.lon is not None and rng.random() < P_DUPLICATE:
            dup = _duplicate(county, story, rng, next(ids), residents, p_account, now, township_id)
            if dup is not None:
                extra.append(dup)
    cases, transitions = [], []
    for story in [*stories, *extra]:
        transitions += story.finish()
        cases.append(story.c)
    # Ids (and so numbers, as ``case_report`` makes them) in the order the cases were reported.
    order = sorted(cases, key=lambda c: (c.created_at, c.id))
    remap = {c.id: first_id + i for i, c in enumerate(order)}
    for c in cases:
        c.id = remap[c.id]
        c.number = f"{c.created_at:%Y%m%d}{c.id:07d}"
        if c.duplicate_of_id:
            c.duplicate_of_id = remap[c.duplicate_of_id]
    numbers = {c.id: c.number for c in cases}
    merged_into = {c.id: numbers[c.duplicate_of_id] for c in cases if c.duplicate_of_id}
    for t in transitions:
        t.case_id = remap[t.case_id]
        if t.action == "merge":
            t.note = f"与 {merged_into[t.case_id]} 重复，已合并"
        elif t.action == "close_merged":
            t.note = f"随 {merged_into[t.case_id]} 结案"
    order.sort(key=lambda c: c.id)
    transitions.sort(key=lambda t: (t.created_at, t.case_id))
    return order, transitions


def _open(county: _County, case: Case, now, leaf_worker: int | None, note: str) -> _Story:
    """``case_report``: the closure deadline, the first step clock and the report transition."""
    case.status = S.REPORTED
    case.terms = county.terms_at(case.category_id, case.created_at)
    case.close_due_at = county.cal.add_working_hours(case.created_at, rules.total_hours(rules.terms_of(case)))
    rules.set_step_clock(case, started=case.created_at)
    story = _Story(county, case, now)
    story.leaf_worker = leaf_worker
    story.record("report", case.created_at, case.reporter_id, "", "", note)
    return story


def _place(case: Case, county: _County, rng, leaf: Leaf, village, township, triage: bool) -> None:
    """``routing.route``: a located case lands on its leaf grid at the category's level (a department
    if the township or county has one of the kind); a case without a location goes to the
    township's triage queue."""
    if triage:
        case.grid_id, case.region_id, case.scope_path = None, township[0], township[4]
        case.handling_level = L.TOWNSHIP if township[3] == "township" else L.COUNTY
        case.lon = case.lat = None
        case.address = f"{village[2]}（来电未说明具体位置）"
        return
    case.grid_id, case.region_id, case.scope_path = leaf.id, village[0], leaf.path
    case.lon, case.lat = _point(rng, leaf)
    case.address = f"{village[2]}{rng.choice(PLACES)}"
    level = case.category.default_level
    if level == L.DEPARTMENT:
        case.assignee_department_id = county.department_for(case.category, county.township_of(village[0]))
        if case.assignee_department_id is None:
            level = L.TOWNSHIP
    case.handling_level = level


def _title(case: Case, rng, village_name: str) -> None:
    template = rng.choice(TITLES.get(case.category.code, (case.category.name,)))
    case.title = template.format(place=rng.choice(PLACES))[:100]
    case.description = f"{village_name}{case.title}，请尽快处理。"


def _anonymous_reporter(case: Case, rng) -> None:
    if case.reporter_id:
        return
    case.reporter_name = draw_name(rng, "M" if rng.random() < 0.6 else "F", rng.randint(1945, 2000))
    if case.channel == Channel.HOTLINE:
        phone = f"1{rng.choice((3, 5, 8))}{rng.randrange(10**9):09d}"
        case.reporter_phone_encrypted = crypto.encrypt(phone)
        case.reporter_phone_masked = idnumber.mask_phone(phone)


# --- who acts ---------------------------------------------------------------------------------


def _owner(county: _County, story: _Story, level: str, township_id: int) -> int | None:
    """Who staffs a level for this case (``rules.is_owner``)."""
    c = story.c
    if level == L.GRID:
        return story.leaf_worker
    if level == L.VILLAGE:
        return county.one(Role.VILLAGE_CADRE, c.region_id)
    if level == L.TOWNSHIP:
        return county.one(Role.TOWNSHIP_STAFF, township_id, 0)
    if level == L.DEPARTMENT:
        return county.dept_staff.get(c.assignee_department_id)
    return county.one(Role.COUNTY_ADMIN, county.county_id, 0)


def _verifier(county: _County, story: _Story, level: str, township_id: int) -> int | None:
    """Who checks on site (``rules.can_verify``), never the one who handled it."""
    c = story.c
    if level in (L.GRID, L.DEPARTMENT) and c.grid_id:
        return county.one(Role.VILLAGE_CADRE, c.region_id) or county.one(Role.TOWNSHIP_STAFF, township_id, 0)
    if level in (L.VILLAGE, L.DEPARTMENT):
        return county.one(Role.TOWNSHIP_STAFF, township_id, 0)
    if level == L.TOWNSHIP:
        return county.one(Role.TOWNSHIP_STAFF, township_id, 1) or county.one(Role.COUNTY_ADMIN, county.county_id)
    return county.one(Role.COUNTY_ADMIN, county.county_id, 1)


def _choose(rng, pairs):
    names, cum = _cum(pairs)
    return names[bisect(cum, rng.random() * cum[-1])]


# --- the stories --------------------------------------------------------------------------------


def _play(county: _County, story: _Story, rng, township_id: int) -> None:
    """Accept (or reject), pass to the level that will close it, handle, verify, close, evaluate,
    archive — each at a time drawn from the category's step limits."""
    c, cat = story.c, rules.terms_of(story.c)  # the case's own terms: its limits and overdue action
    level0 = c.handling_level
    t = story.wh(c.created_at, cat.accept_hours * rng.uniform(0.05, 0.8))
    vacant = level0 == L.GRID and story.leaf_worker is None
    town = county.one(Role.TOWNSHIP_STAFF, township_id, 0)
    acceptor = town if vacant else (_owner(county, story, level0, township_id) or town)
    if rng.random() < P_REJECT:
        story.move("reject", t, acceptor, note=rng.choice(REJECT_NOTES))
        return
    plan = L.VILLAGE if vacant else _choose(rng, LEVEL_PLAN[level0])
    if plan == L.DEPARTMENT and not county.department_for(cat, township_id):
        plan = L.TOWNSHIP if level0 != L.DEPARTMENT else L.DEPARTMENT
    if not story.move("accept", t, acceptor, accepted_at=t):
        return
    if plan == level0:
        story.move("dispatch", t, acceptor, note="自办自结", assignee_user_id=acceptor)
        story.move("start", t, acceptor, keep_clock=True, assignee_user_id=acceptor)
        level, handler = level0, acceptor
    else:
        level = level0
        if vacant:
            story.move("dispatch", t, acceptor, note="网格暂无网格员，派村处置", handling_level=L.VILLAGE,
                       assignee_department_id=None, assignee_user_id=None)
            level = L.VILLAGE
        elif level0 in (L.GRID, L.VILLAGE):
            up = L.VILLAGE if plan == L.VILLAGE else L.TOWNSHIP
            t = story.wh(t, cat.dispatch_hours * rng.uniform(0.05, 0.8))
            note = "需村里协调处置" if up == L.VILLAGE else "网格吹哨：需乡镇协调相关部门"
            story.move("escalate", t, acceptor, note=note, handling_level=up, assignee_department_id=None,
                       assignee_user_id=None, escalation_count=c.escalation_count + 1)
            level = up
        if plan == L.DEPARTMENT:
            t = story.wh(t, min(4.0, cat.handle_hours * 0.3) * rng.uniform(0.1, 1.0))
            story.move("dispatch", t, town, note="网格吹哨、部门报到", handling_level=L.DEPARTMENT,
                       assignee_department_id=county.department_for(cat, township_id), assignee_user_id=None)
            level = L.DEPARTMENT
        handler = _owner(county, story, level, township_id) or town
        t = story.wh(t, cat.handle_hours * rng.uniform(0.02, 0.2))
        story.move("start", t, handler, keep_clock=True, assignee_user_id=handler)
    if story.stopped:
        return
    closed = _handle_and_close(county, story, rng, township_id, level, handler, t)
    if closed is not None:
        _evaluate_or_archive(county, story, rng, township_id, closed)


def _handle_and_close(county: _County, story: _Story, rng, township_id, level, handler, t) -> dt.datetime | None:
    """Handle within the step's clock (most), a little past it (some), or weeks past it (a few hard
    ones); the sweep warns, marks overdue and, where the category says so, escalates meanwhile."""
    c, cat = story.c, rules.terms_of(story.c)  # the case's own terms: its limits and overdue action
    r = rng.random()
    notify = cat.overdue_action == OverdueAction.NOTIFY
    if r < P_STUCK and notify:
        share = rng.uniform(6, 150)
    elif r < P_STUCK + P_LATE:
        share = rng.uniform(1.05, 2.2)
    else:
        share = rng.betavariate(1.4, 3.2) * 0.95
    if rng.random() < P_SUSPEND:
        at = story.wh(t, cat.handle_hours * 0.1)
        if not story.move("suspend", at, handler, note=rng.choice(("等待资金到位", "等待司法程序", "需待农闲时施工")),
                          suspended_from=c.status):
            return None
        back = at + dt.timedelta(days=rng.uniform(5, 60))
        if not story.move("resume", back, handler, to_status=c.suspended_from, suspended_from="",
                          close_due_at=rules.extend(c.close_due_at, at, back)):
            return None
        t = back
    while True:
        # The handling clock runs from the dispatch (a start keeps it running).
        done = story.wh(c.step_started_at, cat.handle_hours * share)
        if done <= t:
            done = story.wh(t, rng.uniform(0.2, 1.5))
        due = c.due_at
        if (due is not None and due < done and notify and level not in (L.TOWNSHIP, L.COUNTY)
                and rng.random() < 0.5):
            pushed = due + dt.timedelta(hours=rng.uniform(2, 48))
            if pushed < done:
                story.move("supervise", pushed, county.one(Role.TOWNSHIP_STAFF, township_id, 0), to_status=c.status,
                           note="已超时，请加快办理", supervise_count=c.supervise_count + 1)
        story.sweep(done)
        if story.stopped or done > story.now:
            story.stopped = True
            return None
        if c.handling_level != level:  # the sweep escalated it: the level above takes it on
            level = c.handling_level
            handler = _owner(county, story, level, township_id)
            t = story.wh(c.step_started_at, cat.handle_hours * rng.uniform(0.02, 0.15))
            if not story.move("start", t, handler, keep_clock=True, assignee_user_id=handler):
                return None
            share = rng.uniform(0.2, 0.8)
            continue
        break
    if not story.move("handle", done, handler, note=rng.choice(HANDLE_NOTES[level]), handled_at=done):
        return None
    verifier = _verifier(county, story, level, township_id)
    checked = story.wh(done, cat.verify_hours * rng.uniform(0.05, 0.7))
    if rng.random() < P_REWORK:
        if not story.move("verify_fail", checked, verifier, note="现场复核未整改到位，请返工",
                          rework_count=c.rework_count + 1):
            return None
        again = story.wh(checked, cat.handle_hours * rng.uniform(0.05, 0.3))
        if not story.move("handle", again, handler, note="已按要求整改完毕", handled_at=again):
            return None
        checked = story.wh(again, cat.verify_hours * rng.uniform(0.05, 0.5))
    if not story.move("verify_pass", checked, verifier):
        return None
    on_time = checked <= c.close_due_at
    if not story.move("close", checked, verifier, closed_at=checked, closed_on_time=on_time,
                      closed_level=c.handling_level):
        return None
    story.closed_first = (checked, on_time, c.handling_level, verifier)
    return checked


def _evaluate_or_archive(county: _County, story: _Story, rng, township_id: int, closed: dt.datetime) -> None:
    """The reporter evaluates within the window (``rules.can_evaluate``: app reporters only, not a
    worker's own finding); otherwise the sweep archives the case when the window ends."""
    c = story.c
    window = dt.timedelta(days=settings.CASE_EVALUATION_DAYS)
    if c.channel == Channel.RESIDENT and c.reporter_id and not c.is_proactive and rng.random() < P_EVALUATE:
        at = closed + dt.timedelta(hours=rng.uniform(0.5, 24 * (settings.CASE_EVALUATION_DAYS - 1)))
        evaluation = _choose(rng, EVALUATIONS)
        comment = {Evaluation.SATISFIED: rng.choice(("处理很及时", "满意", "", "谢谢网格员")),
                   Evaluation.BASICALLY_SATISFIED: rng.choice(("还行", "处理有点慢", "")),
                   Evaluation.DISSATISFIED: rng.choice(("问题没有彻底解决", "拖得太久"))}[evaluation]
        fields = {"evaluation": evaluation, "evaluation_comment": comment, "evaluated_at": at}
        if evaluation != Evaluation.DISSATISFIED or not settings.CASE_REOPEN_ON_DISSATISFIED:
            story.move("evaluate", at, c.reporter_id, to_status=S.EVALUATED, note=comment, **fields)
            return
        if not story.move("reopen", at, c.reporter_id, to_status=S.HANDLED, note=comment, closed_at=None,
                          closed_on_time=None, closed_level="", **fields):
            return
        verifier = _verifier(county, story, c.handling_level, township_id)
        closed = story.wh(at, rules.terms_of(c).verify_hours * rng.uniform(0.2, 0.9))
        if not story.move("verify_pass", closed, verifier, note="已重新核查，问题已解决"):
            return
        if not story.move("close", closed, verifier, closed_at=closed, closed_on_time=closed <= c.close_due_at,
                          closed_level=c.handling_level):
            return
    story.move("archive", closed + window + dt.timedelta(seconds=rng.randint(5, 60)), None,
               note=f"评价期（{settings.CASE_EVALUATION_DAYS}天）已过，自动归档")


def _duplicate(county: _County, main: _Story, rng, case_id: int, residents, p_account, now,
               township_id: int) -> _Story | None:
    """A second report of the same problem nearby, merged into the first while it is open, closed
    with it (``case_merge``, ``close_merged``) and archived when the evaluation window ends."""
    m = main.c
    if m.status == S.REJECTED or any(r.action == "reject" for r in main.rows):
        return None
    until = min(main.closed_first[0] if main.closed_first else now, now)
    span = until - m.created_at
    if span < dt.timedelta(minutes=30):
        return None
    created = m.created_at + span * rng.uniform(0.05, 0.4)
    level0, department0 = main.rows[0].to_level, main.rows[0].department_id
    dup = Case(id=case_id, category=m.category, created_at=created, step_started_at=created,
               channel=Channel.RESIDENT if rng.random() < 0.6 else Channel.HOTLINE, title=m.title,
               description=m.description, grid_id=m.grid_id, region_id=m.region_id, scope_path=m.scope_path,
               handling_level=level0, assignee_department_id=department0, address=m.address)
    lon, lat = m.lon + rng.uniform(-0.0008, 0.0008), m.lat + rng.uniform(-0.0006, 0.0006)
    if not shapely.contains_xy(main.leaf.geom, lon, lat):
        lon, lat = m.lon, m.lat
    dup.lon, dup.lat = round(lon, 6), round(lat, 6)
    if dup.channel == Channel.RESIDENT and residents and rng.random() < p_account:
        dup.reporter_id = rng.choice(residents)
    _anonymous_reporter(dup, rng)
    story = _open(county, dup, now, main.leaf_worker, "")
    story.leaf = main.leaf
    # Merged while it still waits for acceptance, by whoever steers the first report.
    merged_at = min(created + (until - created) * rng.uniform(0.1, 0.5),
                    story.wh(created, rules.terms_of(m).accept_hours * rng.uniform(0.05, 0.8)))
    merger = (_owner(county, story, level0, township_id)
              or county.one(Role.TOWNSHIP_STAFF, township_id, 0))
    number = f"{m.created_at:%Y%m%d}{m.id:07d}"
    if not story.move("merge", merged_at, merger, note=f"与 {number} 重复，已合并", duplicate_of_id=m.id):
        return story
    if main.closed_first is not None:
        closed, on_time, level, closer = main.closed_first
        if story.move("close_merged", closed, closer, note=f"随 {number} 结案", closed_at=closed,
                      closed_on_time=on_time, closed_level=level):
            story.move("archive", closed + dt.timedelta(days=settings.CASE_EVALUATION_DAYS, seconds=30), None,
                       note=f"评价期（{settings.CASE_EVALUATION_DAYS}天）已过，自动归档")
    return story
