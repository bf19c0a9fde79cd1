"""Backups: one consistent, compressed, encrypted archive a run (``backup_make``), the daily schedule with
its retention (``backup_scheduled``, ``backup_prune``), and the restore's front door (``restore_run``,
``restore_verify``, ``archive_read_header``, ``archive_extract_database``, from ``restore``).

An archive is written to ``NAME.partial`` and renamed only once it is whole and on disk: a run killed
half-way leaves a ``.partial`` file (removed by the next run, never listed) and its ``BackupRun`` still
``running`` (marked failed by the next run in the same directory). One run at a time writes a directory:
it holds a lock on ``.backup.lock`` there.
"""

import datetime as dt
import errno
import fcntl
import gzip
import hashlib
import io
import json
import logging
import os
import platform
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

import django
from django.conf import settings
from django.db import connection
from django.utils import timezone

from xiangzhi.backups.archive import FORMAT, SealedWriter
from xiangzhi.backups.errors import BackupError
from xiangzhi.backups.models import BackupKind, BackupRun, RunStatus
from xiangzhi.backups.restore import (  # noqa: F401 (the restore's front door, named here)
    RestoreReport,
    Target,
    archive_extract_database,
    archive_manifest,
    archive_read_header,
    restore_run,
    restore_verify,
)
from xiangzhi.backups.selectors import (
    ARCHIVE_SUFFIX,
    PARTIAL_SUFFIX,
    archive_list,
    archive_name,
    backup_due,
    retention_keep,
)
from xiangzhi.backups.snapshot import Snapshot, pg_snapshot, sqlite_snapshot
from xiangzhi.core.errors import DomainError
from xiangzhi.lib import keys
from xiangzhi.regions.models import Region

logger = logging.getLogger(__name__)

APP_VERSION = version("xiangzhi")  # the installed package's (pyproject.toml)

# Level 1: the county demo's 682 MB SQLite file packs to 267 MB at ~70 MB/s; level 6 is half as fast for a
# few per cent less. (The PostgreSQL dump is taken uncompressed: it is compressed here, once.)
GZIP_LEVEL = 1
LOCK_NAME = ".backup.lock"
STALE_ERROR = "备份进程中途退出（被终止、断电或出错），没有写出完整的备份"


def backup_make(kind: str = BackupKind.MANUAL, dest_dir: Path | str | None = None) -> BackupRun:
    """Write one archive of the database, the uploaded files and the settings into ``dest_dir`` (by
    default ``settings.BACKUP_DIR``); the run is recorded either way. Raises ``BackupError`` (after
    recording the failure) when the archive could not be written."""
    if kind not in BackupKind.values:
        raise BackupError(f"没有这种备份：{kind}")
    dest = Path(dest_dir or settings.BACKUP_DIR).resolve()
    started = timezone.now()
    clock = time.perf_counter()
    run: BackupRun | None = None
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with _directory_lock(dest):
            # Under the lock every live run in this directory is this one: any other still "running"
            # belongs to a process that died (its .partial files went with the leftovers).
            _leftovers_remove(dest)
            BackupRun.objects.filter(directory=str(dest), status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, finished_at=started, error=STALE_ERROR)
            run = BackupRun.objects.create(kind=kind, started_at=started, directory=str(dest),
                                           file_name=archive_name(kind, started))
            path = _free_path(dest, run)
            size = _archive_write(run, path)
    except BaseException as exc:
        message = _failure_message(exc)
        try:
            ended = {"status": RunStatus.FAILED, "finished_at": timezone.now(),
                     "seconds": time.perf_counter() - clock, "error": message}
            if run is None:
                BackupRun.objects.create(kind=kind, started_at=started, directory=str(dest),
                                         file_name=archive_name(kind, started), **ended)
            else:
                BackupRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(**ended)
        except Exception:  # the database itself may be what failed
            logger.exception("备份失败，且无法记录失败")
        if isinstance(exc, Exception):
            raise BackupError(message) from exc
        raise
    BackupRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.OK, finished_at=timezone.now(), size_bytes=size, seconds=time.perf_counter() - clock)
    run.refresh_from_db()
    return run


def backup_scheduled(now: dt.datetime | None = None) -> BackupRun | None:
    """The worker's daily backup into ``settings.BACKUP_DIR``, once a day from 02:30 (caught up after
    downtime), then the retention. A failure is recorded on its run and raised no further."""
    now = now or timezone.now()
    if not backup_due(now) or _directory_busy(Path(settings.BACKUP_DIR)):
        return None  # done today, or another worker is at it (not a failure to alarm anyone about)
    try:
        run = backup_make(BackupKind.DAILY, settings.BACKUP_DIR)
    except BackupError:
        logger.exception("每日备份失败")
        return None
    backup_prune(settings.BACKUP_DIR, now=now)
    return run


def backup_prune(dest_dir: Path | str | None = None, *, now: dt.datetime | None = None) -> list[str]:
    """Remove daily archives beyond the retention (the newest of each of the last 7 days, 4 weeks and
    12 months stay). Manual and before-upgrade archives are never removed here. The removed names."""
    dest = Path(dest_dir or settings.BACKUP_DIR).resolve()
    removed = []
    with _directory_lock(dest):
        daily = [a for a in archive_list(dest) if a.kind == BackupKind.DAILY]
        keep = retention_keep([a.at for a in daily])
        for archive in daily:
            if archive.at not in keep:
                archive.path.unlink(missing_ok=True)
                removed.append(archive.name)
    if removed:
        BackupRun.objects.filter(directory=str(dest), file_name__in=removed, pruned_at=None).update(
            pruned_at=now or timezone.now())
    return removed


