import datetime as dt
import itertools
import re

from django.utils import timezone

from xiangzhi.core import sms
from xiangzhi.supervision import selectors, services

_submissions = itertools.count(1)
SITE = "http://testserver"
MOBILE = "13912345678"


def submission() -> str:
    return f"test-submission-{next(_submissions):06d}"


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def ask(village, text_="村里修路的钱花了多少？", **kw):
    kw.setdefault("submission_id", submission())
    kw.setdefault("address", "10.0.0.1")
    return services.question_ask(village=village, text_=text_, **kw).question


def answered(county, village=None, text_="村里修路的钱花了多少？", answer="共花费12万元，明细已在村务公开栏公示。"):
    village = village or county.village_a1
    cadre = county.users["village_cadre"]
    q = ask(village, text_)
    services.question_screen(question=q, actor=cadre, passed=True)
    return services.question_answer(question=q, actor=cadre, answer=answer)


def page_of(village) -> str:
    return f"/v/{selectors.village_code_token(village)}/"


def last_sms(phone: str = MOBILE) -> str:
    return [m for m in sms.outbox if m.phone == phone][-1].text


def sms_code(phone: str = MOBILE) -> str:
    return re.search(r"验证码是(\d{6})", last_sms(phone)).group(1)


def link_in(text: str) -> str:
    return re.search(r"http://testserver(/\S+/)", text).group(1)
