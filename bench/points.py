"""Household points at county scale (14万 households, ~500万 ledger entries), each figure beside the
same question answered naively from the ledger itself, in the same run:

- a household's balance and village/township rank (``household_standing``): ≤ 20 ms;
- a township's ranking (``household_ranking``, limit 50) and its village table: ≤ 100 ms;
- a village's quarterly notice (``selectors.notice_rows``, anchored as when published): ≤ 1 s;
- the county's yearly settlement (``services.settlement_run`` for every township, rolled back): ≤ 60 s.

First tops the ledger up to ``BENCH_POINTS_ENTRIES`` (default 5,000,000) with two years of history
up to the day before the demo's own entries begin: records by the village's points recorder or the
grid worker, reviewed by the points supervisor a few days later (4% rejected, 0.3% never reviewed),
deductions only where the household's points cover them, within every item's caps, and visits to
the points supermarket in each half-yearly redemption window. A township whose rulebook came into
force later than two years ago gets the template installed from then (its "earlier rulebook"), and
each entry follows the rulebook in force on its day. Everything goes in through
``services.entries_import`` (one COPY per table on PostgreSQL, one executemany on SQLite), so every
village's chains verify and ``PointsBalance`` equals the ledger. Villages are written a few at a
time, each batch committed: an interrupted run picks up at the first village without history; a
ledger at ≥ 95% of the target is left as it is (so ``python -m bench --reuse`` skips it; without
``--reuse`` the demo rebuild empties it, and writing it again takes ~20 minutes on two shared cores).
"""

import bisect
import datetime as dt
import inspect
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from itertools import accumulate

from bench.common import line, percentile, setup_django, summary_ms

TARGET_ENTRIES = int(os.environ.get("BENCH_POINTS_ENTRIES", "5000000"))
RUNS = int(os.environ.get("BENCH_POINTS_RUNS", "40"))
NAIVE_RUNS = int(os.environ.get("BENCH_POINTS_NAIVE_RUNS", "5"))
CHECK_ALL = os.environ.get("BENCH_POINTS_CHECK") == "all"  # else the whole county only right after writing
SEED = 2027
YEARS = 2
FLUSH_ROWS = 20_000
REJECT_SHARE = 0.04
STALE_SHARE = 0.003  # never reviewed: the monthly review let them slip
REDEEM_SHARE = 0.45  # households that visit the supermarket in a given window
# The demo's items plus a few yearly ones; all recordable by village staff and needing no photo.
EXTRA_WEIGHTS = {"affairs_insurance": 20, "industry_cooperative": 6, "law_drunk_driving": 2}


class Rollback(Exception):
    pass


# --- the data -------------------------------------------------------------------------------------


class FastInsert:
    """``entries_import``'s ``insert=``: the ledger's own bulk path (``core.bulk.bulk_insert``: ids reserved,
    one COPY per table on PostgreSQL, executemany on SQLite), counting the rows it writes."""

    def __init__(self):
        self.counts: Counter = Counter()

    def __call__(self, model, objs: list) -> list:
        from xiangzhi.core.bulk import bulk_insert  # after setup_django

        bulk_insert(model, objs)
        self.counts[model._meta.label] += len(objs)
        return objs


def _windows(start: dt.date, end: dt.date) -> list[dt.date]:
    """Opening days of the half-yearly redemption windows (the defaults: notice on the 15th of the month
    after the half, seven days of objections, then fifteen days of shopping) between the dates."""
    out = []
    for year in range(start.year, end.year + 1):
        for month in (1, 7):
            opens = dt.date(year, month, 22)
            if start <= opens and opens + dt.timedelta(days=15) < end:
                out.append(opens)
    return out


SNAPSHOT = ("rule_id", "rule_code", "rule_name", "category_code", "category_name")


def entry_factory():
    """Unsaved ``PointsEntry`` rows without ``Model.__init__`` (a third of the generation's time): each
    field's default, then the given values. ``snapshot(rule)`` is what ``PointsEntry.copy_rule`` copies."""
    from django.db.models.base import ModelState

    from xiangzhi.points.models import PointsEntry

    template = {f.attname: f.get_default() for f in PointsEntry._meta.concrete_fields}
    snapshots = {}

    def make(**values):
        obj = PointsEntry.__new__(PointsEntry)
        obj._state = ModelState()
        obj.__dict__.update(template)
        obj.__dict__.update(values)
        return obj

    def snapshot(rule) -> dict:
        if rule.pk not in snapshots:
            probe = PointsEntry()
            probe.copy_rule(rule)
            snapshots[rule.pk] = {name: getattr(probe, name) for name in SNAPSHOT}
        return snapshots[rule.pk]

    return make, snapshot


