"""The points supermarket on its busiest morning, on PostgreSQL: many villagers of one village order
the few goods on its shelf at once, through ``shop_order_reserve`` (the same function the page and
the API call), until the goods run out.

32 threads, each with its own connection, order one unit at a time for their households until every
item has answered "库存不足" (or the time budget is spent). Reported: orders per second, latency,
refusals, and whether anything was oversold (sold = stock taken = orders placed; must never exceed
the stock). Every order of a village queues on the village's points chain head, so this is the
worst case: one village, one counter. Baseline, same threads, same run: the same number of plain
single-row INSERTs, each its own transaction.

The ledger is append-only (PostgreSQL refuses deletes), so the benchmark runs in a scratch database
of its own, migrated for the run and dropped afterwards; the demo county is not touched.
"""

import os
import random
import threading
import time
from collections import Counter

from bench.common import line, percentile, setup_django

THREADS = int(os.environ.get("BENCH_SHOP_THREADS", "32"))
HOUSEHOLDS = int(os.environ.get("BENCH_SHOP_HOUSEHOLDS", "64"))
SECONDS = float(os.environ.get("BENCH_SHOP_SECONDS", "8"))
GOODS = [("洗衣粉", "袋", 20, 80), ("食用油", "桶", 50, 40), ("酱油", "瓶", 12, 80)]  # name, unit, price, stock
POINTS_EACH = 300


