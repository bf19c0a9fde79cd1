"""备份与恢复 on the benchmark database: ``xiangzhi backup`` (snapshot, compression, encryption, manifest) beside
a plain ``sqlite3 .backup`` / ``pg_dump -Fc`` of the same database, then ``xiangzhi restore`` into an empty
instance (decrypt, place, check every file, count every table, walk every village's ledger) beside a plain
file copy / ``pg_restore`` of that dump. Each command runs as the county's IT person would run it, in its
own process, so the times include the start of the program (about 2–4 s).

The benchmark database gains one row, the backup's own ``BackupRun``; the archive, the plain dump and the
restored copies go to a temporary folder (and, on PostgreSQL, two scratch databases), removed afterwards.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import line, setup_django

ROOT = Path(__file__).resolve().parent.parent


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def _timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode not in (0,):
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"{' '.join(cmd[:4])} … failed ({done.returncode})")
    return seconds, done.stdout


def _phases(cmd: list[str], env: dict) -> tuple[float, str, dict[str, float]]:
    """Run the restore command, noting when each of its steps begins (its lines, as they come)."""
    start = time.perf_counter()
    marks: list[tuple[float, str]] = []
    with subprocess.Popen(cmd, env={**env, "PYTHONUNBUFFERED": "1"}, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as child:
        assert child.stdout is not None
        for out_line in child.stdout:
            marks.append((time.perf_counter() - start, out_line))
    seconds = time.perf_counter() - start
    output = "".join(text for _, text in marks)
    if child.returncode not in (0, 1):
        print(output[-3000:])
        raise SystemExit(f"restore failed ({child.returncode})")
    at = {key: next((t for t, text in marks if text.startswith(key)), seconds)
          for key in ("正在解密", "正在恢复数据库", "正在恢复上传", "正在核对", "已恢复")}
    return seconds, output, {"decrypt and stage": at["正在恢复数据库"] - at["正在解密"],
                             "place the database": at["正在恢复上传"] - at["正在恢复数据库"],
                             "place the files": at["正在核对"] - at["正在恢复上传"],
                             "check the copy": at["已恢复"] - at["正在核对"]}


def _pg_size(db: dict) -> int:
    from xiangzhi.backups.snapshot import pg_connect

    with pg_connect(db) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0])


def _scratch(admin_db: dict, name: str, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(host=admin_db["HOST"] or "127.0.0.1", port=admin_db["PORT"] or 5432,
                         user=admin_db["USER"], password=admin_db["PASSWORD"] or None, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection

    from xiangzhi.backups.snapshot import pg_args, pg_env, row_counts, tool
    from xiangzhi.people.models import Household

    vendor = connection.vendor
    households = Household.objects.count()
    with connection.cursor() as cursor:
        counts = row_counts(cursor, vendor)
    db = dict(connection.settings_dict)
    connection.close()
    print(f"备份与恢复 on {vendor}: {households:,} households, {len(counts)} tables, {sum(counts.values()):,} rows")
    if not households:
        print("  no demo data: build it first (./dev bench, or xiangzhi demo --no-serve)")
        return
    media = sum(p.stat().st_size for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) \
        if Path(settings.MEDIA_ROOT).exists() else 0
    work = Path(tempfile.mkdtemp(prefix="xz-bench-backup-"))
    base_env = {**os.environ, "XIANGZHI_KEY_DIR": str(settings.KEY_DIR), "XIANGZHI_DATA_KEY": settings.DATA_KEY,
                "XIANGZHI_HTTPS": "0", "LOG_LEVEL": "WARNING", "XIANGZHI_LOG_DIR": ""}
    if settings.BACKUP_KEY:
        base_env["XIANGZHI_BACKUP_KEY"] = settings.BACKUP_KEY
    scratch = [f"{db['NAME']}_restore", f"{db['NAME']}_plain"]
    try:
        # Backup: ours, then the plain tool on the same database.
        seconds, out = _timed([sys.executable, "-m", "xiangzhi", "backup", "--dir", str(work / "archives")])
        archive = next((work / "archives").glob("*.xzbackup"))
        reported = re.search(r"用时 ([\d.]+) 秒", out)
        if vendor == "sqlite":
            size = Path(db["NAME"]).stat().st_size
            plain, _ = _timed(["sqlite3", db["NAME"], f".backup '{work / 'plain.sqlite3'}'"])
            plain_size = (work / "plain.sqlite3").stat().st_size
            plain_what = "sqlite3 .backup"
        else:
            size = _pg_size(db)
            plain, _ = _timed([tool("pg_dump"), "--format=custom", f"--file={work / 'plain.pgdump'}", *pg_args(db)],
                              env=pg_env(db))
            plain_size = (work / "plain.pgdump").stat().st_size
            plain_what = "pg_dump -Fc"
        line("xiangzhi backup (command, start to end)",
             f"{seconds:.1f} s ({reported.group(1) if reported else '?'} s inside the command), archive "
             f"{_mb(archive.stat().st_size)} (database {_mb(size)}{' on disk' if vendor != 'sqlite' else ''}, "
             f"uploads {_mb(media)})",
             f"{plain_what}: {plain:.1f} s, {_mb(plain_size)} (no uploads, not encrypted, no manifest)")

        # Restore: ours into an empty instance, then the plain tool's copy.
        var = work / "restored"
        var.mkdir()
        env = {**base_env, "XIANGZHI_VAR": str(var)}
        if vendor == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{var / 'xiangzhi.sqlite3'}"
        else:
            _scratch(db, scratch[0])
            env["DATABASE_URL"] = re.sub(r"/[^/]+$", f"/{scratch[0]}", settings.DATABASE_URL)
        seconds, out, phases = _phases([sys.executable, "-m", "xiangzhi", "restore", str(archive)], env=env)
        whole = "副本完整" in out
        inside = re.search(r"用时 ([\d.]+) 秒", out)
        if vendor == "sqlite":
            start = time.perf_counter()
            shutil.copyfile(work / "plain.sqlite3", work / "copy.sqlite3")
            plain = time.perf_counter() - start
            plain_what = "a copy of the plain backup file"
        else:
            _scratch(db, scratch[1])
            plain, _ = _timed([tool("pg_restore"), "--no-owner", *pg_args({**db, "NAME": scratch[1]}),
                               str(work / "plain.pgdump")], env=pg_env(db))
            plain_what = "pg_restore of the plain dump"
        line("xiangzhi restore into an empty instance (command, start to end)",
             f"{seconds:.1f} s ({inside.group(1) if inside else '?'} s inside, checks included): "
             f"{'副本完整' if whole else 'NOT WHOLE'}; " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()),
             f"{plain_what}: {plain:.1f} s (nothing checked)")
        if not whole:
            print(out[-3000:])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if vendor == "postgresql":
            for name in scratch:
                _scratch(db, name, drop_only=True)


if __name__ == "__main__":
    main()