def _household(rng, factory, books, vid, hid, n, recorder, worker, supervisor, start, span, windows, used, tz):
    """One household's history in time order: (entry, decision) pairs. ``books`` is the township's
    [(effective from, rules, cumulative weights)], oldest first; each entry follows the one in force."""
    from xiangzhi.accounts.models import Role
    from xiangzhi.demo.points import NOTES, REJECT_REASONS, caps_count, within_caps
    from xiangzhi.lib.periods import period_bounds
    from xiangzhi.points.models import EntryKind, ReviewDecision
    from xiangzhi.points.services import Decision

    make, snapshot = factory
    events = [(start + dt.timedelta(days=rng.randrange(span)), 0) for _ in range(n)]
    events += [(w + dt.timedelta(days=rng.randrange(15)), 1) for w in windows if rng.random() < REDEEM_SHARE]
    events.sort()
    positives: list[tuple[dt.datetime, int]] = []  # (approved at, points) of approved additions
    minus = 0  # approved deductions and redemptions so far (≤ 0)
    plus = 0
    last_approval = None
    out = []
    for day, is_redemption in events:
        at = dt.datetime.combine(day, dt.time(8, 30), tzinfo=tz) + dt.timedelta(minutes=rng.randrange(570))
        if is_redemption:
            available = sum(p for a, p in positives if a <= at) + minus
            if available < 20:
                continue
            amount = max(10, 5 * int(available * rng.uniform(0.3, 0.8) / 5))
            minus -= amount
            entry = make(village_id=vid, household_id=hid, kind=EntryKind.REDEMPTION, points=-amount,
                         occurred_on=day, recorded_at=at, recorder_id=recorder,
                         note=f"积分超市兑换 {amount} 分（压测数据）")
            out.append((entry, None))  # not a reviewed kind: entries_import approves it as it posts
            continue
        review_at = at + dt.timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 6))
        roll = rng.random()
        stale, rejected = roll < STALE_SHARE, STALE_SHARE <= roll < STALE_SHARE + REJECT_SHARE
        _, items, cum = books[bisect.bisect_right(books, day, key=lambda b: b[0]) - 1]
        for _ in range(4):  # a few tries for an item the household may still get
            rule = rng.choices(items, cum_weights=cum)[0]
            if rule.points < 0 and (stale or rejected or plus + minus + rule.points < 0):
                continue  # a deduction only where the household's points cover it
            period = period_bounds(rule.cap_period, day)[0] if rule.cap_period else None
            if within_caps(rule, used, (hid,), period):
                break
        else:
            continue
        if rule.points < 0:
            review_at = max(review_at, last_approval + dt.timedelta(minutes=10))
        caps_count(rule, used, (hid,), period)
        by_worker = worker is not None and Role.GRID_WORKER in rule.role_list and rng.random() < 0.4
        entry = make(village_id=vid, household_id=hid, kind=EntryKind.RECORD, points=rule.points,
                     occurred_on=day, recorded_at=at, recorder_id=worker if by_worker else recorder,
                     note=rng.choice(NOTES.get(rule.code, ("",))), **snapshot(rule))
        if stale:
            decision = None
        elif rejected:
            decision = Decision(ReviewDecision.REJECTED, supervisor, review_at, rng.choice(REJECT_REASONS))
        else:
            decision = Decision(ReviewDecision.APPROVED, supervisor, review_at)
            if rule.points > 0:
                plus += rule.points
                positives.append((review_at, rule.points))
                last_approval = max(last_approval or review_at, review_at)
            else:
                minus += rule.points
        out.append((entry, decision))
    return out


