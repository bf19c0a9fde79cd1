"""概况 (一键可知), 群众参与 (一键可参) and 统计 at county scale, rendered through Django's test client
(session, middleware, template) for the county admin and for the township with the most households;
target p95 ≤ 300 ms each. A count slow enough is kept a minute (``centre.kept``): the first request
counts, and its time is printed apart from the following ones. Beside each page, in the same run,
plain SQL counting the same: the profile's headline (residents, households, active key people, workers
in post, grids) in one statement, the ratings by channel over the page's period (近12个月) in one
grouped statement, and the bare count of the period's cases.

Tops the county up to ~200,000 cases first, as ``bench/case_figures.py`` does (idempotent). Writes
nothing that stays: sessions live in signed cookies and logging in does not touch ``last_login``.
"""

import datetime as dt
import os
import re
import time

from bench.case_figures import ensure_cases
from bench.common import line, percentile, setup_django, summary_ms

RUNS = 20

KNOW_SQL = """
SELECT
  (SELECT COUNT(*) FROM people_resident r JOIN people_household h ON h.id = r.household_id
     JOIN regions_grid g ON g.id = h.grid_id
   WHERE g.path LIKE %(like)s AND NOT r.is_deceased AND r.left_on IS NULL),
  (SELECT COUNT(*) FROM people_household h JOIN regions_grid g ON g.id = h.grid_id
   WHERE g.path LIKE %(like)s AND h.closed_on IS NULL),
  (SELECT COUNT(*) FROM people_keyperson k JOIN people_resident r ON r.id = k.resident_id
     JOIN people_household h ON h.id = r.household_id JOIN regions_grid g ON g.id = h.grid_id
   WHERE g.path LIKE %(like)s AND k.is_active),
  (SELECT COUNT(DISTINCT a.user_id) FROM regions_gridassignment a JOIN regions_grid g ON g.id = a.grid_id
   WHERE g.path LIKE %(like)s AND a.ended_on IS NULL AND a.duty IN ('chief', 'full_time', 'part_time')),
  (SELECT COUNT(*) FROM regions_grid g WHERE g.path LIKE %(like)s AND g.is_active AND g.parent_id IS NULL)
"""

RATINGS_SQL = """
SELECT channel, COUNT(*),
  SUM(CASE WHEN evaluation IN ('satisfied', 'basically_satisfied', 'dissatisfied') THEN 1 ELSE 0 END),
  SUM(CASE WHEN evaluation IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END)
FROM cases_case
WHERE {scope} AND created_at >= %(start)s AND created_at < %(end)s
GROUP BY channel
"""


RECEIVED_SQL = """
SELECT COUNT(*) FROM cases_case WHERE {scope} AND created_at >= %(start)s AND created_at < %(end)s
"""


def _scope(path: str) -> tuple[str, dict]:
    """The case scope as the figures ask it: a range on SQLite, a prefix pattern on PostgreSQL."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return "scope_path >= %(low)s AND scope_path < %(high)s", {"low": path, "high": path[:-1] + "0"}
    return "scope_path LIKE %(low)s", {"low": path + "%"}


def _shown(html: str, testid: str) -> int:
    """The number a page shows in the element with ``data-testid``, its tags (a link) stripped."""
    part = html.split(f'data-testid="{testid}">', 1)[1].split("</div>", 1)[0]
    return int(re.sub(r"<[^>]+>", "", part).replace(",", "").strip())


def _timed(client, url: str) -> tuple[list[float], int, str, float]:
    """The page's request times after the first, its queries and the first's time: a count slow enough
    is kept a minute (``centre.kept``), so the first request counts and the following ones serve it."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:  # the first request, counting, its queries counted
        started = time.perf_counter()
        response = client.get(url)
        first = time.perf_counter() - started
    queries = len(ctx)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return samples, queries, response.content.decode(), first


