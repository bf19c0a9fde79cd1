"""The deadline sweep over 100,000 open cases, against the raw ``UPDATE … RETURNING`` of the same rows.

The cases are bulk-created across the county's grids, categories and open statuses; at sweep time 2%
have fallen due since they were last looked at (the worst case: 10%), 5% are already warned and not
yet due, the rest are far from due. Measured: the sweep when nothing is due (what runs every
minute), the sweep that catches the due ones (claim, transitions, automatic escalation, notices),
and as baseline the bare claim — one ``UPDATE … RETURNING`` of the same rows, rolled back. The sweep takes every
due case in the database, so the benchmark sweeps "as of" a moment before any other case's warning,
deadline or closure: it acts on its own cases only. The task queue is a private Redis on loopback when
``redis-server`` is installed, as in production. Every row the benchmark writes is deleted afterwards.
"""

import datetime as dt
import os
import random
import time
from contextlib import contextmanager

from bench.case_intake import QUEUE_REDIS, QUEUE_SQLITE, start_redis, stop
from bench.common import delete_cases_titled, line, setup_django

N = int(os.environ.get("BENCH_SWEEP_CASES", "100000"))
SHARES = (0.02, 0.10)
TITLE = "压测·超时扫描"
TARGET_SECONDS = 2.0
# The sweep's stages, timed one by one (``xiangzhi.cases.services``).
STAGES = ("_sweep_claim", "_sweep_record", "_sweep_escalate", "_sweep_notify")
STATUS_MIX = [("reported", 20), ("accepted", 10), ("dispatched", 30), ("in_progress", 35), ("handled", 5)]


def build(now: dt.datetime, due_share: float, rng: random.Random) -> int:
    """Bulk-create N open cases; return how many are due at ``now``."""
    from xiangzhi.cases.models import Case, Category, HandlingLevel
    from xiangzhi.cases.routing import department_for
    from xiangzhi.regions.models import Grid
    from xiangzhi.regions.selectors import township_of

    categories = list(Category.objects.filter(is_active=True).order_by("code"))
    grids = list(Grid.objects.filter(is_active=True, parent__isnull=True).select_related("region").defer(
        "boundary", "region__boundary"))
    departments: dict = {}

    def where(category, grid):
        level, dept = category.default_level, None
        if level == HandlingLevel.DEPARTMENT:
            township = township_of(grid.region)
            key = (category.pk, township.pk if township else None)
            if key not in departments:
                departments[key] = department_for(category, grid.region)
            dept = departments[key]
            if dept is None:
                level = HandlingLevel.TOWNSHIP
        return level, dept

    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    due = round(N * due_share)
    warned = round(N * 0.05)
    rows = []
    for i in range(N):
        category, grid = rng.choice(categories), rng.choice(grids)
        level, dept = where(category, grid)
        if i < due:
            due_at = now - dt.timedelta(seconds=rng.uniform(1, 3600))
        elif i < due + warned:
            due_at = now + dt.timedelta(seconds=rng.uniform(60, 8 * 3600))
        else:
            due_at = now + dt.timedelta(hours=8, seconds=rng.uniform(60, 30 * 86400))
        warn_at = due_at - dt.timedelta(hours=8)
        started = due_at - dt.timedelta(hours=category.handle_hours)
        rows.append(Case(
            number=f"SW{i:09d}", category=category, channel="api", title=f"{TITLE} {i}", grid=grid,
            region=grid.region, scope_path=grid.path, status=rng.choice(statuses), handling_level=level,
            assignee_department=dept, step_started_at=started, due_at=due_at, warn_at=warn_at,
            warned_at=warn_at if warn_at <= now else None, created_at=started - dt.timedelta(hours=4),
            close_due_at=due_at + dt.timedelta(hours=48),
        ))
    Case.objects.bulk_create(rows, batch_size=5000)
    return due


def remove() -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        removed = delete_cases_titled(cursor, TITLE)
    return removed


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case" if connection.vendor == "postgresql" else "ANALYZE")


class Rollback(Exception):
    pass


