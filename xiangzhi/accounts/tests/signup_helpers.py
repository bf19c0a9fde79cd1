"""Signing up through the real services, reading codes from the console backend's outbox."""

import re

from xiangzhi.accounts.models import SmsCode
from xiangzhi.accounts.services import SignupDetails, signup_create, sms_code_send
from xiangzhi.core import sms
from xiangzhi.lib import crypto

PHONE = "13912345678"
NEW_PASSWORD = "Cun-min-2026"


def last_code(phone: str = PHONE) -> str:
    (message,) = [m for m in sms.outbox if m.phone == phone][-1:]
    return re.search(r"\d{6}", message.text).group()


def id_number_of(resident) -> str:
    return crypto.decrypt(resident.id_number_encrypted)


def sign_up(village, *, phone: str = PHONE, full_name: str = "张小明", id_number: str = "", head_name: str = "",
            ip: str = "10.0.0.1"):
    sms_code_send(phone=phone, purpose=SmsCode.Purpose.SIGNUP, ip_address=ip)
    return signup_create(phone=phone, code=last_code(phone), password=NEW_PASSWORD, details=SignupDetails(
        village_id=village.pk, full_name=full_name, id_number=id_number, head_name=head_name))
