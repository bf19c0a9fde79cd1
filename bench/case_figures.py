"""case_figures for a township user over two years of a county's cases (~200,000), against the same
figures computed naively by loading the rows into Python, and the bare COUNT(*) over those rows.

Tops the county up to ~200,000 cases with the demo's history generator first, if it has fewer.
"""

import datetime as dt
import time

from bench.common import line, percentile, setup_django, summary_ms

TARGET_CASES = 200_000
RUNS = 30


def ensure_cases() -> str:
    from django.core.management import call_command
    from django.db import connection, transaction

    from xiangzhi.cases.models import Case, Transition
    from xiangzhi.demo.case_history import write_case_history

    call_command("migrate", interactive=False, verbosity=0)
    have = Case.objects.count()
    if have >= TARGET_CASES * 0.95:
        return f"{have:,} cases already there"
    counts = {"rows": 0}

    def insert(model, rows):
        model.objects.bulk_create(rows, batch_size=2000)
        counts["rows"] += len(rows)

    started = time.perf_counter()
    with transaction.atomic():
        report = write_case_history(insert, seed=2027, total=TARGET_CASES - have)
    with connection.cursor() as cursor:  # fresh planner statistics for the new rows
        for model in (Case, Transition):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    seconds = time.perf_counter() - started
    return (f"generated {report.cases:,} cases and {report.transitions:,} transitions in {seconds:.0f} s "
            f"({counts['rows'] / seconds:,.0f} rows/s)")


def naive(user, start, end, now):
    """The same headline figures from the rows themselves, in Python: what the aggregates replace."""
    from xiangzhi.cases.models import OPEN_STATUSES, Case
    from xiangzhi.cases.rules import case_scope_q
    from xiangzhi.centre.figures import _path_q, home_node

    rows = Case.objects.filter(case_scope_q(user), _path_q(home_node(user).path), created_at__gte=start,
                               created_at__lt=end).values_list(
        "status", "duplicate_of_id", "closed_at", "closed_on_time", "close_due_at", "handled_at", "rework_count",
        "evaluation", "is_proactive", "overdue_at", "closed_level", "created_at", "category__group", "region_id")
    counts = {"received": 0, "pending": 0, "rejected": 0, "closed": 0, "due": 0, "on_time": 0, "evaluated": 0,
              "good": 0, "overdue": 0, "hours": 0.0}
    for (status, dup, closed_at, on_time, close_due, _handled, _rework, evaluation, _proactive, overdue_at, _level,
         created, _group, _region) in rows:
        counts["received"] += 1
        counts["pending"] += status == "reported"
        counts["rejected"] += status == "rejected"
        if dup is None and closed_at is not None:
            counts["closed"] += 1
            counts["on_time"] += bool(on_time)
            counts["hours"] += (closed_at - created).total_seconds() / 3600
        if dup is None and status != "rejected" and (closed_at is not None or (
                close_due is not None and close_due < min(end, now) and status != "suspended")):
            counts["due"] += 1
        if evaluation:
            counts["evaluated"] += 1
            counts["good"] += evaluation != "dissatisfied"
        counts["overdue"] += status in OPEN_STATUSES and (overdue_at is not None or close_due < now)
    return counts


def main() -> None:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.cases.models import Case
    from xiangzhi.centre.figures import _path_q
    from xiangzhi.centre.selectors import figures_for_user

    print(f"case figures on {connection.vendor}: {ensure_cases()}", flush=True)
    total = Case.objects.count()
    # The township with the most cases.
    best, best_n = None, -1
    for candidate in User.objects.filter(role=Role.TOWNSHIP_STAFF).select_related("region").order_by("username"):
        n = Case.objects.filter(_path_q(candidate.region.path)).count()
        if n > best_n:
            best, best_n = candidate, n
    now = timezone.now()
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=730), today + dt.timedelta(days=1)
    figures_for_user(best, start=start, end=end)  # warm: connection, scope, calendars, plans

    samples = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            f = figures_for_user(best, start=start, end=end)
            samples.append(time.perf_counter() - t0)
    queries = len(ctx)

    naive_samples, raw_samples = [], []
    aware_start = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    aware_end = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
    for _ in range(5):
        t0 = time.perf_counter()
        counts = naive(best, aware_start, aware_end, now)
        naive_samples.append(time.perf_counter() - t0)
    assert counts["received"] == f.received and counts["closed"] == f.closed and counts["due"] == f.due, (
        counts, f.received, f.closed, f.due)
    sql, params = Case.objects.filter(_path_q(best.region.path), created_at__gte=aware_start,
                                      created_at__lt=aware_end).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        for _ in range(RUNS):
            t0 = time.perf_counter()
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) t", params)
            cursor.fetchone()
            raw_samples.append(time.perf_counter() - t0)

    p95 = percentile([s * 1000 for s in samples], 95)
    print(f"  {total:,} cases in the county; {best.username} ({best.region.name}): {f.received:,} reported "
          f"{start} – {today}")
    print(f"  合格率 {f.valid_rate:.2%}, 办结率 {f.closure_rate:.2%}, 按期办结率 {f.on_time_rate:.2%}, "
          f"满意率 {f.satisfaction_rate:.2%}, 自办自结率 {f.self_closed_rate:.2%}, "
          f"返工率 {f.rework_rate:.2%}, 主动发现率 {f.proactive_rate:.2%}, 超时未办结 {f.overdue_open}")
    line("case_figures (headline, by month, by category group, by village, visits)",
         summary_ms(samples) + f"; {queries} queries",
         f"the same headline computed naively from the {f.received:,} rows in Python: "
         f"{summary_ms(naive_samples)}; the bare COUNT(*) over those rows: {summary_ms(raw_samples)}",
         "p95 ≤ 200 ms: " + ("met" if p95 <= 200 else "NOT met"))


if __name__ == "__main__":
    main()
