"""Restore an archive into an empty instance, then check the copy against the archive's manifest.

The target is a database with no tables at all (a database just made with ``createdb``, or a SQLite file
that does not exist yet) and an empty MEDIA_ROOT: do not run ``migrate`` first. Everything that can refuse
is checked before anything is written: the backup key, the data keys, the schema (a migration this code
does not have), the target's emptiness. The archive is then decrypted whole into a staging directory
(a truncated or changed archive stops there, with nothing written), and only then placed: SQLite by
renaming the file into place, PostgreSQL by ``pg_restore`` in one transaction, the files by moving them.
"""

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import psycopg
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from xiangzhi.backups.archive import CHUNK_BYTES, FORMAT, ArchiveError, Header, SealedReader, header_read
from xiangzhi.backups.errors import RestoreRefused
from xiangzhi.backups.models import BackupRun, RunStatus
from xiangzhi.backups.snapshot import manifest_collect, pg_args, pg_connect, pg_env, tool, tool_error
from xiangzhi.lib import keys
from xiangzhi.points import selectors as points
from xiangzhi.points.models import PointsBenefit, PointsNotice
from xiangzhi.regions.models import Region

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_TOP = {"database", "media", "config.json", "manifest.json"}


@dataclass(frozen=True)
class Target:
    """Where a restore writes: a database (Django's settings form), the uploaded files' root, and a
    directory for the decrypted archive while it is checked."""

    db: Mapping[str, Any]
    media_root: Path
    staging_root: Path

    @classmethod
    def from_settings(cls) -> "Target":
        return cls(dict(connection.settings_dict), Path(settings.MEDIA_ROOT), Path(settings.VAR_DIR))

    @property
    def vendor(self) -> str:
        return "sqlite" if "sqlite" in self.db["ENGINE"] else "postgresql"


@dataclass
class RestoreReport:
    header: Header
    manifest: dict[str, Any]
    tables: int = 0
    rows: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def whole(self) -> bool:
        return not self.problems


def archive_read_header(path: Path | str) -> Header:
    """The archive's plain header (no key needed); ``RestoreRefused`` if it is not one."""
    try:
        with open(path, "rb") as stream:
            return header_read(stream)
    except FileNotFoundError:
        raise RestoreRefused(f"找不到备份文件：{path}") from None
    except ArchiveError as exc:
        raise RestoreRefused(str(exc)) from None


def _backup_key() -> bytes:
    if not getattr(settings, "BACKUP_KEY", "") and not (keys.key_dir() / "backup.key").exists():
        raise RestoreRefused(f"本机没有备份密钥：请把原服务器的 backup.key 复制到 {keys.key_dir()}，"
                             f"或设置 XIANGZHI_BACKUP_KEY，然后再恢复")
    return keys.backup_key()


def _keys_check(header: Header) -> bytes:
    key = _backup_key()
    if header.backup_key_id != keys.backup_key_id():
        raise RestoreRefused(f"备份密钥不对：此备份用备份密钥 {header.backup_key_id} 加密，本机的备份密钥是 "
                             f"{keys.backup_key_id()}。请把原服务器的 backup.key 复制到 {keys.key_dir()}"
                             f"（或设置 XIANGZHI_BACKUP_KEY）后再恢复")
    here = keys.data_key_ids()
    missing = [k for k in header.data_key_ids if k not in here]
    if missing:
        raise RestoreRefused(f"此备份的身份证号和手机号需要数据密钥 {'、'.join(missing)}，本机的是 "
                             f"{'、'.join(here) or '（没有）'}。请先把原服务器的数据密钥装到本机，再恢复")
    return key


def _known_migrations() -> set[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces or ())
    return known


def _schema_check(header: Header) -> None:
    known = _known_migrations()
    newer = [f"{app}.{name}" for app, name in sorted(header.migrations.items()) if (app, name) not in known]
    if newer:
        raise RestoreRefused(f"此备份的数据库结构比本程序新（本程序没有迁移 {'、'.join(newer[:5])}）：备份来自 "
                             f"{header.app_version} 版，请先把程序升级到这一版或更新的版本，再恢复")


def _sqlite_tables(name: str) -> list[str]:
    if not name.startswith("file:"):
        path = Path(name)
        if not path.exists() or path.stat().st_size == 0:
            return []
        name = f"file:{path}?mode=ro"
    db = sqlite3.connect(name, uri=True)
    try:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return sorted(r[0] for r in rows)
    finally:
        db.close()


