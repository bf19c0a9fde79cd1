"""GET /api/v1/households for a township user at county scale: latency and query count per page,
against the same page's SQL run raw on the same connection."""

import random
import time

from bench.common import line, percentile, setup_django, summary_ms


def main() -> None:
    setup_django()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.people.models import Household
    from xiangzhi.people.selectors import household_list_for_user

    # The township with the most households.
    best, best_n = None, -1
    for candidate in User.objects.filter(role=Role.TOWNSHIP_STAFF).select_related("region").order_by("username"):
        n = Household.objects.filter(grid__path__startswith=candidate.region.path).count()
        if n > best_n:
            best, best_n = candidate, n
    client = Client(HTTP_HOST="localhost")
    client.force_login(best)
    pages = max(1, best_n // 20)
    rng = random.Random(3)
    client.get("/api/v1/households")  # warm caches, the session, the connection

    samples, query_counts = [], set()
    for i in range(300):
        page = 1 if i % 10 == 0 else rng.randint(1, pages)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get("/api/v1/households", {"page": page})
            samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content[:200]
        query_counts.add(len(ctx))
    reset_queries()

    # Baseline: the page's own queries (count, page, members) executed raw, no Django stack.
    qs = household_list_for_user(best)
    raw = []
    with connection.cursor() as cursor:
        for i in range(300):
            page = 1 if i % 10 == 0 else rng.randint(1, pages)
            t0 = time.perf_counter()
            count_sql, count_params = qs.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"SELECT COUNT(*) FROM ({count_sql}) t", count_params)
            cursor.fetchone()
            page_sql, page_params = qs[(page - 1) * 20: page * 20].query.sql_with_params()
            cursor.execute(page_sql, page_params)
            ids = [r[0] for r in cursor.fetchall()]
            if ids:
                marks = ",".join(["%s"] * len(ids))
                cursor.execute(f"SELECT * FROM people_resident WHERE household_id IN ({marks}) ORDER BY id", ids)
                cursor.fetchall()
            raw.append(time.perf_counter() - t0)

    p95 = percentile([s * 1000 for s in samples], 95)
    print(f"household list for {best.username} ({best.region.name}, {best_n:,} households, {pages:,} pages)"
          f" on {connection.vendor}")
    line("GET /api/v1/households", summary_ms(samples) + f"; queries per request: {sorted(query_counts)}",
         "the same count + page + members SQL, raw: " + summary_ms(raw),
         "p95 ≤ 50 ms and a constant number of queries: "
         + ("met" if p95 <= 50 and len(query_counts) == 1 else "NOT met"))


if __name__ == "__main__":
    main()
