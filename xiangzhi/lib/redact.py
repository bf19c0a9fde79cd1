"""Personal data found in free text a villager writes for a public page (a question asked by QR, a
comment): ID numbers, mobile and landline numbers and bank card numbers are masked before anyone
screens the text, so neither the screener nor the public reads them whole.

Framework-free: plain strings in, plain strings out."""

import re
from dataclasses import dataclass, field

from xiangzhi.lib.idnumber import mask, mask_phone

# Digits in a row, as people type them: with spaces or dashes between groups, full-width digits mapped.
_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－", "0123456789Xx-")
_ID = re.compile(r"(?<![0-9])([1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                 r"[0-9]{3}[0-9Xx])(?![0-9])")
_ID15 = re.compile(r"(?<![0-9])([1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9](?:[- ]?[0-9]){8})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0[1-9][0-9]{1,2}[- ]?[0-9]{7,8})(?![0-9])")
_CARD = re.compile(r"(?<![0-9])((?:[0-9][- ]?){15,18}[0-9])(?![0-9])")

KIND_NAMES = {"id_number": "身份证号", "phone": "电话号码", "bank_card": "银行卡号"}


@dataclass
class Redacted:
    text: str
    kinds: list[str] = field(default_factory=list)  # what was found, in KIND_NAMES' words' order

    @property
    def changed(self) -> bool:
        return bool(self.kinds)

    def describe(self) -> str:
        """「已隐去：身份证号、电话号码」 or an empty string."""
        return "已隐去：" + "、".join(KIND_NAMES[k] for k in self.kinds) if self.kinds else ""


def _digits(value: str) -> str:
    return re.sub(r"[- ]", "", value)


def redact_personal(text: str) -> Redacted:
    """The text with every ID number, phone number and card number masked, and which kinds were found."""
    found: set[str] = set()
    out = text.translate(_FULLWIDTH)

    def _id(match: re.Match[str]) -> str:
        found.add("id_number")
        return mask(match.group(1))

    def _phone(match: re.Match[str]) -> str:
        found.add("phone")
        return mask_phone(_digits(match.group(1)))

    def _card(match: re.Match[str]) -> str:
        found.add("bank_card")
        digits = _digits(match.group(1))
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]

    out = _ID.sub(_id, out)
    out = _ID15.sub(_id, out)
    out = _MOBILE.sub(_phone, out)
    out = _LANDLINE.sub(_phone, out)
    out = _CARD.sub(_card, out)
    return Redacted(text=out if found else text, kinds=[k for k in KIND_NAMES if k in found])