def ensure_ledger() -> str:
    """Top the ledger up to TARGET_ENTRIES; say what was there or what was written and how fast."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Min
    from django.utils import timezone

    from xiangzhi.demo.geography import poisson
    from xiangzhi.demo.points import WEIGHTS, _village_staff
    from xiangzhi.lib.periods import period_bounds
    from xiangzhi.people.models import Household
    from xiangzhi.points.models import EntryKind, PointsEntry, PointsRule, PointsRulebook, ReviewDecision
    from xiangzhi.points.selectors import rulebook_in_force
    from xiangzhi.points.services import entries_import, rulebook_install
    from xiangzhi.regions.models import GridAssignment, GridDuty, Region, RegionLevel

    call_command("migrate", interactive=False, verbosity=0)
    have = PointsEntry.objects.count()
    if have >= TARGET_ENTRIES * 0.95:
        return f"{have:,} entries already there (target {TARGET_ENTRIES:,})"

    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    start = today - dt.timedelta(days=365 * YEARS)
    # The demo writes nothing before the previous quarter; a village with entries before that has its history.
    floor = period_bounds("quarter", period_bounds("quarter", today)[0] - dt.timedelta(days=1))[0]
    done = set(PointsEntry.objects.filter(occurred_on__lt=floor).values_list("village_id", flat=True).distinct())
    # History stops the day before the demo's own entries begin.
    end = PointsEntry.objects.exclude(village_id__in=done).aggregate(d=Min("occurred_on"))["d"] or today
    towns = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"))
    weights = {**WEIGHTS, **EXTRA_WEIGHTS}
    books_of, installed = {}, 0
    for town in towns:
        if rulebook_in_force(town, start) is None:  # the township ran points before the demo's rulebook
            rulebook_install(township=town, effective_from=start, name=f"{town.name}户积分管理细则（此前施行）")
            installed += 1
        books_of[town.pk] = []
        for book in PointsRulebook.objects.filter(region=town, effective_from__lt=end).order_by("effective_from"):
            by_code = {r.code: r for r in PointsRule.objects.filter(rulebook=book, code__in=weights)
                       .select_related("category")}
            codes = [c for c in weights if c in by_code]
            books_of[town.pk].append((book.effective_from, [by_code[c] for c in codes],
                                      list(accumulate(weights[c] for c in codes))))
    span = (end - start).days
    windows = _windows(start, end)

    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code").values_list("pk", "code",
                                                                                                    "path"))
    town_of = {vid: next(t.pk for t in towns if path.startswith(t.path)) for vid, _, path in villages}
    staff = _village_staff()
    worker_of_grid = dict(GridAssignment.objects.filter(ended_on__isnull=True, duty=GridDuty.FULL_TIME)
                          .order_by("grid_id", "user_id").values_list("grid_id", "user_id"))
    parent_grid, households = {}, defaultdict(list)
    for hid, grid_id, parent_id, vid in Household.objects.order_by("id").values_list(
            "id", "grid_id", "grid__parent_id", "grid__region_id"):
        households[vid].append((hid, grid_id))
        parent_grid[grid_id] = parent_id
    total_households = sum(len(h) for h in households.values())
    recent = PointsEntry.objects.filter(occurred_on__gte=end).count()
    # Entries per household over the span, less the supermarket visits, so the ledger ends near the target.
    rate = max(0.0, (TARGET_ENTRIES - recent) / total_households - REDEEM_SHARE * len(windows) * 0.9)
    print(f"  generating {TARGET_ENTRIES - have:,} entries: {start} – {end - dt.timedelta(days=1)}, "
          f"{len(villages) - len(done)} of {len(villages)} villages to do, ~{rate:.1f} records per household, "
          f"{len(windows)} redemption windows"
          + (f"; installed an earlier rulebook in {installed} townships" if installed else ""), flush=True)

    insert = FastInsert()
    factory = entry_factory()
    rows, decisions = [], []
    written = 0
    started = time.perf_counter()

    def flush():
        nonlocal rows, decisions, written
        if rows:
            entries_import(rows, decisions, insert=insert, now=now)
            written += len(rows)
        rows, decisions = [], []

    todo = [v for v in villages if v[0] not in done]
    if connection.vendor == "sqlite":  # as the demo build does: 2 MB of page cache makes every index insert a read
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    for n_village, (vid, code, _) in enumerate(todo, 1):
        recorder, supervisor = staff.get((vid, "points_recorder")), staff.get((vid, "points_supervisor"))
        if recorder is None or supervisor is None or not households.get(vid):
            continue
        rng = random.Random(f"{SEED}:bench-points:{code}")
        used: Counter = Counter()
        books = books_of[town_of[vid]]
        points_of = {r.code: r.points for _, items, _ in books for r in items}
        caps = {r.code: r.cap_period for _, items, _ in books for r in items if r.cap_period}
        # What the demo recorded lately counts against the same (yearly) caps.
        for hid, rule_code, day in (PointsEntry.objects.filter(village_id=vid, kind=EntryKind.RECORD,
                                                               rule_code__in=list(caps))
                                    .exclude(review__decision=ReviewDecision.REJECTED)
                                    .values_list("household_id", "rule_code", "occurred_on")):
            period = period_bounds(caps[rule_code], day)[0]
            used[(hid, rule_code, period)] += 1
            used[(hid, rule_code, period, "p")] += abs(points_of[rule_code])
        village_rows = []
        for hid, grid_id in households[vid]:
            worker = worker_of_grid.get(grid_id) or worker_of_grid.get(parent_grid.get(grid_id))
            activity = rng.gammavariate(2.0, 0.5)  # some households take part far more than others
            n = poisson(rng, rate * activity)
            if n:
                village_rows += _household(rng, factory, books, vid, hid, n, recorder, worker, supervisor, start, span,
                                           windows, used, tz)
        village_rows.sort(key=lambda pair: (pair[0].recorded_at, pair[0].household_id))
        rows += [e for e, _ in village_rows]
        decisions += [d for _, d in village_rows]
        if len(rows) >= FLUSH_ROWS:
            flush()
        if n_village % 25 == 0:
            seconds = time.perf_counter() - started
            print(f"    {n_village}/{len(todo)} villages, {written:,} entries in {seconds:.0f} s "
                  f"({written / seconds:,.0f}/s)", flush=True)
    flush()
    seconds = time.perf_counter() - started
    t0 = time.perf_counter()
    with connection.cursor() as cursor:  # fresh planner statistics for the new rows
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -2000")  # back to SQLite's default for the measurements
        if connection.vendor == "postgresql":
            for table in ("points_pointsentry", "points_pointsreview", "points_pointsbalance"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    analyzed = time.perf_counter() - t0
    rows_written = sum(insert.counts.values())
    return (f"wrote {written:,} entries ({rows_written:,} rows with reviews and balances) in {seconds:.0f} s "
            f"({rows_written / seconds:,.0f} rows/s; hashing, chains and balances included), "
            f"then {'VACUUM ' if connection.vendor == 'postgresql' else ''}ANALYZE in {analyzed:.0f} s; "
            f"{PointsEntry.objects.count():,} entries now")


def check_ledger(rng: random.Random, whole: bool) -> str:
    """Balances against the ledger for every household (right after writing, or BENCH_POINTS_CHECK=all:
    7–17 s at 500万 entries) or for ten villages' households, and the hash chains of two villages."""
    from xiangzhi.people.models import Household
    from xiangzhi.points.selectors import balance_mismatch_list, ledger_verify
    from xiangzhi.regions.models import Region, RegionLevel

    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).values_list("pk", flat=True))
    sample = rng.sample(villages, 10)
    t0 = time.perf_counter()
    if whole:
        wrong, what = balance_mismatch_list(), "every household"
    else:
        ids = list(Household.objects.filter(grid__region_id__in=sample).values_list("pk", flat=True))
        wrong, what = balance_mismatch_list(ids), f"{len(ids):,} households of 10 villages"
    balances = time.perf_counter() - t0
    chained = list(Region.objects.filter(pk__in=sample[:2]).defer("boundary"))
    t0 = time.perf_counter()
    broken = [b for b in (ledger_verify(v) for v in chained) if b is not None]
    chains = time.perf_counter() - t0
    assert not wrong, wrong[:5]
    assert not broken, [b.message for b in broken]
    return (f"balances equal the ledger for {what} ({balances:.1f} s); both chains of 2 villages verify "
            f"({chains:.1f} s)")


