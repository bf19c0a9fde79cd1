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


def mask(value: str) -> str:
    """``370114**********1234`` keeps the first four and last four characters."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
