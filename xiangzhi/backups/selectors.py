"""What the backups look like from outside: the archives in a directory, when the next daily one is due,
and whether the county should be alarmed (``backup_status``: /healthz and the county admin's home page)."""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from xiangzhi.backups.models import BackupKind, BackupRun, RunStatus
from xiangzhi.core.display import moment_text

ARCHIVE_SUFFIX = ".xzbackup"
PARTIAL_SUFFIX = ".partial"
DAILY_AT = dt.time(2, 30)  # local time
ALERT_HOURS = 26
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 12
_NAME = re.compile(r"^xiangzhi-(?P<kind>[a-z_]+)-(?P<stamp>\d{8}-\d{6})(?:-\d+)?" + re.escape(ARCHIVE_SUFFIX) + "$")


def archive_name(kind: str, at: dt.datetime) -> str:
    return f"xiangzhi-{kind}-{timezone.localtime(at):%Y%m%d-%H%M%S}{ARCHIVE_SUFFIX}"


@dataclass(frozen=True)
class ArchiveFile:
    name: str
    path: Path
    kind: str
    at: dt.datetime  # local time, from the name
    size_bytes: int


def archive_list(directory: Path | str | None = None) -> list[ArchiveFile]:
    """The whole archives in ``directory``, newest first: a ``.partial`` file is never one."""
    folder = Path(directory or settings.BACKUP_DIR)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        at = timezone.make_aware(dt.datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S"))
        found.append(ArchiveFile(path.name, path, match["kind"], at, path.stat().st_size))
    return sorted(found, key=lambda a: (a.at, a.name), reverse=True)


def retention_keep(stamps: list[dt.datetime], *, daily: int = KEEP_DAILY, weekly: int = KEEP_WEEKLY,
                   monthly: int = KEEP_MONTHLY) -> set[dt.datetime]:
    """The stamps to keep: the newest of each of the last ``daily`` days, ``weekly`` ISO weeks and
    ``monthly`` months that have one."""
    newest_first = sorted(set(stamps), reverse=True)
    keep: set[dt.datetime] = set()
    buckets: list[tuple[int, Any]] = [
        (daily, lambda s: s.date()),
        (weekly, lambda s: s.isocalendar()[:2]),
        (monthly, lambda s: (s.year, s.month)),
    ]
    for count, bucket in buckets:
        seen: set[object] = set()
        for stamp in newest_first:
            if len(seen) >= count:
                break
            key = bucket(stamp)
            if key not in seen:
                seen.add(key)
                keep.add(stamp)
    return keep


def _last_boundary(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    boundary = timezone.make_aware(dt.datetime.combine(local.date(), DAILY_AT))
    return boundary if local >= boundary else boundary - dt.timedelta(days=1)


def backup_due(now: dt.datetime) -> bool:
    """Past today's 02:30 and no daily backup started since: one attempt a day, caught up after downtime."""
    return not BackupRun.objects.filter(kind=BackupKind.DAILY, started_at__gte=_last_boundary(now)).exists()


@dataclass(frozen=True)
class BackupStatus:
    on: bool  # BACKUP_DIR configured, or the daily schedule has run once
    last_ok: BackupRun | None
    last_failure: BackupRun | None
    count: int  # archives kept (successful runs not pruned)
    size_bytes: int  # of those archives
    next_due: dt.datetime
    alert: str  # empty when all is well

    def as_json(self) -> dict[str, Any]:
        def stamp(value: dt.datetime | None) -> str | None:
            return timezone.localtime(value).isoformat() if value else None

        return {
            "status": "alert" if self.alert else ("ok" if self.on else "off"),
            "last_ok": stamp(self.last_ok.finished_at) if self.last_ok else None,
            "last_ok_file": self.last_ok.file_name if self.last_ok else None,
            "last_ok_bytes": self.last_ok.size_bytes if self.last_ok else None,
            "last_failure": stamp(self.last_failure.finished_at) if self.last_failure else None,
            "count": self.count,
            "size_bytes": self.size_bytes,
            "next_due": stamp(self.next_due),
            "alert": self.alert,
        }


def backup_status(now: dt.datetime | None = None) -> BackupStatus:
    now = now or timezone.now()
    runs = BackupRun.objects.all()
    last_ok = runs.filter(status=RunStatus.OK).order_by("-started_at", "-id").first()
    last_failure = runs.filter(status=RunStatus.FAILED).order_by("-started_at", "-id").first()
    on = bool(getattr(settings, "BACKUP_DIR_SET", False)) or runs.filter(kind=BackupKind.DAILY).exists()
    kept = runs.filter(status=RunStatus.OK, pruned_at__isnull=True)
    boundary = _last_boundary(now)
    next_due = now if backup_due(now) else boundary + dt.timedelta(days=1)
    alert = ""
    ok_at = (last_ok.finished_at or last_ok.started_at) if last_ok else None
    if last_failure and (last_ok is None or last_failure.started_at > last_ok.started_at):
        failed_at = moment_text(last_failure.finished_at or last_failure.started_at)
        alert = f"最近一次备份失败：{failed_at}，{last_failure.error}"
    elif on and (ok_at is None or now - ok_at > dt.timedelta(hours=ALERT_HOURS)):
        since = f"最近一次成功在 {moment_text(last_ok.finished_at)}" if last_ok else "还没有成功过"
        alert = f"超过 {ALERT_HOURS} 小时没有成功的备份（{since}）"
    return BackupStatus(on=on, last_ok=last_ok, last_failure=last_failure, count=kept.count(),
                        size_bytes=kept.aggregate(total=Sum("size_bytes"))["total"] or 0, next_due=next_due,
                        alert=alert)
