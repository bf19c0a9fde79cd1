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

Then the grid chief's 失分点 page (``/assessment/periods/<id>/grids/<code>/``) of the demo's published
quarter, rendered through Django's test client (session, middleware, template) for the 30 grids with the
most lost points, each as its own chief (the county admin where a grid has none), three rounds after a
warm-up: median and p95 against a target of ≤ 200 ms. Beside it, in the same run, the page's reads as
plain SQL on the same connection (period, score with grid and village, lost points with their items,
the scheme's items, corrections, appeals with who filed and decided, the two rank counts, the township
and 管区 above the village): what the page cannot go below.
"""

import datetime as dt
import time
from collections import defaultdict
from fractions import Fraction

from bench.common import line, percentile, setup_django

CHECKED = ("patrol", "visit_late", "case_rework", "group_activities")
PAGES = 30
ROUNDS = 3


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


def page_sql(cur, period, score) -> None:
    """The 失分点 page's reads for one grid, as plain SQL (no ORM, no template)."""
    from xiangzhi.regions.selectors import ancestor_paths

    cur.execute("SELECT p.id, p.name, p.state, p.start, p.\"end\", p.published_at, p.current_run_id, v.id, v.number,"
                " sc.id, sc.appeal_days, sc.star_floors FROM assessment_period p"
                " JOIN assessment_schemeversion v ON v.id = p.version_id"
                " JOIN assessment_scheme sc ON sc.id = v.scheme_id WHERE p.id = %s", [period.pk])
    cur.fetchall()
    cur.execute("SELECT s.id, s.total, s.lost, s.rank, s.town_rank, s.stars, g.id, g.code, g.name, g.path,"
                " r.id, r.code, r.name, r.path FROM assessment_score s JOIN regions_grid g ON g.id = s.grid_id"
                " JOIN regions_region r ON r.id = s.village_id WHERE s.run_id = %s AND g.code = %s",
                [period.current_run_id, score.grid.code])
    score_id, *_, village_path = cur.fetchone()
    cur.execute("SELECT lp.id, lp.points, lp.reason, lp.source, lp.source_id, lp.day, lp.hint, i.id, i.code,"
                " i.name, i.\"group\", i.weight FROM assessment_lostpoint lp"
                " JOIN assessment_item i ON i.id = lp.item_id WHERE lp.score_id = %s", [score_id])
    cur.fetchall()
    cur.execute("SELECT id, code, name, \"group\", weight, source FROM assessment_item WHERE version_id = %s",
                [period.version_id])
    cur.fetchall()
    cur.execute("SELECT c.id, c.points, c.reason, c.at, u.full_name FROM assessment_scorecorrection c"
                " JOIN accounts_user u ON u.id = c.actor_id WHERE c.period_id = %s AND c.grid_id = %s",
                [period.pk, score.grid_id])
    cur.fetchall()
    cur.execute("SELECT a.id, a.state, a.text, a.lost_point_id, a.lost_reason, a.points_returned, a.filed_at,"
                " f.full_name, d.full_name FROM assessment_appeal a JOIN accounts_user f ON f.id = a.filed_by_id"
                " LEFT JOIN accounts_user d ON d.id = a.decided_by_id WHERE a.period_id = %s AND a.grid_id = %s"
                " ORDER BY a.filed_at, a.id", [period.pk, score.grid_id])
    cur.fetchall()
    above = ancestor_paths(village_path)
    marks = ",".join(["%s"] * len(above))
    cur.execute(f"SELECT id, name, level, path FROM regions_region WHERE path IN ({marks})"
                " AND level IN ('township', 'area')", above)
    town = next((path for _, _, level, path in cur.fetchall() if level == "township"), "-")
    cur.execute("SELECT COUNT(*), SUM(CASE WHEN r.path LIKE %s THEN 1 ELSE 0 END) FROM assessment_score s"
                " JOIN regions_region r ON r.id = s.village_id WHERE s.run_id = %s",
                [town + "%", period.current_run_id])
    cur.fetchall()
    cur.execute("SELECT grid_id FROM regions_gridassignment WHERE user_id = %s AND duty = 'chief'"
                " AND ended_on IS NULL", [score.viewer_id])
    cur.fetchall()


def page_timing(county) -> dict:
    """The 失分点 page of the published quarter's PAGES grids with the most lost points, and its plain SQL."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.assessment.models import Period, SchemeKind, Score
    from xiangzhi.regions.models import GridAssignment, GridDuty

    period = (Period.objects.filter(version__scheme__county=county, version__scheme__kind=SchemeKind.GRID,
                                    state__in=("published", "closed"), current_run__isnull=False)
              .order_by("-end").first())
    if period is None:
        return {}
    scores = list(Score.objects.filter(run_id=period.current_run_id, grid__isnull=False)
                  .annotate(causes=Count("lost_points")).select_related("grid").order_by("-causes", "grid__code")
                  [:PAGES])
    chiefs = dict(GridAssignment.objects.filter(grid_id__in=[s.grid_id for s in scores], duty=GridDuty.CHIEF,
                                                ended_on__isnull=True).values_list("grid_id", "user_id"))
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, region=county).order_by("id").first()
    users = {u.pk: u for u in User.objects.filter(pk__in=chiefs.values())}
    # Static URLs without the collected manifest (the bench database has no collectstatic behind it).
    plain_static = override_settings(STORAGES={
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
    plain_static.enable()
    pages, queries = [], set()
    for s in scores:
        viewer = users.get(chiefs.get(s.grid_id)) or admin
        s.viewer_id = viewer.pk
        client = Client(HTTP_HOST="localhost")
        client.force_login(viewer)
        url = f"/assessment/periods/{period.pk}/grids/{s.grid.code}/"
        with CaptureQueriesContext(connection) as ctx:  # the warm-up, counted
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(ctx))
        pages.append((client, url))
    samples = []
    for _ in range(ROUNDS):
        for client, url in pages:
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
    plain_static.disable()
    raw = []
    with connection.cursor() as cur:
        for _ in range(ROUNDS):
            for s in scores:
                started = time.perf_counter()
                page_sql(cur, period, s)
                raw.append(time.perf_counter() - started)
    return {"period": period.name, "grids": len(scores), "causes": (scores[-1].causes, scores[0].causes),
            "chiefs": sum(1 for s in scores if s.grid_id in chiefs), "samples": samples, "raw": raw,
            "queries": sorted(queries)}


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
    pages = page_timing(county)
    if not pages:
        line("失分点 page", "no published grid quarter to render", "—", "≤ 200 ms p95: not measured")
        return
    ms = [s * 1000 for s in pages["samples"]]
    raw = [s * 1000 for s in pages["raw"]]
    p95 = percentile(ms, 95)
    line(f"失分点 page {pages['period']}, {pages['grids']} grids with the most lost points "
         f"({pages['causes'][0]}–{pages['causes'][1]} each; {pages['chiefs']} as their chief, the rest as the "
         "county admin)",
         f"median {percentile(ms, 50):.1f} ms, p95 {p95:.1f} ms over {len(ms)} renders; "
         f"{', '.join(map(str, pages['queries']))} queries a page",
         f"the page's reads as plain SQL: median {percentile(raw, 50):.1f} ms, p95 {percentile(raw, 95):.1f} ms",
         f"p95 ≤ 200 ms: {'met' if p95 <= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