def raw_claim(now: dt.datetime) -> tuple[int, float]:
    """The bare claim of every due case in one statement, rolled back: what the sweep's work rests on."""
    from django.db import connection, transaction

    from xiangzhi.cases.models import OPEN_STATUSES

    marks = ", ".join(["%s"] * len(OPEN_STATUSES))
    sql = (f"UPDATE cases_case SET overdue_at = %s, ever_overdue = TRUE WHERE due_at <= %s AND overdue_at IS NULL "
           f"AND status IN ({marks}) RETURNING id")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(sql, [now, now, *OPEN_STATUSES])
            n = len(cursor.fetchall())
            seconds = time.perf_counter() - t0
            raise Rollback
    except Rollback:
        pass
    return n, seconds


@contextmanager
def timed_parts(parts: dict):
    """Time the sweep's stages by wrapping its module functions, in this process only."""
    from xiangzhi.cases import services

    originals = {name: getattr(services, name) for name in STAGES}

    def wrap(name, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t0
        return timed

    for name, fn in originals.items():
        setattr(services, name, wrap(name, fn))
    try:
        yield parts
    finally:
        for name, fn in originals.items():
            setattr(services, name, fn)


def sweep_time() -> dt.datetime:
    """A sweep time before every other case's warning, deadline and closure in the database, so the
    sweep (which takes every due case) acts on the benchmark's cases only."""
    from django.db.models import Min
    from django.utils import timezone

    from xiangzhi.cases.models import Case

    found = Case.objects.exclude(title__startswith=TITLE).aggregate(Min("warn_at"), Min("due_at"), Min("closed_at"))
    floor = min([v for v in found.values() if v is not None] + [timezone.now()])
    return floor.replace(microsecond=0) - dt.timedelta(days=1)


def main() -> None:
    procs: list = []
    redis_url = start_redis(procs)
    if redis_url:
        os.environ["HUEY_URL"] = redis_url
    try:
        run(QUEUE_REDIS if redis_url else QUEUE_SQLITE)
    finally:
        stop(procs)


def run(queue: str) -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from xiangzhi.cases.models import OPEN_STATUSES, Case, Transition
    from xiangzhi.cases.services import case_deadline_sweep

    call_command("migrate", verbosity=0)
    if leftovers := remove():
        print(f"  (removed {leftovers:,} cases left by an earlier run)")
    others = Case.objects.filter(status__in=OPEN_STATUSES).count()
    print(f"deadline sweep over {N:,} open cases on {connection.vendor} (plus {others:,} open cases already there); "
          f"queue: {queue}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rng = random.Random(5)
    try:
        for share in SHARES:
            now = sweep_time()
            t0 = time.perf_counter()
            due = build(now, share, rng)
            analyze()
            built = time.perf_counter() - t0

            t0 = time.perf_counter()
            idle = case_deadline_sweep(now=now - dt.timedelta(hours=2))
            idle_seconds = time.perf_counter() - t0
            assert not (idle.overdue or idle.warned), "nothing should be due two hours earlier"

            claimed, raw_seconds = raw_claim(now)
            analyze()
            parts: dict = {}
            with timed_parts(parts):
                t0 = time.perf_counter()
                result = case_deadline_sweep(now=now)
                seconds = time.perf_counter() - t0
            overdue = len(result.overdue)
            assert overdue >= due and claimed >= due, (overdue, claimed, due)
            transitions = Transition.objects.filter(case__title__startswith=TITLE).count()
            breakdown = ", ".join(f"{name.removeprefix('_sweep_')} {parts.get(name, 0):.2f} s" for name in STAGES)
            print(f"  {share:.0%} due: {due:,} of {N:,} cases (built in {built:.0f} s)")
            line(f"case_deadline_sweep with {due:,} due",
                 f"{seconds:.2f} s: {overdue:,} marked overdue, {len(result.escalated):,} escalated, "
                 f"{transitions:,} transitions written ({breakdown}); with nothing due: {idle_seconds * 1000:.0f} ms",
                 f"one raw UPDATE … RETURNING of the same {claimed:,} rows: {raw_seconds * 1000:.0f} ms",
                 f"≤ {TARGET_SECONDS:.0f} s: " + ("met" if seconds <= TARGET_SECONDS else "NOT met"))
            remove()
    finally:
        removed = remove()
        if removed:
            print(f"  cleaned up {removed:,} cases")


if __name__ == "__main__":
    main()
