"""``restore``: into an empty instance, refused before a byte is written when the key, the data key, the
schema or the target is wrong or the archive is damaged; checked afterwards, file by file and row by row.

The refusals run in this process against an empty target of their own; the two restores that write run
the command in a child process (it must become that instance: about 3 s each)."""

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from xiangzhi.backups import services
from xiangzhi.backups.errors import RestoreRefused
from xiangzhi.backups.models import BackupKind
from xiangzhi.backups.snapshot import row_counts
from xiangzhi.lib import keys

from .conftest import archive_members, archive_rewrite, command_env, table_counts, xiangzhi


@pytest.fixture
def archive(instance, tmp_path) -> Path:
    run = services.backup_make(BackupKind.MANUAL, tmp_path / "out")
    return tmp_path / "out" / run.file_name


def restored_counts(empty) -> dict[str, int]:
    tables = [t for t in empty.tables() if not t.startswith("sqlite_")]
    if empty.target.vendor == "sqlite":
        with sqlite3.connect(empty.target.db["NAME"]) as db:
            return row_counts(db.cursor(), "sqlite", tables)
    with psycopg.connect(empty.url) as db:
        return row_counts(db.cursor(), "postgresql", tables)


def test_a_restore_into_an_empty_instance_is_whole_and_says_so(archive, empty):
    manifest = json.loads(archive_members(archive)["manifest.json"])
    done = xiangzhi("restore", str(archive), env=command_env(empty.url, empty.var))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "副本完整" in done.stdout and "拒绝" not in done.stderr
    assert restored_counts(empty) == manifest["tables"] == table_counts()
    for name, want in manifest["files"].items():
        if name.startswith("media/"):
            assert (empty.target.media_root / name.removeprefix("media/")).stat().st_size == want["size"]
    assert not [p for p in empty.var.iterdir() if p.name.startswith(".restore-")]
    # The archive's own run, still running in the snapshot, is whole in the copy.
    if empty.target.vendor == "sqlite":
        with sqlite3.connect(empty.target.db["NAME"]) as db:
            assert db.execute("SELECT status FROM backups_backuprun").fetchall() == [("ok",)]
    else:
        with psycopg.connect(empty.url) as db:
            assert db.execute("SELECT status FROM backups_backuprun").fetchall() == [("ok",)]
    # And the restored instance checks against the archive again, without writing.
    again = xiangzhi("restore", "--verify", str(archive), env=command_env(empty.url, empty.var))
    assert again.returncode == 0 and "副本完整" in again.stdout, again.stdout + again.stderr


def test_an_archive_missing_one_photo_is_reported_by_name(archive, instance, empty, tmp_path):
    gone = instance.photos[1]
    damaged = tmp_path / "missing-photo.xzbackup"
    archive_rewrite(archive, damaged, drop={f"media/{gone}"})
    done = xiangzhi("restore", str(damaged), env=command_env(empty.url, empty.var))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "副本不完整，1 个问题" in done.stdout
    assert f"缺少文件：{gone}" in done.stdout
    assert (empty.target.media_root / instance.photos[0]).exists()


def test_a_non_empty_database_is_refused_and_left_as_it_was(archive):
    """The test database itself, rows and photos, as the target."""
    target = services.Target.from_settings()
    before = table_counts()
    photos = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    with pytest.raises(RestoreRefused, match=r"目标数据库不是空的（已有 .* 张表"):
        services.restore_run(archive, target)
    assert table_counts() == before
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == photos


def test_uploaded_files_already_there_are_refused(archive, empty):
    (empty.target.media_root / "cases").mkdir(parents=True)
    (empty.target.media_root / "cases" / "old.jpg").write_bytes(b"jpeg")
    with pytest.raises(RestoreRefused, match=r"上传文件目录 .* 里已经有文件"):
        services.restore_run(archive, empty.target)
    assert not empty.tables()


def test_the_wrong_backup_key_is_refused_before_anything_is_written(archive, empty, settings):
    wanted = keys.backup_key_id()
    settings.BACKUP_KEY = "another-county-key"
    with pytest.raises(RestoreRefused) as refused:
        services.restore_run(archive, empty.target)
    assert str(refused.value).startswith(f"备份密钥不对：此备份用备份密钥 {wanted} 加密，本机的备份密钥是 "
                                         f"{keys.backup_key_id()}")
    assert empty.untouched()


