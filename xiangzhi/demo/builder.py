"""The demo county: regions, grids, departments, households, residents, key people, places,
organisations and accounts, generated from the real 2023 division codes, then the steps that give
it a history (``demo.steps``).

Deterministic for a seed: geometry and staffing draw from one ``random.Random(seed)``; each village's
people draw from a generator seeded with ``(seed, village code)``, so a village's households come
out the same whether the whole county or only a few villages are built (``demo.register``).

Rows are built in memory and written in bulk (COPY where the rows allow, ``demo.bulkload``), one
village at a time, so a 400,000-resident county never sits in memory at once. Each step's seconds
go into the report (``BuildReport.steps``), printed at the end of ``xiangzhi demo``.
"""

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
from django.core.management import call_command
from django.db import connection, models, transaction

from xiangzhi.accounts.models import Role, User
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.demo.bulkload import foreign_keys_checked_at_end, indexes_built_after, insert_rows
from xiangzhi.demo.plan import SCALES, SPECS, ScaleSpec, plan_county, plan_households_and_grids
from xiangzhi.demo.register import Register
from xiangzhi.demo.register_history import RegisterHistoryReport
from xiangzhi.demo.steps import STEPS, Build
from xiangzhi.people.models import Household, KeyPerson, MemberHouseholdLink, Organisation, Place, Resident
from xiangzhi.regions.models import Grid, Region, RegionLevel
from xiangzhi.regions.selectors import grid_index_invalidate

BATCH = 2000
# Data migrations that seed configuration (categories, calendars); re-run after a flush.
SEEDING_MIGRATIONS = [
    "xiangzhi.people.migrations.0002_default_key_categories",
    "xiangzhi.people.migrations.0008_place_kinds",
    "xiangzhi.people.migrations.0012_resident_tags",
    "xiangzhi.cases.migrations.0002_default_catalog",
    "xiangzhi.cases.migrations.0004_other_category",
    "xiangzhi.cases.migrations.0009_first_category_terms",  # after the catalog: each category's first terms
    "xiangzhi.cases.migrations.0012_public_order_and_hints",
    "xiangzhi.points.migrations.0003_default_rulebook",
    "xiangzhi.party.migrations.0002_default_post_kinds",
]


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
        the inserts. Ids are taken a block at a time: the build holds every table it flushed."""
        bulk_insert(model, rows, ids="block")
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
        self.keys = ExitStack()
        self.lapped_at = time.monotonic()
        self.analyzed: dict[str, int] = {}  # model label → rows counted when its table was last analysed

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
        passwords = {role: f"Xz-{role.value}-{rng.randrange(1000, 10000)}" for role in Role}
        plan = plan_county(self.spec, rng, self.villages_per_township)
        plan_households_and_grids(plan, rng)
        self.keys.enter_context(foreign_keys_checked_at_end(sum(v.households for v in plan.villages)))
        levels = Counter(r.level for r in plan.regions)
        areas = f"{levels[RegionLevel.AREA]} 个管区，" if levels[RegionLevel.AREA] else ""
        self.say(f"规划：{levels[RegionLevel.TOWNSHIP]} 个乡镇/街道，{areas}{len(plan.villages)} 个村/社区，"
                 f"{sum(len(v.grids) for v in plan.villages)} 个三级网格")
        self.lap("规划")
        register = Register(self.spec, self.seed, rng, self.db.insert, counts=self.report.counts,
                            grids_by_level=self.report.grids_by_level)
        register.write_regions(plan)
        register.write_grids(plan)
        register.write_departments(plan)
        self.lap("行政区域、网格和部门")
        # The register's plain indexes are built once over the whole county (bulkload).
        with indexes_built_after(Household, Resident, KeyPerson, MemberHouseholdLink, Place, Organisation):
            for i, village in enumerate(plan.villages, start=1):
                register.write_village(village)
                if i % 50 == 0 or i == len(plan.villages):
                    self.say(f"  已生成 {i}/{len(plan.villages)} 个村的户籍")
        self.analyze_grown()
        self.lap("户籍")
        self.report.accounts = register.write_accounts(plan, passwords)
        self.lap("账号")
        run = Build(seed=self.seed, scale=self.report.scale, plan=plan, insert=self.db.insert,
                    insert_raw=self.db.insert_raw, passwords=passwords, first_households=register.first_households,
                    counts=self.report.counts, accounts=self.report.accounts, say=self.say)
        for name, step in STEPS:
            step(run)
            self.analyze_grown()
            self.lap(name)
        self.report.register = run.register

    def analyze_grown(self) -> None:
        """PostgreSQL plans the next step's reads (the grid assessment reads a year of patrols, visits and
        cases) from the tables' statistics; a table filled in this transaction has none yet on a new
        database, and the planner's guesses then cost minutes. So each table that grew by 20,000 rows
        or more since it was last analysed is analysed after the step that filled it."""
        if connection.vendor != "postgresql":
            return
        tables = []
        for label, n in self.report.counts.items():
            if n - self.analyzed.get(label, 0) < 20_000:
                continue
            try:
                model = django_apps.get_model(label)
            except (LookupError, ValueError):  # a count of something else (a list's items)
                continue
            self.analyzed[label] = n
            tables.append(connection.ops.quote_name(model._meta.db_table))
        if tables:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(tables)}")


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