def build():
    """A township with one village, its households and villagers, points for each, an open window
    and the goods: everything through the services."""
    import datetime as dt

    from django.utils import timezone

    from tests.factories import make_household
    from xiangzhi.accounts.models import Role, User
    from xiangzhi.points import services as points
    from xiangzhi.points.models import PointsRule
    from xiangzhi.regions.models import Region
    from xiangzhi.regions.services import grid_create, region_path
    from xiangzhi.shop import services as shop

    def region(code, name, level, parent=None):
        return Region.objects.create(code=code, name=name, level=level, parent=parent, path=region_path(parent, code))

    county = region("370114", "章丘区", "county")
    town = region("370114010", "文祖街道", "township", county)
    village = region("370114010203", "文祖北村", "village", town)
    grid = grid_create(region=village, name="文祖北村第一网格")
    staff = {role: User.objects.create(username=role, role=role, region=r) for role, r in (
        (Role.TOWNSHIP_STAFF, town), (Role.POINTS_RECORDER, village), (Role.POINTS_SUPERVISOR, village),
        (Role.VILLAGE_CADRE, village))}
    households = [make_household(grid, size=1, head=f"村民{i:03d}") for i in range(HOUSEHOLDS)]
    villagers = [User.objects.create(username=f"villager{i:03d}", role=Role.RESIDENT, household=h)
                 for i, h in enumerate(households)]
    book = points.rulebook_install(township=town, effective_from=timezone.localdate() - dt.timedelta(days=30))
    first = book.rules.select_related("category").first()
    earn = PointsRule.objects.create(rulebook=book, category=first.category, code="bench_earn", name="压测积分",
                                     direction="add", points=50)
    for _ in range(POINTS_EACH // 50):
        batch = points.entry_record_batch(actor=staff[Role.POINTS_RECORDER], households=households, rule=earn,
                                          occurred_on=timezone.localdate())
        points.entry_review_bulk(actor=staff[Role.POINTS_SUPERVISOR], entries=batch.entries, approve=True)
    today = timezone.localdate()
    points.redemption_window_add(actor=staff[Role.TOWNSHIP_STAFF], township=town, opens_on=today,
                          closes_on=today + dt.timedelta(days=14))
    items = [shop.shop_item_create(actor=staff[Role.VILLAGE_CADRE], village=village, name=name, unit=unit,
                                   price=price, stock=stock) for name, unit, price, stock in GOODS]
    return village, list(zip(villagers, households, strict=True)), items


def order_rush(buyers, items) -> tuple[Counter, list[float], float]:
    from django.db import connection

    from xiangzhi.core.errors import Invalid
    from xiangzhi.shop.services import shop_order_reserve

    outcomes: Counter = Counter()
    latencies: list[float] = []
    sold_out: set[int] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS + 1)
    deadline = [0.0]

    def villager(index: int) -> None:
        rng = random.Random(index)
        mine = buyers[index::THREADS]
        local: Counter = Counter()
        times = []
        try:
            barrier.wait()
            while len(sold_out) < len(items) and time.perf_counter() < deadline[0]:
                actor, household = rng.choice(mine)
                item = rng.choice(items)
                t0 = time.perf_counter()
                try:
                    shop_order_reserve(actor=actor, household=household, item=item)
                except Invalid as exc:
                    local[exc.code] += 1
                    if exc.code == "out_of_stock":
                        with lock:
                            sold_out.add(item.pk)
                else:
                    local["ok"] += 1
                    times.append(time.perf_counter() - t0)
        finally:
            connection.close()
            with lock:
                outcomes.update(local)
                latencies.extend(times)

    threads = [threading.Thread(target=villager, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    deadline[0] = start + SECONDS
    barrier.wait()
    for t in threads:
        t.join()
    return outcomes, latencies, time.perf_counter() - start


def baseline(rows: int) -> float:
    """``rows`` single-row INSERTs, each its own transaction, from the same number of threads."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_shop_baseline (id bigserial PRIMARY KEY, household_id bigint, "
                       "item_id bigint, quantity integer, at timestamptz)")
    barrier = threading.Barrier(THREADS + 1)

    def insert(index: int) -> None:
        try:
            barrier.wait()
            with connection.cursor() as cursor:
                for i in range(index, rows, THREADS):
                    cursor.execute("INSERT INTO bench_shop_baseline (household_id, item_id, quantity, at) "
                                   "VALUES (%s, %s, 1, now())", [i % HOUSEHOLDS, i % len(GOODS)])
        finally:
            connection.close()

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def main() -> None:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"shop redemption on {connection.vendor}: skipped (a PostgreSQL benchmark: row locks under concurrency)")
        return
    # A scratch database for the run (the ledger refuses deletes): Django's test-database machinery.
    connection.settings_dict["TEST"]["NAME"] = f"bench_shop_{os.getpid()}"
    original = connection.settings_dict["NAME"]
    t0 = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(time.perf_counter() - t0)
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


def run(migrated_seconds: float) -> None:
    from xiangzhi.points.selectors import balance_mismatch_list, ledger_verify
    from xiangzhi.shop.models import ShopItem, ShopOrder
    from xiangzhi.shop.selectors import stock_mismatch_list

    t0 = time.perf_counter()
    village, buyers, items = build()
    built = time.perf_counter() - t0
    in_stock = sum(i.stock for i in items)
    print(f"shop redemption on postgresql: {THREADS} threads ordering for {HOUSEHOLDS} households of one village, "
          f"{len(items)} goods, {in_stock} units in stock (scratch database migrated in {migrated_seconds:.0f} s, "
          f"built in {built:.1f} s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    outcomes, latencies, seconds = order_rush(buyers, items)
    ok = outcomes["ok"]
    left = dict(ShopItem.objects.filter(pk__in=[i.pk for i in items]).values_list("pk", "stock"))
    taken = sum(i.stock - left[i.pk] for i in items)
    placed = ShopOrder.objects.count()
    oversold = max(0, ok - in_stock) + sum(1 for v in left.values() if v < 0)
    sound = (taken == placed == ok and not stock_mismatch_list() and not balance_mismatch_list()
             and ledger_verify(village) is None)
    refused = ", ".join(f"{code} {n:,}" for code, n in sorted(outcomes.items()) if code != "ok") or "none"
    ms = [s * 1000 for s in latencies] or [0.0]
    base = baseline(max(ok, 1))
    line("shop_order_reserve, one village, all at once",
         f"{ok / seconds:,.0f} orders/s ({ok:,} orders in {seconds:.2f} s; p50 {percentile(ms, 50):.0f} ms, "
         f"p95 {percentile(ms, 95):.0f} ms); refused: {refused}; sold {ok:,} of {in_stock:,} in stock, "
         f"stock taken {taken:,}, orders written {placed:,}, oversold {oversold}",
         f"the same {max(ok, 1):,} single-row INSERTs (each its own transaction) from the same {THREADS} threads: "
         f"{max(ok, 1) / base:,.0f} rows/s",
         "zero oversell, stock = its moves, balances = the ledger, chain verifies: "
         + ("met" if oversold == 0 and sound else "NOT met"))


if __name__ == "__main__":
    main()
