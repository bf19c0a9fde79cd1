"""A consistent copy of the database, and the manifest read from that same copy.

SQLite: the online backup API copies the database page by page into a file while the site runs (in WAL
mode writers go on); the manifest is then read from the copy. PostgreSQL: one REPEATABLE READ
transaction exports its snapshot, ``pg_dump --snapshot`` dumps exactly that state, and the manifest is
read inside the same transaction. Either way the counts, chain heads and hashes in the manifest are
those of the database in the archive, whatever was written meanwhile.
"""

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from xiangzhi.backups.errors import BackupError
from xiangzhi.points.models import BenefitState, PointsBenefit, PointsChainHead, PointsNotice
from xiangzhi.regions.models import Region

SQLITE_MEMBER = "database/db.sqlite3"
PG_MEMBER = "database/db.pgdump"


@dataclass
class Snapshot:
    path: Path  # the database copy (a SQLite file or a pg_dump custom-format file)
    member: str  # its name in the archive
    manifest: dict[str, Any]  # migrations, row counts, chain heads and hashes, read from the copy


def tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: from PATH, else Debian's."""
    return shutil.which(name) or f"/usr/bin/{name}"


def pg_env(db: Mapping[str, Any]) -> dict[str, str]:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pg_args(db: Mapping[str, Any]) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return [*args, "--no-password", "--dbname", str(db["NAME"])]


def pg_connect(db: Mapping[str, Any], **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(host=db.get("HOST") or None, port=db.get("PORT") or None, user=db.get("USER") or None,
                           password=db.get("PASSWORD") or None, dbname=db["NAME"], connect_timeout=10, **kwargs)


def tool_error(what: str, result: subprocess.CompletedProcess[bytes]) -> str:
    lines = [x for x in result.stderr.decode(errors="replace").splitlines() if x.strip()]
    return f"{what} 失败（退出码 {result.returncode}）：{lines[-1] if lines else '没有输出'}"


@contextmanager
def sqlite_snapshot(source: sqlite3.Connection, path: Path) -> Iterator[Snapshot]:
    """``source`` must not be inside a transaction: the backup would wait for it for ever."""
    if source.in_transaction:
        raise BackupError("数据库连接正处在事务中，无法备份")
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)
        # The copy stands alone: no -wal or -shm file beside it (the restored site turns WAL back on).
        copy.execute("PRAGMA journal_mode=DELETE")
        manifest = manifest_collect(copy.cursor(), "sqlite")
    finally:
        copy.close()
    yield Snapshot(path, SQLITE_MEMBER, manifest)


@contextmanager
def pg_snapshot(db: Mapping[str, Any], path: Path) -> Iterator[Snapshot]:
    with pg_connect(db) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None
            result = subprocess.run(
                [tool("pg_dump"), "--format=custom", "--compress=0", f"--snapshot={row[0]}", f"--file={path}",
                 *pg_args(db)],
                env=pg_env(db), capture_output=True, check=False)
            if result.returncode != 0:
                raise BackupError(tool_error("pg_dump", result))
            manifest = manifest_collect(cursor, "postgresql")
        conn.rollback()
    yield Snapshot(path, PG_MEMBER, manifest)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [r[0] for r in cursor.fetchall()]


def row_counts(cursor: Any, vendor: str, tables: list[str] | None = None) -> dict[str, int]:
    counts = {}
    for table in tables if tables is not None else table_names(cursor, vendor):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (a table name from the catalog)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _rows(cursor: Any, tables: set[str], table: str, sql: str) -> list[tuple[Any, ...]]:
    if table not in tables:
        return []
    cursor.execute(sql)
    return [tuple(r) for r in cursor.fetchall()]


def manifest_collect(cursor: Any, vendor: str, *, counts: bool = True) -> dict[str, Any]:
    """Migrations applied, the row count of every table (unless not ``counts``), each village's chain
    heads, and the hashes of the published notices and closed benefit lists, as ``cursor`` sees them."""
    tables = table_names(cursor, vendor)
    present = set(tables)
    migrations: dict[str, list[str]] = {}
    for app, name in _rows(cursor, present, "django_migrations", "SELECT app, name FROM django_migrations ORDER BY id"):
        migrations.setdefault(app, []).append(name)
    head, region = PointsChainHead._meta.db_table, Region._meta.db_table
    heads = [
        {"village_id": r[0], "village_code": r[1], "entry_seq": int(r[2]), "entry_hash": r[3],
         "review_seq": int(r[4]), "review_hash": r[5]}
        for r in _rows(cursor, present, head,
                       f"SELECT h.village_id, r.code, h.entry_seq, h.entry_hash, h.review_seq, h.review_hash "  # noqa: S608
                       f"FROM {quote(head)} h JOIN {quote(region)} r ON r.id = h.village_id ORDER BY h.village_id")
    ]
    notice, benefit = PointsNotice._meta.db_table, PointsBenefit._meta.db_table
    notices = [{"id": r[0], "village_id": r[1], "content_hash": r[2]}
               for r in _rows(cursor, present, notice,
                              f"SELECT id, village_id, content_hash FROM {quote(notice)} ORDER BY id")]  # noqa: S608
    benefits = [{"id": r[0], "village_id": r[1], "content_hash": r[2]}
                for r in _rows(cursor, present, benefit,
                               f"SELECT id, village_id, content_hash FROM {quote(benefit)} "  # noqa: S608
                               f"WHERE state = '{BenefitState.CLOSED.value}' ORDER BY id")]
    return {"migrations": migrations, "tables": row_counts(cursor, vendor, tables) if counts else {},
            "chain_heads": heads, "notices": notices, "benefits": benefits}