def ledger_shape() -> str:
    from django.db.models import Count, Max, Min, Q, Sum

    from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry, ReviewDecision

    e = PointsEntry.objects.aggregate(
        n=Count("pk"), first=Min("occurred_on"), last=Max("occurred_on"),
        rejected=Count("pk", filter=Q(review__decision=ReviewDecision.REJECTED)),
        pending=Count("pk", filter=Q(review__isnull=True)),
        deductions=Count("pk", filter=Q(kind=EntryKind.RECORD, points__lt=0)),
        redemptions=Count("pk", filter=Q(kind=EntryKind.REDEMPTION)))
    b = PointsBalance.objects.aggregate(n=Count("pk"), top=Max("approved_total"), points=Sum("approved_total"))
    return (f"{e['n']:,} entries {e['first']} – {e['last']}: {e['rejected']:,} rejected, {e['pending']:,} pending, "
            f"{e['deductions']:,} deductions, {e['redemptions']:,} redemptions; {b['n']:,} balances, "
            f"{(b['points'] or 0) / max(1, b['n']):.0f} points on average, top {b['top']}")


# --- the naive answers ------------------------------------------------------------------------------


def _sums(qs) -> dict[int, int]:
    from django.db.models import Sum

    from xiangzhi.points.models import ReviewDecision

    return dict(qs.filter(review__decision=ReviewDecision.APPROVED).values("household_id").order_by()
                .annotate(t=Sum("points")).values_list("household_id", "t"))


