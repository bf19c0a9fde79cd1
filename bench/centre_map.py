"""The command centre's map at county scale (``python -m bench --only map``): the live case layer
(``/centre/map/cases.json``) for the busiest township and for the county, at the zoom that fits each on
a 1100×700 map and closer in; the map page, its grids, workers on patrol, key places and a grid's panel.
Server time through Django's whole stack (test client, no socket), beside the raw SQL doing the same
grouping or reading the same rows.

The county's history is topped up to ~200,000 cases like ``bench/case_figures.py`` (idempotent, once:
under a lock). The history leaves only a few cases open, so open cases with a location are added for the
run: ``BUSIEST_OPEN`` in the township with the most cases and ``OTHERS_OPEN`` in each other one (≈8,000
open in the county, several times the backlog of a county taking 10万 reports a year); then, as a stress
figure without a target, every township is filled to ``BUSIEST_OPEN`` (30,000 open) and the county's
layer measured again. ``PATROLS`` grid workers get a running patrol with a track. All of it inside one
transaction rolled back at the end: the shared bench database is left as it was found.
"""

import datetime as dt
import fcntl
import math
import os
import random
import time
from pathlib import Path

from bench.common import line, percentile, setup_django, summary_ms

BUSIEST_OPEN = 2500
OTHERS_OPEN = 500
PATROLS = 400
RUNS = 40
MAP_PX = (1100, 700)
TITLE = "压测·地图"
STATUS_MIX = [("reported", 15), ("accepted", 5), ("dispatched", 20), ("in_progress", 40), ("handled", 10),
              ("verified", 5), ("suspended", 5)]


class Rollback(Exception):
    pass


def ensure_history() -> str:
    """The ~200,000-case history, written once under a lock so two benchmarks never both write it."""
    from bench.case_figures import ensure_cases

    lock = Path(os.environ.get("XIANGZHI_VAR", "var")) / "cases-topup.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return ensure_cases()


def fit_zoom(west: float, south: float, east: float, north: float) -> int:
    """The whole zoom at which Leaflet fits this box in the map (Web Mercator, 256-pixel tiles)."""
    def y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    zx = math.log2(MAP_PX[0] * 360 / (256 * max(east - west, 1e-9)))
    zy = math.log2(MAP_PX[1] * 2 * math.pi / (256 * max(y(north) - y(south), 1e-9)))
    return int(min(zx, zy))


def busiest_township() -> str:
    from django.db.models import Count

    from xiangzhi.cases.models import Case
    from xiangzhi.regions.models import Region

    towns = dict(Region.objects.filter(level="township").values_list("path", "code"))
    counts: dict[str, int] = {}
    for path, n in Case.objects.values_list("scope_path").annotate(n=Count("id")).order_by():
        for town_path, code in towns.items():
            if path.startswith(town_path):
                counts[code] = counts.get(code, 0) + n
    return max(counts, key=lambda code: counts[code])


