"""Rotating the data key while the site runs, the recovery sheet, and reading a key back from it.

A rotation (``rotation_start`` then ``rotation_run``): keep the lookup key as its own file, add a new
data key (current at once: every process sees it within ``keys.RING_CHECK_SECONDS``), then walk every
model's ``*_encrypted`` columns, found through the app registry, in primary-key order, ``BATCH_SIZE``
rows a transaction. A row is rewritten only where its values are still the ones read (a concurrent
edit wins: its value is already under the new key, or the final scan takes it). Each batch moves the
stored position in the same transaction, so a crash or a kill goes on from the last batch done
(``rotation_run`` again: ``keys rotate --resume``, or the worker). The old keys leave the ring only
``RETIRE_GRACE_SECONDS`` after both the switch and the end of the first pass (no process still
encrypting under them, no page still holding a value it read before its batch) and after a final
scan that finds no row holding them.

One run at a time holds a rotation: ``runner`` (host:pid:thread) and ``beat_at``. Another may take it
over once the holder's heartbeat is ``LEASE_SECONDS`` old, or at once when the holder was a process
of this machine that no longer exists (killed).
"""

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.keyring.errors import KeyringError
from xiangzhi.keyring.models import KeyRotation, KeySheet
from xiangzhi.lib import crypto, keys, keysheet

BATCH_SIZE = 500
RETIRE_GRACE_SECONDS = 300.0
LEASE_SECONDS = 120.0
FINAL_PASSES = 3
WAIT_STEP_SECONDS = 5.0


class RotationBusy(KeyringError):
    """Another run holds the rotation."""