# --- writing one archive ----------------------------------------------------------------------------


@contextmanager
def _directory_lock(dest: Path) -> Iterator[None]:
    fd = os.open(dest / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"另一个备份正在写入 {dest}，请等它完成") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock; a killed process's lock goes with it


def _directory_busy(dest: Path) -> bool:
    if not (dest / LOCK_NAME).exists():
        return False
    try:
        with _directory_lock(dest):
            return False
    except BackupError:
        return True


def _leftovers_remove(dest: Path) -> None:
    for path in dest.iterdir():
        if path.name.endswith(PARTIAL_SUFFIX) and path.is_file():
            path.unlink()


def _free_path(dest: Path, run: BackupRun) -> Path:
    path = dest / run.file_name
    n = 1
    while path.exists():
        n += 1
        path = dest / run.file_name.replace(ARCHIVE_SUFFIX, f"-{n}{ARCHIVE_SUFFIX}")
    if path.name != run.file_name:
        run.file_name = path.name
        run.save(update_fields=["file_name"])
    return path


@contextmanager
def _snapshot(path: Path) -> Iterator[Snapshot]:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite_snapshot(connection.connection, path) as snap:
            yield snap
    elif connection.vendor == "postgresql":
        with pg_snapshot(connection.settings_dict, path) as snap:
            yield snap
    else:
        raise BackupError(f"不支持备份这种数据库：{connection.vendor}")


class _Hashing:
    """A file read through: its SHA-256 as tarfile copies it."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with open(path, "rb") as stream:
        info = tar.gettarinfo(arcname=name, fileobj=stream)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        hashing = _Hashing(stream)
        tar.addfile(info, hashing)
    return {"sha256": hashing.sha256.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _media_files(skip: list[Path]) -> Iterator[tuple[str, Path]]:
    """Every regular file under MEDIA_ROOT, in name order; never the keys, nor a backup directory placed
    inside it."""
    root = Path(settings.MEDIA_ROOT).resolve()
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not any((here / d).resolve() == s for s in skip))
        for name in sorted(files):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def configuration() -> dict[str, Any]:
    """The settings a restore needs to know about, none of them secret."""
    return {
        "app_version": APP_VERSION,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": {"vendor": connection.vendor, "engine": connection.settings_dict["ENGINE"]},
        "TIME_ZONE": settings.TIME_ZONE,
        "LANGUAGE_CODE": settings.LANGUAGE_CODE,
        "USE_TZ": settings.USE_TZ,
        "INSTALLED_APPS": list(settings.INSTALLED_APPS),
        "AUTH_USER_MODEL": settings.AUTH_USER_MODEL,
        "DEFAULT_AUTO_FIELD": settings.DEFAULT_AUTO_FIELD,
        "MEDIA_URL": settings.MEDIA_URL,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "NOTIFY_CHANNELS": list(settings.NOTIFY_CHANNELS),
        "region_roots": [{"code": r.code, "name": r.name, "level": r.level}
                         for r in Region.objects.filter(parent__isnull=True).order_by("code")],
    }


def _archive_write(run: BackupRun, path: Path) -> int:
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    db_copy = path.with_name(path.name + ".db" + PARTIAL_SUFFIX)
    created = timezone.localtime(run.started_at).isoformat()
    key, key_id, data_key_ids = keys.backup_key(), keys.backup_key_id(), keys.data_key_ids()
    skip = [keys.key_dir().resolve(), path.parent.resolve()]
    try:
        with _snapshot(db_copy) as snap:
            applied = snap.manifest["migrations"]
            header = {"format": FORMAT, "created_at": created, "backup_key_id": key_id,
                      "data_key_ids": data_key_ids, "vendor": connection.vendor,
                      "app_version": APP_VERSION, "kind": run.kind, "run_id": run.pk,
                      "migrations": {app: names[-1] for app, names in sorted(applied.items())}}
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                writer = SealedWriter(out, key, header)
                with (gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as packed,
                      tarfile.open(fileobj=packed, mode="w|", format=tarfile.PAX_FORMAT) as tar):
                    files = {snap.member: _add_file(tar, snap.member, snap.path)}
                    db_copy.unlink()
                    for rel, source in _media_files(skip):
                        files[f"media/{rel}"] = _add_file(tar, f"media/{rel}", source)
                    config = json.dumps(configuration(), ensure_ascii=False, indent=1).encode()
                    files["config.json"] = _add_bytes(tar, "config.json", config)
                    manifest = {"format": FORMAT, "app_version": APP_VERSION, "created_at": created,
                                "vendor": connection.vendor, "kind": run.kind, "run_id": run.pk,
                                "backup_key_id": key_id, "data_key_ids": data_key_ids, **snap.manifest,
                                "files": files}
                    _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())
                writer.close()  # the last chunk: only now can the archive be read to its end
                out.flush()
                os.fsync(out.fileno())
        os.replace(partial, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        partial.unlink(missing_ok=True)
        db_copy.unlink(missing_ok=True)
    return path.stat().st_size


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"磁盘空间不足，备份没有写完（{exc.filename or '备份目录'}）"
    if isinstance(exc, PermissionError):
        return f"没有权限读写 {exc.filename}"
    if isinstance(exc, OSError):
        return f"读写文件出错：{exc.strerror or exc}（{exc.filename or ''}）"
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "备份被中断"
    return f"备份出错：{exc.__class__.__name__}：{exc}"