def naive_standing(household, village_ids_of_township: list[int]) -> tuple[int, int, int]:
    """Balance as the sum of the household's approved entries; ranks by summing every household of
    the village and of the township over the ledger."""
    from django.db.models import Sum

    from xiangzhi.points.models import PointsEntry, ReviewDecision

    mine = PointsEntry.objects.filter(household_id=household.pk, review__decision=ReviewDecision.APPROVED).aggregate(
        t=Sum("points"))["t"] or 0
    village = _sums(PointsEntry.objects.filter(village_id=household.grid.region_id))
    township = _sums(PointsEntry.objects.filter(village_id__in=village_ids_of_township))
    return mine, 1 + sum(t > mine for t in village.values()), 1 + sum(t > mine for t in township.values())


def naive_ranking(village_ids: list[int], limit: int = 50) -> list[tuple[int, int]]:
    from django.db.models import Sum

    from xiangzhi.points.models import PointsEntry, ReviewDecision

    return list(PointsEntry.objects.filter(village_id__in=village_ids, review__decision=ReviewDecision.APPROVED)
                .values("household_id").annotate(t=Sum("points")).order_by("-t", "household_id")
                .values_list("household_id", "t")[:limit])


def naive_village_table(village_ids: list[int]) -> dict[int, int]:
    from django.db.models import Sum

    from xiangzhi.points.models import PointsEntry, ReviewDecision

    return dict(PointsEntry.objects.filter(village_id__in=village_ids, review__decision=ReviewDecision.APPROVED)
                .values("village_id").order_by().annotate(t=Sum("points")).values_list("village_id", "t"))


def naive_notice(village, start: dt.date, end: dt.date, head) -> dict[int, tuple[int, int]]:
    """Per household: its approved points up to the chain heads, and the quarter's by category; two
    queries a household."""
    from django.db.models import Sum

    from xiangzhi.people.models import Household
    from xiangzhi.points.models import PointsEntry, ReviewDecision

    out = {}
    for hid in Household.objects.filter(grid__region_id=village.pk).values_list("pk", flat=True):
        mine = PointsEntry.objects.filter(household_id=hid, review__decision=ReviewDecision.APPROVED,
                                          seq__lte=head.entry_seq, review__seq__lte=head.review_seq)
        total = mine.aggregate(t=Sum("points"))["t"] or 0
        quarter = sum(p for _, p in mine.filter(kind__in=("record", "award", "correction", "reversal"),
                                                occurred_on__range=(start, end))
                      .values("category_code").order_by().annotate(p=Sum("points")).values_list("category_code", "p"))
        out[hid] = (total, quarter)
    return out


def naive_settlement(township, year: int) -> tuple[int, int, int]:
    """Per household of the township, read-only: the year's conduct points and the year's leftover
    (the balance less the points added since 1 January), each a sum over its entries; (households,
    year points, leftover points)."""
    from django.db.models import Sum

    from xiangzhi.people.models import Household
    from xiangzhi.points.models import PointsEntry, ReviewDecision

    n = year_total = balance_total = 0
    for hid in Household.objects.filter(grid__path__startswith=township.path).values_list("pk", flat=True):
        approved = PointsEntry.objects.filter(household_id=hid, review__decision=ReviewDecision.APPROVED)
        year_total += approved.filter(kind__in=("record", "award", "correction", "reversal"),
                                      occurred_on__year=year).aggregate(t=Sum("points"))["t"] or 0
        balance = approved.aggregate(t=Sum("points"))["t"] or 0
        added = approved.filter(occurred_on__gt=dt.date(year, 12, 31), points__gt=0).aggregate(
            t=Sum("points"))["t"] or 0
        balance_total += max(balance - added, 0)
        n += 1
    return n, year_total, balance_total