def _stamp(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# Where encrypted values live --------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedTable:
    model: type[models.Model]
    fields: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows(self) -> "models.QuerySet[models.Model]":
        return self.model._base_manager.all()


def encrypted_tables() -> list[EncryptedTable]:
    """Every model with text columns named ``*_encrypted``, in a stable order."""
    found = []
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        fields = tuple(f.attname for f in opts.concrete_fields
                       if f.name.endswith("_encrypted") and isinstance(f, models.CharField | models.TextField))
        if fields:
            found.append(EncryptedTable(model, fields))
    return sorted(found, key=lambda t: t.label)


def _not_under(table: EncryptedTable, version: int) -> Q:
    """Rows with a value that may be under another version than ``version``."""
    q = Q(pk__in=[])
    for f in table.fields:
        q |= Q(**{f"{f}__startswith": "v"}) & ~Q(**{f"{f}__startswith": f"v{version}:"})
    return q


def _under(table: EncryptedTable, versions: list[int]) -> Q:
    """Rows with a value under one of ``versions``."""
    q = Q(pk__in=[])
    for f in table.fields:
        for v in versions:
            q |= Q(**{f"{f}__startswith": f"v{v}:"})
    return q


def rows_under(versions: list[int]) -> dict[str, int]:
    """How many rows of each table hold a value under one of ``versions`` (tables with none left out)."""
    counts = {}
    for table in encrypted_tables():
        n = table.rows().filter(_under(table, versions)).count() if versions else 0
        if n:
            counts[table.label] = n
    return counts


# One batch --------------------------------------------------------------------------------------


def _reencrypt_batch(table: EncryptedTable, *, target: int, after: Any, limit: int, only: Q | None = None,
                     ) -> tuple[int, Any, int]:
    """Re-encrypt up to ``limit`` rows after primary key ``after`` that hold a value not under ``target``.
    Returns (rows read, last primary key read, rows left alone because they changed meanwhile)."""
    query = table.rows().filter(only if only is not None else _not_under(table, target))
    if after is not None:
        query = query.filter(pk__gt=after)
    rows = list(query.order_by("pk").values_list("pk", *table.fields)[:limit])
    lost = 0
    for pk, *values in rows:
        expect, changes = {}, {}
        for field, value in zip(table.fields, values, strict=True):
            try:
                version = crypto.token_version(value or "")
            except ValueError:
                continue  # empty, or not an encrypted value
            if version == target:
                continue
            try:
                plain = crypto.decrypt(value)
            except Exception as exc:
                raise KeyringError(f"{table.label} 主键 {pk} 的 {field} 无法用 v{version} 解密"
                                   f"（{exc.__class__.__name__}）：轮换已停下，旧密钥保留") from exc
            expect[field] = value
            changes[field] = crypto.encrypt(plain, version=target)
        if changes and not table.rows().filter(pk=pk, **expect).update(**changes):
            lost += 1  # changed between the read and the write: the newer value stands
    last = rows[-1][0] if rows else after
    return len(rows), last, lost


# The rotation -----------------------------------------------------------------------------------


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _process_gone(runner: str) -> bool:
    host, _, rest = runner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def rotation_claimable(rotation: KeyRotation, *, now: dt.datetime | None = None) -> bool:
    if not rotation.runner or rotation.runner == _runner_id():
        return True
    now = now or timezone.now()
    if rotation.beat_at is None or (now - rotation.beat_at).total_seconds() > LEASE_SECONDS:
        return True
    return _process_gone(rotation.runner)


def _claim(rotation: KeyRotation, me: str) -> None:
    rotation.refresh_from_db()
    if rotation.active is not True:
        raise KeyringError("这次密钥轮换已经完成")
    if rotation.runner == me:
        return
    if not rotation_claimable(rotation):
        beat = _stamp(rotation.beat_at) if rotation.beat_at else "无"
        raise RotationBusy(f"另一个进程（{rotation.runner}）正在执行这次轮换，最近心跳 {beat}")
    taken = KeyRotation.objects.filter(pk=rotation.pk, active=True, runner=rotation.runner).update(
        runner=me, beat_at=timezone.now())
    if not taken:
        raise RotationBusy("另一个进程刚接手了这次轮换")
    rotation.refresh_from_db()


def _beat(rotation: KeyRotation, me: str, **changes: Any) -> None:
    if not KeyRotation.objects.filter(pk=rotation.pk, runner=me).update(beat_at=timezone.now(), **changes):
        raise RotationBusy("这次轮换已被另一个进程接手：本进程停下")


def _switch(rotation: KeyRotation) -> KeyRotation:
    """Make the new key current, if a crash came before it was (or before that was written down)."""
    if rotation.to_version is not None:
        return rotation
    keys.lookup_key_keep()
    current = keys.ring(fresh=True).current
    new = current if current.version > rotation.from_version else keys.data_key_add()
    table_totals = {t.label: t.rows().filter(_not_under(t, new.version)).count() for t in encrypted_tables()}
    rotation.to_version, rotation.to_key_id, rotation.switched_at = new.version, new.id, timezone.now()
    rotation.total = sum(table_totals.values())
    rotation.positions = {label: {"after": None, "done": False} for label in table_totals}
    rotation.save(update_fields=["to_version", "to_key_id", "switched_at", "total", "positions"])
    return rotation


def rotation_active() -> KeyRotation | None:
    return KeyRotation.objects.filter(active=True).first()


def rotation_start(*, by: str = "") -> KeyRotation:
    """Begin a rotation: from this moment every new value is written under the new key."""
    if rotation_active() is not None:
        raise KeyringError("已有一次密钥轮换未完成：请运行 xiangzhi keys rotate --resume")
    keys.lookup_key_keep()
    current = keys.ring(fresh=True).current
    try:
        with transaction.atomic():
            rotation = KeyRotation.objects.create(from_version=current.version, started_by=by[:100])
    except IntegrityError:
        raise KeyringError("已有一次密钥轮换未完成：请运行 xiangzhi keys rotate --resume") from None
    rotation = _switch(rotation)
    audit_record(actor=None, action=AuditAction.CONFIG, subject=f"数据密钥 v{rotation.to_version}",
                 summary=f"开始轮换数据密钥：v{rotation.from_version} → v{rotation.to_version}，"
                         f"{rotation.total} 行待重新加密",
                 detail={"from_version": rotation.from_version, "to_version": rotation.to_version,
                         "to_key_id": rotation.to_key_id, "rows": rotation.total, "by": by})
    return rotation


@dataclass
class RunOutcome:
    rotation: KeyRotation
    finished: bool
    message: str
    lost: int = 0  # rows skipped because a concurrent edit came between read and write


def _finish(rotation: KeyRotation, me: str, *, batch_size: int) -> RunOutcome | None:
    """The final scan and the retirement. None if rows under an old key are still left."""
    target = rotation.to_version
    assert target is not None
    ring = keys.ring(fresh=True)
    if ring.current.version != target:
        raise KeyringError(f"当前数据密钥已是 v{ring.current.version}，不是这次轮换的 v{target}：停下，请核对密钥目录")
    old = [v for v in ring.versions() if v != target]
    lost = 0
    for _ in range(FINAL_PASSES):
        left = rows_under(old)
        if not left:
            break
        for table in encrypted_tables():
            if table.label not in left:
                continue
            after = None
            while True:
                with transaction.atomic():
                    read, after, skipped = _reencrypt_batch(table, target=target, after=after, limit=batch_size,
                                                            only=_under(table, old))
                    _beat(rotation, me)
                lost += skipped
                if read < batch_size:
                    break
    if rows_under(old):
        return None
    keys.lookup_key_keep()
    retired = [keys.data_key_retire(v).version for v in old]
    now = timezone.now()
    _beat(rotation, me, finished_at=now, active=None, retired=retired, runner="")
    rotation.refresh_from_db()
    gone = "、".join(f"v{v}" for v in retired) or "无"
    audit_record(actor=None, action=AuditAction.CONFIG, subject=f"数据密钥 v{target}",
                 summary=f"数据密钥轮换完成：v{rotation.from_version} → v{target}，{rotation.done} 行重新加密，"
                         f"退役 {gone}",
                 detail={"from_version": rotation.from_version, "to_version": target, "rows": rotation.done,
                         "retired": retired, "to_key_id": rotation.to_key_id})
    return RunOutcome(rotation, True, f"轮换完成：所有加密值都在 v{target} 下；旧密钥 {gone} 已退出密钥环。", lost)


def rotation_run(rotation: KeyRotation, *, batch_size: int = BATCH_SIZE, grace: float | None = None,
                 wait: bool = True, on_batch: Callable[[KeyRotation], None] | None = None) -> RunOutcome:
    """Re-encrypt from where ``rotation`` stands, then (after the grace period; ``wait=False`` returns
    instead of waiting) retire the old keys. ``on_batch`` is called after each committed batch."""
    grace = RETIRE_GRACE_SECONDS if grace is None else grace
    me = _runner_id()
    _claim(rotation, me)
    lost = 0
    try:
        rotation = _switch(rotation)
        target = rotation.to_version
        assert target is not None and rotation.switched_at is not None
        for table in encrypted_tables():
            position = rotation.positions.get(table.label) or {"after": None, "done": False}
            if position.get("done"):
                continue
            after = position.get("after")
            while True:
                with transaction.atomic():
                    read, after, skipped = _reencrypt_batch(table, target=target, after=after, limit=batch_size)
                    positions = {**rotation.positions, table.label: {"after": after, "done": read < batch_size}}
                    _beat(rotation, me, positions=positions, done=F("done") + read)
                lost += skipped
                rotation.refresh_from_db()
                if on_batch is not None and read:
                    on_batch(rotation)
                if read < batch_size:
                    break
        if rotation.passed_at is None:
            rotation.passed_at = timezone.now()
            _beat(rotation, me, passed_at=rotation.passed_at)
        ready_at = max(rotation.switched_at, rotation.passed_at) + dt.timedelta(seconds=grace)
        while (left := (ready_at - timezone.now()).total_seconds()) > 0:
            if not wait:
                return RunOutcome(rotation, False, f"已全部重新加密；旧密钥将在 {_stamp(ready_at)} 之后"
                                                   "做最后检查并退役。", lost)
            time.sleep(min(WAIT_STEP_SECONDS, left))
            _beat(rotation, me)
        outcome = _finish(rotation, me, batch_size=batch_size)
        if outcome is None:
            rotation.refresh_from_db()
            return RunOutcome(rotation, False, "最后检查时仍有行在旧密钥下（有进程仍在用旧密钥写入？）：旧密钥保留，"
                                               "稍后再运行 xiangzhi keys rotate --resume。", lost)
        outcome.lost += lost
        return outcome
    finally:
        KeyRotation.objects.filter(pk=rotation.pk, runner=me).update(runner="")


def rotation_resume(**options: Any) -> RunOutcome:
    rotation = rotation_active()
    if rotation is None:
        raise KeyringError("没有未完成的密钥轮换")
    return rotation_run(rotation, **options)


def rotation_resume_unfinished() -> RunOutcome | None:
    """The worker's part: go on with a rotation left unfinished that nobody is running (never waits)."""
    rotation = rotation_active()
    if rotation is None or not rotation_claimable(rotation):
        return None
    try:
        return rotation_run(rotation, wait=False)
    except RotationBusy:
        return None


# The recovery sheet -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetKey:
    title: str
    label: str
    key_id: str
    words: list[str]
    qr_svg: str
    use: str


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    return str(image.to_string(encoding="unicode"))


def _sheet_key(title: str, label: str, key: bytes, use: str) -> SheetKey:
    return SheetKey(title, label, keysheet.key_id(label, key), keysheet.words(label, key),
                    _qr_svg(keysheet.qr_text(label, key)), use)


def sheet_html(*, data: keys.DataKey, lookup: bytes, backup: bytes, at: dt.datetime, by: str) -> str:
    entries = [
        _sheet_key(f"数据密钥 v{data.version}", f"data-v{data.version}", data.root,
                   "解密身份证号、手机号等加密字段"),
        _sheet_key("查询密钥", "lookup", lookup, "按身份证号、手机号查找所用的摘要"),
        _sheet_key("备份密钥", "backup", backup, "解密备份文件"),
    ]
    return render_to_string("keyring/sheet.html", {"entries": entries, "at": _stamp(at), "by": by,
                                                   "version": data.version, "words": keysheet.WORDS})


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def sheet_export(*, out: Path, by: str, at: dt.datetime | None = None) -> KeySheet:
    """Write the recovery sheet of the current data key to ``out`` (a new file, 0600): once per version."""
    at = at or timezone.now()
    keys.lookup_key_keep()
    ring = keys.ring(fresh=True)
    data = ring.current
    backup = keys.backup_key()
    earlier = KeySheet.objects.filter(version=data.version).first()
    if earlier is None:
        if out.exists():
            raise KeyringError(f"{out} 已存在：没有覆盖它，请换一个文件名")
        try:
            with transaction.atomic():
                sheet = KeySheet.objects.create(
                    version=data.version, key_id=data.id, lookup_key_id=ring.lookup_id,
                    backup_key_id=keys.backup_key_id(backup), exported_at=at, exported_by=by[:100])
                # Inside the transaction: a sheet that could not be written is not counted as exported.
                _write_private(out, sheet_html(data=data, lookup=ring.lookup, backup=backup, at=at, by=by))
        except IntegrityError:
            earlier = KeySheet.objects.filter(version=data.version).first()  # another export won the race
    if earlier is not None:
        audit_record(actor=None, action=AuditAction.EXPORT, subject=f"数据密钥 v{data.version}",
                     summary=f"拒绝再次导出密钥恢复单：v{data.version} 已于 {_stamp(earlier.exported_at)} "
                             f"由 {earlier.exported_by} 导出；这次由 {by} 提出",
                     detail={"refused": True, "version": data.version, "key_id": data.id, "by": by})
        raise KeyringError(f"数据密钥 v{data.version} 的恢复单已于 {_stamp(earlier.exported_at)} 由 "
                           f"{earlier.exported_by} 导出过，不再导出（这次尝试已记入审计日志）。"
                           "若那一份已遗失，请轮换密钥（xiangzhi keys rotate），再为新密钥导出。")
    audit_record(actor=None, action=AuditAction.EXPORT, subject=f"数据密钥 v{data.version}",
                 summary=f"导出密钥恢复单：数据密钥 v{data.version}（{data.id}），由 {by} 导出",
                 detail={"file": out.name, "version": data.version, "key_id": data.id,
                         "lookup_key_id": sheet.lookup_key_id, "backup_key_id": sheet.backup_key_id, "by": by})
    return sheet


# Reading a key back -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovered:
    label: str
    key_id: str
    written: bool  # False: the same key was already there


def key_recover(*, kind: str, text: str, version: int | None = None, expect_id: str = "") -> Recovered:
    """Put a key read back from a recovery sheet (its words, or its QR code's text) into the key directory.
    Nothing is written unless the words pass their checks (and ``expect_id``, if given, matches)."""
    if kind not in {"data", "lookup", "backup"}:
        raise KeyringError(f"不认识的密钥类别 {kind}")
    if kind == "data" and not version:
        raise KeyringError("恢复数据密钥要给出版本号（恢复单上的 vN）")
    wanted = f"data-v{version}" if kind == "data" else kind
    try:
        if keysheet.is_qr_text(text):
            label, key = keysheet.key_from_qr(text)
            if label != wanted:
                raise KeyringError(f"二维码是 {label} 的，不是 {wanted} 的")
        else:
            label, key = wanted, keysheet.key_from_words(wanted, text)
        key_id = keysheet.key_id(label, key)
        if expect_id and expect_id.strip().lower() != key_id:
            raise KeyringError(f"编号不符：恢复单上的编号是 {expect_id.strip()}，这些词给出的是 {key_id}")
        if kind == "data":
            written = keys.data_key_restore(int(version or 0), key)
        elif kind == "lookup":
            written = keys.lookup_key_restore(key)
        else:
            written = keys.backup_key_restore(key)
    except (keysheet.KeyWordsError, keys.KeyRingError) as exc:
        raise KeyringError(str(exc)) from exc
    return Recovered(label, key_id, written)
