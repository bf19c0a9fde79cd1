"""Case intake over HTTP against the production server, on PostgreSQL.

``xiangzhi serve --no-worker`` (gunicorn) listens on 127.0.0.1; 32 clients on loopback, each a grid
worker of the county with its own bearer token, POST /api/v1/cases (with an Idempotency-Key, as the
app sends) at random places inside the county, for a bounded time and count. The task queue is a
private Redis on loopback when ``redis-server`` is installed (as in production), else the embedded
SQLite queue. Baseline, same server, same clients, same run: POST /api/v1/work/patrols/{id}/points
with one GPS fix — the API's lightest write, one row (plus its patrol's counter). A third, paced phase
sends at half the measured intake rate and times each request from its scheduled start, to show the
latency below saturation. The queries one report runs are counted in this process, on the same request
through Django's test client, and rolled back. Every row the benchmark writes is deleted afterwards.
"""

import datetime as dt
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import delete_cases_titled, line, percentile, setup_django

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
MAX_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5000"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "8"))
WARMUP_SECONDS = 4.0
PACED_SECONDS = 15.0
TITLE = "压测·事件上报"
PATROL_NOTE = "压测·轨迹基线"
TARGET_P95_MS = 100
TARGET_RATIO = 0.6
TARGET_QUERIES = 8


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    def summary(self) -> str:
        ms = [s * 1000 for s in self.latencies] or [0.0]
        errors = sum(self.errors.values())
        detail = f" ({', '.join(f'{k}: {v}' for k, v in sorted(self.errors.items()))})" if errors else ""
        return (f"{self.ok / self.elapsed:,.0f} requests/s, p50 {percentile(ms, 50):.0f} ms, "
                f"p95 {percentile(ms, 95):.0f} ms, p99 {percentile(ms, 99):.0f} ms; "
                f"{self.ok:,} ok, {errors} errors{detail} in {self.elapsed:.1f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on 127.0.0.1:{port} did not answer {path} within {timeout:.0f} s")


def run_load(port: int, make, *, seconds: float, max_requests: int, record: bool = True,
             rate: float | None = None) -> Phase:
    """``CLIENTS`` threads on keep-alive connections. Closed loop by default; with ``rate``, requests
    start on a fixed schedule and each is timed from its scheduled start (no coordinated omission)."""
    phase = Phase()
    lock = threading.Lock()
    issued = [0]
    start = time.perf_counter()
    end = start + seconds
    finished = [start]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        seq = 0
        while True:
            with lock:
                if issued[0] >= max_requests:
                    break
                slot = issued[0]
                issued[0] += 1
            scheduled = start + slot / rate if rate else None
            if scheduled is not None:
                if scheduled >= end:
                    break
                pause = scheduled - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            elif time.perf_counter() >= end:
                break
            method, path, body, headers = make(index, seq)
            seq += 1
            t0 = scheduled if scheduled is not None else time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = exc.__class__.__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t1 = time.perf_counter()
            if record:
                with lock:
                    if isinstance(status, int) and 200 <= status < 300:
                        phase.latencies.append(t1 - t0)
                    else:
                        phase.errors[str(status)] = phase.errors.get(str(status), 0) + 1
                    finished[0] = max(finished[0], t1)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.elapsed = max(finished[0] - start, 1e-9)
    return phase


