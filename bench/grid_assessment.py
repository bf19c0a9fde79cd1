"""The quarterly grid assessment (网格考核): ``services.period_run`` over every third-level grid of the
county scale demo (~600) — cases closed late or unfinished, rework, 不满意 ratings, visits late and key
people overdue, patrol hours and distance month by month, household points participation, party group
activities, the scores entered by hand; ranks, township ranks and stars; every lost point stored — in a
transaction rolled back afterwards, so the demo's published quarter stays as it is. Target ≤ 10 s.

Beside it, in the same run, a plain SQL recomputation of four of the sources (patrol, visit_late,
case_rework, group_activities: one GROUP BY each over the raw tables, micro-grids folded into the grid
above, capped at the item's weight), compared grid by grid with what the run stored for those items.
Uses the demo's last grid quarter (set open inside the rolled-back transaction), or the last complete
quarter when the database has none.
"""

import datetime as dt
import time
from collections import defaultdict
from fractions import Fraction

from bench.common import line, setup_django

CHECKED = ("patrol", "visit_late", "case_rework", "group_activities")


class Rollback(Exception):
    pass


def _unit_sql() -> str:
    """The assessed grid of a row's grid ``g`` (its parent ``p`` for a micro-grid)."""
    return "CASE WHEN g.level = 3 THEN g.id ELSE p.id END"


def plain_sql_lost(period) -> dict[str, dict[int, int]]:
    """Source → grid id → points lost, straight from the tables."""
    from django.db import connection
    from django.utils import timezone

    tz = timezone.get_current_timezone()

    def moment(day: dt.date):
        return connection.ops.adapt_datetimefield_value(dt.datetime.combine(day, dt.time.min, tzinfo=tz))

    county = period.version.scheme.county
    with connection.cursor() as cur:
        cur.execute("SELECT g.id FROM regions_grid g JOIN regions_region r ON r.id = g.region_id"
                    " WHERE g.is_active AND g.level = 3 AND r.path LIKE %s", [county.path + "%"])
        units = {row[0] for row in cur.fetchall()}
        out: dict[str, dict[int, int]] = {}
        items = {i.source: i for i in period.version.items.all()}

        def capped(item, counts: dict[int, int]) -> dict[int, int]:
            return {u: min(n, item.weight) for u, n in counts.items() if u in units and n}

        item = items.get("visit_late")
        if item is not None:
            cur.execute(
                f"SELECT {_unit_sql()}, COUNT(*) * %s FROM gridwork_visit v"
                " JOIN people_keyperson k ON k.id = v.key_person_id JOIN people_resident r ON r.id = k.resident_id"
                " JOIN people_household h ON h.id = r.household_id JOIN regions_grid g ON g.id = h.grid_id"
                " LEFT JOIN regions_grid p ON p.id = g.parent_id"
                " WHERE v.visited_on >= %s AND v.visited_on <= %s AND v.visited_on > v.due_on"
                " AND v.outcome IN ('normal', 'issue_found') GROUP BY 1",
                [item.points_per_case, period.start, period.end])
            out["visit_late"] = capped(item, dict(cur.fetchall()))
        item = items.get("case_rework")
        if item is not None:
            cur.execute(
                f"SELECT {_unit_sql()}, COUNT(*) * %s FROM cases_transition t JOIN cases_case c ON c.id = t.case_id"
                " JOIN regions_grid g ON g.id = c.grid_id LEFT JOIN regions_grid p ON p.id = g.parent_id"
                " WHERE t.action = 'verify_fail' AND t.created_at >= %s AND t.created_at < %s GROUP BY 1",
                [item.points_per_case, moment(period.start), moment(period.end + dt.timedelta(days=1))])
            out["case_rework"] = capped(item, dict(cur.fetchall()))
        item = items.get("patrol")
        if item is not None:
            hours_target, km_target = float(item.params.get("hours", 20)), float(item.params.get("km", 30))
            seconds = ("EXTRACT(EPOCH FROM w.ended_at - w.started_at)" if connection.vendor == "postgresql"
                       else "(julianday(w.ended_at) - julianday(w.started_at)) * 86400")
            lost: dict[int, int] = defaultdict(int)
            first = period.start.replace(day=1)
            while first <= period.end:
                following = (first + dt.timedelta(days=32)).replace(day=1)
                a, b = max(first, period.start), min(following - dt.timedelta(days=1), period.end)
                share = Fraction((b - a).days + 1, (following - first).days)
                cur.execute(
                    f"SELECT {_unit_sql()}, SUM({seconds}), SUM(w.distance_m) FROM gridwork_patrol w"
                    f" JOIN regions_grid g ON g.id = w.grid_id LEFT JOIN regions_grid p ON p.id = g.parent_id"
                    " WHERE w.ended_at IS NOT NULL AND w.started_at >= %s AND w.started_at < %s GROUP BY 1",
                    [moment(a), moment(b + dt.timedelta(days=1))])
                done: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
                for unit, secs, metres in cur.fetchall():
                    done[unit][0] += float(secs or 0) / 3600
                    done[unit][1] += float(metres or 0) / 1000
                due_h, due_k = float(hours_target * share), float(km_target * share)
                for unit in units:
                    hours, km = (round(x, 1) for x in done.get(unit, (0.0, 0.0)))
                    if round(due_h - hours, 1) > 0 or round(due_k - km, 1) > 0:
                        lost[unit] += item.points_per_case
                first = following
            out["patrol"] = capped(item, lost)
        item = items.get("group_activities")
        if item is not None:
            cur.execute(f"SELECT {_unit_sql()}, MIN(l.group_id) FROM party_groupgrid l JOIN regions_grid g"
                        " ON g.id = l.grid_id LEFT JOIN regions_grid p ON p.id = g.parent_id"
                        " WHERE l.started_on <= %s AND (l.ended_on IS NULL OR l.ended_on > %s) GROUP BY 1",
                        [period.end, period.end])
            group_of = dict(cur.fetchall())
            cur.execute("SELECT group_id, COUNT(*) FROM party_groupactivity WHERE held_on >= %s AND held_on <= %s"
                        " GROUP BY group_id", [period.start, period.end])
            held = dict(cur.fetchall())
            per_quarter = int(item.params.get("per_quarter", 3))
            required = max(1, round(per_quarter * Fraction((period.end - period.start).days + 1)
                                    / Fraction(36525, 400)))
            lost = {}
            for unit in units:
                group = group_of.get(unit)
                lost[unit] = item.weight if group is None else max(0, required - held.get(group, 0)) * (
                    item.points_per_case)
            out["group_activities"] = capped(item, lost)
    return out