def raw_insert(n_entries: int, n_reviews: int) -> float:
    """The same number of entry and review rows through one executemany each, rolled back."""
    from django.db import connection, transaction
    from django.utils import timezone

    from xiangzhi.people.models import Household

    hid, vid = Household.objects.values_list("pk", "grid__region_id").first()
    now = timezone.now()
    entry_sql = ("INSERT INTO points_pointsentry (id, village_id, seq, household_id, kind, rule_code, rule_name, "
                 "category_code, category_name, quantity, points, occurred_on, recorded_at, note, evidence, "
                 "evidence_thumbnail, evidence_sha256, source, idempotency_key, request_hash, prev_hash, hash) "
                 "VALUES (%s, %s, %s, %s, 'expiry', '', '', '', '', 1, -10, %s, %s, '2025年度积分核算', '', '', '', "
                 "'', '', '', %s, %s)")
    review_sql = ("INSERT INTO points_pointsreview (id, entry_id, village_id, seq, decision, reason, reviewed_at, "
                  "prev_hash, hash) VALUES (%s, %s, %s, %s, 'approved', '', %s, %s, %s)")
    base = 10 ** 12
    day = dt.date(2025, 12, 31)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            t0 = time.perf_counter()
            for s in range(0, n_entries, 5000):
                cursor.executemany(entry_sql, [(base + i, vid, base + i, hid, day, now, "0" * 64, "f" * 64)
                                               for i in range(s, min(n_entries, s + 5000))])
            for s in range(0, n_reviews, 5000):
                cursor.executemany(review_sql, [(base + i, base + i, vid, base + i, now, "0" * 64, "f" * 64)
                                                for i in range(s, min(n_reviews, s + 5000))])
            seconds = time.perf_counter() - t0
            raise Rollback
    except Rollback:
        pass
    return seconds


# --- the measurements -------------------------------------------------------------------------------


def _verdict(value_ms: float, target_ms: float) -> str:
    return ("met" if value_ms <= target_ms else "NOT met")


def bench_standing(rng, towns, villages_of_town) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.people.models import Household
    from xiangzhi.points.selectors import household_standing

    ids = list(Household.objects.values_list("pk", flat=True))
    picked = rng.sample(ids, RUNS + NAIVE_RUNS + 1)
    load = Household.objects.select_related("grid", "grid__region").defer("grid__boundary", "grid__region__boundary")
    household_standing(load.get(pk=picked[-1]))  # warm
    samples, queries = [], 0
    for pk in picked[:RUNS]:
        household = load.get(pk=pk)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            household_standing(household)
            samples.append(time.perf_counter() - t0)
        queries = len(ctx)
    town_of_village = {v: t for t, vs in villages_of_town.items() for v in vs}
    naive_samples = []
    for pk in picked[RUNS:RUNS + NAIVE_RUNS]:
        household = load.get(pk=pk)
        vids = villages_of_town[town_of_village[household.grid.region_id]]
        t0 = time.perf_counter()
        got = naive_standing(household, vids)
        naive_samples.append(time.perf_counter() - t0)
        s = household_standing(household)
        assert got == (s.approved, s.village_rank, s.township_rank), (got, s)
    p95 = percentile([s * 1000 for s in samples], 95)
    line("household_standing (balance, village and township rank)", summary_ms(samples) + f"; {queries} queries",
         "the sum of the household's approved entries, ranks by summing every household of its village and "
         f"township over the ledger: {summary_ms(naive_samples)} (same answers)",
         "p95 ≤ 20 ms: " + _verdict(p95, 20))


