"""``xiangzhi upgrade``: new code's migrations reach the county's database only after they ran on a copy.

1. The migrations the code has and the database lacks; a database newer than the code is refused.
2. A backup (kind 升级前, never pruned): the way back.
3. Rehearsal: the database is taken out of that very archive into a scratch copy (a SQLite file in a temporary
   folder; a scratch PostgreSQL database restored with ``pg_restore``), and ``xiangzhi migrate`` runs on the
   copy in a child process. A migration that fails there stops the upgrade with the live database untouched.
4. The same migrations on the live database (big-table rewrites go a batch a transaction:
   ``xiangzhi/lib/migrations.py``), then the ledger, the chain heads and the published hashes are verified
   against the archive's manifest.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from xiangzhi.backups.errors import BackupError
from xiangzhi.backups.models import BackupKind, BackupRun
from xiangzhi.backups.restore import archive_extract_database, archive_manifest, restore_verify
from xiangzhi.backups.services import backup_make
from xiangzhi.backups.snapshot import pg_args, pg_connect, pg_env, tool, tool_error
from xiangzhi.backups.snapshot import quote as quote_name

REHEARSAL_TIMEOUT = 6 * 3600  # a county's big-table migration on the copy may take a while; not for ever


class UpgradeError(BackupError):
    """An upgrade stopped before it touched the live database (or after, when the check failed: said so)."""

    code = "upgrade_failed"


@dataclass
class UpgradeReport:
    pending: list[str] = field(default_factory=list)
    backup: BackupRun | None = None
    rehearsal_seconds: float = 0.0
    apply_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def archive(self) -> Path | None:
        return Path(self.backup.directory) / self.backup.file_name if self.backup else None


def migrations_pending() -> list[str]:
    """``app.name`` of each migration the code has and the database has not applied, in the order they run.
    Refuses a database that has applied migrations this code does not know (it is newer than the code)."""
    executor = MigrationExecutor(connection)
    known = set(executor.loader.disk_migrations)
    applied = set(executor.loader.applied_migrations)
    ours = {app for app, _ in known}
    unknown = sorted(f"{app}.{name}" for app, name in applied - known if app in ours)
    if unknown:
        raise UpgradeError(f"数据库比这一版代码新（有代码不认识的迁移：{'、'.join(unknown[:5])}），不能用旧代码升级")
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]


def _child_env(database_url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "XIANGZHI_LOG_DIR": ""}
    env.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")
    return env


def _migrate_copy(database_url: str) -> None:
    result = subprocess.run([sys.executable, "-m", "xiangzhi", "migrate", "--noinput"], env=_child_env(database_url),
                            capture_output=True, timeout=REHEARSAL_TIMEOUT, check=False)
    if result.returncode != 0:
        lines = [x for x in result.stderr.decode(errors="replace").splitlines() if x.strip()]
        said = lines[-1] if lines else "没有输出"
        raise UpgradeError(f"迁移在副本上失败，正式数据库没有改动：{said}")


def _pg_url(db: dict, name: str) -> str:
    user = quote(str(db.get("USER") or ""), safe="")
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host = str(db.get("HOST") or "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    at = f"{user}{password}@" if user else ""
    # A socket directory goes percent-encoded in the host's place (dj-database-url's way).
    return f"postgres://{at}{quote(host, safe='')}{port}/{quote(name)}"


def upgrade_rehearse(archive: Path) -> float:
    """Migrate a copy of the database taken out of ``archive``; seconds it took. Raises ``UpgradeError``."""
    started = time.perf_counter()
    db = dict(settings.DATABASES["default"])
    with tempfile.TemporaryDirectory(prefix="xiangzhi-upgrade-") as scratch_dir:
        copy = archive_extract_database(archive, scratch_dir)
        if connection.vendor == "sqlite":
            _migrate_copy(f"sqlite:///{copy}")
            return time.perf_counter() - started
        scratch = f"{str(db['NAME'])[:40]}_upgrade_{os.getpid()}"
        admin = {**db, "NAME": "postgres"}
        with pg_connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {quote_name(scratch)}")
            conn.execute(f"CREATE DATABASE {quote_name(scratch)}")
        try:
            result = subprocess.run([tool("pg_restore"), "--no-owner", "--exit-on-error",
                                     *pg_args({**db, "NAME": scratch}), str(copy)],
                                    env=pg_env(db), capture_output=True, check=False)
            if result.returncode != 0:
                raise UpgradeError(tool_error("把备份恢复到演练库（pg_restore）", result))
            _migrate_copy(_pg_url(db, scratch))
        finally:
            with pg_connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {quote_name(scratch)} WITH (FORCE)")
    return time.perf_counter() - started


def upgrade(*, dest_dir: Path | str | None = None, say: Callable[[str], None] = lambda _: None) -> UpgradeReport:
    """Back up, rehearse on a copy, migrate, verify (the module's docstring). Raises ``UpgradeError`` when it
    stopped before the live database changed; returns the report (``problems`` empty when all holds)."""
    report = UpgradeReport(pending=migrations_pending())
    if not report.pending:
        say("数据库已是最新，没有要执行的迁移")
        return report
    more = " 等" if len(report.pending) > 8 else ""
    say(f"待执行的迁移 {len(report.pending)} 个：{'、'.join(report.pending[:8])}{more}")
    say("正在备份（升级前备份，不会被自动清理）…")
    report.backup = backup_make(BackupKind.BEFORE_UPGRADE, dest_dir)
    assert report.archive is not None
    say(f"已备份：{report.archive}")
    say("正在副本上演练迁移…")
    report.rehearsal_seconds = upgrade_rehearse(report.archive)
    say(f"副本上迁移成功（{report.rehearsal_seconds:.1f} 秒）；正在迁移正式数据库…")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    report.apply_seconds = time.perf_counter() - started
    say("正在校验积分台账、链头和公示哈希…")
    report.problems = restore_verify(archive_manifest(report.archive), counts=False)
    return report
