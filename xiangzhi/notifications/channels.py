"""Where a notification goes besides the in-app inbox.

``settings.NOTIFY_CHANNELS`` lists channel classes by dotted path; the default is the log channel only.
A channel's ``send`` returns when the message was handed over, raises ``DeliverySkipped`` when the
recipient cannot be reached on it (no phone, no email, no WeChat binding) and ``DeliveryError`` when
the hand-over failed. The outcome of every channel is recorded on the notification; one failing
channel never stops the others.

The SMS channel sends through the site's SMS backend (``settings.SMS_BACKEND``, ``xiangzhi.core.sms``:
the console in the demo, the county's signed SMS gateway in production), the same one that sends
sign-up and login codes. The WeChat channel posts signed JSON to the county's WeChat gateway
(``xiangzhi.core.gateway``): the platform runs on a county intranet and talks to neither a carrier nor
WeChat itself.
"""

from __future__ import annotations

import logging
import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from xiangzhi.core.gateway import SIGNATURE_HEADER, GatewayError, post_signed_json, sign
from xiangzhi.core.sms import sms_backend, sms_backend_class
from xiangzhi.lib import crypto

if TYPE_CHECKING:
    from xiangzhi.notifications.models import Notification

logger = logging.getLogger("xiangzhi.notifications")

SMS_MAX_CHARS = 300
__all__ = ["SIGNATURE_HEADER", "Channel", "DeliveryError", "DeliverySkipped", "post_signed_json", "sign"]

# The channel could not hand the message over; the text is kept in the delivery record. The gateway's
# own failure is this same exception, so a gateway error is recorded like any other.
DeliveryError = GatewayError


class DeliverySkipped(Exception):
    """The recipient has no address on this channel; nothing was sent and nothing failed."""


class Channel:
    name = "channel"
    # Settings that must be non-empty for the channel to work; checked at start-up (checks.py).
    required_settings: tuple[str, ...] = ()

    def send(self, notification: Notification) -> None:
        raise NotImplementedError


class LogChannel(Channel):
    """The default: one log line per notification (the inbox row is written regardless)."""

    name = "log"

    def send(self, notification: Notification) -> None:
        logger.info(
            "notification id=%s kind=%s recipient=%s title=%s link=%s",
            notification.pk, notification.kind, notification.recipient_id, notification.title, notification.link,
        )


class EmailChannel(Channel):
    """Django's ``send_mail`` through the EMAIL_* settings, to the account's email if it has one."""

    name = "email"

    def send(self, notification: Notification) -> None:
        address = notification.recipient.email
        if not address:
            raise DeliverySkipped("无邮箱")
        text = notification.body or notification.title
        try:
            send_mail(
                subject=f"【乡治】{notification.title}",
                message=f"{text}\n\n请登录乡治，在“消息”中查看详情。",
                from_email=None,
                recipient_list=[address],
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"邮件发送失败：{exc.__class__.__name__}") from exc


class _SmsBackendSettings:
    """The settings the configured SMS backend needs, read when the start-up check asks."""

    def __get__(self, obj: object, owner: type) -> tuple[str, ...]:
        try:
            return sms_backend_class().required_settings
        except (ImportError, TypeError):
            return ()  # a wrong SMS_BACKEND is named by the accounts app's own check


class SmsGatewayChannel(Channel):
    """A text message to the account's phone through the SMS backend (SMS_BACKEND; with
    ``GatewaySmsBackend`` it POSTs ``{"phone": …, "text": …}`` to SMS_GATEWAY_URL, signed with
    SMS_GATEWAY_SECRET)."""

    name = "sms"
    required_settings = _SmsBackendSettings()  # type: ignore[assignment]

    def send(self, notification: Notification) -> None:
        encrypted = notification.recipient.phone_encrypted
        phone = crypto.decrypt(encrypted) if encrypted else ""
        if not phone:
            raise DeliverySkipped("无手机号")
        sms_backend().send(phone, sms_text(notification))


class WeChatTemplateChannel(Channel):
    """A WeChat template message, through a gateway.

    Sending one needs the official account's access token and a template id, and a call to WeChat on
    the Internet; the gateway at WECHAT_GATEWAY_URL holds those. This channel posts the template
    message without ``template_id``: the gateway picks the template by ``kind``, maps ``data`` onto
    the template's fields, makes ``url`` absolute and calls WeChat. The recipient's openid is read from
    the user field named in WECHAT_OPENID_ATTR (default ``wechat_openid``, bound by
    ``accounts.services.user_wechat_bind``); an account without one is skipped.
    """

    name = "wechat"
    required_settings = ("WECHAT_GATEWAY_URL", "WECHAT_GATEWAY_SECRET")

    def send(self, notification: Notification) -> None:
        openid = getattr(notification.recipient, settings.WECHAT_OPENID_ATTR, "") or ""
        if not openid:
            raise DeliverySkipped("未绑定微信")
        created = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
        post_signed_json(
            settings.WECHAT_GATEWAY_URL,
            {
                "touser": openid,
                "kind": notification.kind,
                "url": notification.link,
                "data": {
                    "title": {"value": notification.title},
                    "body": {"value": notification.body},
                    "time": {"value": created},
                },
            },
            secret=settings.WECHAT_GATEWAY_SECRET,
        )


def sms_text(notification: Notification) -> str:
    text = f"{notification.title}：{notification.body}" if notification.body else notification.title
    return text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"
