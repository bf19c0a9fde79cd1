"""A key on paper and back: the words, their checks, the QR text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiangzhi.lib import keysheet

KEY = bytes.fromhex("5f1c3a9e0b7d24c6e8f1a3b5c7d9e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4")


@given(st.binary(min_size=32, max_size=32), st.sampled_from(["data-v1", "data-v7", "lookup", "backup"]))
@settings(max_examples=30, deadline=None)
def test_words_round_trip(key, label):
    words = keysheet.words(label, key)
    assert len(words) == keysheet.WORDS == 26
    assert keysheet.key_from_words(label, " ".join(words)) == key


def test_words_read_back_with_numbering_and_without_spaces():
    words = keysheet.words("lookup", KEY)
    numbered = "\n".join(f"{n}. {w}" for n, w in enumerate(words, 1))
    assert keysheet.key_from_words("lookup", numbered) == KEY
    assert keysheet.key_from_words("lookup", "".join(words)) == KEY


def _substitutes(words):
    """Every one-word change of ``words`` into another word of the list, for each position."""
    wordlist = keysheet._mnemo().wordlist
    for position in range(len(words)):
        for other in wordlist[:40]:
            if other != words[position]:
                yield [*words[:position], other, *words[position + 1:]]


def test_every_single_mistyped_word_is_refused():
    words = keysheet.words("data-v2", KEY)
    tried = 0
    for wrong in _substitutes(words):
        with pytest.raises(keysheet.KeyWordsError, match="校验"):
            keysheet.key_from_words("data-v2", " ".join(wrong))
        tried += 1
    assert tried > 1000


def test_a_character_outside_the_list_is_named():
    words = keysheet.words("data-v2", KEY)
    wordlist = set(keysheet._mnemo().wordlist)
    stranger = next(c for c in "龘靐齉爨" if c not in wordlist)
    with pytest.raises(keysheet.KeyWordsError, match=f"第 5 个词「{stranger}」"):
        keysheet.key_from_words("data-v2", " ".join([*words[:4], stranger, *words[5:]]))


def test_missing_word_swapped_words_and_wrong_key_kind_are_refused():
    words = keysheet.words("data-v2", KEY)
    with pytest.raises(keysheet.KeyWordsError, match="应为 26 个词，读到 25 个"):
        keysheet.key_from_words("data-v2", " ".join(words[:-1]))
    swapped = words[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    with pytest.raises(keysheet.KeyWordsError, match="校验"):
        keysheet.key_from_words("data-v2", " ".join(swapped))
    # The right words under the wrong version or kind: caught by the check words.
    with pytest.raises(keysheet.KeyWordsError, match="校验词"):
        keysheet.key_from_words("data-v3", " ".join(words))
    with pytest.raises(keysheet.KeyWordsError, match="校验词"):
        keysheet.key_from_words("backup", " ".join(words))


def test_qr_text_round_trips_and_a_changed_character_is_refused():
    text = keysheet.qr_text("backup", KEY)
    assert keysheet.is_qr_text(text)
    assert keysheet.key_from_qr(text) == ("backup", KEY)
    encoded = text.rsplit(":", 1)[1]
    flipped = encoded[:5] + ("A" if encoded[5] != "A" else "B") + encoded[6:]
    with pytest.raises(keysheet.KeyWordsError, match="校验不符"):
        keysheet.key_from_qr(text.rsplit(":", 1)[0] + ":" + flipped)
    with pytest.raises(keysheet.KeyWordsError):
        keysheet.key_from_qr("XZKEY1:data-v2:zz:" + encoded)

