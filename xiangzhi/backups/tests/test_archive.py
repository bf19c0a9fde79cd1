"""The sealed format on its own: what goes in comes out, and a stream cut short, reordered, changed, or
read with another key is refused rather than read in part."""

import io
import os
import struct

import pytest

from xiangzhi.backups.archive import MAGIC, ArchiveError, SealedReader, SealedWriter, header_read

KEY = bytes(range(32))
HEADER = {"created_at": "2026-01-01T02:30:00+08:00", "backup_key_id": "k", "data_key_ids": ["d"], "vendor": "sqlite",
          "app_version": "0.1.0", "migrations": {"points": "0008_benefit_content_hash"}}


def seal(data: bytes, *, chunk: int = 1000, header=HEADER) -> bytes:
    out = io.BytesIO()
    writer = SealedWriter(out, KEY, header, chunk_bytes=chunk)
    for start in range(0, len(data), 777):  # writes that straddle chunks
        writer.write(data[start:start + 777])
    writer.close()
    return out.getvalue()


def unseal(blob: bytes, key: bytes = KEY) -> bytes:
    stream = io.BytesIO(blob)
    reader = SealedReader(stream, key, header_read(stream))
    return reader.read()


def chunks(blob: bytes) -> tuple[bytes, list[bytes]]:
    """The header part and each chunk (with its length prefix)."""
    (size,) = struct.unpack(">I", blob[len(MAGIC):len(MAGIC) + 4])
    at = len(MAGIC) + 4 + size
    head, parts = blob[:at], []
    while at < len(blob):
        (n,) = struct.unpack(">I", blob[at:at + 4])
        parts.append(blob[at:at + 4 + n])
        at += 4 + n
    return head, parts


DATA = os.urandom(5500)


def test_what_is_sealed_reads_back_across_chunks_and_the_header_is_plain():
    blob = seal(DATA)
    assert unseal(blob) == DATA
    _, parts = chunks(blob)
    assert len(parts) == 6  # 5 full chunks of 1000 and the last with 500
    header = header_read(io.BytesIO(blob))
    assert header.migrations == {"points": "0008_benefit_content_hash"} and header.data_key_ids == ["d"]
    assert DATA[:64] not in blob


def test_an_empty_stream_still_has_its_last_chunk():
    assert unseal(seal(b"")) == b""


@pytest.mark.parametrize("cut", ["last_chunk", "mid_chunk", "header"])
def test_a_truncated_archive_is_refused(cut):
    blob = seal(DATA)
    head, parts = chunks(blob)
    short = {"last_chunk": head + b"".join(parts[:-1]), "mid_chunk": blob[:-100], "header": blob[:len(head) - 3]}[cut]
    with pytest.raises(ArchiveError, match="截断"):
        unseal(short)


def test_reordered_dropped_or_changed_chunks_and_trailing_bytes_are_refused():
    head, parts = chunks(seal(DATA))
    swapped = head + parts[1] + parts[0] + b"".join(parts[2:])
    dropped = head + parts[0] + b"".join(parts[2:])
    flipped = bytearray(head + b"".join(parts))
    flipped[len(head) + 4 + 10] ^= 1
    trailing = head + b"".join(parts) + b"x"
    for blob in (swapped, dropped, bytes(flipped)):
        with pytest.raises(ArchiveError, match=r"损坏|改动"):
            unseal(blob)
    with pytest.raises(ArchiveError, match="多余"):
        unseal(trailing)


def test_a_changed_header_or_another_key_does_not_decrypt():
    blob = seal(DATA)
    changed = blob.replace(b'"data_key_ids":["d"]', b'"data_key_ids":["e"]')
    assert changed != blob
    for attempt, key in ((changed, KEY), (blob, bytes(32))):
        with pytest.raises(ArchiveError, match="无法解密"):
            unseal(attempt, key)


def test_something_that_is_not_an_archive_is_named_so():
    with pytest.raises(ArchiveError, match="不是乡治的备份文件"):
        header_read(io.BytesIO(b"PK\x03\x04 a zip file"))
