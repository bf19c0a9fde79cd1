"""Idempotency-Key: a retried submission (a double tap, a phone resending on weak signal) does its
work once. Each service keeps the key and a fingerprint of the request beside what it made; a
retry with the same key and fingerprint returns the first result, one with the same key and
another request is refused with ``IdempotencyConflict``."""

import hashlib
import json

from xiangzhi.core.errors import IdempotencyConflict, Invalid

KEY_MAX_LENGTH = 100


def fingerprint(value: object) -> str:
    """A stable digest of what was asked (dict keys in sorted order, anything else as text)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def clean_key(key: str | None, *, limit: int = KEY_MAX_LENGTH) -> str:
    """The key as given, trimmed; blank means none. Longer than ``limit`` is refused."""
    key = (key or "").strip()
    if len(key) > limit:
        raise Invalid(f"Idempotency-Key 不能超过 {limit} 个字符", code="invalid_idempotency_key")
    return key


def check_replay(stored_fingerprint: str, fingerprint_now: str, what: str) -> None:
    """A stored result may be returned for a retry only if the request is the same."""
    if stored_fingerprint != fingerprint_now:
        raise IdempotencyConflict(f"该 Idempotency-Key 已用于另一份不同的{what}")
