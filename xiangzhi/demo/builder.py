"""The demo county: regions, grids, departments, households, residents, key people, places,
organisations and accounts, generated from the real 2023 division codes.

Deterministic for a seed: geometry and staffing draw from one ``random.Random(seed)``; each village's
people draw from a generator seeded with ``(seed, village code)``, so a village's households come
out the same whether the whole county or only a few villages are built.

Rows are built in memory and written in bulk (COPY where the rows allow, ``demo.bulkload``), one
village at a time, so a 400,000-resident county never sits in memory at once. Each step's seconds
go into the report (``BuildReport.steps``), printed at the end of ``xiangzhi demo``.
"""

import datetime as dt
import importlib
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection, models, transaction

from xiangzhi.accounts.models import Role, User
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.demo import geography as geo
from xiangzhi.demo.activities import write_activities
from xiangzhi.demo.assessment import write_assessment
from xiangzhi.demo.audit import write_audit
from xiangzhi.demo.benefits import write_benefits
from xiangzhi.demo.bulkload import foreign_keys_checked_at_end, insert_rows, row_maker
from xiangzhi.demo.case_history import PER_HOUSEHOLD, write_case_history
from xiangzhi.demo.configuration import write_configuration
from xiangzhi.demo.cycle import write_cycle
from xiangzhi.demo.disclosure import write_disclosures
from xiangzhi.demo.duties import write_duties
from xiangzhi.demo.grid_assessment import write_grid_assessment
from xiangzhi.demo.gridwork import write_grid_work
from xiangzhi.demo.households import (
    KIND_CUM,
    KIND_NAMES,
    REF_DATE,
    Person,
    birth_date,
    compose_household,
    tag_household,
)
from xiangzhi.demo.inspections import write_inspections
from xiangzhi.demo.locations import place_households
from xiangzhi.demo.meetings import write_meetings
from xiangzhi.demo.names import draw_name, draw_surname, lineage_surnames
from xiangzhi.demo.participation import write_participation
from xiangzhi.demo.party import write_party
from xiangzhi.demo.phone_visits import write_phone_visits
from xiangzhi.demo.plan import (
    SCALES,
    SPECS,
    GridPlan,
    Plan,
    ScaleSpec,
    VillagePlan,
    boundary_of,
    plan_county,
    plan_households_and_grids,
    short_township_name,
)
from xiangzhi.demo.points import write_points
from xiangzhi.demo.projects import ProjectsReport, write_projects
from xiangzhi.demo.register_history import RegisterHistoryReport, sample_villages, write_register_history
from xiangzhi.demo.shop import write_first_redemption, write_shops
from xiangzhi.demo.signups import write_signups
from xiangzhi.demo.supervision import write_supervision
from xiangzhi.lib import idnumber
from xiangzhi.people.models import (
    Household,
    KeyCategory,
    KeyPerson,
    MemberHouseholdLink,
    Organisation,
    Place,
    Resident,
    Tag,
)
from xiangzhi.regions.models import Department, Grid, GridAssignment, GridDuty, Liaison, Region, RegionLevel
from xiangzhi.regions.selectors import grid_index_invalidate
from xiangzhi.regions.services import grid_path, region_path

BATCH = 2000
# Data migrations that seed configuration (categories, calendars); re-run after a flush.
SEEDING_MIGRATIONS = [
    "xiangzhi.people.migrations.0002_default_key_categories",
    "xiangzhi.people.migrations.0008_place_kinds",
    "xiangzhi.people.migrations.0012_resident_tags",
    "xiangzhi.cases.migrations.0002_default_catalog",
    "xiangzhi.cases.migrations.0004_other_category",
    "xiangzhi.cases.migrations.0009_first_category_terms",  # after the catalog: each category's first terms
    "xiangzhi.points.migrations.0003_default_rulebook",
    "xiangzhi.party.migrations.0002_default_post_kinds",
]
REVEAL_GROUP = "证件查看"
# The register's rows, made by the hundred thousand (``bulkload.row_maker``).
NEW_HOUSEHOLD = row_maker(Household)
NEW_RESIDENT = row_maker(Resident)
NEW_KEY_PERSON = row_maker(KeyPerson)
NEW_MEMBER_LINK = row_maker(MemberHouseholdLink)
ADMIN_GROUP = "县级系统管理"


TOWNSHIP_DEPARTMENTS = [
    (Department.Kind.ENFORCEMENT, "{short}综合执法中队"),
    (Department.Kind.MARKET, "{short}市场监管所"),
    (Department.Kind.POLICE, "{short}派出所"),
    (Department.Kind.POWER, "{short}供电所"),
    (Department.Kind.WATER, "{short}水务站"),
    (Department.Kind.ENVIRONMENT, "{short}环保所"),
    (Department.Kind.CIVIL, "{name}民政办"),
    (Department.Kind.PETITION, "{name}信访办"),
]
COUNTY_DEPARTMENTS = [
    (Department.Kind.ENFORCEMENT, "{name}综合行政执法局"),
    (Department.Kind.MARKET, "{name}市场监督管理局"),
    (Department.Kind.POLICE, "{city}市公安局{short}分局"),
    (Department.Kind.ENVIRONMENT, "{city}市生态环境局{short}分局"),
    (Department.Kind.CIVIL, "{name}民政局"),
    (Department.Kind.PETITION, "{name}信访局"),
]

