"""Field encryption (AES-256-GCM) and keyed lookup hashes (HMAC-SHA256).

A value is stored as ``vN:<base64(nonce|ciphertext|tag)>``: N is the version of the data key it was
written under (``keys``: the ring). New values take the current version; a value is read with the
key of its own version, so a rotation can re-encrypt rows one batch at a time while every row stays
readable. Its hash is stored beside it for exact lookup without decrypting; the lookup key is one
key, kept apart from the data keys and not changed by a rotation (README, 「密钥」).

``master=`` (tests) stands for a whole legacy key: version 1, its lookup key derived from it.
"""

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Callable
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from xiangzhi.lib import keys

_TOKEN = re.compile(r"v([1-9]\d{0,5}):")


@lru_cache(maxsize=16)
def _aead(root: bytes) -> AESGCM:
    return AESGCM(keys.derive(root, b"encrypt"))


def _master_root(master: str) -> bytes:
    return hashlib.sha256(master.encode()).digest()


def token_version(token: str) -> int:
    """The data key version a stored value was written under."""
    match = _TOKEN.match(token)
    if not match:
        raise ValueError("not an encrypted value")
    return int(match.group(1))


def encrypt(plain: str, *, master: str | None = None, version: int | None = None) -> str:
    if master is not None:
        root, number = _master_root(master), 1
    else:
        key = keys.data_key(version) if version is not None else keys.current_data_key()
        root, number = key.root, key.version
    nonce = os.urandom(12)
    blob = nonce + _aead(root).encrypt(nonce, plain.encode(), None)
    return f"v{number}:{base64.b64encode(blob).decode()}"


def decrypt(token: str, *, master: str | None = None) -> str:
    version = token_version(token)
    if master is not None:
        if version != 1:
            raise ValueError(f"unknown ciphertext version v{version}")
        root = _master_root(master)
    else:
        try:
            root = keys.data_key(version).root
        except keys.KeyRingError as exc:
            raise ValueError(f"unknown ciphertext version v{version}: {exc}") from exc
    blob = base64.b64decode(token[token.index(":") + 1:])
    return _aead(root).decrypt(blob[:12], blob[12:], None).decode()


def lookup_hash(plain: str, *, master: str | None = None) -> str:
    mac = keys.derive(_master_root(master), b"lookup") if master is not None else keys.lookup_key()
    return hmac.new(mac, plain.strip().upper().encode(), hashlib.sha256).hexdigest()


def seal(plain: str, mask: Callable[[str], str]) -> tuple[str, str, str]:
    """How a personal number is kept: (encrypted, keyed lookup hash, ``mask(plain)`` for display), or
    three empty strings when there is none."""
    plain = (plain or "").strip()
    if not plain:
        return "", "", ""
    return encrypt(plain), lookup_hash(plain), mask(plain)
