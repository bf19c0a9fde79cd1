"""The platform's keys, kept apart from the database and from every backup.

Three secrets matter for years: the data keys (ID numbers and phones at rest, see ``crypto``), the
lookup key (the keyed hashes beside them) and the backup key (what a backup archive is encrypted
with). All live outside the database, in ``KEY_DIR``; a backup holds none, only their ids, so a
restore can say which key it needs before it touches anything.

The data keys form a ring, one key a version. ``data-vN.key`` holds version N (32 random bytes);
the newest version is the current one, which every new value is written under. Version 1 is the
legacy ``DATA_KEY`` setting (``XIANGZHI_DATA_KEY`` or ``var/data.key``) unless ``data-v1.key`` was
written by a recovery; once retired it stays out (``data-v1.retired``). The lookup key is derived
from version 1 until it is kept as ``lookup.key`` (a rotation keeps it first), so version 1 can
go while every lookup hash stays valid.

Each process keeps the ring in memory and looks at the directory again at most every
``RING_CHECK_SECONDS`` (one ``scandir``); a value under a version it does not know makes it look at
once. Files are written whole (a temporary file, then a rename) and 0600.
"""

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RING_CHECK_SECONDS = 2.0
KEY_BYTES = 32
FILE_PREFIX = "xzk1:"  # a key file holding the raw 32 bytes, base64
_DATA_FILE = re.compile(r"data-v([1-9]\d*)\.key")
LOOKUP_FILE = "lookup.key"
BACKUP_FILE = "backup.key"
LEGACY_RETIRED_FILE = "data-v1.retired"


class KeyRingError(ValueError):
    """A key is missing, unreadable, or a change to the ring would lose one."""


@dataclass(frozen=True)
class DataKey:
    version: int
    root: bytes  # the 32 bytes the encryption key is derived from
    id: str
    legacy: bool  # version 1 read from the DATA_KEY setting, not from a ring file


@dataclass(frozen=True)
class Ring:
    keys: dict[int, DataKey]
    lookup: bytes
    lookup_id: str
    lookup_kept: bool  # ``lookup.key`` exists (else the lookup key is derived from version 1)

    @property
    def current(self) -> DataKey:
        return self.keys[max(self.keys)]

    def versions(self) -> list[int]:
        """Every version in the ring, the current one first."""
        return sorted(self.keys, reverse=True)


def key_dir() -> Path:
    """Where the key files are kept (``XIANGZHI_KEY_DIR``; by default ``var/keys``)."""
    from django.conf import settings

    path = Path(settings.KEY_DIR)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
    return path


def _fingerprint(secret: str | bytes, label: bytes) -> str:
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(hashlib.sha256(raw).digest(), b"xiangzhi:key-id:" + label, hashlib.sha256).hexdigest()[:16]


def data_key_id(root: bytes) -> str:
    """A data key's id. For version 1 it equals ``_fingerprint(DATA_KEY, b"data")``: the id the legacy
    key always had, whether it is read from the setting or from a recovered ``data-v1.key``."""
    return hmac.new(root, b"xiangzhi:key-id:data", hashlib.sha256).hexdigest()[:16]


def lookup_key_id(key: bytes) -> str:
    return _fingerprint(key, b"lookup")


def derive(root: bytes, purpose: bytes) -> bytes:
    """A data key's sub-key: ``b"encrypt"`` (AES-256-GCM) or, for version 1, ``b"lookup"`` (HMAC)."""
    return hmac.new(root, b"xiangzhi:" + purpose, hashlib.sha256).digest()


# Files ------------------------------------------------------------------------------------------


def _encode(key: bytes) -> str:
    return FILE_PREFIX + base64.b64encode(key).decode()


def _read_key_file(path: Path) -> bytes:
    text = path.read_text().strip()
    if not text.startswith(FILE_PREFIX):
        raise KeyRingError(f"密钥文件 {path} 格式不对")
    try:
        key = base64.b64decode(text[len(FILE_PREFIX):], validate=True)
    except ValueError as exc:
        raise KeyRingError(f"密钥文件 {path} 已损坏") from exc
    if len(key) != KEY_BYTES:
        raise KeyRingError(f"密钥文件 {path} 长度不对")
    return key


