"""How a key is put on paper and read back: words a person can type, and the text of a QR code.

Words: the key's 32 bytes as BIP-39 words from the Chinese (simplified) list of the ``mnemonic``
package (24 words, the last carrying BIP-39's 8-bit checksum), then 2 check words: 22 bits of
SHA-256 over the key and what it is (``data-v2``, ``lookup``, ``backup``). A mistyped word, a word
from another key, or a data key typed under the wrong version passes both checks about once in
2^30 tries; a character that is not in the list is named at once.

QR: ``XZKEY1:<label>:<key id>:<base64url>``; the 64-bit key id checks it.
"""

import base64
import binascii
import hashlib
import re
from functools import lru_cache

from mnemonic import Mnemonic

from xiangzhi.lib import keys

LANGUAGE = "chinese_simplified"
KEY_WORDS = 24
CHECK_WORDS = 2
WORDS = KEY_WORDS + CHECK_WORDS
QR_PREFIX = "XZKEY1"
_LABEL = re.compile(r"data-v[1-9]\d*|lookup|backup")
# Anything a person may put between words: spaces, numbering, punctuation (half- and full-width).
_SEPARATORS = re.compile(r"[\s\d.,，、。:：;；()（）\[\]【】\-_/|·]+")


class KeyWordsError(ValueError):
    """Words or a QR text that do not give back a key: said in words a person can act on."""


@lru_cache(maxsize=1)
def _mnemo() -> Mnemonic:
    return Mnemonic(LANGUAGE)


def _check_label(label: str) -> None:
    if not _LABEL.fullmatch(label):
        raise KeyWordsError(f"不认识的密钥类别 {label!r}")


def key_id(label: str, key: bytes) -> str:
    """The id printed beside a key: the same ids ``keys`` gives the ring's keys."""
    _check_label(label)
    if label.startswith("data-"):
        return keys.data_key_id(key)
    if label == "lookup":
        return keys.lookup_key_id(key)
    return keys.backup_key_id(key)


def _check_words(label: str, key: bytes) -> list[str]:
    digest = hashlib.sha256(b"xiangzhi:sheet:" + label.encode() + b":" + key).digest()
    bits = int.from_bytes(digest[:3], "big") >> 2  # 22 bits
    wordlist = _mnemo().wordlist
    return [wordlist[bits >> 11], wordlist[bits & 0x7FF]]


def words(label: str, key: bytes) -> list[str]:
    """The 26 words for ``key`` (32 bytes) of kind ``label``."""
    _check_label(label)
    if len(key) != keys.KEY_BYTES:
        raise KeyWordsError("密钥应为 32 字节")
    return _mnemo().to_mnemonic(key).split() + _check_words(label, key)


def _tokens(text: str) -> list[str]:
    """The words in ``text``: every word of the Chinese list is one character, so spaces, numbering and
    punctuation between them may be there or not."""
    return list(_SEPARATORS.sub("", text))


def key_from_words(label: str, text: str) -> bytes:
    """The key the words in ``text`` stand for, or KeyWordsError saying what is wrong."""
    _check_label(label)
    tokens = _tokens(text)
    known = set(_mnemo().wordlist)
    for n, token in enumerate(tokens, 1):
        if token not in known:
            raise KeyWordsError(f"第 {n} 个词「{token}」不在词表中：请对照恢复单重抄")
    if len(tokens) != WORDS:
        raise KeyWordsError(f"应为 {WORDS} 个词，读到 {len(tokens)} 个")
    phrase = " ".join(tokens[:KEY_WORDS])
    if not _mnemo().check(phrase):
        raise KeyWordsError("校验不符：有词抄错了或顺序不对（前 24 个词）")
    key = bytes(_mnemo().to_entropy(phrase))
    if tokens[KEY_WORDS:] != _check_words(label, key):
        raise KeyWordsError(f"校验词不符：有词抄错了，或这不是 {label} 的词")
    return key


def qr_text(label: str, key: bytes) -> str:
    _check_label(label)
    encoded = base64.urlsafe_b64encode(key).decode().rstrip("=")
    return f"{QR_PREFIX}:{label}:{key_id(label, key)}:{encoded}"


def key_from_qr(text: str) -> tuple[str, bytes]:
    """(label, key) from a QR code's text; KeyWordsError if it is not one of ours or its id does not match."""
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[0] != QR_PREFIX:
        raise KeyWordsError("这不是乡治密钥二维码的内容")
    _, label, printed_id, encoded = parts
    _check_label(label)
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyWordsError("二维码内容已损坏") from exc
    if len(key) != keys.KEY_BYTES or key_id(label, key) != printed_id:
        raise KeyWordsError("二维码内容校验不符")
    return label, key


def is_qr_text(text: str) -> bool:
    return text.strip().startswith(QR_PREFIX + ":")
