"""Sending one text message, through the backend ``settings.SMS_BACKEND`` names.

Two backends: ``ConsoleSmsBackend`` (the demo and the tests) writes the message to the log and keeps
the last ones in ``outbox`` for a tester to read; ``GatewaySmsBackend`` posts it, signed, to the
county's SMS gateway (SMS_GATEWAY_URL / SMS_GATEWAY_SECRET). Sign-up and login codes and the
notifications' SMS channel all send through here.
"""

import logging
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from xiangzhi.core.gateway import GatewayError, post_signed_json
from xiangzhi.lib.idnumber import mask_phone

logger = logging.getLogger("xiangzhi.sms")

CONSOLE = "xiangzhi.core.sms.ConsoleSmsBackend"
GATEWAY = "xiangzhi.core.sms.GatewaySmsBackend"

__all__ = ["CONSOLE", "GATEWAY", "GatewayError", "SmsBackend", "outbox", "sms_backend", "sms_backend_class", "sms_send"]


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


# What the console backend "sent", newest last; bounded, so a demo left running does not grow it.
outbox: deque[SmsMessage] = deque(maxlen=200)


class SmsBackend(ABC):
    # Settings that must be non-empty for the backend to work; checked at start-up.
    required_settings: tuple[str, ...] = ()
    # The message is not really sent: the demo may show it on screen (only when DEBUG).
    is_console = False

    @abstractmethod
    def send(self, phone: str, text: str) -> None:
        """Hand the message over, or raise ``GatewayError``."""


class ConsoleSmsBackend(SmsBackend):
    is_console = True

    def send(self, phone: str, text: str) -> None:
        outbox.append(SmsMessage(phone=phone, text=text))
        logger.info("短信（演示，未真正发送）致 %s：%s", mask_phone(phone), text)


class GatewaySmsBackend(SmsBackend):
    """POSTs ``{"phone": …, "text": …}`` to SMS_GATEWAY_URL, signed with SMS_GATEWAY_SECRET."""

    required_settings = ("SMS_GATEWAY_URL", "SMS_GATEWAY_SECRET")

    def send(self, phone: str, text: str) -> None:
        post_signed_json(settings.SMS_GATEWAY_URL, {"phone": phone, "text": text}, secret=settings.SMS_GATEWAY_SECRET)


def sms_backend_class() -> type[SmsBackend]:
    backend = import_string(settings.SMS_BACKEND)
    if not (isinstance(backend, type) and issubclass(backend, SmsBackend)):
        raise TypeError(f"SMS_BACKEND：{settings.SMS_BACKEND} 不是短信后端（SmsBackend 的子类）")
    return backend


def sms_backend() -> SmsBackend:
    return sms_backend_class()()


def sms_send(phone: str, text: str) -> None:
    sms_backend().send(phone, text)


def sms_backend_problems() -> list[str]:
    """What is wrong with the SMS configuration, in Chinese; empty when it can send."""
    try:
        backend = sms_backend_class()
    except ImportError:
        return [f"SMS_BACKEND：无法导入 {settings.SMS_BACKEND}"]
    except TypeError as exc:
        return [str(exc)]
    return [f"短信后端 {settings.SMS_BACKEND} 需要设置 {name}"
            for name in backend.required_settings if not getattr(settings, name, "")]