def top_up_open(rng: random.Random, now: dt.datetime, targets: dict[str, int], default: int) -> tuple[int, dict]:
    """Open located cases up to ``targets[code]`` (else ``default``) a township, spread over its grids,
    inside them."""
    import shapely
    from shapely.geometry import shape

    from xiangzhi.cases.models import Case, Category, HandlingLevel, Status
    from xiangzhi.centre.map import MAP_STATUSES
    from xiangzhi.regions.models import Grid, Region

    categories = list(Category.objects.filter(is_active=True).order_by("code"))
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    levels = [HandlingLevel.GRID] * 6 + [HandlingLevel.VILLAGE] * 3 + [HandlingLevel.TOWNSHIP]
    written, per_town = 0, {}
    next_no = Case.objects.filter(number__startswith="MAP").count()
    for town in Region.objects.filter(level="township").order_by("code"):
        have = Case.objects.filter(scope_path__startswith=town.path, status__in=MAP_STATUSES,
                                   lon__isnull=False).count()
        grids = [(g, shape(g.boundary)) for g in Grid.objects.filter(
            path__startswith=town.path, is_active=True, parent__isnull=True, boundary__isnull=False)
            .select_related("region").defer("region__boundary")]
        if not grids:
            continue
        for _, geom in grids:
            shapely.prepare(geom)
        rows = []
        for _ in range(max(0, targets.get(town.code, default) - have)):
            grid, geom = rng.choice(grids)
            west, south, east, north = geom.bounds
            while True:
                lon, lat = rng.uniform(west, east), rng.uniform(south, north)
                if shapely.contains_xy(geom, lon, lat):
                    break
            # Reported over the last ten days, steps of three to twenty days: about one in five overdue now.
            created = now - dt.timedelta(hours=rng.uniform(1, 240))
            close_due = created + dt.timedelta(hours=rng.uniform(120, 720))
            status = rng.choice(statuses)
            step_due = created + dt.timedelta(hours=rng.uniform(72, 480))
            next_no += 1
            rows.append(Case(
                number=f"MAP{next_no:012d}", category=rng.choice(categories), channel="hotline",
                title=f"{TITLE} {next_no}", lon=round(lon, 6), lat=round(lat, 6), grid=grid, region=grid.region,
                scope_path=grid.path, status=status, handling_level=rng.choice(levels),
                suspended_from=Status.IN_PROGRESS if status == Status.SUSPENDED else "",
                step_started_at=created, due_at=step_due, overdue_at=step_due if step_due < now else None,
                close_due_at=close_due, created_at=created))
        Case.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
        per_town[town.code] = have + len(rows)
    return written, per_town


def start_patrols(rng: random.Random, now: dt.datetime) -> int:
    """A running patrol with 30 fixes for PATROLS grid workers (a fifth of them last seen over 30 min ago)."""
    from shapely.geometry import shape

    from xiangzhi.accounts.models import Role
    from xiangzhi.gridwork.models import Patrol, TrackPoint
    from xiangzhi.regions.models import GridAssignment

    busy = set(Patrol.objects.filter(ended_at__isnull=True).values_list("worker_id", flat=True))
    posts = list(GridAssignment.objects.filter(ended_on__isnull=True, user__role=Role.GRID_WORKER,
                                               grid__boundary__isnull=False).exclude(user_id__in=busy)
                 .select_related("grid").order_by("id"))
    chosen, seen = [], set()
    for post in rng.sample(posts, min(len(posts), PATROLS * 2)):
        if post.user_id not in seen and len(chosen) < PATROLS:
            seen.add(post.user_id)
            chosen.append(post)
    patrols = [Patrol(worker_id=p.user_id, grid=p.grid, started_at=now - dt.timedelta(hours=2)) for p in chosen]
    Patrol.objects.bulk_create(patrols)
    patrols = list(Patrol.objects.filter(ended_at__isnull=True, worker_id__in=seen).select_related("grid"))
    points = []
    for patrol in patrols:
        cx, cy = shape(patrol.grid.boundary).representative_point().coords[0]
        last = now - dt.timedelta(minutes=rng.choice([2, 5, 8, 12, 45]))
        for k in range(30):
            points.append(TrackPoint(patrol=patrol, recorded_at=last - dt.timedelta(minutes=3 * k),
                                     lon=cx + rng.uniform(-0.002, 0.002), lat=cy + rng.uniform(-0.002, 0.002)))
    TrackPoint.objects.bulk_create(points, batch_size=5000)
    return len(patrols)


