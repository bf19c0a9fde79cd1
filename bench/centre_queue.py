"""The command centre's dispatch queue and workload at county scale (~200,000 cases), for the county
admin and the busiest township's staff: the queue's first page (all open; overdue), the list behind a
figure (the last twelve months' 已办结, the biggest list a figure opens) and the workload page, each
rendered by Django's test client ≥ 20 times, beside the same queries' SQL run raw on the connection
(the count, the page and, for the workload, the grouped aggregate).

Tops the county up to ~200,000 cases first, like ``bench/case_figures.py`` (idempotent); writes
nothing else: the two users' sessions are signed cookies made here, not a login (which would write
the session, the last login and axes' access log into the shared database).
"""

import time

from bench.common import line, percentile, setup_django, summary_ms

RUNS = 24
TARGET_MS = 300


def signed_in(user):
    """A test client holding a session of ``user`` in a signed cookie: nothing is written anywhere."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.test import Client

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client = Client(HTTP_HOST="localhost")
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from bench.case_figures import ensure_cases
    from xiangzhi.accounts.models import Role, User
    from xiangzhi.cases.models import Case
    from xiangzhi.centre.figures import _path_q
    from xiangzhi.centre.queue import PAGE_SIZE, queue_filter, queue_list
    from xiangzhi.centre.workload import workload_for_user, workload_rows

    print(f"dispatch queue on {connection.vendor}: {ensure_cases()}", flush=True)
    # Sessions in signed cookies (nothing written); static files by name, as without collectstatic.
    override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
                      STORAGES={**settings.STORAGES,
                                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
                      ).enable()
    total = Case.objects.count()
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).select_related("region").order_by("pk").first()
    best, best_n = None, -1
    for candidate in User.objects.filter(role=Role.TOWNSHIP_STAFF).select_related("region").order_by("username"):
        n = Case.objects.filter(_path_q(candidate.region.path)).count()
        if n > best_n:
            best, best_n = candidate, n
    assert admin is not None and best is not None
    print(f"  {total:,} cases in the county; {best.username} ({best.region.name}): {best_n:,}")

    pages = [("the queue, first page: all open", "/centre/cases/", {}),
             ("the queue: overdue", "/centre/cases/", {"due": "overdue"}),
             ("the list behind a figure: 已办结, last 12 months", "/centre/cases/", {"figure": "closed",
                                                                                "period": "12m"}),
             ("the workload page", "/centre/workload/", None)]
    verdicts = []
    for user in (admin, best):
        client = signed_in(user)
        who = f"{user.get_role_display()} {user.region.name}"
        for name, url, params in pages:
            client.get(url, params or {})  # warm: session, scope, routing's tables, plans
            samples, queries = [], set()
            count = 0
            for _ in range(RUNS):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    response = client.get(url, params or {})
                    samples.append(time.perf_counter() - t0)
                assert response.status_code == 200, (url, response.status_code, response.content[:300])
                queries.add(len(ctx))
            raw = []
            user = User.objects.get(pk=user.pk)
            with connection.cursor() as cursor:
                if params is not None:
                    qs = queue_list(user, queue_filter(user, params))
                    count_sql, count_params = qs.order_by().values("pk").query.sql_with_params()
                    page_sql, page_params = qs[:PAGE_SIZE].query.sql_with_params()
                    for _ in range(RUNS):
                        t0 = time.perf_counter()
                        cursor.execute(f"SELECT COUNT(*) FROM ({count_sql}) t", count_params)
                        count = cursor.fetchone()[0]
                        cursor.execute(page_sql, page_params)
                        cursor.fetchall()
                        raw.append(time.perf_counter() - t0)
                    what = f"{count:,} cases; the same count + first page SQL, raw"
                else:
                    now = timezone.now()
                    w = workload_for_user(user, now=now)
                    grouped_sql, grouped_params = workload_rows(user, now=now).query.sql_with_params()
                    for _ in range(RUNS):
                        t0 = time.perf_counter()
                        cursor.execute(grouped_sql, grouped_params)
                        cursor.fetchall()
                        raw.append(time.perf_counter() - t0)
                    what = (f"{len(w.people):,} people, {len(w.departments):,} departments; the same grouped "
                            "aggregate SQL, raw")
            p95 = percentile([s * 1000 for s in samples], 95)
            verdicts.append(p95 <= TARGET_MS)
            line(f"{who} · {name}", summary_ms(samples) + f"; queries per render: {sorted(queries)}",
                 f"{what}: {summary_ms(raw)}", f"p95 ≤ {TARGET_MS} ms: " + ("met" if p95 <= TARGET_MS else "NOT met"))
    print(f"  all pages p95 ≤ {TARGET_MS} ms: {'met' if all(verdicts) else 'NOT met'}")


if __name__ == "__main__":
    main()