def bench_ranking(rng, towns, villages_of_town) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.points.selectors import household_ranking, village_table

    household_ranking(towns[0], limit=50)
    village_table(towns[0])
    order = [towns[i % len(towns)] for i in rng.sample(range(RUNS), RUNS)]
    samples, table_samples = [], []
    for town in order:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            household_ranking(town, limit=50)
            samples.append(time.perf_counter() - t0)
        queries = len(ctx)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            village_table(town)
            table_samples.append(time.perf_counter() - t0)
        table_queries = len(ctx)
    naive_samples, naive_table = [], []
    for town in rng.sample(towns, min(NAIVE_RUNS, len(towns))):
        vids = villages_of_town[town.pk]
        t0 = time.perf_counter()
        got = naive_ranking(vids)
        naive_samples.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sums = naive_village_table(vids)
        naive_table.append(time.perf_counter() - t0)
        ranking = household_ranking(town, limit=50)
        assert [t for _, t in got] == [r.approved_total for r in ranking], town
        assert {r.village.pk: r.points for r in village_table(town) if r.points} == {
            v: t for v, t in sums.items() if t}, town
    p95 = percentile([s * 1000 for s in samples], 95)
    p95_table = percentile([s * 1000 for s in table_samples], 95)
    line("household_ranking(township, limit=50)", summary_ms(samples) + f"; {queries} queries",
         f"GROUP BY household over the township's ledger, ordered, top 50: {summary_ms(naive_samples)} "
         "(same totals)", "p95 ≤ 100 ms: " + _verdict(p95, 100))
    line("village_table(township)", summary_ms(table_samples) + f"; {table_queries} queries",
         f"GROUP BY village over the township's ledger (points only): {summary_ms(naive_table)} (same points)",
         "p95 ≤ 100 ms: " + _verdict(p95_table, 100))