def _pg_tables(db: Mapping[str, Any]) -> list[str]:
    try:
        with pg_connect(db, autocommit=True) as conn:
            rows = conn.execute("SELECT schemaname || '.' || tablename FROM pg_tables "
                                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchall()
    except psycopg.OperationalError as exc:
        raise RestoreRefused(f"连接不到目标数据库 {db['NAME']}：请先建一个空数据库（createdb {db['NAME']}），"
                             f"并检查 DATABASE_URL（{str(exc).strip().splitlines()[0] if str(exc) else ''}）") from None
    return sorted(r[0] for r in rows)


def _target_check(header: Header, target: Target) -> None:
    if header.vendor != target.vendor:
        raise RestoreRefused(f"此备份来自 {VENDOR_NAMES.get(header.vendor, header.vendor)}，本机用的是 "
                             f"{VENDOR_NAMES[target.vendor]}：只能恢复到同一种数据库")
    tables = _sqlite_tables(str(target.db["NAME"])) if target.vendor == "sqlite" else _pg_tables(target.db)
    if tables:
        raise RestoreRefused(f"目标数据库不是空的（已有 {len(tables)} 张表，如 {'、'.join(tables[:3])}）：只能恢复到"
                             f"一个新建的空数据库，不要先运行 migrate。原有数据没有改动")
    media = Path(target.media_root)
    if media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        raise RestoreRefused(f"上传文件目录 {media} 里已经有文件：只能恢复到一个空目录。原有文件没有改动")


def restore_check(path: Path | str, target: Target) -> Header:
    """Everything that refuses a restore before a byte is written; the archive's header when none does."""
    header = archive_read_header(path)
    if header.format > FORMAT:
        raise RestoreRefused(f"此备份的格式（第 {header.format} 版）比本程序新：请先升级程序")
    _keys_check(header)
    _schema_check(header)
    _target_check(header, target)
    return header


# --- reading the archive ----------------------------------------------------------------------------


def _member_name(member: tarfile.TarInfo) -> str:
    name = PurePosixPath(member.name)
    if (not member.isfile() or name.is_absolute() or ".." in name.parts or not name.parts
            or name.parts[0] not in _TOP):
        raise ArchiveError(f"备份里有不该有的条目：{member.name}")
    return name.as_posix()


def _walk(path: Path | str, handle: Callable[[str, IO[bytes]], None]) -> Header:
    """Decrypt the archive from start to end, handing each member to ``handle``; ``RestoreRefused`` if
    any of it is missing or does not authenticate (after which nothing handled may be trusted)."""
    key = _backup_key()
    try:
        with open(path, "rb") as raw:
            header = header_read(raw)
            if header.backup_key_id != keys.backup_key_id():
                raise ArchiveError(f"备份密钥不对：此备份用备份密钥 {header.backup_key_id} 加密")
            reader = SealedReader(raw, key, header)
            packed = gzip.GzipFile(fileobj=io.BufferedReader(reader, CHUNK_BYTES), mode="rb")
            with tarfile.open(fileobj=packed, mode="r|") as tar:
                for member in tar:
                    name = _member_name(member)
                    stream = tar.extractfile(member)
                    assert stream is not None
                    handle(name, stream)
            while packed.read(CHUNK_BYTES):
                pass
            reader.drain()
    except FileNotFoundError:
        raise RestoreRefused(f"找不到备份文件：{path}") from None
    except (ArchiveError, tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise RestoreRefused(f"备份文件不能用：{exc}。没有写入任何数据") from None
    return header


def _copy(stream: IO[bytes], dest: Path) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        while block := stream.read(CHUNK_BYTES):
            digest.update(block)
            size += len(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return {"sha256": digest.hexdigest(), "size": size}


def archive_manifest(path: Path | str) -> dict[str, Any]:
    """The manifest inside the archive (the whole archive is decrypted and checked to reach it)."""
    found: dict[str, Any] = {}

    def keep(name: str, stream: IO[bytes]) -> None:
        if name == "manifest.json":
            found.update(json.loads(stream.read()))

    _walk(path, keep)
    if not found:
        raise RestoreRefused("备份里没有清单（manifest.json）：文件不完整")
    return found


def archive_extract_database(path: Path | str, into: Path | str) -> Path:
    """Take the database out of the archive into the directory ``into`` (a SQLite file or a pg_dump
    custom-format file, for ``pg_restore``); its checksum is checked against the manifest."""
    folder = Path(into)
    found: dict[str, Any] = {}

    def keep(name: str, stream: IO[bytes]) -> None:
        if name.startswith("database/"):
            found["path"] = folder / PurePosixPath(name).name
            found["name"] = name
            found["hash"] = _copy(stream, found["path"])
        elif name == "manifest.json":
            found["manifest"] = json.loads(stream.read())

    _walk(path, keep)
    if "path" not in found or "manifest" not in found:
        raise RestoreRefused("备份里没有数据库或清单：文件不完整")
    if found["manifest"]["files"].get(found["name"]) != found["hash"]:
        Path(found["path"]).unlink(missing_ok=True)
        raise RestoreRefused("备份里的数据库与清单的校验和不符")
    return Path(found["path"])


# --- restoring ---------------------------------------------------------------------------------------


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _place_database(target: Target, staged: Path) -> None:
    if target.vendor == "sqlite":
        connections.close_all()
        dest = Path(str(target.db["NAME"]))
        dest.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (dest, dest.with_name(dest.name + "-wal"), dest.with_name(dest.name + "-shm")):
            leftover.unlink(missing_ok=True)  # an empty database's files (checked to hold no table)
        incoming = dest.with_name(dest.name + ".restoring")
        shutil.move(staged, incoming)
        os.replace(incoming, dest)
        _fsync_directory(dest.parent)
        return
    result = subprocess.run(
        [tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
         *pg_args(target.db), str(staged)],
        env=pg_env(target.db), capture_output=True, check=False)
    if result.returncode != 0:
        raise RestoreRefused(tool_error("pg_restore", result) + "。恢复在一个事务里进行，目标数据库没有写入")


def _place_media(target: Target, staged: Path) -> int:
    count = 0
    if not staged.is_dir():
        return 0
    root = Path(target.media_root)
    for path in sorted(p for p in staged.rglob("*") if p.is_file()):
        dest = root / path.relative_to(staged)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, dest)
        count += 1
    return count


def _pending_migrations(manifest: Mapping[str, Any]) -> list[str]:
    """Migrations this code has that the archive's database had not applied."""
    applied = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    replaced = {r for m in loader.disk_migrations.values() for r in (m.replaces or ())}
    pending = []
    for key, migration in sorted(loader.disk_migrations.items()):
        if key in applied or key in replaced:
            continue
        if migration.replaces and all(r in applied for r in migration.replaces):
            continue
        pending.append(f"{key[0]}.{key[1]}")
    return pending


def restore_run(path: Path | str, target: Target, *, say: Callable[[str], None] = lambda _: None,
                verify: bool = True) -> RestoreReport:
    """Check, decrypt, place and verify (``verify`` needs ``target`` to be this process's database).
    ``RestoreRefused`` before anything is written; otherwise the report, whole or with its problems."""
    started = time.perf_counter()
    header = restore_check(path, target)
    say(f"备份检查通过：{header.created_at[:16].replace('T', ' ')} 的备份，来自 {VENDOR_NAMES.get(header.vendor)}，"
        f"程序版本 {header.app_version}")
    staging = Path(target.staging_root) / f".restore-{os.getpid()}-{secrets.token_hex(4)}"
    hashes: dict[str, dict[str, Any]] = {}
    try:
        staging.mkdir(parents=True)
        say("正在解密并校验整个备份文件…")
        _walk(path, lambda name, stream: hashes.__setitem__(name, _copy(stream, staging / name)))
        manifest_path = staging / "manifest.json"
        if not manifest_path.exists():
            raise RestoreRefused("备份里没有清单（manifest.json）：文件不完整。没有写入任何数据")
        manifest = json.loads(manifest_path.read_text())
        database = [name for name in hashes if name.startswith("database/")]
        if len(database) != 1 or manifest["files"].get(database[0]) != hashes[database[0]]:
            raise RestoreRefused("备份里的数据库缺失或与清单的校验和不符。没有写入任何数据")
        report = RestoreReport(header=header, manifest=manifest)
        extra = sorted(set(hashes) - set(manifest["files"]) - {"manifest.json"})
        report.problems += [f"备份里有清单上没有的文件：{name}" for name in extra]
        say("正在恢复数据库…")
        _place_database(target, staging / database[0])
        say("正在恢复上传的文件…")
        report.files = _place_media(target, staging / "media")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.tables = len(manifest["tables"])
    report.rows = sum(manifest["tables"].values())
    if verify:
        pending = _pending_migrations(manifest)
        if pending:
            report.notes.append(f"备份的数据库结构比本程序旧（还有 {len(pending)} 个迁移未应用，如 {pending[0]}）："
                                f"已核对文件、行数、链头和哈希；请运行 xiangzhi migrate，再运行 "
                                f"xiangzhi restore --verify {path} 核对积分台账")
        say("正在核对：文件校验和、各表行数、积分台账和链头、公示和积分优先的哈希…")
        report.problems += restore_verify(manifest, media_root=Path(target.media_root), ledger=not pending)
        if header.run_id is not None:
            # The archive's own run was still running when its snapshot was taken: it is whole now.
            BackupRun.objects.filter(pk=header.run_id, status=RunStatus.RUNNING).update(
                status=RunStatus.OK, size_bytes=Path(path).stat().st_size,
                finished_at=dt.datetime.fromisoformat(header.created_at))
    report.seconds = time.perf_counter() - started
    return report


# --- checking a database against a manifest ---------------------------------------------------------


def _file_problems(manifest: Mapping[str, Any], root: Path) -> list[str]:
    problems = []
    for name, want in sorted(manifest.get("files", {}).items()):
        if not name.startswith("media/"):
            continue
        path = root / name.removeprefix("media/")
        if not path.is_file():
            problems.append(f"缺少文件：{name.removeprefix('media/')}")
            continue
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as stream:
            while block := stream.read(CHUNK_BYTES):
                digest.update(block)
                size += len(block)
        if size != want["size"] or digest.hexdigest() != want["sha256"]:
            problems.append(f"文件内容与备份时不同：{name.removeprefix('media/')}")
    return problems


def _ledger_problems(manifest: Mapping[str, Any]) -> list[str]:
    problems = []
    village_ids = [h["village_id"] for h in manifest.get("chain_heads", [])]
    for village in Region.objects.filter(pk__in=village_ids).only("id", "name", "code").order_by("code"):
        broken = points.ledger_verify(village)
        if broken is not None:
            problems.append(f"{village.name}（{village.code}）的积分台账：{broken.message}")
    mismatched = points.balance_mismatch_list()
    if mismatched:
        problems.append(f"{len({m.household_id for m in mismatched})} 户的积分余额与台账之和不符")
    for notice in PointsNotice.objects.filter(pk__in=[n["id"] for n in manifest.get("notices", [])]):
        # (named in points.selectors' front door by a plain re-export, which strict mypy does not count)
        if points.notice_digest(notice) != notice.content_hash:  # type: ignore[attr-defined]
            problems.append(f"积分公示 #{notice.pk} 的名单与其哈希不符")
    for benefit in PointsBenefit.objects.filter(pk__in=[b["id"] for b in manifest.get("benefits", [])]):
        check = points.benefit_verify(benefit)  # type: ignore[attr-defined]
        if check is None or not check.ok:
            problems.append(f"积分优先事项 #{benefit.pk}（{benefit.title}）的名单与其核验码不符")
    return problems


def _compare(name: str, want: list[dict[str, Any]], have: list[dict[str, Any]], key: str) -> list[str]:
    wanted = {row[key]: row for row in want}
    had = {row[key]: row for row in have}
    problems = []
    for k in sorted(set(wanted) | set(had)):
        if k not in had:
            problems.append(f"{name} {k} 缺失")
        elif k not in wanted:
            problems.append(f"{name} {k} 是备份里没有的")
        elif wanted[k] != had[k]:
            problems.append(f"{name} {k} 与备份时不同")
    return problems


def restore_verify(manifest: Mapping[str, Any], *, media_root: Path | None = None, counts: bool = True,
                   ledger: bool = True) -> list[str]:
    """This process's database (and, given ``media_root``, the files) against an archive's manifest:
    every table's row count (``counts``), each village's chain heads, the stored hashes of notices and
    closed benefit lists, and (``ledger``) the ledger's chains, balances and those hashes recomputed.
    The problems in Chinese; an empty list when the copy is whole. Usable on a live database after a
    migration with ``counts=False`` where a migration adds or removes rows."""
    with connection.cursor() as cursor:
        live = manifest_collect(cursor, connection.vendor, counts=counts)
    problems = []
    if counts:
        for table, want in sorted(manifest.get("tables", {}).items()):
            have = live["tables"].get(table)
            if have is None:
                problems.append(f"缺少表：{table}")
            elif have != want:
                problems.append(f"表 {table} 有 {have} 行，备份时是 {want} 行")
    problems += _compare("村的积分链头", manifest.get("chain_heads", []), live["chain_heads"], "village_id")
    problems += _compare("积分公示", manifest.get("notices", []), live["notices"], "id")
    problems += _compare("积分优先事项", manifest.get("benefits", []), live["benefits"], "id")
    if ledger:
        problems += _ledger_problems(manifest)
    if media_root is not None:
        problems += _file_problems(manifest, media_root)
    return problems