def test_no_backup_key_at_all_is_refused_and_none_is_made_up(archive, empty, settings):
    settings.BACKUP_KEY = ""
    with pytest.raises(RestoreRefused, match="本机没有备份密钥"):
        services.restore_run(archive, empty.target)
    assert not (keys.key_dir() / "backup.key").exists() and empty.untouched()


def test_another_data_key_is_refused_before_anything_is_written(archive, empty, settings):
    needed = keys.data_key_ids()[0]
    settings.DATA_KEY = "a-new-machine-made-up-its-own-key"
    here = keys.data_key_ids()[0]
    assert here != needed
    with pytest.raises(RestoreRefused) as refused:
        services.restore_run(archive, empty.target)
    assert str(refused.value).startswith(f"此备份的身份证号和手机号需要数据密钥 {needed}，本机的是 {here}")
    assert empty.untouched()


def test_a_schema_newer_than_this_code_is_refused(archive, empty, tmp_path):
    newer = tmp_path / "newer.xzbackup"
    header = services.archive_read_header(archive)
    archive_rewrite(archive, newer, header={"migrations": {**header.migrations, "points": "0099_from_the_future"},
                                            "app_version": "9.0.0"})
    with pytest.raises(RestoreRefused, match=r"比本程序新（本程序没有迁移 points\.0099_from_the_future）.*9\.0\.0"):
        services.restore_run(newer, empty.target)
    assert empty.untouched()


@pytest.mark.parametrize("damage", ["truncated", "tampered"])
def test_a_truncated_or_tampered_archive_is_refused_and_nothing_written(archive, empty, tmp_path, damage):
    blob = archive.read_bytes()
    broken = tmp_path / f"{damage}.xzbackup"
    if damage == "truncated":
        broken.write_bytes(blob[: len(blob) - 200])
    else:
        flipped = bytearray(blob)
        flipped[len(blob) // 2] ^= 0x40
        broken.write_bytes(bytes(flipped))
    with pytest.raises(RestoreRefused, match=r"备份文件不能用：.*(截断|损坏).*没有写入任何数据"):
        services.restore_run(broken, empty.target)
    assert empty.untouched()


def test_a_copy_checked_against_its_manifest_names_what_differs(archive, instance):
    """``restore_verify`` on a live database: here the source itself, changed behind the application."""
    from xiangzhi.points.models import PointsBenefit, PointsNotice

    manifest = json.loads(archive_members(archive)["manifest.json"])
    media = Path(settings.MEDIA_ROOT)
    assert services.restore_verify(manifest, media_root=media) == []
    (media / instance.photos[0]).write_bytes(b"not the photo")
    PointsNotice.objects.filter(pk=instance.notice.pk).update(rows=[])
    PointsBenefit.objects.filter(pk=instance.benefit.pk).update(places=9)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM backups_backuprun")
    problems = services.restore_verify(manifest, media_root=media)
    assert f"文件内容与备份时不同：{instance.photos[0]}" in problems
    assert "表 backups_backuprun 有 0 行，备份时是 1 行" in problems
    assert f"积分公示 #{instance.notice.pk} 的名单与其哈希不符" in problems
    assert f"积分优先事项 #{instance.benefit.pk}（创业贷款担保）的名单与其核验码不符" in problems
    assert len(problems) == 4


def test_the_database_alone_comes_out_for_the_upgrade(archive, tmp_path):
    path = services.archive_extract_database(archive, tmp_path / "db")
    if connection.vendor == "sqlite":
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM points_pointsentry").fetchone() == (3,)
    else:
        assert path.name == "db.pgdump" and path.read_bytes()[:5] == b"PGDMP"


@pytest.mark.django_db
def test_an_older_archive_names_the_migrations_it_lacks():
    from django.db.migrations.recorder import MigrationRecorder

    from xiangzhi.backups.restore import _pending_migrations

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder.Migration.objects.order_by("id").values_list("app", "name"):
        applied.setdefault(app, []).append(name)
    assert _pending_migrations({"migrations": applied}) == []
    applied["points"].remove("0008_benefit_content_hash")
    assert _pending_migrations({"migrations": applied}) == ["points.0008_benefit_content_hash"]
