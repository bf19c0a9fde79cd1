"""Where a notification goes besides the in-app inbox.

``settings.NOTIFY_CHANNELS`` lists channel classes by dotted path; the default is the log channel only.
A channel's ``send`` returns when the message was handed over, raises ``DeliverySkipped`` when the
recipient cannot be reached on it (no phone, no email, no WeChat binding) and ``DeliveryError`` when
the hand-over failed. The outcome of every channel is recorded on the notification; one failing
channel never stops the others.

The SMS and WeChat channels do not talk to a carrier or to WeChat: the platform runs on a county
intranet, so they POST JSON to a gateway the county operates, signed with HMAC-SHA256 over the exact
body (header ``X-Xiangzhi-Signature: sha256=<hex>``). They connect directly, ignoring ``*_proxy``
environment variables, since the gateway sits on the same intranet.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from xiangzhi.lib import crypto

if TYPE_CHECKING:
    from xiangzhi.notifications.models import Notification

logger = logging.getLogger("xiangzhi.notifications")

SIGNATURE_HEADER = "X-Xiangzhi-Signature"
GATEWAY_TIMEOUT_SECONDS = 5
SMS_MAX_CHARS = 300


class DeliveryError(Exception):
    """The channel could not hand the message over; the text is kept in the delivery record."""


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


class SmsGatewayChannel(Channel):
    """POSTs ``{"phone": …, "text": …}`` to SMS_GATEWAY_URL, signed with SMS_GATEWAY_SECRET."""

    name = "sms"
    required_settings = ("SMS_GATEWAY_URL", "SMS_GATEWAY_SECRET")

    def send(self, notification: Notification) -> None:
        encrypted = notification.recipient.phone_encrypted
        phone = crypto.decrypt(encrypted) if encrypted else ""
        if not phone:
            raise DeliverySkipped("无手机号")
        post_signed_json(
            settings.SMS_GATEWAY_URL,
            {"phone": phone, "text": sms_text(notification)},
            secret=settings.SMS_GATEWAY_SECRET,
        )


class WeChatTemplateChannel(Channel):
    """A WeChat template message, through a gateway.

    Sending one needs the official account's access token and a template id, and a call to WeChat on
    the Internet; the gateway at WECHAT_GATEWAY_URL holds those. This channel posts the template
    message without ``template_id``: the gateway picks the template by ``kind``, maps ``data`` onto
    the template's fields, makes ``url`` absolute and calls WeChat. The recipient's openid is read from
    the user attribute named in WECHAT_OPENID_ATTR (default ``wechat_openid``); an account without one
    is skipped. No such field exists on ``User`` yet: binding accounts to WeChat comes with the gateway.
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


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Direct connections only: an empty ProxyHandler keeps http_proxy/https_proxy out of the way.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_signed_json(url: str, payload: dict, *, secret: str, timeout: float = GATEWAY_TIMEOUT_SECONDS) -> None:
    """POST ``payload`` as UTF-8 JSON with its HMAC-SHA256 signature; any 2xx answer counts as accepted."""
    if not url:
        raise DeliveryError("未配置网关地址")
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("网关地址应以 http:// 或 https:// 开头")
    if not secret:
        # An unsigned gateway would relay messages for anyone on the network.
        raise DeliveryError("未配置网关密钥")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, secret),
            "User-Agent": "xiangzhi-notify/1",
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(4096)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"网关返回 HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise DeliveryError(f"无法连接网关：{exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise DeliveryError(f"网关无应答：{exc.__class__.__name__}") from exc