def county_points(n: int, rng: random.Random) -> list[tuple[float, float]]:
    """Random places inside the county's grids (uniform over its bounding box, kept if inside a grid)."""
    from django.db.models import Max, Min

    from xiangzhi.regions.models import Grid
    from xiangzhi.regions.selectors import grid_index

    box = Grid.objects.filter(is_active=True).aggregate(a=Min("center_lon"), b=Max("center_lon"),
                                                         c=Min("center_lat"), d=Max("center_lat"))
    index = grid_index()
    points = []
    while len(points) < n:
        lon = rng.uniform(box["a"] - 0.02, box["b"] + 0.02)
        lat = rng.uniform(box["c"] - 0.02, box["d"] + 0.02)
        if index.locate(lon, lat) is not None:
            points.append((round(lon, 6), round(lat, 6)))
    return points


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print("case intake over HTTP: measured on PostgreSQL only (the production database); skipped on "
              f"{connection.vendor}")
        return
    call_command("migrate", verbosity=0)
    print(f"case intake over HTTP on {connection.vendor}: {CLIENTS} clients on loopback, "
          f"load average before the run {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    leftovers = remove_bench_rows(tokens=None)
    if leftovers["cases"] or leftovers["patrols"]:
        print(f"  (removed {leftovers['cases']} cases and {leftovers['patrols']} patrols left by an earlier run)")
    tokens: list[str] = []
    servers: list[subprocess.Popen] = []
    try:
        workers, tokens, patrols = setup_clients()
        rng = random.Random(7)
        points = county_points(4000, rng)
        codes = list_categories()
        port, queue = start_server(servers)

        def intake(index: int, seq: int):
            lon, lat = points[(index * 131 + seq) % len(points)]
            body = {"category": codes[(index + seq) % len(codes)], "title": f"{TITLE} {index}-{seq}", "lon": lon,
                    "lat": lat, "address": "压测地址", "proactive": True}
            return "POST", "/api/v1/cases", json.dumps(body, ensure_ascii=False).encode(), {
                "Authorization": f"Bearer {tokens[index]}", "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex}

        def track(index: int, seq: int):
            lon, lat = points[(index * 17 + seq) % len(points)]
            fix = {"recorded_at": dt.datetime.now(dt.UTC).isoformat(), "lon": lon, "lat": lat, "accuracy_m": 5}
            return "POST", f"/api/v1/work/patrols/{patrols[index]}/points", json.dumps({"points": [fix]}).encode(), {
                "Authorization": f"Bearer {tokens[index]}", "Content-Type": "application/json"}

        # Warm every gunicorn worker (grid index, connections, imports) on both paths, unmeasured.
        run_load(port, intake, seconds=WARMUP_SECONDS, max_requests=10**9, record=False)
        run_load(port, track, seconds=WARMUP_SECONDS / 2, max_requests=10**9, record=False)
        baseline = run_load(port, track, seconds=SECONDS, max_requests=MAX_REQUESTS)
        closed = run_load(port, intake, seconds=SECONDS, max_requests=MAX_REQUESTS)
        rate = max(1.0, closed.ok / closed.elapsed / 2)
        paced = run_load(port, intake, seconds=PACED_SECONDS, max_requests=10**9, rate=rate)
        queries = count_queries(intake, len(codes))
    finally:
        stop(servers)
        removed = remove_bench_rows(tokens=tokens)

    p95 = percentile([s * 1000 for s in closed.latencies] or [0], 95)
    paced_p95 = percentile([s * 1000 for s in paced.latencies] or [0], 95)
    print(f"  server: xiangzhi serve --no-worker, gunicorn {WEB_WORKERS} workers × {WEB_THREADS} threads on "
          f"127.0.0.1; queue: {queue}; {len(workers)} grid workers with their own tokens; "
          f"{SECONDS:.0f} s or {MAX_REQUESTS:,} requests per phase")
    ratio = (closed.ok / closed.elapsed) / (baseline.ok / baseline.elapsed)
    line(f"POST /api/v1/cases, {CLIENTS} clients flat out", f"{closed.summary()}; {ratio:.2f}× the one-row endpoint",
         f"POST /api/v1/work/patrols/{{id}}/points (one fix, one row), same clients: {baseline.summary()}",
         f"p95 ≤ {TARGET_P95_MS} ms with {CLIENTS} clients: " + ("met" if p95 <= TARGET_P95_MS else "NOT met")
         + f"; ≥ {TARGET_RATIO}× the one-row endpoint: " + ("met" if ratio >= TARGET_RATIO else "NOT met"))
    (low, high), service = queries["request"], _span(*queries["service"])
    verdict = "met" if high <= TARGET_QUERIES else "NOT met"
    print(f"  queries per report: {_span(low, high)} for the whole POST /api/v1/cases, {service} of them in "
          f"case_report (one report of each of the {len(codes)} categories, counted in this process and rolled "
          f"back); target ≤ {TARGET_QUERIES}: {verdict}")
    print(f"  POST /api/v1/cases paced at {rate:,.0f} requests/s (half the rate above), timed from each scheduled "
          f"start: {paced.summary()}; p95 ≤ {TARGET_P95_MS} ms: {'met' if paced_p95 <= TARGET_P95_MS else 'NOT met'}")
    print(f"  cleaned up: {removed['cases']:,} cases with their transitions, records and notices; "
          f"{removed['patrols']} patrols; {len(tokens)} tokens")


class _Rollback(Exception):
    pass


def count_queries(make, kinds: int) -> dict:
    """The statements one report runs, server-side: the request as the clients send it, through
    Django's test client in this process, and case_report's share of it; one report of each category
    (``kinds`` of them), after a first that loads what every process keeps (routing tables, grid index,
    calendar). All are rolled back. Savepoint statements are left out: the rollback's own transaction
    makes each report's transaction a savepoint."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from xiangzhi.cases import services

    counted = {"request": [], "service": []}
    report = services.case_report

    def counting_report(**kwargs):
        before = len(connection.queries_log)
        try:
            return report(**kwargs)
        finally:
            counted["service"].append(sum(1 for q in list(connection.queries_log)[before:] if not _bookkeeping(q)))

    client = Client(HTTP_HOST="127.0.0.1")
    try:
        with transaction.atomic():
            for seq in range(kinds + 1):
                method, path, body, headers = make(0, seq)
                with CaptureQueriesContext(connection) as ctx:
                    services.case_report = counting_report
                    try:
                        response = client.generic(method, path, body, content_type=headers["Content-Type"],
                                                  headers={k: v for k, v in headers.items() if k != "Content-Type"})
                    finally:
                        services.case_report = report
                assert response.status_code == 201, response.content
                counted["request"].append(sum(1 for q in ctx.captured_queries if not _bookkeeping(q)))
            raise _Rollback
    except _Rollback:
        pass
    return {name: (min(values[1:]), max(values[1:])) for name, values in counted.items()}


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def _bookkeeping(query: dict) -> bool:
    return query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))


def setup_clients():
    from xiangzhi.accounts.models import Role, User
    from xiangzhi.accounts.services import api_token_issue
    from xiangzhi.gridwork.models import Patrol
    from xiangzhi.gridwork.services import patrol_start
    from xiangzhi.regions.models import Grid

    workers, tokens, patrols = [], [], []
    candidates = User.objects.filter(role=Role.GRID_WORKER, is_active=True).order_by("username")
    for user in candidates.iterator():
        if len(workers) == CLIENTS:
            break
        grid = Grid.objects.filter(assignments__user=user, assignments__ended_on__isnull=True,
                                   is_active=True).order_by("id").first()
        if grid is None or Patrol.objects.filter(worker=user, ended_at__isnull=True).exists():
            continue  # leave a real open patrol alone
        patrol = patrol_start(worker=user, grid=grid, note=PATROL_NOTE)
        Patrol.objects.filter(pk=patrol.pk).update(started_at=patrol.started_at - dt.timedelta(minutes=5))
        workers.append(user)
        patrols.append(patrol.pk)
        tokens.append(api_token_issue(user=user))
    if len(workers) < CLIENTS:
        raise SystemExit(f"only {len(workers)} grid workers with a grid; the benchmark needs {CLIENTS}")
    return workers, tokens, patrols


def list_categories() -> list[str]:
    from xiangzhi.cases.models import Category

    return list(Category.objects.filter(is_active=True).order_by("code").values_list("code", flat=True))


def start_redis(procs: list) -> str | None:
    """A throw-away Redis on loopback for the task queue, as production has; None without redis-server."""
    redis = shutil.which("redis-server")
    if not redis:
        return None
    port = free_port()
    procs.append(subprocess.Popen(
        [redis, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", tempfile.mkdtemp(prefix="bench-redis-")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    raise SystemExit("redis-server did not start")


QUEUE_REDIS = "private redis-server on loopback, as in production"
QUEUE_SQLITE = "embedded SQLite queue (redis-server not installed)"


def start_server(servers: list) -> tuple[int, str]:
    env = dict(os.environ)
    queue = QUEUE_SQLITE
    if url := start_redis(servers):
        env["HUEY_URL"] = url
        queue = QUEUE_REDIS
    port = free_port()
    log = open(Path(env.get("XIANGZHI_VAR", tempfile.gettempdir())) / "bench-serve.log", "w")  # noqa: SIM115
    servers.append(subprocess.Popen(
        [sys.executable, "-m", "xiangzhi", "serve", "--bind", f"127.0.0.1:{port}", "--web-workers",
         str(WEB_WORKERS), "--threads", str(WEB_THREADS), "--no-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=log))
    wait_for(port, "/healthz")
    return port, queue


def stop(servers: list) -> None:
    for proc in reversed(servers):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def remove_bench_rows(*, tokens: list[str] | None) -> dict:
    from django.db import connection, transaction

    from xiangzhi.accounts.models import ApiToken

    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        counts["cases"] = delete_cases_titled(cursor, TITLE)
        cursor.execute("SELECT id FROM gridwork_patrol WHERE note = %s", [PATROL_NOTE])
        patrols = [r[0] for r in cursor.fetchall()]
        if patrols:
            marks = ",".join(["%s"] * len(patrols))
            cursor.execute(f"DELETE FROM gridwork_trackpoint WHERE patrol_id IN ({marks})", patrols)
            cursor.execute(f"DELETE FROM gridwork_patrol WHERE id IN ({marks})", patrols)
        counts["patrols"] = len(patrols)
    if tokens:
        ApiToken.objects.filter(digest__in=[ApiToken.digest_of(t) for t in tokens]).delete()
    return counts


if __name__ == "__main__":
    main()
