"""Field encryption (AES-256-GCM) and keyed lookup hashes (HMAC-SHA256).

A value is stored as ``v1:<base64(nonce|ciphertext|tag)>`` so keys can be rotated later by
version; its hash is stored beside it for exact lookup without decrypting.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"


@lru_cache(maxsize=8)
def _keys(master: str) -> tuple[AESGCM, bytes]:
    root = hashlib.sha256(master.encode()).digest()
    enc = hmac.new(root, b"xiangzhi:encrypt", hashlib.sha256).digest()
    mac = hmac.new(root, b"xiangzhi:lookup", hashlib.sha256).digest()
    return AESGCM(enc), mac


def _master() -> str:
    from django.conf import settings

    return settings.DATA_KEY


def encrypt(plain: str, *, master: str | None = None) -> str:
    aead, _ = _keys(master or _master())
    nonce = os.urandom(12)
    blob = nonce + aead.encrypt(nonce, plain.encode(), None)
    return f"{VERSION}:{base64.b64encode(blob).decode()}"


def decrypt(token: str, *, master: str | None = None) -> str:
    aead, _ = _keys(master or _master())
    version, _, payload = token.partition(":")
    if version != VERSION:
        raise ValueError(f"unknown ciphertext version {version!r}")
    blob = base64.b64decode(payload)
    return aead.decrypt(blob[:12], blob[12:], None).decode()


def lookup_hash(plain: str, *, master: str | None = None) -> str:
    _, mac = _keys(master or _master())
    return hmac.new(mac, plain.strip().upper().encode(), hashlib.sha256).hexdigest()


def seal(plain: str, mask: Callable[[str], str]) -> tuple[str, str, str]:
    """How a personal number is kept: (encrypted, keyed lookup hash, ``mask(plain)`` for display), or
    three empty strings when there is none."""
    plain = (plain or "").strip()
    if not plain:
        return "", "", ""
    return encrypt(plain), lookup_hash(plain), mask(plain)
