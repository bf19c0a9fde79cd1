"""Resident ID numbers (居民身份证号码) as GB 11643-1999 defines them.

Eighteen characters: a six-digit address code, an eight-digit birth date, a three-digit
sequence (odd for men, even for women) and a check character computed with ISO 7064 MOD 11-2.
"""

import datetime as dt
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits: the provinces, autonomous regions and municipalities of GB/T 2260.
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82"}
)


class IdNumberError(ValueError):
    """Carries a message a clerk can act on, in Chinese."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    value = (raw or "").strip().upper()
    if len(value) != 18:
        raise IdNumberError(f"身份证号应为18位，实际为{len(value)}位")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdNumberError("身份证号前17位必须是数字，最后一位是数字或X")
    if value[:2] not in PROVINCE_CODES:
        raise IdNumberError(f"身份证号的省级代码“{value[:2]}”不存在")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期“{value[6:14]}”不是有效日期") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1890:
        raise IdNumberError(f"身份证号中的出生日期“{value[6:14]}”不合理")
    expected = check_char(value[:17])
    if value[17] != expected:
        raise IdNumberError("身份证号校验位不正确，请核对号码")
    return IdNumber(value=value, birth_date=birth, sex="M" if int(value[16]) % 2 else "F")


def make(address_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number; used by the demo generator and the tests."""
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


# What the ID mask must hide, given what pages show beside it: name, sex, birth year and the household's
# address. Of 3701**********1234 the hidden part is the county (two digits, but the household's address
# gives them for anyone registered where they were born) and the birth date (eight digits, the year shown);
# the visible last four are the whole sequence number and the check character. With year and county
# known, 365 dates remain and the check character keeps one in eleven: about 33 candidates, few enough to
# try one by one against any name + ID check. Keeping only the last two (the sequence's last digit, whose
# parity is the sex that is shown anyway, and the check character) hides the first two sequence digits
# too: 365 × 100 / 11 ≈ 3,300 candidates with year and county known, ~40,000 for a city's dozen counties.
# Age is never shown instead of the year: watching it tick over would give the birthday.
# ``mask_candidates`` counts them; tests/test_access.py asserts it for every page that shows a person.
ID_MASK_KEEP = (4, 2)


def mask(value: str) -> str:
    """``3701************34``: the first four and last two characters."""
    head, tail = ID_MASK_KEEP
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_candidates(masked: str, *, birth_year: int, address_code: str) -> int:
    """How many valid numbers fit ``masked`` for someone born in ``birth_year`` whose number begins with
    ``address_code``: what is left to guess for a reader of the page who knows where the household lives."""
    if len(masked) != 18 or any(m not in ("*", c) for m, c in zip(masked[:6], address_code, strict=True)):
        return 0
    digits = [[m] if m != "*" else list("0123456789") for m in masked[14:17]]
    # Each possible sequence number by its share of the weighted sum behind the check character.
    sequences = [int(a) * WEIGHTS[14] + int(b) * WEIGHTS[15] + int(c) * WEIGHTS[16]
                 for a in digits[0] for b in digits[1] for c in digits[2]]
    count = 0
    day = dt.date(birth_year, 1, 1)
    while day.year == birth_year:
        stem = f"{address_code}{day:%Y%m%d}"
        if all(m in ("*", c) for m, c in zip(masked[6:14], stem[6:14], strict=True)):
            base = sum(int(c) * w for c, w in zip(stem, WEIGHTS, strict=False))
            count += sum(1 for s in sequences if masked[17] in ("*", CHECK_CHARS[(base + s) % 11]))
        day += dt.timedelta(days=1)
    return count


# A phone keeps 3 + 4: the middle four digits (10,000 possibilities) appear nowhere else in the
# platform, and the search that would confirm a guess needs the reveal permission, is rate-limited and
# leaves an audit row (people.services.household_search).
def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
