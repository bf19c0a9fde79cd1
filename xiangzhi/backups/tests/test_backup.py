"""``backup_make``: one archive holding the database, the photos, the settings and a manifest read from the
same snapshot; a failure or a kill half-way leaves nothing that looks like an archive, and the run says so."""

import errno
import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from xiangzhi.backups import services
from xiangzhi.backups.archive import header_read
from xiangzhi.backups.errors import BackupError
from xiangzhi.backups.models import BackupKind, BackupRun, RunStatus
from xiangzhi.backups.selectors import archive_list
from xiangzhi.lib import keys
from xiangzhi.points.models import PointsBenefit, PointsChainHead, PointsEntry, PointsNotice

from .conftest import ROOT, archive_members, command_env, source_url, table_counts


def test_one_archive_holds_the_database_the_photos_the_settings_and_its_manifest(instance, tmp_path):
    run = services.backup_make(BackupKind.MANUAL, tmp_path / "out")
    path = tmp_path / "out" / run.file_name
    assert run.status == RunStatus.OK and run.size_bytes == path.stat().st_size and run.seconds > 0
    assert [a.name for a in archive_list(tmp_path / "out")] == [run.file_name]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".partial")]
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    with open(path, "rb") as raw:
        header = header_read(raw)
    assert header.backup_key_id == keys.backup_key_id() and header.data_key_ids == keys.data_key_ids()
    assert header.vendor == connection.vendor and header.run_id == run.pk
    assert header.migrations["points"] == "0008_benefit_content_hash"

    members = archive_members(path)
    manifest = json.loads(members["manifest.json"])
    counts = table_counts()
    # Read from the snapshot: the run's own row was there, still running.
    assert manifest["tables"] == counts
    assert manifest["tables"]["points_pointsentry"] == PointsEntry.objects.count() == 3
    assert manifest["migrations"]["backups"] == ["0001_initial"]
    heads = {h["village_id"]: h for h in manifest["chain_heads"]}
    for head in PointsChainHead.objects.all():
        assert (heads[head.pk]["entry_seq"], heads[head.pk]["entry_hash"], heads[head.pk]["review_hash"]) == (
            head.entry_seq, head.entry_hash, head.review_hash)
    assert manifest["notices"] == [{"id": instance.notice.pk, "village_id": instance.notice.village_id,
                                    "content_hash": PointsNotice.objects.get().content_hash}]
    assert manifest["benefits"][0]["content_hash"] == PointsBenefit.objects.get().content_hash != ""
    for photo in instance.photos:
        data = (Path(settings.MEDIA_ROOT) / photo).read_bytes()
        assert members[f"media/{photo}"] == data
        assert manifest["files"][f"media/{photo}"] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    database = next(n for n in members if n.startswith("database/"))
    assert manifest["files"][database]["sha256"] == hashlib.sha256(members[database]).hexdigest()
    if connection.vendor == "sqlite":  # the copy is a database that opens, with the rows of the moment
        (tmp_path / "copy.sqlite3").write_bytes(members[database])
        with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
            assert copy.execute("SELECT COUNT(*) FROM points_pointsentry").fetchone() == (3,)
    else:
        assert members[database][:5] == b"PGDMP"

    config = json.loads(members["config.json"])
    assert config["TIME_ZONE"] == "Asia/Shanghai" and "xiangzhi.backups" in config["INSTALLED_APPS"]
    assert config["region_roots"] == [{"code": "371603", "name": "沾化区", "level": "county"}]
    secrets = [settings.SECRET_KEY, settings.DATA_KEY, settings.BACKUP_KEY, keys.backup_key().hex()]
    secrets += [p.read_text().strip() for p in keys.key_dir().iterdir() if p.is_file()]
    for name, data in members.items():
        for secret in secrets:
            assert secret.encode() not in data, f"{name} holds a secret"


