import datetime as dt

import pytest

from xiangzhi.lib import hashchain
from xiangzhi.lib.periods import period_bounds

UTC8 = dt.timezone(dt.timedelta(hours=8))


def rows(n=4):
    return [{"seq": i, "household_id": 10 + i, "points": i * 3 - 5, "rule_name": "邻里互助", "note": None,
             "occurred_on": dt.date(2026, 3, i + 1),
             "recorded_at": dt.datetime(2026, 3, i + 1, 9, 30, tzinfo=UTC8)} for i in range(1, n + 1)]


def chain(items):
    hashes = hashchain.extend(hashchain.GENESIS, items)
    prevs = [hashchain.GENESIS, *hashes[:-1]]
    return [(r["seq"], r, p, h) for r, p, h in zip(items, prevs, hashes, strict=True)], hashes


def test_the_encoding_is_the_same_whatever_the_key_order_and_time_zone():
    a = {"points": 3, "recorded_at": dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC8), "name": "孝老爱亲"}
    b = {"name": "孝老爱亲", "recorded_at": dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC), "points": 3}
    assert hashchain.canonical(a) == hashchain.canonical(b)
    assert "孝老爱亲".encode() in hashchain.canonical(a)
    assert b'"2026-03-01T01:30:00.000000Z"' in hashchain.canonical(a)


def test_floats_and_naive_datetimes_are_refused():
    with pytest.raises(hashchain.CanonicalError):
        hashchain.canonical({"points": 1.5})
    with pytest.raises(hashchain.CanonicalError):
        hashchain.canonical({"at": dt.datetime(2026, 1, 1)})


def test_an_intact_chain_verifies_against_its_head():
    walked, hashes = chain(rows())
    assert hashchain.verify(walked, head=(4, hashes[-1])) is None
    assert hashchain.verify([], head=(0, hashchain.GENESIS)) is None


def test_a_changed_row_is_named():
    walked, hashes = chain(rows())
    walked[2][1]["points"] = 50
    broken = hashchain.verify(walked, head=(4, hashes[-1]))
    assert (broken.position, broken.seq, broken.code) == (2, 3, "hash_mismatch")


def test_a_removed_row_shows_as_a_gap_even_if_the_rest_is_rehashed():
    items = rows()
    del items[1]
    hashes = hashchain.extend(hashchain.GENESIS, items)
    walked = [(r["seq"], r, p, h) for r, p, h in zip(items, [hashchain.GENESIS, *hashes[:-1]], hashes, strict=True)]
    broken = hashchain.verify(walked)
    assert (broken.position, broken.seq, broken.code) == (1, 3, "seq_gap")


def test_a_row_cut_off_the_end_shows_against_the_head():
    walked, hashes = chain(rows())
    broken = hashchain.verify(walked[:3], head=(4, hashes[-1]))
    assert (broken.position, broken.code) == (3, "head_mismatch")


def test_a_swapped_link_is_named():
    walked, _ = chain(rows())
    seq, row, _, h = walked[1]
    walked[1] = (seq, row, "f" * 64, h)
    assert hashchain.verify(walked).code == "prev_mismatch"


@pytest.mark.parametrize(("period", "day", "start", "end"), [
    ("day", "2026-02-28", "2026-02-28", "2026-02-28"),
    ("month", "2026-02-14", "2026-02-01", "2026-02-28"),
    ("month", "2026-12-31", "2026-12-01", "2026-12-31"),
    ("quarter", "2026-05-20", "2026-04-01", "2026-06-30"),
    ("quarter", "2026-11-02", "2026-10-01", "2026-12-31"),
    ("year", "2028-02-29", "2028-01-01", "2028-12-31"),
])
def test_period_bounds(period, day, start, end):
    assert period_bounds(period, dt.date.fromisoformat(day)) == (dt.date.fromisoformat(start),
                                                                 dt.date.fromisoformat(end))


def test_unknown_period():
    with pytest.raises(ValueError, match="unknown period"):
        period_bounds("week", dt.date(2026, 1, 1))