def raw_grouping(node, west, south, east, north, zoom: int, now: dt.datetime):
    """The same grouping as the case layer, written by hand: one GROUP BY over the node's open cases in
    view, reaching them the way ``centre.map._under`` does (on SQLite a county by status, a township by
    its path)."""
    from django.db import connection

    from xiangzhi.cases.models import OPEN_STATUSES
    from xiangzhi.centre.map import CELL_PX, MAP_STATUSES

    dlon = CELL_PX * 360.0 / (256.0 * 2**zoom)
    dlat = dlon * math.cos(math.radians(round((south + north) / 2)))
    cell = ("CAST(FLOOR((lon + 180.0) / %s) AS INTEGER)", "CAST(FLOOR((lat + 90.0) / %s) AS INTEGER)") \
        if connection.vendor == "postgresql" else \
        ("CAST((lon + 180.0) / %s AS INTEGER)", "CAST((lat + 90.0) / %s AS INTEGER)")
    open_marks = ", ".join(["%s"] * len(OPEN_STATUSES))
    all_marks = ", ".join(["%s"] * len(MAP_STATUSES))
    node_path = node.path
    if connection.vendor == "postgresql" or node.level in ("county", "city", "province"):
        where_path, path_params = "scope_path LIKE %s", [node_path + "%"]
    else:
        where_path, path_params = "scope_path >= %s AND scope_path < %s", [node_path, node_path[:-1] + "0"]
    sql = (f"SELECT {cell[0]} AS cx, {cell[1]} AS cy, COUNT(*), "
           f"SUM(CASE WHEN status IN ({open_marks}) AND (overdue_at IS NOT NULL OR close_due_at < %s) "
           f"THEN 1 ELSE 0 END), AVG(lon), AVG(lat), MIN(lon), MAX(lon), MIN(lat), MAX(lat), MIN(id) "
           f"FROM cases_case WHERE status IN ({all_marks}) AND {where_path} "
           f"AND lon BETWEEN %s AND %s AND lat BETWEEN %s AND %s GROUP BY 1, 2")
    params = [dlon, dlat, *OPEN_STATUSES, now, *MAP_STATUSES, *path_params, west, east, south, north]
    return sql, params