def test_a_failure_mid_stream_leaves_no_archive_and_the_run_says_why(instance, tmp_path, monkeypatch):
    calls = []
    real = tarfile.TarFile.addfile

    def disk_full(self, info, fileobj=None):
        calls.append(info.name)
        if len(calls) == 2:  # the database is in, the photos are not
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))
        return real(self, info, fileobj)

    monkeypatch.setattr(tarfile.TarFile, "addfile", disk_full)
    with pytest.raises(BackupError, match="磁盘空间不足"):
        services.backup_make(BackupKind.MANUAL, tmp_path / "out")
    run = BackupRun.objects.get()
    assert run.status == RunStatus.FAILED and run.error.startswith("磁盘空间不足") and run.finished_at
    assert calls[0].startswith("database/")
    assert [p.name for p in (tmp_path / "out").iterdir()] == [".backup.lock"]


def test_leftovers_of_a_killed_run_are_removed_never_listed_and_its_run_marked_failed(instance, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    leftover = out / "xiangzhi-daily-20260101-023000.xzbackup.partial"
    leftover.write_bytes(b"XZBACKUP half")
    (out / "xiangzhi-daily-20260101-023000.xzbackup.db.partial").write_bytes(b"half a database")
    stale = BackupRun.objects.create(kind=BackupKind.DAILY, started_at="2026-01-01T02:30:00+08:00",
                                     directory=str(out.resolve()), file_name=leftover.name.removesuffix(".partial"))
    assert archive_list(out) == []
    run = services.backup_make(BackupKind.MANUAL, out)
    assert sorted(p.name for p in out.iterdir()) == [".backup.lock", run.file_name]
    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED and stale.error == services.STALE_ERROR


def test_a_second_run_into_the_same_directory_waits_its_turn(instance, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / ".backup.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(BackupError, match="另一个备份正在写入"):
            services.backup_make(BackupKind.MANUAL, out)
    finally:
        os.close(fd)
    assert BackupRun.objects.get().status == RunStatus.FAILED
    assert archive_list(out) == []


@pytest.mark.django_db
def test_a_directory_that_cannot_be_made_is_a_failed_run(backup_settings, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(BackupError, match="读写文件出错"):
        services.backup_make(BackupKind.DAILY, tmp_path / "file" / "backups")
    assert BackupRun.objects.get().status == RunStatus.FAILED


def _runs(url: str) -> list[tuple[str, str]]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute("SELECT status, error FROM backups_backuprun ORDER BY id").fetchall()
    with psycopg.connect(url) as db:
        return db.execute("SELECT status, error FROM backups_backuprun ORDER BY id").fetchall()


def test_a_backup_killed_while_writing_leaves_nothing_that_looks_whole(instance, tmp_path):
    """The command in a child process, SIGKILLed once its archive has started to grow (a large photo keeps
    it writing for a while); then the next run cleans up after it. Two child processes: about 8 s."""
    url = source_url(tmp_path)
    var = tmp_path / "var"
    (var / "media").mkdir(parents=True)
    (var / "media" / "large.bin").write_bytes(os.urandom(64 * 1024 * 1024))
    out = tmp_path / "out"
    env = command_env(url, var)
    child = subprocess.Popen([sys.executable, "-m", "xiangzhi", "backup", "--dir", str(out)], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    partial = []
    while time.monotonic() < deadline and child.poll() is None:
        partial = [p for p in out.glob("*.xzbackup.partial") if p.stat().st_size > 1024 * 1024] if out.exists() else []
        if partial:
            break
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert partial and child.returncode == -signal.SIGKILL, "the backup ended before it could be killed"
    assert archive_list(out) == [] and not list(out.glob("*.xzbackup"))
    assert _runs(url) == [("running", "")]  # never "ok"

    again = subprocess.run([sys.executable, "-m", "xiangzhi", "backup", "--dir", str(out)], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert "备份完成" in again.stdout
    assert not list(out.glob("*.partial")) and len(archive_list(out)) == 1
    assert _runs(url) == [("failed", services.STALE_ERROR), ("ok", "")]
