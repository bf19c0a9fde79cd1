"""The daily schedule, its retention, and the alert: /healthz and the county admin's home page say when the
last backup failed or when none has succeeded for 26 hours while backups are on."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from xiangzhi.backups import services
from xiangzhi.backups.errors import BackupError
from xiangzhi.backups.models import BackupKind, BackupRun, RunStatus
from xiangzhi.backups.selectors import archive_list, backup_due, backup_status, retention_keep
from xiangzhi.core.display import moment_text


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


# --- retention ----------------------------------------------------------------------------------------


def test_retention_keeps_seven_days_four_weeks_and_twelve_months():
    today = local(2026, 12, 7, 2, 30)  # a Monday
    stamps = [today - dt.timedelta(days=n) for n in range(400)]
    keep = retention_keep(stamps)
    assert {s for s in stamps if s > today - dt.timedelta(days=7)} <= keep  # the last seven days
    sundays = [local(2026, 12, 6, 2, 30), local(2026, 11, 29, 2, 30), local(2026, 11, 22, 2, 30)]
    assert set(sundays) <= keep  # with today's week: four weeks (the 6th is also one of the seven days)
    assert local(2026, 11, 15, 2, 30) not in keep
    month_ends = [local(2026, m, d, 2, 30) for m, d in ((11, 30), (10, 31), (9, 30), (2, 28), (1, 31))]
    assert set(month_ends) <= keep  # with this month: twelve months, back to January
    assert local(2025, 12, 31, 2, 30) not in keep
    assert len(keep) == 7 + 2 + 11
    assert retention_keep(stamps[:3]) == set(stamps[:3])  # a new installation keeps what it has


@pytest.mark.django_db
def test_pruning_removes_only_daily_archives_beyond_the_retention(backup_settings, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    days = [dt.date(2026, 12, 7) - dt.timedelta(days=n) for n in range(40)]
    names = [f"xiangzhi-daily-{day:%Y%m%d}-023000.xzbackup" for day in days]
    kept_by_hand = ["xiangzhi-manual-20250101-120000.xzbackup", "xiangzhi-before_upgrade-20250102-120000.xzbackup"]
    for name in names + kept_by_hand + ["xiangzhi-daily-20240101-023000.xzbackup.partial", "notes.txt"]:
        (out / name).write_bytes(b"x")
    oldest = BackupRun.objects.create(kind=BackupKind.DAILY, status=RunStatus.OK, started_at=local(2026, 10, 29, 2, 30),
                                      directory=str(out.resolve()), file_name=names[39])
    removed = services.backup_prune(out)
    left = {a.name for a in archive_list(out)}
    assert set(kept_by_hand) <= left and set(removed) == set(names) - left
    # Kept: Dec 1–7, the weeks' Nov 29 and Nov 22, the months' Nov 30 and Oct 31.
    assert names[39] in removed and names[0] in left and len(removed) == 40 - 11
    assert (out / "notes.txt").exists() and (out / "xiangzhi-daily-20240101-023000.xzbackup.partial").exists()
    oldest.refresh_from_db()
    assert oldest.pruned_at is not None


# --- the schedule ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_daily_backup_is_due_once_a_day_from_half_past_two():
    BackupRun.objects.create(kind=BackupKind.DAILY, status=RunStatus.OK, started_at=local(2026, 12, 6, 2, 30),
                             directory="/b", file_name="a")
    assert not backup_due(local(2026, 12, 7, 2, 29))
    assert backup_due(local(2026, 12, 7, 2, 30))
    assert backup_due(local(2026, 12, 7, 9, 0))  # the worker was down at 02:30: caught up
    BackupRun.objects.create(kind=BackupKind.DAILY, status=RunStatus.FAILED, started_at=local(2026, 12, 7, 2, 45),
                             directory="/b", file_name="b")
    assert not backup_due(local(2026, 12, 7, 9, 0))  # one attempt a day; the failure is an alert
    BackupRun.objects.create(kind=BackupKind.MANUAL, status=RunStatus.OK, started_at=local(2026, 12, 8, 2, 0),
                             directory="/b", file_name="c")
    assert backup_due(local(2026, 12, 8, 2, 31))  # a manual backup is not the daily one


def test_the_worker_task_writes_the_daily_archive_once(instance, settings):
    from xiangzhi.system.tasks import backup_daily

    backup_daily.call_local()
    backup_daily.call_local()
    archives = archive_list(settings.BACKUP_DIR)
    assert [a.kind for a in archives] == [BackupKind.DAILY]
    run = BackupRun.objects.get()
    assert run.status == RunStatus.OK and Path(run.directory) == Path(settings.BACKUP_DIR).resolve()


@pytest.mark.django_db
def test_the_schedule_stands_aside_while_another_worker_writes(backup_settings):
    import fcntl
    import os

    folder = Path(backup_settings.BACKUP_DIR)
    folder.mkdir(parents=True)
    fd = os.open(folder / services.LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert services.backup_scheduled() is None
    finally:
        os.close(fd)
    assert not BackupRun.objects.exists()  # nothing failed: nothing to alarm the county about


# --- the alert ----------------------------------------------------------------------------------------


def _failed_run(tmp_path) -> BackupRun:
    """A real failure: a backup directory under a file."""
    (tmp_path / "file").write_text("")
    with pytest.raises(BackupError):
        services.backup_make(BackupKind.DAILY, tmp_path / "file" / "backups")
    return BackupRun.objects.get(status=RunStatus.FAILED)


@pytest.mark.django_db
def test_backups_off_are_no_alert(client, backup_settings):
    status = backup_status()
    assert not status.on and status.alert == ""
    assert client.get("/healthz").json()["backup"]["status"] == "off"


@pytest.mark.django_db
def test_no_good_backup_for_26_hours_is_an_alert_once_backups_are_on(client, backup_settings):
    backup_settings.BACKUP_DIR_SET = True
    assert backup_status().alert == "超过 26 小时没有成功的备份（还没有成功过）"
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["backup"]["status"] == "alert"
    # A successful run an hour ago (the row is what backup_make leaves; its timing is the point here).
    now = timezone.now()
    BackupRun.objects.create(kind=BackupKind.DAILY, status=RunStatus.OK, started_at=now - dt.timedelta(hours=1),
                             finished_at=now - dt.timedelta(minutes=59), directory="/b", file_name="a.xzbackup",
                             size_bytes=2048)
    status = backup_status()
    assert status.alert == "" and status.count == 1 and status.size_bytes == 2048
    assert client.get("/healthz").json()["backup"]["last_ok_file"] == "a.xzbackup"
    BackupRun.objects.update(started_at=now - dt.timedelta(hours=27), finished_at=now - dt.timedelta(hours=27))
    assert backup_status().alert.startswith("超过 26 小时没有成功的备份（最近一次成功在 ")


@pytest.mark.django_db
def test_a_failed_backup_is_an_alert_until_one_succeeds(client, backup_settings, tmp_path):
    failed = _failed_run(tmp_path)
    status = backup_status()
    assert status.alert == (f"最近一次备份失败：{moment_text(failed.finished_at)}，"
                            f"{failed.error}")
    assert status.on  # the schedule has run once
    assert client.get("/healthz").json()["backup"]["alert"] == status.alert
    BackupRun.objects.create(kind=BackupKind.MANUAL, status=RunStatus.OK, started_at=timezone.now(),
                             finished_at=timezone.now(), directory="/b", file_name="b.xzbackup")
    assert backup_status().alert == ""


@pytest.mark.django_db
def test_the_county_admin_home_page_shows_the_alert_and_only_to_him(client, county, backup_settings, tmp_path):
    client.force_login(county.users["county_admin"])
    assert 'data-testid="backup-alert"' not in client.get("/").content.decode()
    _failed_run(tmp_path)
    page = client.get("/").content.decode()
    assert 'data-testid="backup-alert"' in page and "最近一次备份失败：" in page
    for role in ("township_staff", "village_cadre"):
        client.force_login(county.users[role])
        assert "最近一次备份失败" not in client.get("/").content.decode()