def _write_file(path: Path, text: str, *, exclusive: bool) -> None:
    """Write ``path`` whole, 0600. ``exclusive``: fail with FileExistsError if it exists (a link, not a
    rename, so two writers never both win)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# The ring ---------------------------------------------------------------------------------------


def _legacy_master() -> str:
    from django.conf import settings

    return str(settings.DATA_KEY)


def _load(directory: Path) -> Ring:
    keys: dict[int, DataKey] = {}
    for entry in os.scandir(directory):
        match = _DATA_FILE.fullmatch(entry.name)
        if match:
            version = int(match.group(1))
            root = _read_key_file(Path(entry.path))
            keys[version] = DataKey(version, root, data_key_id(root), legacy=False)
    if 1 not in keys and not (directory / LEGACY_RETIRED_FILE).exists():
        root = hashlib.sha256(_legacy_master().encode()).digest()
        keys[1] = DataKey(1, root, data_key_id(root), legacy=True)
    if not keys:
        raise KeyRingError(f"密钥环 {directory} 中没有数据密钥")
    lookup_path = directory / LOOKUP_FILE
    if lookup_path.exists():
        lookup, kept = _read_key_file(lookup_path), True
    elif 1 in keys:
        lookup, kept = derive(keys[1].root, b"lookup"), False
    else:
        raise KeyRingError(f"查询密钥 {lookup_path} 缺失，且 v1 已不在密钥环中：请用恢复单恢复 lookup 密钥")
    return Ring(keys, lookup, lookup_key_id(lookup), kept)


def _signature(directory: Path) -> tuple[tuple[str, int, int, int], ...]:
    """What changes whenever a key file is added, replaced or removed: names, inodes, times, sizes."""
    found = []
    for entry in os.scandir(directory):
        if entry.name.startswith("."):
            continue
        st = entry.stat()
        found.append((entry.name, st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


@dataclass
class _Cached:
    ident: tuple[str, str]
    signature: tuple[tuple[str, int, int, int], ...]
    checked: float
    ring: Ring


_lock = threading.Lock()
_cache: _Cached | None = None


def ring(*, fresh: bool = False) -> Ring:
    """The ring as the files have it, looked at again at most every ``RING_CHECK_SECONDS`` (``fresh``: now)."""
    global _cache
    from django.conf import settings

    ident = (str(settings.KEY_DIR), _legacy_master())
    cached = _cache
    now = time.monotonic()
    if cached and not fresh and cached.ident == ident and now - cached.checked < RING_CHECK_SECONDS:
        return cached.ring
    with _lock:
        directory = key_dir()
        signature = _signature(directory)
        cached = _cache
        if cached and cached.ident == ident and cached.signature == signature:
            cached.checked = now
            return cached.ring
        loaded = _load(directory)
        _cache = _Cached(ident, signature, now, loaded)
        return loaded


def current_data_key() -> DataKey:
    return ring().current


def data_key(version: int) -> DataKey:
    """The key of ``version``; a version this process has not seen yet makes it read the ring again."""
    found = ring().keys.get(version) or ring(fresh=True).keys.get(version)
    if found is None:
        raise KeyRingError(f"数据密钥 v{version} 不在密钥环中（已退役或未恢复）")
    return found


def data_key_ids() -> list[str]:
    """The ids of every data key the database may hold values under, the current one first."""
    current = ring(fresh=True)
    return [current.keys[v].id for v in current.versions()]


def lookup_key() -> bytes:
    return ring().lookup


def lookup_key_keep() -> bool:
    """Keep the lookup key as ``lookup.key`` (derived from version 1) so version 1 can be retired.
    True if the file was written now."""
    current = ring(fresh=True)
    if current.lookup_kept:
        return False
    try:
        _write_file(key_dir() / LOOKUP_FILE, _encode(current.lookup), exclusive=True)
    except FileExistsError:
        return False
    ring(fresh=True)
    return True


def data_key_add() -> DataKey:
    """A new random data key, one version above the newest: current from the moment its file exists."""
    directory = key_dir()
    for _ in range(5):
        version = max(ring(fresh=True).keys) + 1
        root = secrets.token_bytes(KEY_BYTES)
        try:
            _write_file(directory / f"data-v{version}.key", _encode(root), exclusive=True)
        except FileExistsError:
            continue  # another process added this version a moment ago: take the next
        ring(fresh=True)
        return DataKey(version, root, data_key_id(root), legacy=False)
    raise KeyRingError("无法写入新的数据密钥")


def data_key_retire(version: int) -> DataKey:
    """Take ``version`` out of the ring. The current key is never retired, nor version 1 while the
    lookup key is still derived from it."""
    current = ring(fresh=True)
    if version not in current.keys:
        raise KeyRingError(f"数据密钥 v{version} 不在密钥环中")
    if version == current.current.version:
        raise KeyRingError(f"v{version} 是当前密钥，不能退役")
    if version == 1 and not current.lookup_kept:
        raise KeyRingError("查询密钥仍由 v1 推导：先保存 lookup.key，再退役 v1")
    directory = key_dir()
    if version == 1:
        _write_file(directory / LEGACY_RETIRED_FILE, "v1 已退役：不再读取 DATA_KEY 设置", exclusive=False)
    (directory / f"data-v{version}.key").unlink(missing_ok=True)
    ring(fresh=True)
    return current.keys[version]


def _restore(path: Path, key: bytes) -> bool:
    """Write a recovered key to ``path``; True if written, False if the same key is already there."""
    try:
        _write_file(path, _encode(key), exclusive=True)
    except FileExistsError:
        if _read_key_file(path) != key:
            raise KeyRingError(f"{path} 已存在且与恢复的密钥不同：没有覆盖它") from None
        return False
    return True


def data_key_restore(version: int, root: bytes) -> bool:
    """Put a data key read back from a recovery sheet into the ring (a retired one comes back too). A
    ``data-v1.key`` outranks the DATA_KEY setting: on a new machine that setting is a fresh random key."""
    written = _restore(key_dir() / f"data-v{version}.key", root)
    if version == 1:
        (key_dir() / LEGACY_RETIRED_FILE).unlink(missing_ok=True)
    ring(fresh=True)
    return written


def lookup_key_restore(key: bytes) -> bool:
    written = _restore(key_dir() / LOOKUP_FILE, key)
    ring(fresh=True)
    return written


# The backup key ---------------------------------------------------------------------------------


def backup_key() -> bytes:
    """The 32-byte key backup archives are encrypted with (``XIANGZHI_BACKUP_KEY`` or ``backup.key``).
    A recovered ``backup.key`` holds those 32 bytes themselves (``xzk1:``)."""
    from django.conf import settings

    configured = getattr(settings, "BACKUP_KEY", "")
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    path = key_dir() / BACKUP_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process wrote it a moment ago
            _write_file(path, secrets.token_urlsafe(32), exclusive=True)
    text = path.read_text().strip()
    if text.startswith(FILE_PREFIX):
        return _read_key_file(path)
    return hashlib.sha256(text.encode()).digest()


def backup_key_id(key: bytes | None = None) -> str:
    """The id of the backup key in force (or of ``key``)."""
    return _fingerprint(backup_key() if key is None else key, b"backup")


def backup_key_restore(key: bytes) -> bool:
    from django.conf import settings

    if getattr(settings, "BACKUP_KEY", ""):
        raise KeyRingError("已设置 XIANGZHI_BACKUP_KEY：备份密钥由它给出，不写 backup.key")
    path = key_dir() / BACKUP_FILE
    if path.exists():
        if backup_key() == key:
            return False
        raise KeyRingError(f"{path} 已存在且与恢复的密钥不同：没有覆盖它")
    return _restore(path, key)
