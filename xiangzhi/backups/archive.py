"""The backup archive's format, without Django: a plain header, then a tar stream sealed in chunks.

    MAGIC  (8 bytes, ``XZBACKUP``)
    length (4 bytes, big-endian) and the header: UTF-8 JSON, readable without the key
    chunk* (4-byte big-endian length, then AES-256-GCM ciphertext with its 16-byte tag)

Each archive draws a random salt (in the header); its chunk key is HKDF-SHA256(backup key, salt), so
the nonce can be the chunk's index. Every chunk is authenticated together with the SHA-256 of the
header, its index and a last-chunk flag: a changed header, a chunk cut off, dropped, repeated or moved,
or bytes after the last chunk all fail to decrypt, and a stream that ends before its last chunk is
refused as truncated. Chunks are ``CHUNK_BYTES`` of plaintext, so neither side holds more than one in
memory whatever the database's size.
"""

import hashlib
import io
import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"XZBACKUP"
FORMAT = 1
CHUNK_BYTES = 1024 * 1024
HEADER_MAX = 1024 * 1024
TAG_BYTES = 16
_INFO = b"xiangzhi backup archive v1"


class ArchiveError(Exception):
    """The file is not a backup archive this code can read, or it was cut off or changed: in Chinese."""


@dataclass(frozen=True)
class Header:
    """What an archive says about itself before it is decrypted."""

    format: int
    created_at: str
    backup_key_id: str
    data_key_ids: list[str]
    vendor: str
    app_version: str
    migrations: dict[str, str]  # app → the last migration applied
    kind: str = ""
    run_id: int | None = None
    salt: str = ""
    raw: bytes = field(default=b"", repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "created_at": self.created_at, "backup_key_id": self.backup_key_id,
                "data_key_ids": list(self.data_key_ids), "vendor": self.vendor, "app_version": self.app_version,
                "migrations": dict(self.migrations), "kind": self.kind, "run_id": self.run_id, "salt": self.salt}


def _chunk_key(key: bytes, salt: bytes) -> AESGCM:
    if len(key) != 32:
        raise ValueError("the backup key is 32 bytes")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(key)
    return AESGCM(derived)


def _nonce(index: int) -> bytes:
    return b"\0\0\0\0" + struct.pack(">Q", index)


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, 1 if last else 0)


def header_encode(values: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(values), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def header_read(stream: IO[bytes]) -> Header:
    """The header at the start of ``stream``, which is left just after it."""
    if stream.read(len(MAGIC)) != MAGIC:
        raise ArchiveError("不是乡治的备份文件（文件头不对）")
    size_bytes = stream.read(4)
    if len(size_bytes) != 4:
        raise ArchiveError("备份文件不完整：文件头被截断")
    (size,) = struct.unpack(">I", size_bytes)
    if size > HEADER_MAX:
        raise ArchiveError("备份文件头过大，文件已损坏")
    raw = stream.read(size)
    if len(raw) != size:
        raise ArchiveError("备份文件不完整：文件头被截断")
    try:
        values = json.loads(raw)
        return Header(format=int(values["format"]), created_at=str(values["created_at"]),
                      backup_key_id=str(values["backup_key_id"]), data_key_ids=list(values["data_key_ids"]),
                      vendor=str(values["vendor"]), app_version=str(values["app_version"]),
                      migrations=dict(values["migrations"]), kind=str(values.get("kind", "")),
                      run_id=values.get("run_id"), salt=str(values["salt"]), raw=raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise ArchiveError("备份文件头无法读取，文件已损坏") from exc


class SealedWriter(io.RawIOBase):
    """A write-only stream that seals what is written into chunks after the header. ``close()`` writes
    the last chunk; a writer abandoned without ``close()`` leaves a stream a reader refuses."""

    def __init__(self, out: IO[bytes], key: bytes, header: Mapping[str, Any], *, chunk_bytes: int = CHUNK_BYTES):
        super().__init__()
        salt = os.urandom(32)
        values = {**header, "format": header.get("format", FORMAT), "salt": salt.hex()}
        raw = header_encode(values)
        out.write(MAGIC + struct.pack(">I", len(raw)) + raw)
        self._out = out
        self._aead = _chunk_key(key, salt)
        self._digest = hashlib.sha256(raw).digest()
        self._chunk_bytes = chunk_bytes
        self._buffer = bytearray()
        self._index = 0
        self._sealed = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        while len(self._buffer) > self._chunk_bytes:  # keep at least one byte for the last chunk
            self._seal(bytes(self._buffer[: self._chunk_bytes]), last=False)
            del self._buffer[: self._chunk_bytes]
        return len(view)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._index), plain, _aad(self._digest, self._index, last))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1

    def close(self) -> None:
        if not self.closed and not self._sealed:
            self._sealed = True
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


class SealedReader(io.RawIOBase):
    """Reads back what a ``SealedWriter`` sealed, chunk by chunk, refusing anything out of place."""

    def __init__(self, stream: IO[bytes], key: bytes, header: Header):
        super().__init__()
        self._in = stream
        self._aead = _chunk_key(key, bytes.fromhex(header.salt))
        self._digest = hashlib.sha256(header.raw).digest()
        self._index = 0
        self._buffer = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        size_bytes = self._in.read(4)
        if len(size_bytes) < 4:
            raise ArchiveError("备份文件不完整：在结尾之前就断了（被截断）")
        (size,) = struct.unpack(">I", size_bytes)
        if size < TAG_BYTES or size > CHUNK_BYTES * 16 + TAG_BYTES:
            raise ArchiveError(f"备份文件已损坏：第 {self._index + 1} 块的长度不对")
        sealed = self._in.read(size)
        if len(sealed) < size:
            raise ArchiveError("备份文件不完整：在结尾之前就断了（被截断）")
        plain = None
        for last in (False, True):
            try:
                plain = self._aead.decrypt(_nonce(self._index), sealed, _aad(self._digest, self._index, last))
            except InvalidTag:
                continue
            self._done = last
            break
        if plain is None:
            raise ArchiveError(f"备份文件已损坏或被改动：第 {self._index + 1} 块校验不通过"
                               if self._index else "备份文件无法解密：密钥不对，或文件已损坏、被改动")
        if self._done and self._in.read(1):
            raise ArchiveError("备份文件已损坏：结尾之后还有多余的数据")
        self._index += 1
        self._buffer, self._offset = plain, 0

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        while self._offset >= len(self._buffer):
            if self._done:
                return 0
            self._next_chunk()
        n = min(len(view), len(self._buffer) - self._offset)
        view[:n] = self._buffer[self._offset: self._offset + n]
        self._offset += n
        return n

    def drain(self) -> None:
        """Read to the last chunk: raises ``ArchiveError`` unless the whole stream is there and holds."""
        while not self._done:
            self._next_chunk()
