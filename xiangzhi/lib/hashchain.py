"""Hash chains over ledger rows, without Django.

Each row is a mapping of field name → value. Its link hash is
``sha256(prev_hash + "\\n" + canonical(row))`` in lowercase hex, and the first row of a chain links to
``GENESIS``. Changing, removing or reordering any row changes every hash after it, so a chain whose
last hash is known (kept by the application, or published) proves that none of its rows changed.

The canonical encoding is JSON with keys sorted, no whitespace and non-ASCII kept as UTF-8;
values are normalised first so the same row reads the same from any database: integers stay
integers, dates are ``YYYY-MM-DD``, datetimes are UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, ``None`` is
``null``. Floats are refused: a ledger counts in integers.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64


class CanonicalError(TypeError):
    """A value the canonical encoding does not take."""


def _normalise(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise CanonicalError("datetimes in a hash chain must carry a time zone")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    raise CanonicalError(f"cannot encode {type(value).__name__} in a hash chain")


def canonical(row: Mapping[str, object]) -> bytes:
    """The row's bytes for hashing: the same for the same values, whatever the key order."""
    return json.dumps(
        {str(k): _normalise(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def digest(value: Mapping[str, object]) -> str:
    """SHA-256 (hex) of a document's canonical encoding; nested lists and mappings are encoded the
    same way, keys sorted at every depth."""
    return hashlib.sha256(canonical(value)).hexdigest()


def link(prev_hash: str, row: Mapping[str, object]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(row)).hexdigest()


def extend(prev_hash: str, rows: Iterable[Mapping[str, object]]) -> list[str]:
    """The hashes of ``rows`` appended, in order, after a chain ending in ``prev_hash``."""
    hashes = []
    for row in rows:
        prev_hash = link(prev_hash, row)
        hashes.append(prev_hash)
    return hashes


@dataclass(frozen=True)
class Break:
    """Where a chain stops holding: the position (0-based), the row's sequence number, and why:
    ``seq_gap`` (a row missing or moved), ``prev_mismatch`` (a row that does not point at the one
    before), ``hash_mismatch`` (a row whose contents changed) or ``head_mismatch`` (rows cut off the
    end, or the head changed)."""

    position: int
    seq: int | None
    code: str
    detail: str = ""


def verify(
    rows: Iterable[tuple[int, Mapping[str, object], str, str]],
    *,
    head: tuple[int, str] | None = None,
    first_seq: int = 1,
) -> Break | None:
    """Walk ``(seq, row, prev_hash, hash)`` in sequence order; the first row that does not link is
    returned, or ``None`` when the chain holds. Sequence numbers must run ``first_seq, first_seq+1, …``:
    a removed row shows as a gap even when the rows around it were re-hashed. ``head`` is the
    ``(last seq, last hash)`` kept apart from the rows: rows cut off the end show against it."""
    expected_prev = GENESIS
    expected_seq = first_seq
    position = -1
    for position, (seq, row, prev_hash, stored) in enumerate(rows):
        if seq != expected_seq:
            return Break(position, seq, "seq_gap", f"expected {expected_seq}, found {seq}")
        if prev_hash != expected_prev:
            return Break(position, seq, "prev_mismatch")
        if link(prev_hash, row) != stored:
            return Break(position, seq, "hash_mismatch")
        expected_prev = stored
        expected_seq += 1
    if head is not None and (expected_seq - 1, expected_prev) != tuple(head):
        return Break(position + 1, None, "head_mismatch", f"rows end at {expected_seq - 1}, head records {head[0]}")
    return None