def main() -> None:
    setup_django()
    from django.db import transaction
    from django.db.models import Sum
    from django.utils import timezone

    from xiangzhi.assessment import engine, services
    from xiangzhi.assessment.models import LostPoint, Period, Score
    from xiangzhi.lib.periods import period_bounds
    from xiangzhi.regions.models import Region

    county = Region.objects.filter(level="county").order_by("code").first()
    print(f"grid assessment on {county.name if county else '?'}:")
    out: dict = {}
    try:
        with transaction.atomic():
            scheme = services.scheme_install_grid(county=county)
            period = Period.objects.filter(version__scheme=scheme).order_by("-end").first()
            if period is None:
                this = period_bounds("quarter", timezone.localdate())[0]
                start, end = period_bounds("quarter", this - dt.timedelta(days=1))
                period = services.period_create(scheme=scheme, actor=None, start=start, end=end)
            Period.objects.filter(pk=period.pk).update(state="open")
            period.refresh_from_db()
            units = engine.units_of(period)
            per_source = {}
            for item in period.version.items.exclude(source="manual"):
                started = time.perf_counter()
                engine.SOURCES[item.source](item, period, units)
                per_source[item.source] = time.perf_counter() - started
            started = time.perf_counter()
            run = services.period_run(period=period, actor=None)
            out["run"] = time.perf_counter() - started
            scores = Score.objects.filter(run=run)
            out["grids"] = scores.count()
            out["totals"] = sorted(scores.values_list("total", flat=True))
            out["stars"] = {s: scores.filter(stars=s).count() for s in (5, 4, 3, 2, 1)}
            out["lost_points"] = LostPoint.objects.filter(score__run=run).count()
            out["skipped"] = run.skipped
            out["sources"] = per_source
            engine_lost: dict[str, dict[int, int]] = defaultdict(dict)
            for source, grid_id, points in (LostPoint.objects.filter(score__run=run, source__in=CHECKED)
                                            .values("source", "score__grid_id").annotate(p=Sum("points"))
                                            .values_list("source", "score__grid_id", "p")):
                if points:
                    engine_lost[source][grid_id] = points
            out["engine"] = engine_lost
            period.refresh_from_db()
            started = time.perf_counter()
            out["sql"] = plain_sql_lost(period)
            out["sql_seconds"] = time.perf_counter() - started
            out["period"] = f"{period.name}（{period.start}—{period.end}）"
            raise Rollback
    except Rollback:
        pass
    engine_lost, sql = out["engine"], out["sql"]
    differ = {s: sum(1 for g in set(engine_lost[s]) | set(sql.get(s, {}))
                     if engine_lost[s].get(g, 0) != sql.get(s, {}).get(g, 0)) for s in CHECKED}
    totals = out["totals"]
    ok = out["run"] <= 10 and not any(differ.values()) and all(s in sql for s in CHECKED)
    slowest = sorted(out["sources"].items(), key=lambda kv: -kv[1])[:3]
    line(f"period_run {out['period']}, {out['grids']} grids",
         f"{out['run']:.2f} s; {out['lost_points']:,} lost points stored; totals min {totals[0]}, "
         f"median {totals[len(totals) // 2]}, max {totals[-1]}; stars 5→1: "
         + " / ".join(str(out["stars"][s]) for s in (5, 4, 3, 2, 1))
         + "; slowest sources " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest)
         + (f"; skipped: {'；'.join(out['skipped'])}" if out["skipped"] else ""),
         f"plain SQL recomputation of {', '.join(CHECKED)} {out['sql_seconds']:.2f} s — "
         + "; ".join(f"{s}: engine {sum(engine_lost[s].values()):,} points on {len(engine_lost[s])} grids, "
                     f"SQL {sum(sql.get(s, {}).values()):,} on {len(sql.get(s, {}))}, {differ[s]} differ"
                     for s in CHECKED),
         f"≤ 10 s and the same lost points: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
