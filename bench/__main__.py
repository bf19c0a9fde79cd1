"""Run every benchmark on SQLite and on PostgreSQL: ``./dev bench`` (or ``python -m bench``).

    python -m bench [--db sqlite|postgres|both] [--reuse]
                    [--only locate,households,import,figures,intake,sweep,points,redemption,assessment,
                            gridassessment,wall,know,queue,map,audit,backup]

Each benchmark runs in its own process against a county-scale demo database (沾化区) and prints its
figure beside a baseline measured in the same run. ``--reuse`` skips the demo build when the
database already holds the county.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/xiangzhi_bench")


def db_env(db: str) -> dict:
    env = {**os.environ, "XIANGZHI_HTTPS": "0", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    env["XIANGZHI_VAR"] = str(ROOT / "var" / f"bench-{db}")
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL
    return env


def ensure_pg_database() -> None:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(PG_URL)
    with psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname="postgres",
                         autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def run_measured(cmd: list[str], env: dict) -> tuple[str, float, float]:
    """Run a child; return its output, wall seconds and peak resident memory in MB."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out_lines = []
    for out_line in proc.stdout:
        out_lines.append(out_line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    output = "".join(out_lines)
    if proc.returncode != 0:
        print(output)
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode})")
    return output, seconds, usage.ru_maxrss / 1024


def bench_demo(db: str, env: dict) -> None:
    output, seconds, peak_mb = run_measured(
        [sys.executable, "-m", "xiangzhi", "demo", "--scale", "county", "--no-serve"], env
    )
    match = re.search(r"写入 ([\d,]+) 行", output)
    rows = int(match.group(1).replace(",", "")) if match else 0
    counts = re.search(r"户 ([\d,]+)；居民 ([\d,]+)", output)
    raw_out, _, _ = run_measured([sys.executable, "-m", "bench.raw_insert", str(rows)], env)
    raw = re.search(r"RAW (\d+) ([\d.]+)", raw_out)
    raw_rate = int(raw.group(1)) / float(raw.group(2))
    ok = seconds <= 300 and peak_mb <= 1536
    print(f"demo --scale county on {db}: {counts.group(1) if counts else '?'} households, "
          f"{counts.group(2) if counts else '?'} residents")
    print(f"  xiangzhi demo --scale county --no-serve: {seconds:.1f} s, peak {peak_mb:,.0f} MB, "
          f"{rows:,} rows → {rows / seconds:,.0f} rows/s end to end")
    print(f"    baseline: raw executemany of {rows:,} resident-shaped rows through the same driver: "
          f"{raw_rate:,.0f} rows/s (the demo also generates names, IDs, polygons and encrypts)")
    print(f"    target: ≤ 300 s and ≤ 1,536 MB: {'met' if ok else 'NOT met'}")
    steps = output.split("各步骤用时：", 1)
    if len(steps) == 2:  # the build's own per-step table, where a slow step shows first
        print("  steps:")
        print("\n".join(line for line in steps[1].splitlines() if line.strip().endswith("%")))


def bench_child(module: str, env: dict) -> None:
    output, _, _ = run_measured([sys.executable, "-m", f"bench.{module}"], env)
    print(output.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", default="locate,households,import,figures,intake,sweep,points,redemption,assessment,"
                                          "gridassessment,wall,know,queue,map,audit,backup",
                        help="benchmarks after the demo build")
    parser.add_argument("--reuse", action="store_true", help="skip the demo build if the county is there")
    args = parser.parse_args()
    only = set(args.only.split(","))
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(f"\n=== {db} ===")
        env = db_env(db)
        Path(env["XIANGZHI_VAR"]).mkdir(parents=True, exist_ok=True)
        if db == "postgres":
            ensure_pg_database()
        if not args.reuse:
            bench_demo(db, env)  # every other benchmark reads the county it builds
        for name, module in [("locate", "locate"), ("households", "households_api"), ("import", "xlsx_import"),
                             ("figures", "case_figures"), ("intake", "case_intake"), ("sweep", "case_sweep"),
                             ("points", "points"), ("redemption", "shop_redemption"),
                             ("assessment", "assessment"), ("gridassessment", "grid_assessment"),
                             ("wall", "centre_wall"), ("know", "centre_know"), ("queue", "centre_queue"),
                             ("map", "centre_map"), ("audit", "audit_trail"), ("triage", "triage"),
                             ("backup", "backup")]:
            if name in only:
                bench_child(module, env)


if __name__ == "__main__":
    main()
