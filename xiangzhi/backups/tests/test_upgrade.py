"""``xiangzhi upgrade`` on a copy of a county with a ledger: a migration that fails on the rehearsal copy leaves
the live database untouched; one that works is applied, verified, and leaves its archive for the way back."""

import sqlite3
import subprocess

import dj_database_url
import psycopg
import pytest
from django.db import connection

from xiangzhi.backups.models import BackupKind, BackupRun
from xiangzhi.backups.snapshot import pg_args, pg_env, tool
from xiangzhi.backups.tests.conftest import _pg_admin, _pg_url, command_env, source_url, xiangzhi
from xiangzhi.backups.upgrade import _pg_url as upgrade_pg_url


@pytest.fixture
def live(instance, tmp_path):
    """A database of its own for the child processes to upgrade: a copy of the test's (with its ledger)."""
    if connection.vendor == "sqlite":
        yield source_url(tmp_path)
        return
    name = f"xz_upgrade_live_{connection.settings_dict['NAME'][-8:]}"
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    db = connection.settings_dict
    dump = tmp_path / "test.pgdump"
    subprocess.run([tool("pg_dump"), "--format=custom", f"--file={dump}", *pg_args(db)], env=pg_env(db), check=True)
    subprocess.run([tool("pg_restore"), "--no-owner", *pg_args({**db, "NAME": name}), str(dump)], env=pg_env(db),
                   check=True)
    try:
        yield _pg_url({**db, "NAME": name})
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated(url: str) -> tuple[set[str], list[str]]:
    """The stand-in app's applied migrations and its table's rows, read straight from the database."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            applied = {r[0] for r in db.execute("SELECT name FROM django_migrations WHERE app = 'upgrade_app'")}
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            rows = [r[0] for r in db.execute("SELECT name FROM upgrade_app_thing")] if "upgrade_app_thing" in tables \
                else []
        return applied, rows
    with psycopg.connect(url) as db:
        applied = {r[0] for r in db.execute("SELECT name FROM django_migrations WHERE app = 'upgrade_app'")}
        exists = db.execute("SELECT to_regclass('upgrade_app_thing')").fetchone()[0]
        rows = [r[0] for r in db.execute("SELECT name FROM upgrade_app_thing")] if exists else []
    return applied, rows


def test_a_migration_failing_on_the_copy_leaves_the_live_database_and_a_good_one_is_applied(live, tmp_path):
    env = {**command_env(live, tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "xiangzhi.test_settings",
           "XIANGZHI_TEST_APPS": "tests.upgrade_app"}
    backups = tmp_path / "backups"

    failed = xiangzhi("upgrade", "--dir", str(backups), env={**env, "XIANGZHI_TEST_MIGRATION_FAILS": "1"})
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "迁移在副本上失败，正式数据库没有改动" in failed.stderr and "新版本的迁移出错了" in failed.stderr
    assert migrated(live) == (set(), [])  # neither migration reached the live database
    assert len(list(backups.glob("*.xzbackup"))) == 1  # the backup before it stays

    done = xiangzhi("upgrade", "--dir", str(backups), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "升级完成：2 个迁移" in done.stdout and "校验通过" in done.stdout and "xiangzhi restore" in done.stdout
    assert migrated(live) == ({"0001_initial", "0002_size"}, ["迁移写入"])
    archives = sorted(backups.glob("*.xzbackup"))
    assert len(archives) == 2 and str(archives[-1]) in done.stdout

    again = xiangzhi("upgrade", "--dir", str(backups), env=env)
    assert again.returncode == 0 and "数据库已是最新" in again.stdout
    assert not BackupRun.objects.filter(kind=BackupKind.BEFORE_UPGRADE).exists()  # the runs are the child's


def test_a_database_newer_than_the_code_is_not_upgraded(live, tmp_path):
    env = {**command_env(live, tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "xiangzhi.test_settings"}
    if live.startswith("sqlite"):
        with sqlite3.connect(live.removeprefix("sqlite:///")) as db:
            db.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('points', '9999_future', "
                       "'2027-01-01')")
    else:
        with psycopg.connect(live) as db:
            db.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('points', '9999_future', now())")
    refused = xiangzhi("upgrade", "--dir", str(tmp_path / "backups"), env=env)
    assert refused.returncode == 2 and "数据库比这一版代码新" in refused.stderr
    assert "points.9999_future" in refused.stderr
    assert not (tmp_path / "backups").exists()


def test_socket_and_password_urls_reach_the_scratch_database():
    assert upgrade_pg_url({"USER": "xz", "PASSWORD": "p@ss/w", "HOST": "db", "PORT": 5433}, "s") == \
        "postgres://xz:p%40ss%2Fw@db:5433/s"
    socket = upgrade_pg_url({"USER": "xz", "HOST": "/run/postgresql"}, "s")
    assert dj_database_url.parse(socket)["HOST"] == "/run/postgresql" and socket == "postgres://xz@%2Frun%2Fpostgresql/s"
    assert dj_database_url.parse(upgrade_pg_url({"USER": "xz", "PASSWORD": "p@ss/w", "HOST": "db"}, "s"))["PASSWORD"] \
        == "p@ss/w"
