"""How big the platform's data is on disk, and how much room is left."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection


def database_bytes() -> int:
    """The database's size: PostgreSQL's ``pg_database_size``; SQLite's file with its write-ahead log."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    name = str(settings.DATABASES["default"]["NAME"])
    if connection.vendor != "sqlite" or name.startswith(":memory:") or "mode=memory" in name:
        with connection.cursor() as cursor:  # an in-memory database (tests): its pages
            cursor.execute("PRAGMA page_count")
            pages = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA page_size")
            return pages * int(cursor.fetchone()[0])
    return sum(Path(name + suffix).stat().st_size for suffix in ("", "-wal") if Path(name + suffix).exists())


def media_bytes() -> int:
    """Every uploaded file under MEDIA_ROOT (photos, evidence, imports kept)."""
    total = 0
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:  # removed while walking
                continue
    return total


@dataclass(frozen=True)
class Disk:
    label: str
    path: str
    total: int
    free: int

    @property
    def free_share(self) -> float:
        return self.free / self.total if self.total else 0.0


def disks() -> list[Disk]:
    """Free room where the platform writes: its data folder, the uploads and the backups (one line per disk)."""
    places = [("数据目录", Path(settings.VAR_DIR)), ("上传文件", Path(settings.MEDIA_ROOT))]
    backup_dir = getattr(settings, "BACKUP_DIR", None)
    if backup_dir:
        places.append(("备份目录", Path(backup_dir)))
    seen: dict[int, Disk] = {}
    for label, path in places:
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        device = probe.stat().st_dev
        if device in seen:
            continue
        usage = shutil.disk_usage(probe)
        seen[device] = Disk(label, str(path), usage.total, usage.free)
    return list(seen.values())
