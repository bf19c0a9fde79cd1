"""The semi-annual county ranking of the 六零 scorecard (积分换项目): ``services.period_run`` over every
village of the county — cases of the period's six months by category, the monthly inspections'
findings, the scores entered by hand; ranks, funds, warnings and flags; every lost point stored — in a
transaction rolled back afterwards, so the demo's closed periods stay as they are. Target ≤ 5 s.

Beside it, the same totals from a plain SQL recomputation (one GROUP BY per item over the raw tables,
capped at the item's weight) in the same run; both are printed and compared village by village.
Uses the demo's last period (set open inside the rolled-back transaction), or a period on the last
six full months when the database has none.
"""

import datetime as dt
import time

from bench.common import line, setup_django


class Rollback(Exception):
    pass


def plain_sql_totals(period) -> dict[int, int]:
    """Village id → total, straight from the tables."""
    from django.db import connection
    from django.utils import timezone

    from xiangzhi.assessment.models import ManualScore
    from xiangzhi.regions.models import Region

    scheme = period.version.scheme
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    today = min(timezone.localdate(), period.end)
    start, end = (connection.ops.adapt_datetimefield_value(m) for m in (start, end))  # as the ORM stores them
    villages = list(Region.objects.filter(level="village", path__startswith=scheme.county.path)
                    .values_list("id", flat=True))
    lost = dict.fromkeys(villages, 0)
    with connection.cursor() as cur:
        for item in period.version.items.all():
            if item.source == "cases":
                marks = ",".join(["%s"] * len(item.category_codes))
                cur.execute(
                    "SELECT c.region_id, COUNT(*) * %s FROM cases_case c JOIN cases_category k ON k.id = c.category_id"
                    f" WHERE c.scope_path LIKE %s AND k.code IN ({marks}) AND c.created_at >= %s"
                    " AND c.created_at < %s AND c.duplicate_of_id IS NULL AND c.status NOT IN ('rejected', 'merged')"
                    " GROUP BY c.region_id",
                    [item.points_per_case, scheme.county.path + "%", *item.category_codes, start, end])
            elif item.source == "inspection":
                # Overdue (the surcharge counts): the deadline passed by the period's end (or today) and the
                # village did not report it done by its deadline, local time.
                marks = ",".join(["%s"] * len(item.finding_codes))
                cur.execute(
                    "SELECT village_id, points, overdue_points, due_on, done_at FROM inspections_finding"
                    f" WHERE item_code IN ({marks}) AND found_on >= %s AND found_on <= %s AND state <> 'draft'",
                    [*item.finding_codes, period.start, period.end])
                sums: dict[int, int] = {}
                for village_id, points, extra, due_on, done_at in cur.fetchall():
                    due_on = dt.date.fromisoformat(str(due_on)) if due_on else None
                    if isinstance(done_at, str):
                        done_at = dt.datetime.fromisoformat(done_at)
                    if done_at is not None and timezone.is_naive(done_at):
                        done_at = done_at.replace(tzinfo=dt.UTC)
                    late = due_on is not None and due_on < today and (
                        done_at is None or timezone.localdate(done_at) > due_on)
                    sums[village_id] = sums.get(village_id, 0) + points + (extra if late else 0)
                for village_id, points in sums.items():
                    if village_id in lost:
                        lost[village_id] += min(points, item.weight)
                continue
            else:
                cur.execute(f"SELECT village_id, SUM(points) FROM {ManualScore._meta.db_table}"
                            " WHERE period_id = %s AND item_id = %s GROUP BY village_id", [period.pk, item.pk])
            for village_id, points in cur.fetchall():
                if village_id in lost:
                    lost[village_id] += min(int(points), item.weight)
    return {v: scheme.total - n for v, n in lost.items()}


def main() -> None:
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from xiangzhi.assessment import services
    from xiangzhi.assessment.models import LostPoint, Period, Score
    from xiangzhi.regions.models import Region

    county = Region.objects.filter(level="county").order_by("code").first()
    print(f"assessment on {county.name if county else '?'}:")
    out = {}
    try:
        with transaction.atomic():
            scheme = services.scheme_install_default(county=county)
            period = Period.objects.filter(version__scheme=scheme).order_by("-end").first()
            if period is None:
                first = timezone.localdate().replace(day=1)
                start = first
                for _ in range(6):
                    start = (start - dt.timedelta(days=1)).replace(day=1)
                period = services.period_create(scheme=scheme, actor=None, start=start,
                                                end=first - dt.timedelta(days=1))
            Period.objects.filter(pk=period.pk).update(state="open")
            started = time.perf_counter()
            run = services.period_run(period=period, actor=None)
            out["run"] = time.perf_counter() - started
            out["engine"] = dict(Score.objects.filter(run=run).values_list("village_id", "total"))
            out["lost_points"] = LostPoint.objects.filter(score__run=run).count()
            out["funded"] = sum(Score.objects.filter(run=run).values_list("funded_yuan", flat=True))
            out["skipped"] = run.skipped
            period.refresh_from_db()
            started = time.perf_counter()
            out["sql"] = plain_sql_totals(period)
            out["sql_seconds"] = time.perf_counter() - started
            out["period"] = f"{period.name}（{period.start}—{period.end}）"
            raise Rollback
    except Rollback:
        pass
    engine, sql = out["engine"], out["sql"]
    differ = [v for v in engine if engine[v] != sql.get(v)]
    ok = out["run"] <= 5 and not differ and len(engine) == len(sql)
    line(f"period_run {out['period']}, {len(engine)} villages",
         f"{out['run']:.2f} s; {out['lost_points']:,} lost points stored; totals sum {sum(engine.values()):,}, "
         f"min {min(engine.values())}, funds {out['funded']:,} 元"
         + (f"; skipped: {'；'.join(out['skipped'])}" if out["skipped"] else ""),
         f"plain SQL recomputation {out['sql_seconds']:.2f} s: totals sum {sum(sql.values()):,}, "
         f"min {min(sql.values())}; villages that differ: {len(differ)}",
         f"≤ 5 s and the same totals: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