PHONE_PREFIXES = (
    *(f"13{d}" for d in range(10)), "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
    "173", "175", "176", "177", "178", *(f"18{d}" for d in range(10)), "191", "195", "198", "199",
)
BRANDS = (
    "鑫源", "丰源", "惠农", "金穗", "绿源", "富民", "兴农", "康达", "盛丰", "瑞丰", "利民", "益农", "金丰",
    "众兴", "恒丰", "宏达", "福源", "绿野", "润丰", "德丰", "华盛", "永顺", "裕丰", "嘉禾", "新农",
)


@dataclass
class BuildReport:
    """What a build wrote; the benchmark imports this."""

    scale: str
    seed: int
    counts: Counter = field(default_factory=Counter)  # model label → rows inserted
    grids_by_level: Counter = field(default_factory=Counter)
    accounts: list[dict] = field(default_factory=list)
    elapsed: float = 0.0
    accounts_file: Path | None = None
    register: RegisterHistoryReport | None = None  # the register's history: where to look first
    steps: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds) in build order

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.elapsed if self.elapsed else 0.0

    def count(self, model: type[models.Model]) -> int:
        return self.counts[model._meta.label]


# --- the build --------------------------------------------------------------------------------


class _Writer:
    """bulk_create with a running count per table (through COPY where the rows allow)."""

    def __init__(self, report: BuildReport):
        self.report = report

    def insert(self, model: type[models.Model], rows: list) -> list:
        if not rows:
            return rows
        created = insert_rows(model, rows, BATCH)
        self.report.counts[model._meta.label] += len(rows)
        return created

    def insert_raw(self, model: type[models.Model], rows: list) -> list:
        """The same rows through ``core.bulk.bulk_insert`` (one COPY on PostgreSQL): for wide tables,
        where Django's per-batch SQL building (999 parameters a statement on SQLite) costs more than
        the inserts."""
        bulk_insert(model, rows)
        self.report.counts[model._meta.label] += len(rows)
        return rows