def _kept(first: float) -> str:
    return f"first request (counting; kept a minute when slow) {first * 1000:.0f} ms"


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import timezone

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.cases.models import Case
    from xiangzhi.centre.selectors import preset_period
    from xiangzhi.people.models import Household

    print(f"概况 and 群众参与 on {connection.vendor}: {ensure_cases()}", flush=True)
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    request_started.disconnect(reset_queries)  # else each request empties the log the queries are counted in
    quiet = override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        STORAGES={**settings.STORAGES,
                  "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
    quiet.enable()

    admin = User.objects.filter(role=Role.COUNTY_ADMIN, region__level="county").order_by("id").first()
    town, town_n = None, -1
    for candidate in User.objects.filter(role=Role.TOWNSHIP_STAFF).select_related("region").order_by("username"):
        n = Household.objects.filter(grid__path__startswith=candidate.region.path).count()
        if n > town_n:
            town, town_n = candidate, n
    first, last = preset_period("12m", timezone.localdate())
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    print(f"  {Household.objects.count():,} households and {Case.objects.count():,} cases in the county; "
          f"群众参与 counts the cases reported {first} – {last}")

    worst = 0.0
    for who, user in (("county admin", admin), (f"township {town.region.name}", town)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        path = user.region.path

        know, know_queries, html, know_first = _timed(client, "/centre/know/")
        residents, households = _shown(html, "know-residents"), _shown(html, "know-households")
        raw, row = [], None
        with connection.cursor() as cursor:
            for _ in range(RUNS):
                started = time.perf_counter()
                cursor.execute(KNOW_SQL, {"like": path + "%"})
                row = cursor.fetchone()
                raw.append(time.perf_counter() - started)
        assert row is not None and (row[0], row[1]) == (residents, households), (row, residents, households)
        line(f"概况, {who}: {residents:,} residents, {households:,} households, {row[2]:,} key people, "
             f"{row[3]:,} workers on {row[4]:,} grids",
             f"{_kept(know_first)}, {know_queries} queries (with the change since last month and the table "
             f"by child node); then page {summary_ms(know)}",
             f"the same headline as one plain SQL statement (five counts, no change, no breakdown): {summary_ms(raw)}")

        part, part_queries, html, part_first = _timed(client, "/centre/take-part/")
        evaluated = _shown(html, "tp-evaluated")
        scope, bounds = _scope(path)
        adapt = connection.ops.adapt_datetimefield_value  # as the ORM stores them (UTC text on SQLite)
        raw, rows = [], []
        with connection.cursor() as cursor:
            for _ in range(RUNS):
                started = time.perf_counter()
                cursor.execute(RATINGS_SQL.format(scope=scope), {"start": adapt(start), "end": adapt(end), **bounds})
                rows = cursor.fetchall()
                raw.append(time.perf_counter() - started)
        assert sum(r[2] for r in rows) == evaluated, (rows, evaluated)
        pleased = sum(r[3] for r in rows)
        line(f"群众参与, {who}: {sum(r[1] for r in rows):,} reported, {evaluated:,} rated "
             f"({pleased / evaluated:.2%} satisfied)" if evaluated else f"群众参与, {who}: none rated",
             f"page {summary_ms(part)}, {part_queries} queries (ratings by channel, those by phone, those "
             f"waiting, the 电话回访 list, the polls); first request {part_first * 1000:.0f} ms",
             f"the ratings by channel as one plain grouped SQL statement: {summary_ms(raw)}")

        figures, figures_queries, html, figures_first = _timed(client, "/centre/figures/")
        received = _shown(html, "figure-received")
        raw = []
        with connection.cursor() as cursor:
            for _ in range(RUNS):
                started = time.perf_counter()
                cursor.execute(RECEIVED_SQL.format(scope=scope),
                               {"start": adapt(start), "end": adapt(end), **bounds})
                row = cursor.fetchone()
                raw.append(time.perf_counter() - started)
        assert row[0] == received, (row, received)
        line(f"统计, {who}: {received:,} reported over 近12个月",
             f"{_kept(figures_first)}, {figures_queries} queries (headline, by month, by child node, by "
             f"category group, by department, 走访按期率); then page {summary_ms(figures)}",
             f"the bare COUNT(*) of the period's cases as one plain SQL statement: {summary_ms(raw)}")
        worst = max(worst, *(percentile([s * 1000 for s in samples], 95) for samples in (know, part, figures)))
    load = os.getloadavg()[0]
    print(f"    target: p95 ≤ 300 ms for the three pages: {'met' if worst <= 300 else 'NOT met'} "
          f"(worst p95 {worst:.0f} ms; machine load average {load:.1f} on {os.cpu_count()} cores during the run)")
    quiet.disable()


if __name__ == "__main__":
    main()