def bench_notice(rng, villages) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xiangzhi.lib.periods import period_bounds
    from xiangzhi.points.models import PointsChainHead

    try:
        from xiangzhi.points.selectors import Anchor, notice_rows
    except ImportError:
        print("  village quarterly notice: not available (xiangzhi.points.selectors.notice_rows not there yet)")
        return
    params = inspect.signature(notice_rows).parameters
    last_quarter_end = period_bounds("quarter", timezone.localdate())[0] - dt.timedelta(days=1)
    start, end = period_bounds("quarter", last_quarter_end)

    def rows_for(village):
        head = PointsChainHead.objects.get(pk=village.pk)
        if "anchor" in params:  # as notice_publish reads it, at the chain heads
            anchor = Anchor(head.entry_seq, head.entry_hash, head.review_seq, head.review_hash)
            return notice_rows(village, start, end, anchor=anchor), head
        return notice_rows(village, start, end), head

    picked = rng.sample(villages, min(len(villages), RUNS // 2 + NAIVE_RUNS))
    rows_for(picked[-1])
    samples, sizes, queries = [], [], 0
    for village in picked[:RUNS // 2]:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            rows, _ = rows_for(village)
            samples.append(time.perf_counter() - t0)
        queries = len(ctx)
        sizes.append(len(rows))
    naive_samples = []
    for village in picked[RUNS // 2:]:
        rows, head = rows_for(village)
        t0 = time.perf_counter()
        got = naive_notice(village, start, end, head)
        naive_samples.append(time.perf_counter() - t0)
        assert got == {r["household"]: (r["total"], r["quarter"]) for r in rows}, village
    p95 = percentile([s * 1000 for s in samples], 95)
    line(f"notice_rows(village, {start}, {end}) (anchored at the chain heads)",
         summary_ms(samples) + f"; {queries} queries; {statistics.fmean(sizes):.0f} households a village "
         f"(all {len(villages)} villages: ~{statistics.fmean(samples) * len(villages):.0f} s)",
         f"two queries per household (total, quarter by category): {summary_ms(naive_samples)} (same rows)",
         "p95 ≤ 1 s: " + _verdict(p95, 1000))


def bench_settlement(towns) -> None:
    from django.db import transaction
    from django.utils import timezone

    from xiangzhi.people.models import Household
    from xiangzhi.points.models import PointsEntry, PointsReview

    try:
        from xiangzhi.points.models import PointsSettlement
        from xiangzhi.points.services import settlement_run
    except ImportError:
        print("  yearly settlement: not available (xiangzhi.points.services.settlement_run not there yet)")
        return
    if "township" not in inspect.signature(settlement_run).parameters:
        print("  yearly settlement: not available (settlement_run takes no township)")
        return
    now = timezone.now()
    year = timezone.localdate(now).year - 1
    if PointsSettlement.objects.filter(year=year).exists():
        print(f"  yearly settlement: {year} already settled in this database; skipped")
        return
    source = f"settlement:{year}"
    entries_before, reviews_before = PointsEntry.objects.count(), PointsReview.objects.count()
    per_town = []
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            for town in towns:
                t1 = time.perf_counter()
                done = settlement_run(township=town, year=year, now=now)
                per_town.append((town, time.perf_counter() - t1, done))
            seconds = time.perf_counter() - t0
            written = PointsEntry.objects.filter(source=source).count()
            reviews = PointsReview.objects.count() - reviews_before
            raise Rollback
    except Rollback:
        pass
    assert PointsEntry.objects.count() == entries_before, "the settlement was not rolled back"
    vacuumed = vacuum()  # the rolled-back rows are dead tuples on PostgreSQL until vacuumed
    slowest = max(per_town, key=lambda t: t[1])
    households = sum(s.households for _, _, s in per_town)
    honours = sum(s.honours for _, _, s in per_town)

    # Baselines: the per-household loop for the township with most households, scaled to the county;
    # and the bare insert of the same rows.
    sizes = {t.pk: Household.objects.filter(grid__path__startswith=t.path).count() for t in towns}
    big = max(towns, key=lambda t: sizes[t.pk])
    t0 = time.perf_counter()
    n, year_total, balance_total = naive_settlement(big, year)
    naive_seconds = time.perf_counter() - t0
    mine = next(s for t, _, s in per_town if t.pk == big.pk)
    assert year_total == mine.year_points and balance_total == mine.balance_points, (
        year_total, mine.year_points, balance_total, mine.balance_points)
    county_households = sum(sizes.values())
    raw_seconds = raw_insert(written, reviews)
    vacuumed += vacuum()
    line(f"settlement_run for {year}, all {len(towns)} townships (one transaction, rolled back)",
         f"{seconds:.1f} s: {households:,} households settled, {honours:,} 积分之星, {written:,} entries and "
         f"{reviews:,} reviews written (slowest: {slowest[0].name} {slowest[1]:.1f} s)",
         f"per-household sums over the ledger (read-only, nothing written) for {big.name}'s {n:,} households: "
         f"{naive_seconds:.1f} s, ~{naive_seconds * county_households / n:.0f} s for the county's "
         f"{county_households:,}; the bare executemany of the same {written:,} + {reviews:,} rows: {raw_seconds:.1f} s",
         "≤ 60 s: " + _verdict(seconds, 60))
    if vacuumed:
        print(f"    (VACUUM ANALYZE of the ledger tables after each rollback: {vacuumed:.0f} s, not counted)")


POINTS_TABLES = ("points_pointsentry", "points_pointsreview", "points_pointsbalance", "points_pointschainhead",
                 "points_pointshonour", "points_pointssettlement")


def vacuum() -> float:
    """On PostgreSQL, clear the dead rows a rolled-back run leaves in the ledger tables and refresh
    their statistics: the server here runs without autovacuum, and ~280,000 dead rows a run in the
    ledger's indexes make later per-household reads several times slower."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(POINTS_TABLES)}")
    return time.perf_counter() - t0


def dead_rows() -> str:
    """Vacuum first if an earlier (interrupted or pre-VACUUM) run left many dead rows behind."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(n_dead_tup), 0)::bigint, COALESCE(SUM(n_live_tup), 0)::bigint "
                       "FROM pg_stat_user_tables "
                       "WHERE relname = ANY(%s)", [list(POINTS_TABLES)])
        dead, live = cursor.fetchone()
    if dead <= 0.02 * max(live, 1):
        return ""
    return f"  (vacuumed {dead:,} dead rows left in the ledger tables by earlier runs: {vacuum():.0f} s)"


def main() -> None:
    setup_django()
    from django.db import connection

    from xiangzhi.points.models import PointsEntry
    from xiangzhi.regions.models import Region, RegionLevel

    have = PointsEntry.objects.count() if "points_pointsentry" in connection.introspection.table_names() else 0
    print(f"household points on {connection.vendor}: {ensure_ledger()}", flush=True)
    if note := dead_rows():
        print(note, flush=True)
    rng = random.Random(11)
    print(f"  {ledger_shape()}")
    print(f"  {check_ledger(rng, whole=CHECK_ALL or PointsEntry.objects.count() != have)}", flush=True)
    towns = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").defer("boundary"))
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code").defer("boundary"))
    villages_of_town = {t.pk: [v.pk for v in villages if v.path.startswith(t.path)] for t in towns}
    bench_standing(rng, towns, villages_of_town)
    bench_ranking(rng, towns, villages_of_town)
    bench_notice(rng, villages)
    bench_settlement(towns)


if __name__ == "__main__":
    main()