def main() -> None:
    os.environ.setdefault("XIANGZHI_MANIFEST_STATIC", "0")  # pages render without a collectstatic run
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from xiangzhi.cases.models import Case
    from xiangzhi.centre.map import MAP_STATUSES

    print(f"centre map on {connection.vendor}: {ensure_history()}", flush=True)
    rng = random.Random(2026)
    busiest = busiest_township()
    try:
        with transaction.atomic():
            now = timezone.now()
            t0 = time.perf_counter()
            written, per_town = top_up_open(rng, now, {busiest: BUSIEST_OPEN}, OTHERS_OPEN)
            patrols = start_patrols(rng, now)
            analyze()
            total = Case.objects.count()
            open_located = Case.objects.filter(status__in=MAP_STATUSES, lon__isnull=False).count()
            print(f"  {total:,} cases in the county, {open_located:,} open with a location ({written:,} open added "
                  f"for the run), {patrols} running patrols; set up in {time.perf_counter() - t0:.0f} s (rolled back "
                  f"at the end)", flush=True)
            town_user, county_user = run(busiest, per_town, now)
            written, per_town = top_up_open(rng, now, {}, BUSIEST_OPEN)
            analyze()
            open_located = Case.objects.filter(status__in=MAP_STATUSES, lon__isnull=False).count()
            print(f"  stress, no target: every township filled to {BUSIEST_OPEN:,} open cases ({open_located:,} in "
                  f"the county)", flush=True)
            layer_scenarios(town_user, county_user, now, stress=True)
            raise Rollback
    except Rollback:
        pass


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case" if connection.vendor == "postgresql" else "ANALYZE")


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def timed(client, url, params=None, runs=RUNS):
    """Server time of ``runs`` requests after a warm one: samples, the last response, its size, query counts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params or {})  # warm: connection, scope, templates
    samples, sizes, queries = [], set(), set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url, params or {})
            samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        sizes.add(len(response.content))
        queries.add(len(ctx))
    return samples, response, max(sizes), sorted(queries)


def _extent(path: str):
    from django.db.models import Max, Min

    from xiangzhi.cases.models import Case
    from xiangzhi.centre.map import MAP_STATUSES

    e = Case.objects.filter(scope_path__startswith=path, status__in=MAP_STATUSES, lon__isnull=False).aggregate(
        w=Min("lon"), s=Min("lat"), e=Max("lon"), n=Max("lat"))
    return e["w"], e["s"], e["e"], e["n"]


def layer_scenarios(town_user, county_user, now, *, stress: bool = False) -> list[bool]:
    """The case layer at the zooms a dispatcher uses, each beside the hand-written GROUP BY."""
    from django.db import connection

    from xiangzhi.centre.map import SINGLE_ZOOM

    def quarter(box):
        w, s, e, n = box
        return w, s, w + (e - w) / 4, s + (n - s) / 4

    def tiny(box):
        w, s, e, n = box
        cx, cy = (w + e) / 2, (s + n) / 2
        return cx - 0.004, cy - 0.0025, cx + 0.004, cy + 0.0025

    town_box, county_box = _extent(town_user.region.path), _extent(county_user.region.path)
    town, county = town_user.region.name, county_user.region.name
    scenarios = [
        (f"{county} (county admin), whole county", county_user, county_box, fit_zoom(*county_box)),
        (f"{county} (county admin), the busiest township", county_user, town_box, fit_zoom(*town_box)),
    ]
    if not stress:
        scenarios = [
            (f"{town} (township staff), whole township", town_user, town_box, fit_zoom(*town_box)),
            (f"{town}, a quarter of it closer in", town_user, quarter(town_box), fit_zoom(*quarter(town_box))),
            (f"{town}, a street corner (single cases)", town_user, tiny(town_box), SINGLE_ZOOM),
            *scenarios,
        ]
    clients = {u.pk: _client(u) for u in (town_user, county_user)}
    verdicts = []
    for name, user, box, zoom in scenarios:
        w, s, e, n = (round(v, 5) for v in (box[0] - 1e-5, box[1] - 1e-5, box[2] + 1e-5, box[3] + 1e-5))
        params = {"bbox": f"{w:.5f},{s:.5f},{e:.5f},{n:.5f}", "zoom": str(zoom)}
        samples, response, size, queries = timed(clients[user.pk], "/centre/map/cases.json", params)
        body = response.json()
        sql, sql_params = raw_grouping(user.region, w, s, e, n, zoom, now)
        raw, raw_rows = [], []
        with connection.cursor() as cursor:
            for _ in range(RUNS):
                t0 = time.perf_counter()
                cursor.execute(sql, sql_params)
                raw_rows = cursor.fetchall()
                raw.append(time.perf_counter() - t0)
        raw_count, raw_overdue = sum(r[2] for r in raw_rows), sum(r[3] for r in raw_rows)
        assert (raw_count, raw_overdue) == (body["in_view"]["open"], body["in_view"]["overdue"]), (
            name, raw_count, raw_overdue, body["in_view"])
        p95 = percentile([x * 1000 for x in samples], 95)
        verdicts.append(p95 <= 300)
        line(f"cases.json, {name}, zoom {zoom}",
             f"{summary_ms(samples)}; {queries} queries; {body['in_view']['open']:,} cases in view "
             f"({body['in_view']['overdue']:,} overdue; {body['totals']['open']:,} open under the node) as "
             f"{len(body['clusters'])} clusters + {len(body['cases'])} single; {size / 1024:,.1f} KB",
             f"the same GROUP BY raw ({len(raw_rows)} cells): {summary_ms(raw)}",
             "" if stress else "p95 ≤ 300 ms: " + ("met" if p95 <= 300 else "NOT met"))
    if not stress:
        print("    raw SQL: " + raw_grouping(town_user.region, 0, 0, 0, 0, 12, now)[0].replace("%s", "?"))
    return verdicts


def run(busiest: str, per_town: dict, now):
    """Every map request for the busiest township's staff and the county admin."""
    from django.db import connection

    from xiangzhi.accounts.models import Role, User
    from xiangzhi.centre.map import CELL_PX, MAP_STATUSES
    from xiangzhi.regions.models import Grid

    town_user = User.objects.filter(role=Role.TOWNSHIP_STAFF, region__code=busiest, is_active=True).select_related(
        "region").order_by("username").first()
    county_user = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).select_related("region").order_by(
        "username").first()
    print(f"  case layer: the open cases in view grouped by {CELL_PX}-px cells, with the node's totals, in one "
          f"query (centre/map.py); {town_user.region.name} has {per_town[busiest]:,} open located cases", flush=True)
    verdicts = layer_scenarios(town_user, county_user, now)
    clients = {u.pk: _client(u) for u in (town_user, county_user)}
    grid = Grid.objects.filter(path__startswith=town_user.region.path, parent__isnull=True).order_by("code").first()
    like = "path LIKE %s" if connection.vendor == "postgresql" else "path >= %s AND path < %s"

    def under(path: str) -> list:
        return [path + "%"] if connection.vendor == "postgresql" else [path, path[:-1] + "0"]

    marks = ", ".join(["%s"] * len(MAP_STATUSES))
    # The raw SQL each page's data comes down to: the same rows or the same counts, no Django around them.
    baselines = {
        "/centre/map/": None,
        "/centre/map/grids.json": lambda path: (
            f"SELECT code, name, level, center_lon, center_lat, boundary FROM regions_grid WHERE is_active AND {like}",
            under(path)),
        "/centre/map/positions.json": lambda path: (
            "SELECT p.id, t.lon, t.lat, t.recorded_at FROM gridwork_patrol p JOIN gridwork_trackpoint t ON t.id = "
            "(SELECT id FROM gridwork_trackpoint WHERE patrol_id = p.id ORDER BY recorded_at DESC LIMIT 1) "
            f"WHERE p.ended_at IS NULL AND p.grid_id IN (SELECT id FROM regions_grid WHERE {like})", under(path)),
        "/centre/map/places.json": lambda path: (
            "SELECT id, kind_id, name, label, lon, lat FROM people_place WHERE is_active AND grid_id IN "
            f"(SELECT id FROM regions_grid WHERE {like})", under(path)),
        f"/centre/map/grids/{grid.code}/": lambda path: (
            f"SELECT (SELECT COUNT(*) FROM people_household WHERE closed_on IS NULL AND grid_id IN "
            f"(SELECT id FROM regions_grid WHERE {like})), "
            f"(SELECT COUNT(*) FROM cases_case WHERE status IN ({marks}) AND scope_path LIKE %s)",
            [*under(grid.path), *MAP_STATUSES, grid.path + "%"]),
    }
    pages = [
        ("the map page", "/centre/map/", None),
        ("grids.json (boundaries and names)", "/centre/map/grids.json", None),
        ("positions.json (workers on patrol)", "/centre/map/positions.json", None),
        ("places.json (key places)", "/centre/map/places.json", None),
        (f"a grid's panel ({grid.name})", f"/centre/map/grids/{grid.code}/", None),
    ]
    for who in (town_user, county_user):
        for name, url, params in pages:
            if url.startswith("/centre/map/grids/") and who is county_user:
                continue
            samples, response, size, queries = timed(clients[who.pk], url, params, runs=20)
            baseline = "no data beyond the session and the user's scope: the layers come by the requests below"
            if (make := baselines[url]) is not None:
                sql, sql_params = make(who.region.path)
                raw = []
                with connection.cursor() as cursor:
                    for _ in range(20):
                        t0 = time.perf_counter()
                        cursor.execute(sql, sql_params)
                        cursor.fetchall()
                        raw.append(time.perf_counter() - t0)
                baseline = f"the same rows raw: {summary_ms(raw)} — {sql.replace('%s', '?')[:150]}…"
            extra = ""
            if url.endswith("positions.json"):
                extra = f"; {len(response.json()['positions'])} workers"
            elif url.endswith("grids.json"):
                extra = f"; {len(response.json()['features'])} grids"
            elif url.endswith("places.json"):
                extra = f"; {len(response.json()['places']) + len(response.json()['organisations'])} places"
            p95 = percentile([x * 1000 for x in samples], 95)
            verdicts.append(p95 <= 300)
            line(f"{name}, {who.region.name}",
                 f"{summary_ms(samples)}; {queries} queries; {size / 1024:,.1f} KB{extra}",
                 baseline, "p95 ≤ 300 ms: " + ("met" if p95 <= 300 else "NOT met"))
    print(f"  every map request p95 ≤ 300 ms: {'met' if all(verdicts) else 'NOT met'}")
    return town_user, county_user


if __name__ == "__main__":
    main()
