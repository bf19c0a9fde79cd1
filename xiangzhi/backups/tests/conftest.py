"""An instance worth backing up (households, a ledger with photos, a notice and a closed benefit list), an
empty instance to restore into (a SQLite file that does not exist yet, or a scratch PostgreSQL database),
and the environment that runs the ``xiangzhi`` command against either in a child process."""

import datetime as dt
import gzip
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.factories import install_points_rulebooks, jpeg_photo, make_household
from xiangzhi.backups.archive import SealedReader, SealedWriter, header_read
from xiangzhi.backups.services import Target
from xiangzhi.lib import keys
from xiangzhi.lib.periods import period_bounds

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def backup_settings(settings, tmp_path):
    """Keys in a folder of the test's own, a backup key given by setting, archives under the test's folder."""
    settings.KEY_DIR = tmp_path / "keys"
    settings.BACKUP_KEY = "test-backup-key"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_DIR_SET = False
    return settings


@dataclass
class Instance:
    county: object
    photos: list[str]  # the evidence photos' names under MEDIA_ROOT
    notice: object
    benefit: object


def build_instance(county) -> Instance:
    from xiangzhi.points import services as points
    from xiangzhi.points.models import PointsEntry

    rules = install_points_rulebooks(county.town_a, county.town_b)[county.town_a.code]
    third = make_household(county.grid_a1, head="孙小明")
    for household, size in ((county.households["a1"], (64, 48)), (county.households["a1_micro"], (80, 60)),
                            (third, (72, 40))):
        entry = points.entry_record(actor=county.users["points_recorder"], household=household,
                                    rule=rules["neighbour_help"], occurred_on=timezone.localdate(),
                                    evidence=jpeg_photo(size)).entry
        points.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    start, end = period_bounds("quarter", timezone.localdate())
    notice = points.notice_publish(village=county.village_a1, period_start=start, period_end=end, objection_days=7)
    today = timezone.localdate()
    benefit = points.benefit_publish(
        actor=county.users["village_cadre"], village=county.village_a1, kind="loan", title="创业贷款担保", places=2,
        threshold=1, basis_start=today - dt.timedelta(days=90), basis_end=today, closes_on=today + dt.timedelta(days=7))
    benefit = points.benefit_close(actor=county.users["village_cadre"], benefit=benefit)
    photos = [e.evidence.name for e in PointsEntry.objects.exclude(evidence="")]
    return Instance(county, photos, notice, benefit)


@pytest.fixture
def instance(transactional_db, backup_settings):
    """Committed rows (a backup reads them from another connection, or copies the file under them)."""
    from tests.factories import build_small_county

    return build_instance(build_small_county())


def table_counts() -> dict[str, int]:
    from xiangzhi.backups.snapshot import row_counts

    with connection.cursor() as cursor:
        return row_counts(cursor, connection.vendor)


# --- reading and rewriting archives -------------------------------------------------------------------


def archive_members(path: Path) -> dict[str, bytes]:
    with open(path, "rb") as raw:
        header = header_read(raw)
        reader = SealedReader(raw, keys.backup_key(), header)
        with tarfile.open(fileobj=gzip.GzipFile(fileobj=io.BufferedReader(reader)), mode="r|") as tar:
            return {m.name: tar.extractfile(m).read() for m in tar}


def archive_rewrite(source: Path, dest: Path, *, drop: set[str] = frozenset(), header: dict | None = None) -> None:
    """The same archive re-sealed with the same key, without the members in ``drop`` (the manifest kept
    as it was), or under other header values."""
    with open(source, "rb") as raw:
        original = header_read(raw)
    members = archive_members(source)
    values = {**original.as_dict(), **(header or {})}
    values.pop("salt")
    with open(dest, "wb") as out:
        writer = SealedWriter(out, keys.backup_key(), values)
        with gzip.GzipFile(fileobj=writer, mode="wb") as packed, tarfile.open(fileobj=packed, mode="w|") as tar:
            for name, data in members.items():
                if name in drop:
                    continue
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        writer.close()


# --- an empty instance ---------------------------------------------------------------------------------


def _pg_url(db: dict) -> str:
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _pg_admin():
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                           password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)


@dataclass
class Empty:
    """A new instance: no database yet (SQLite) or an empty one (PostgreSQL), no uploaded files."""

    target: Target
    url: str
    var: Path

    def tables(self) -> list[str]:
        if self.target.vendor == "sqlite":
            path = Path(self.target.db["NAME"])
            if not path.exists():
                return []
            with sqlite3.connect(path) as db:
                return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        with psycopg.connect(self.url) as db:
            return [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]

    def untouched(self) -> bool:
        """No table, no uploaded file, no staging directory left behind, no SQLite file created."""
        created = self.target.vendor == "sqlite" and Path(self.target.db["NAME"]).exists()
        staged = [p for p in self.var.iterdir() if p.name.startswith(".restore-")] if self.var.exists() else []
        media = list(self.target.media_root.rglob("*")) if self.target.media_root.exists() else []
        return not created and not self.tables() and not staged and not media


@pytest.fixture
def empty(tmp_path):
    var = tmp_path / "restored"
    var.mkdir()
    if connection.vendor == "sqlite":
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(var / "xiangzhi.sqlite3")}
        yield Empty(Target(db, var / "media", var), f"sqlite:///{db['NAME']}", var)
        return
    name = f"xz_restore_{os.getpid()}"
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    db = {**connection.settings_dict, "NAME": name}
    try:
        yield Empty(Target(db, var / "media", var), _pg_url(db), var)
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def command_env(url: str, var: Path) -> dict:
    """The ``xiangzhi`` command in a child process: this database URL, this var folder, the test's keys."""
    env = {**os.environ, "DATABASE_URL": url, "XIANGZHI_VAR": str(var), "XIANGZHI_KEY_DIR": str(settings.KEY_DIR),
           "XIANGZHI_BACKUP_KEY": settings.BACKUP_KEY, "XIANGZHI_DATA_KEY": settings.DATA_KEY,
           "XIANGZHI_HTTPS": "0", "LOG_LEVEL": "WARNING", "XIANGZHI_LOG_DIR": "", "XIANGZHI_TRIAGE_E5": "0",
           "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("XIANGZHI_BACKUP_DIR", None)
    return env


def xiangzhi(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xiangzhi", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def source_url(tmp_path: Path) -> str:
    """A database URL a child process can reach holding this test's committed rows: on SQLite a file copy
    of the in-memory test database, on PostgreSQL the test database itself."""
    if connection.vendor == "sqlite":
        path = tmp_path / "source.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        return f"sqlite:///{path}"
    return _pg_url(connection.settings_dict)