@contextmanager
def _bulk_session():
    """SQLite's default page cache is 2 MB; the random-keyed unique index on ``id_number_hash``
    then costs a page fetch per row. A larger cache for this connection only, while we build."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size = -262144")  # KiB: 256 MB at most, only as pages are used
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def reset_database() -> None:
    """Empty every table and put back what migrations seed. Flushing rather than deleting model by
    model means tables added by later apps (cases, points…) are emptied too, whatever their keys."""
    call_command("flush", interactive=False, verbosity=0)
    for module in SEEDING_MIGRATIONS:
        # Their forwards() take an app registry; the live one serves as well as the historical one.
        importlib.import_module(module).forwards(django_apps, None)
    grid_index_invalidate()


def build_demo(
    scale: str = "street",
    seed: int = 2026,
    stdout: TextIO | None = None,
    *,
    villages: int | None = None,
    accounts_file: Path | None = None,
) -> BuildReport:
    """Wipe the database and build the demo county. ``villages`` keeps only the first N villages of
    each township (quick tests)."""
    if scale not in SPECS:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    started = time.monotonic()
    report = BuildReport(scale=scale, seed=seed)
    builder = _Builder(SPECS[scale], seed, report, stdout, villages)
    with transaction.atomic(), _bulk_session(), ExitStack() as keys:
        reset_database()
        builder.lap("清空数据库")
        builder.keys = keys  # where the build sets its foreign keys aside once it knows its size
        builder.build()
    builder.lap("外键检查和提交")
    grid_index_invalidate()
    # A million rows arrived at once: give the planner their statistics now rather than whenever
    # autovacuum comes by (or never, where it is off), or its first plans are guesses.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    builder.lap("更新统计信息")
    report.elapsed = time.monotonic() - started
    path = accounts_file or Path(settings.VAR_DIR) / "demo-accounts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.accounts, ensure_ascii=False, indent=1), encoding="utf-8")
    path.chmod(0o600)  # it holds the demo passwords in the clear, like the keys beside it
    report.accounts_file = path
    return report


class _Builder:
    def __init__(self, spec: ScaleSpec, seed: int, report: BuildReport, stdout, villages: int | None):
        self.spec = spec
        self.seed = seed
        self.rng = random.Random(seed)
        self.report = report
        self.out = stdout
        self.villages_per_township = villages
        self.db = _Writer(report)
        self.used_ids: set[int] = set()
        self.used_phones: set[int] = set()
        self.first_households: dict[str, list[tuple[int, str, str]]] = {}
        self.regions: dict[str, Region] = {}
        self.keys = ExitStack()
        self.lapped_at = time.monotonic()

    def lap(self, step: str) -> None:
        """Close ``step``: the time since the last lap goes into the report's table of steps, so a
        step that slows down shows in every build's output."""
        now = time.monotonic()
        self.report.steps.append((step, now - self.lapped_at))
        self.lapped_at = now

    def say(self, msg: str) -> None:
        if self.out is not None:
            self.out.write(msg + "\n")
            self.out.flush()

    def build(self) -> None:
        rng = self.rng
        # Passwords first, so they stay the same whatever else changes in the generator.
        self.passwords = {role: f"Xz-{role.value}-{rng.randrange(1000, 10000)}" for role in Role}
        plan = plan_county(self.spec, rng, self.villages_per_township)
        plan_households_and_grids(plan, rng)
        self.plan = plan
        self.keys.enter_context(foreign_keys_checked_at_end(sum(v.households for v in plan.villages)))
        levels = Counter(r.level for r in plan.regions)
        areas = f"{levels[RegionLevel.AREA]} 个管区，" if levels[RegionLevel.AREA] else ""
        self.say(f"规划：{levels[RegionLevel.TOWNSHIP]} 个乡镇/街道，{areas}{len(plan.villages)} 个村/社区，"
                 f"{sum(len(v.grids) for v in plan.villages)} 个三级网格")
        self.lap("规划")
        self.write_regions(plan)
        self.write_grids(plan)
        self.write_departments(plan)
        self.categories = dict(KeyCategory.objects.values_list("code", "id"))
        self.lap("行政区域、网格和部门")
        for i, village in enumerate(plan.villages, start=1):
            self.write_village(village)
            if i % 50 == 0 or i == len(plan.villages):
                self.say(f"  已生成 {i}/{len(plan.villages)} 个村的户籍")
        self.lap("户籍")
        self.write_accounts(plan)
        self.lap("账号")
        # Grid work: three months of visits; patrol tracks and daily logs at street scale only, where
        # they are worth looking at (a county's 1,400 workers' GPS fixes would only cost build time).
        write_grid_work(self.db.insert, plan, seed=self.seed, tracks=self.report.scale == "street")
        self.say("  已生成走访记录" + ("、巡查轨迹和工作日志" if self.report.scale == "street" else ""))
        self.lap("走访和巡查")
        # 配置: a category's terms changed last month, next year's holidays, a township's own duplicate distance;
        # before the case history, whose cases reported since the change keep the new terms.
        configured = write_configuration()
        self.say(f"  配置：{configured.edited or '无'}；{configured.year} 年节假日 {configured.days} 天"
                 + (f"；{configured.override}" if configured.override else ""))
        self.lap("配置")
        # Two years of cases, played through the workflow's rules and written in bulk (case_history).
        history = write_case_history(self.db.insert, seed=self.seed, per_household=PER_HOUSEHOLD[self.report.scale])
        self.say(f"  已生成两年事件历史：{history.cases:,} 件，处置记录 {history.transitions:,} 条")
        self.lap("两年事件历史")
        # 三张清单: the county's lists in force from now on; cases filed after this step are routed by them.
        lists = write_duties(seed=self.seed)
        self.say(f"  三张清单：小微权力 正面 {lists.allowed} 项、负面 {lists.forbidden} 项；职责任务 "
                 f"{lists.counts.get('duty_list', 0)} 项；属地责任 {lists.counts.get('territorial_duty_list', 0)} 项"
                 f"（乡镇牵头 {lists.lead}、配合 {lists.cooperate}）；职责任务清单第2版：{lists.changed}"
                 + (f"，前后两件上报：{'、'.join(lists.cases)}" if any(lists.cases) else ""))
        self.lap("三张清单")
        # Household points: each township's rulebook, five weeks of records and their monthly review.
        accounts = {hid for heads in self.first_households.values() for hid, _, _ in heads}
        points = write_points(self.db.insert_raw, seed=self.seed, scale=self.report.scale, with_accounts=accounts)
        self.say(f"  已生成积分：{points.rulebooks} 个乡镇的积分细则，积分记录 {points.entries:,} 条"
                 f"（已审核 {points.reviews:,} 条，待审核 {points.pending:,} 条）")
        self.lap("积分记录")
        # Volunteer activities through their services: every village at street scale, the first
        # township's villages for a whole county (each sign-up is a handful of queries).
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")
        if self.report.scale != "street":
            first = Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").first()
            villages = villages.filter(path__startswith=first.path)
        done = write_activities(seed=self.seed, villages=villages)
        self.say(f"  志愿服务活动：{done.activities} 场，报名 {done.signups:,} 户次，到场 {done.checked_in:,}，"
                 f"记分 {done.awarded:,} 户次")
        self.lap("志愿服务活动")
        # The five-step cycle through the real services: notices, objections, a redemption window.
        cycle = write_cycle()
        self.say(f"  积分周期：已发布季度公示 {cycle.notices} 份，处理异议 {cycle.objections} 件，"
                 f"开放兑换期 {cycle.windows} 个")
        self.lap("积分周期")
        # 积分优先: a few benefits in the first villages, two closed with their lists fixed and 核验码.
        benefits = write_benefits()
        self.say(f"  积分优先：{len(benefits.villages)} 个村发布 {benefits.published} 项，已截止 {benefits.closed} 项"
                 f"（固定名单 {benefits.rows} 户）")
        self.lap("积分优先")
        # Every village's points supermarket, and a first bag of washing powder taken home.
        shops = write_shops(self.db.insert, seed=self.seed)
        first = write_first_redemption()
        self.say(f"  积分超市：{shops.villages} 个村上架 {shops.items} 种商品和服务"
                 + (f"；{first.username} 兑换洗衣粉一袋（单号 {first.order_number}）" if first.order_number else ""))
        self.lap("积分超市")
        # Villagers who signed themselves up by phone, waiting for their village cadre (listed with
        # the other logins: their phone number and the residents' demo password).
        applicants = write_signups(self.passwords[Role.RESIDENT])
        self.report.counts[User._meta.label] += len(applicants)
        self.report.accounts += [
            {"role": Role.RESIDENT.value, "role_name": "村民（待村里确认）", "username": u.username,
             "password": self.passwords[Role.RESIDENT], "scope_code": "", "full_name": u.full_name}
            for u in applicants
        ]
        self.say(f"  村民自助注册：{len(applicants)} 份申请等待村里确认")
        self.lap("村民自助注册")
        # The register's last months through its services: births, deaths, moves, a split and a merge,
        # key people, a place, a liaison, a member link and a boundary (register_history).
        households_built = Household.objects.aggregate(last=models.Max("id"))["last"]  # the grid assessment's register
        register = write_register_history(seed=self.seed, villages=sample_villages(self.report.scale))
        self.report.register = register
        self.report.counts.update(register.rows)
        self.say(f"  户籍变动：{register.villages} 个村登记变动 {register.total:,} 条，"
                 f"待村干部确认 {register.pending} 条")
        self.lap("户籍变动")
        # 党组织: every village's branch, 2–4 groups serving its grids, members (those away too) and posts.
        party = write_party(self.db.insert, seed=self.seed)
        self.say(f"  党组织：{party.branches} 个党支部，{party.groups} 个党小组，党员 {party.members:,} 名"
                 f"（在外 {party.away:,} 名），设岗 {party.posts:,} 个，两年党小组活动 {party.activities:,} 次")
        self.lap("党组织")
        # 群众参与: notices with read receipts, a closed survey and an open one, 民情恳谈 whose demands are cases —
        # before the assessments, which read the cases of their periods as they stood at each period's end.
        met = write_participation(self.db.insert, insert_raw=self.db.insert_raw, seed=self.seed,
                                  scale=self.report.scale)
        self.say(f"  群众参与：通知 {met.announcements} 条（回执 {met.receipts:,} 条，已读 {met.read:,}），"
                 f"民意调查 {met.polls} 个（投票 {met.ballots:,} 户，入户代录 {met.on_paper:,}），"
                 f"民情恳谈 {met.meetings} 场，诉求 {met.demands} 条（已办结 {met.resolved}）")
        self.lap("群众参与")
        # 每月排查: six months of inspections in every village, findings handed over and followed up.
        checks = write_inspections(self.db.insert, seed=self.seed, password=self.passwords[Role.INSPECTOR],
                                   accounts=self.report.accounts)
        self.say(f"  每月排查：{checks.inspectors} 名督查员，排查 {checks.inspections:,} 村次，发现问题 "
                 f"{checks.findings:,} 个（逾期未整改 {checks.open_overdue} 个）")
        self.lap("每月排查")
        # 积分换项目: the 六零 scorecard over two half-years, run, published and closed (after the inspections);
        # between the two, 村级项目 — every village's requests and plan, projects under way, one followed to
        # completion — so the earlier half's awards reach the projects the funded villages set up.
        made: list[ProjectsReport] = []
        scored = write_assessment(between=lambda: made.append(write_projects(seed=self.seed)))
        works = made[0]
        self.say(f"  村级项目：群众需求 {works.requests:,} 条，列入计划 {works.planned:,} 条，立项 {works.projects} 个"
                 + (f"；已完工验收：{works.completed}" if works.completed else ""))
        self.say(f"  积分换项目：{scored.periods} 个半年考核期，{scored.villages} 个村排名，奖励 {scored.funded} 个村 "
                 f"{scored.funded_yuan:,} 元，通报诫勉 {scored.warned} 个，组织处理 {scored.flagged} 个；"
                 f"奖补已由项目承接 {scored.awards_taken} 笔，待安排项目 {scored.awards_waiting} 笔")
        self.lap("村级项目和积分换项目")
        # 网格考核: this year's quarters on the default grid scheme, the last one published with its appeals.
        grids = write_grid_assessment(self.db.insert_raw, seed=self.seed, households_through=households_built)
        star_names = ("一星", "二星", "三星", "四星", "五星")
        stars = "，".join(f"{name} {grids.stars[n]} 个" for n, name in enumerate(star_names, 1))
        self.say(f"  网格考核：{grids.quarters} 个季度，{grids.last_name} {grids.grids} 个网格已公布（{stars}），"
                 f"人工评分 {grids.manual} 条，申诉 {grids.appeals} 件（成立 {grids.upheld} 件）；"
                 f"补录巡查 {grids.patrols:,} 次、走访 {grids.visits:,} 次")
        self.lap("网格考核")
        # 村务公开: the 36-item template and the last four quarters' disclosures (some late, some overdue, one
        # corrected, one village empty), 上级政策 and 民生事项, each village's cadres.
        shown = write_disclosures(self.db.insert_raw, seed=self.seed)
        self.say(f"  村务公开：{shown.villages} 个村公开 {shown.published:,} 项（逾期公开 {shown.late:,}），"
                 f"待审核 {shown.waiting}，逾期未公开 {shown.overdue:,}；政策和民生事项 {shown.posts} 条，"
                 f"干部 {shown.cadres:,} 名；更正示例：{shown.corrected}")
        self.lap("村务公开")
        # 一村一码: every village's code (one re-issued), a year of 码上问, the latest 码上办 cases with follow links.
        codes = write_supervision(self.db.insert, seed=self.seed)
        self.say(f"  一村一码：{codes.codes} 个村的码（{codes.reissued}已更换新码），"
                 f"码上问 {codes.questions:,} 条（已答复 {codes.answered:,}，待办 {codes.waiting}，"
                 f"其中超时 {codes.overdue}，未通过 {codes.rejected}），码上办跟踪链接 {codes.qr_reports} 件；"
                 f"示例 {codes.example_path}")
        self.lap("一村一码")
        # 电话回访: each township's 综治中心 calls a few reporters without an account (after 码上办's cases).
        calls = write_phone_visits()
        self.say(f"  电话回访：记录评价 {calls.rated} 件，未接通 {calls.unanswered} 次")
        self.lap("电话回访")
        # 阳光报告会 (the last four quarters, most published) and 四议两公开 (one village's three matters, a few more).
        sunshine = write_meetings(self.db.insert, seed=self.seed)
        self.say(f"  阳光报告会：{sunshine.meetings:,} 场（已公开 {sunshine.published:,}），"
                 f"质询 {sunshine.questions:,} 条，承诺 {sunshine.commitments:,} 件"
                 f"（办结 {sunshine.done:,}，逾期 {sunshine.overdue:,}）；"
                 f"四议两公开事项 {sunshine.deliberations} 件（{sunshine.showcase}）")
        self.lap("阳光报告会")
        # 审计: each township's trail also holds a reveal and a register export.
        trail = write_audit()
        self.say(f"  审计日志：查看敏感信息 {trail.reveals} 次，导出 {trail.exports} 次（另有各项发布、导入自动记录）")
        self.lap("审计日志")

    # regions, grids, departments ----------------------------------------------------------------

    def write_regions(self, plan: Plan) -> None:
        levels = [RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.AREA]
        for level in levels:
            rows = []
            for rp in plan.regions:
                if rp.level != level:
                    continue
                parent = self.regions.get(rp.parent_code) if rp.parent_code else None
                boundary, lon, lat = boundary_of(rp.geom)
                rows.append(Region(code=rp.code, name=rp.name, level=level, parent=parent,
                                   path=region_path(parent, rp.code), boundary=boundary,
                                   center_lon=lon, center_lat=lat))
            for region in self.db.insert(Region, rows):
                self.regions[region.code] = region
        rows = []
        for v in plan.villages:
            parent = self.regions[v.area_code or v.township_code]
            boundary, lon, lat = boundary_of(v.geom)
            rows.append(Region(code=v.code, name=v.name, level=RegionLevel.VILLAGE, parent=parent,
                               path=region_path(parent, v.code), boundary=boundary, center_lon=lon, center_lat=lat))
        for region in self.db.insert(Region, rows):
            self.regions[region.code] = region

    def write_grids(self, plan: Plan) -> None:
        def make(gp: GridPlan, region: Region, parent: Grid | None) -> Grid:
            boundary, lon, lat = boundary_of(gp.geom)
            gp.path = grid_path(region, parent, gp.code)
            return Grid(code=gp.code, name=gp.name, level=gp.level, region=region, parent=parent, path=gp.path,
                        boundary=boundary, center_lon=lon, center_lat=lat)

        top = [(gp, make(gp, self.regions[v.code], None)) for v in plan.villages for gp in v.grids]
        for (gp, _), grid in zip(top, self.db.insert(Grid, [g for _, g in top]), strict=True):
            gp.pk = grid.pk
        self.report.grids_by_level[3] += len(top)
        micro = [
            (child, make(child, grid.region, grid))
            for gp, grid in top
            for child in gp.children
        ]
        for (gp, _), grid in zip(micro, self.db.insert(Grid, [g for _, g in micro]), strict=True):
            gp.pk = grid.pk
        self.report.grids_by_level[4] += len(micro)

    def write_departments(self, plan: Plan) -> None:
        rows = []
        county = self.regions[self.spec.county_code]
        short_county = county.name.removesuffix("区").removesuffix("县")
        if self.spec.county_departments:
            for i, (kind, pattern) in enumerate(COUNTY_DEPARTMENTS, start=1):
                name = pattern.format(name=county.name, short=short_county, city=self.spec.city_name)
                rows.append(Department(code=f"{county.code}D{i:02d}", name=name, kind=kind, region=county))
        for rp in plan.regions:
            if rp.level != RegionLevel.TOWNSHIP:
                continue
            town = self.regions[rp.code]
            for i, (kind, pattern) in enumerate(TOWNSHIP_DEPARTMENTS, start=1):
                name = pattern.format(name=town.name, short=short_township_name(town.name))
                rows.append(Department(code=f"{town.code}D{i:02d}", name=name, kind=kind, region=town))
        self.departments = self.db.insert(Department, rows)

    # one village's people ------------------------------------------------------------------------

    def id_number(self, rng: random.Random, birth: dt.date, sex: str) -> str:
        code = next(c for before, c in self.spec.id_codes if birth.year < before)
        if rng.random() < 0.08:  # moved in or re-registered: today's code
            code = self.spec.county_code
        odd = sex == Resident.Sex.MALE
        while True:
            seq = rng.randrange(500) * 2 + (1 if odd else 0)
            first17 = f"{code}{birth:%Y%m%d}{seq:03d}"
            key = int(first17)
            if key not in self.used_ids:
                self.used_ids.add(key)
                return first17 + idnumber.check_char(first17)

    def phone(self, rng: random.Random) -> str:
        while True:
            number = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            key = int(number)
            if key not in self.used_phones:
                self.used_phones.add(key)
                return number

    def write_village(self, v: VillagePlan) -> None:
        rng = random.Random(f"{self.seed}:{v.code}")
        lineage = (*lineage_surnames(v.name), draw_surname(rng))
        # Old villages are a few lineages; a town community is a mix.
        lineage_share = 0.12 if v.name.endswith("社区") else 0.45
        leaves = [leaf for g in v.grids for leaf in (g.children or [g])]
        is_community = v.name.endswith("社区")
        group_size = rng.randint(28, 45)

        households: list[Household] = []
        families: list[list[Person]] = []
        # Where micro-grids exist each is one villagers' group (村民小组); otherwise groups run
        # through the village in numbering order.
        by_micro = len(leaves) > len(v.grids)
        last_house: Counter = Counter()
        index = 0
        for ordinal, leaf in enumerate(leaves, start=1):
            for seq in range(1, leaf.households + 1):
                kind = rng.choices(KIND_NAMES, cum_weights=KIND_CUM)[0]
                members = compose_household(rng, kind, lineage, lineage_share)
                tag_household(rng, members)
                group = ordinal if by_micro else index // group_size + 1
                last_house[group] += rng.choice((1, 1, 1, 2)) if last_house[group] else 1
                house = last_house[group]
                if is_community:
                    address = f"{v.name}{group}号楼{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 2)}室"
                elif v.name.endswith("分场"):
                    address = f"{v.name}{group}队{house}号"
                else:
                    address = f"{v.name}{group}组{house}号"
                households.append(NEW_HOUSEHOLD(grid_id=leaf.pk, number=f"{leaf.code}{seq:04d}", address=address,
                                                head_name=members[0].name))
                families.append(members)
                index += 1
        place_households(households, leaves, seed=self.seed, village_code=v.code)
        households = self.db.insert(Household, households)

        residents: list[Resident] = []
        people: list[Person] = []
        for household, members in zip(households, families, strict=True):
            for p in members:
                p.birth = birth_date(rng, p.age)
                if p.age >= 18:
                    has_phone = rng.random() < (0.95 if p.age < 70 else 0.7 if p.age < 80 else 0.35)
                    p.phone = self.phone(rng) if has_phone else ""
                r = NEW_RESIDENT(household_id=household.pk, name=p.name, sex=p.sex, birth_date=p.birth,
                                 relation=p.relation, tags=",".join(dict.fromkeys(p.tags)), is_away=p.away)
                r.set_id_number(self.id_number(rng, p.birth, p.sex))
                r.set_phone(p.phone)
                residents.append(r)
                people.append(p)
        residents = self.db.insert(Resident, residents)

        keys = [
            NEW_KEY_PERSON(resident_id=r.pk, category_id=self.categories[code],
                           registered_on=REF_DATE - dt.timedelta(days=rng.randint(30, 2200)))
            for r, p in zip(residents, people, strict=True)
            for code in dict.fromkeys(p.keys)
        ]
        self.db.insert(KeyPerson, keys)

        self.write_member_links(rng, households, residents, people)
        self.write_places(rng, v, leaves)
        self.write_organisations(rng, v, leaves, lineage)
        heads = [
            (h.pk, h.number, h.head_name)
            for h in households[: self.spec.resident_accounts_per_village]
        ]
        self.first_households[v.code] = heads

    def write_member_links(self, rng, households, residents, people) -> None:
        """党员联系户: members at home and of working age take the next 5–10 households in order
        (households are numbered by grid, so these are neighbours)."""
        members = [r.pk for r, p in zip(residents, people, strict=True)
                   if Tag.PARTY_MEMBER in p.tags and not p.away and 22 <= p.age <= 75]
        rng.shuffle(members)
        links = []
        start = 0
        for member in members:
            if start >= len(households):
                break
            take = rng.randint(5, 10)
            links += [NEW_MEMBER_LINK(member_id=member, household_id=h.pk, started_on=dt.date(2024, 1, 1))
                      for h in households[start:start + take]]
            start += take
        self.db.insert(MemberHouseholdLink, links)

    def write_places(self, rng, v: VillagePlan, leaves: list[GridPlan]) -> None:
        places = []

        sampler = geo.PointSampler()

        def put(kind, name, leaf=None):
            leaf = leaf or rng.choice(leaves)
            lon, lat = sampler.point(rng, leaf.geom)
            places.append(Place(grid_id=leaf.pk, kind_id=kind, name=name, lon=lon, lat=lat))

        centre = leaves[0]
        put("service_centre", f"{v.name}党群服务中心", centre)
        put("clinic", f"{v.name}卫生室", centre)
        if rng.random() < 0.15:
            put("school", f"{v.name}小学")
        for i in range(rng.randint(1, 3)):
            put("shop", f"{v.name}{('便民超市', '小卖部', '农资店')[i]}")
        for g_index, g in enumerate(v.grids, start=1):
            inside = g.children or [g]
            for i in range(1, rng.randint(4, 9) + 1):
                put("street_light", f"{v.name}{g_index}网格路灯{i:02d}", rng.choice(inside))
            for i in range(1, rng.randint(2, 5) + 1):
                put("manhole", f"{v.name}{g_index}网格井盖{i:02d}", rng.choice(inside))
            put("hydrant", f"{v.name}{g_index}网格消防栓", rng.choice(inside))
            road = ("中心街", "村南路", "村北路", "东西大街", "南北大街")
            for i in range(rng.randint(1, 2)):
                put("road", f"{v.name}{road[(g_index + i) % len(road)]}", rng.choice(inside))
            if rng.random() < 0.3:
                put("bridge", f"{v.name}{('漫水桥', '生产桥', '便民桥')[g_index % 3]}", rng.choice(inside))
            if rng.random() < 0.15:
                put("river", f"{rng.choice(self.spec.rivers)}{v.name}段", rng.choice(inside))
        self.db.insert(Place, places)

    def write_organisations(self, rng, v: VillagePlan, leaves, lineage) -> None:
        # 沾化: 1832 cooperatives and 3597 family farms over 14万 households (seed 003).
        county_name = self.regions[self.spec.county_code].name
        orgs = []

        def add(kind, name, contact):
            orgs.append(Organisation(grid_id=rng.choice(leaves).pk, kind_id=kind, name=name, contact_name=contact))

        def contact():
            sex = Resident.Sex.MALE if rng.random() < 0.8 else Resident.Sex.FEMALE
            return draw_name(rng, sex, rng.randint(1962, 1992), draw_surname(rng, lineage, 0.45))

        for _ in range(geo.poisson(rng, v.households * 1832 / 140_000)):
            product = rng.choice(self.spec.products)
            add("cooperative", f"{county_name}{v.name}{rng.choice(BRANDS)}{product}专业合作社",
                contact())
        for _ in range(geo.poisson(rng, v.households * 3597 / 140_000)):
            person = contact()
            add("family_farm", f"{county_name}{person}家庭农场", person)
        for _ in range(geo.poisson(rng, 0.6)):
            add("enterprise",
                f"{self.spec.city_name}{rng.choice(BRANDS)}{rng.choice(self.spec.industries)}有限公司", contact())
        add("social", f"{v.name}红白理事会", contact())
        if rng.random() < 0.5:
            add("social", f"{v.name}老年人协会", contact())
        if rng.random() < 0.6:
            add("social", f"{v.name}志愿服务队", contact())
        self.db.insert(Organisation, orgs)

    # accounts ------------------------------------------------------------------------------------

    def write_accounts(self, plan: Plan) -> None:
        rng = self.rng
        hashes = {role: make_password(pw) for role, pw in self.passwords.items()}
        users: list[User] = []
        meta: list[dict] = []
        phones = set()

        def staff_name():
            sex = Resident.Sex.MALE if rng.random() < 0.62 else Resident.Sex.FEMALE
            return draw_name(rng, sex, rng.randint(1966, 1999))

        def staff_phone():
            while True:
                number = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if number not in phones:
                    phones.add(number)
                    return number

        def add(role: Role, username: str, scope_code: str, *, full_name: str | None = None, **fields) -> User:
            name = full_name or staff_name()
            user = User(username=username, password=hashes[role], role=role, full_name=name,
                        phone="" if role == Role.RESIDENT else staff_phone(), **fields)
            users.append(user)
            meta.append({"role": role.value, "role_name": role.label, "username": username,
                         "password": self.passwords[role], "scope_code": scope_code, "full_name": name})
            return user

        county = self.regions[self.spec.county_code]
        admins = [add(Role.COUNTY_ADMIN, f"admin_{county.code}", county.code, region=county, is_staff=True),
                  add(Role.COUNTY_ADMIN, f"admin_{county.code}_2", county.code, region=county, is_staff=True)]
        townships = [self.regions[rp.code] for rp in plan.regions if rp.level == RegionLevel.TOWNSHIP]
        town_staff: dict[str, list[User]] = {}
        for town in townships:
            town_staff[town.code] = [
                add(Role.TOWNSHIP_STAFF, f"town_{town.code}_{i}", town.code, region=town) for i in (1, 2)
            ]
        for dept in self.departments:
            add(Role.DEPARTMENT_STAFF, f"dept_{dept.code}", dept.code, department=dept)
        for v in plan.villages:
            region = self.regions[v.code]
            add(Role.VILLAGE_CADRE, f"cadre_{v.code}", v.code, region=region)
            add(Role.POINTS_RECORDER, f"recorder_{v.code}", v.code, region=region)
            add(Role.POINTS_SUPERVISOR, f"supervisor_{v.code}", v.code, region=region)

        # 一格一人 needs something to show: a few grids are left without a chief or worker.
        top_grids = [(v, g) for v in plan.villages for g in v.grids]
        n_vacant = max(1, round(len(top_grids) * 0.025))
        vacant = {g.code for _, g in rng.sample(top_grids, n_vacant)}
        assignments: list[tuple[User, int, str]] = []
        for _v, g in top_grids:
            if g.code in vacant:
                continue
            assignments.append((add(Role.GRID_CHIEF, f"chief_{g.code}", g.code), g.pk, GridDuty.CHIEF))
            assignments.append((add(Role.GRID_WORKER, f"grid_{g.code}", g.code), g.pk, GridDuty.FULL_TIME))
            for child in g.children:
                # Part-time micro-grid workers are mostly villager group leaders; a few posts are open.
                if rng.random() < 0.96:
                    user = add(Role.GRID_WORKER, f"grid_{child.code}", child.code)
                    assignments.append((user, child.pk, GridDuty.PART_TIME))

        # 网格指导员: township cadres, each guiding one or two grids of their township.
        guides_of_village: dict[str, list[User]] = {}
        guide_no = 0
        guides_of_town: dict[str, list[User]] = {}
        for town in townships:
            grids = [(v, g) for v, g in top_grids if v.township_code == town.code]
            i = 0
            while i < len(grids):
                take = 2 if rng.random() < 0.5 and i + 1 < len(grids) else 1
                chunk = grids[i:i + take]
                i += take
                guide_no += 1
                user = add(Role.GRID_GUIDE, f"guide_{guide_no}", ",".join(g.code for _, g in chunk))
                guides_of_town.setdefault(town.code, []).append(user)
                for v, g in chunk:
                    assignments.append((user, g.pk, GridDuty.GUIDE))
                    guides_of_village.setdefault(v.code, []).append(user)

        for v in plan.villages:
            for household_id, number, head in self.first_households.get(v.code, []):
                add(Role.RESIDENT, f"resident_{number}", number, full_name=head, household_id=household_id)

        users = self.db.insert(User, users)
        self.report.accounts = meta

        group = Group.objects.create(name=REVEAL_GROUP)
        self.report.counts[Group._meta.label] += 1
        group.permissions.add(Permission.objects.get(codename="reveal_identity", content_type__app_label="people"))
        revealers = [u for u in users if u.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF)]
        self.db.insert(User.groups.through, [User.groups.through(user_id=u.pk, group_id=group.pk) for u in revealers])
        # County admins configure grids, departments, categories and accounts in the (scoped) admin.
        admin_group = Group.objects.create(name=ADMIN_GROUP)
        self.report.counts[Group._meta.label] += 1
        admin_group.permissions.add(*Permission.objects.filter(
            content_type__app_label__in=["regions", "people", "accounts"]
        ).exclude(codename__startswith="delete_").exclude(codename="reveal_identity"))
        self.db.insert(User.groups.through, [
            User.groups.through(user_id=u.pk, group_id=admin_group.pk) for u in users if u.role == Role.COUNTY_ADMIN
        ])

        start = dt.date(2024, 1, 1)
        self.db.insert(GridAssignment, [
            GridAssignment(grid_id=grid_id, user=user, duty=duty,
                           started_on=start + dt.timedelta(days=rng.randrange(600)))
            for user, grid_id, duty in assignments
        ])

        # 四级包保: county leaders take the townships, township cadres the villages.
        liaisons = []
        for i, town in enumerate(townships):
            liaisons.append(Liaison(user=admins[i % len(admins)], region=town, tier=Liaison.Tier.COUNTY_LEADER,
                                    started_on=start))
        for v in plan.villages:
            cadre = (guides_of_village.get(v.code) or guides_of_town.get(v.township_code)
                     or town_staff[v.township_code])[0]
            liaisons.append(Liaison(user=cadre, region=self.regions[v.code], tier=Liaison.Tier.TOWNSHIP_CADRE,
                                    started_on=start))
        self.db.insert(Liaison, liaisons)


def summary_counts(report: BuildReport) -> dict[str, int]:
    return {
        "regions": report.count(Region),
        "grids": report.count(Grid),
        "grids_level3": report.grids_by_level[3],
        "micro_grids": report.grids_by_level[4],
        "households": report.count(Household),
        "residents": report.count(Resident),
        "key_people": report.count(KeyPerson),
        "accounts": report.count(User),
    }


def iter_logins(report: BuildReport) -> Iterator[dict]:
    """One demo login per role, in the order of ``Role``."""
    seen = set()
    for role in Role:
        for account in report.accounts:
            if account["role"] == role.value and role.value not in seen:
                seen.add(role.value)
                yield account

