"""Device sources and the alarms they post.

A request is ``POST /api/v1/webhooks/device`` with headers ``X-Xiangzhi-Timestamp: <unix seconds>``
and ``X-Xiangzhi-Signature: sha256=<hex>``, the HMAC-SHA256 of ``timestamp + "." + raw body`` under
the source's secret. A request older (or newer) than five minutes is refused, so a captured request
cannot be replayed later; within the window a replay carries the same ``event_id`` and gets the
first case back.
"""

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.scope import Scope
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import Category, Channel
from xiangzhi.cases.selectors import case_route_preview
from xiangzhi.cases.services import ReportResult, case_report
from xiangzhi.devices.models import DeviceSource
from xiangzhi.lib import crypto, keys
from xiangzhi.regions.models import Region

SIGNATURE_HEADER = "X-Xiangzhi-Signature"
TIMESTAMP_HEADER = "X-Xiangzhi-Timestamp"
MAX_AGE = dt.timedelta(minutes=5)
DEFAULT_ALARM_TYPE = "device_alarm"


class WebhookRejected(Exception):
    """A request that does not prove it comes from a registered source (answered 401)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class AlarmError(CaseError):
    """A signed alarm whose content is refused (answered 422)."""


@dataclass(frozen=True)
class Alarm:
    device_id: str
    event_id: str
    alarm_type: str = DEFAULT_ALARM_TYPE
    title: str = ""
    lon: float | None = None
    lat: float | None = None
    occurred_at: dt.datetime | None = None


def device_source_create(*, name: str, region: Region) -> tuple[DeviceSource, str]:
    """Register a source; the secret is returned this once and kept only encrypted."""
    name = (name or "").strip()
    if not name or len(name) > 50 or any(c.isspace() for c in name):
        raise ValueError("数据源名称不能为空、不能含空格，最多50字")
    if DeviceSource.objects.filter(name=name).exists():
        raise ValueError(f"数据源“{name}”已存在")
    secret = secrets.token_urlsafe(32)
    source = DeviceSource.objects.create(name=name, region=region, secret_encrypted=crypto.encrypt(secret))
    return source, secret


def device_source_rotate(*, source: DeviceSource) -> str:
    """A new secret for the source; the old one stops working at once."""
    secret = secrets.token_urlsafe(32)
    source.secret_encrypted = crypto.encrypt(secret)
    source.save(update_fields=["secret_encrypted"])
    return secret


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (what a device system computes)."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@functools.cache
def _stand_in_secret(version: int) -> str:
    """Encrypted once per process and data key version (a rotation retires the old one): an unknown
    source's request is checked against it, so it costs the same decryption and HMAC as a known one."""
    return crypto.encrypt(secrets.token_urlsafe(32), version=version)


def source_authenticate(*, name: str, timestamp: str, signature: str, body: bytes,
                        now: dt.datetime | None = None) -> DeviceSource:
    """The active source that signed this body at this time, or ``WebhookRejected``.

    An unknown source, a disabled one and a wrong signature get the same answer after the same work,
    so nobody learns which source names exist. The timestamp's form is checked before any source is
    looked up; its age only after the signature, so only a genuine sender learns its clock is off."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected("bad_signature", f"缺少或无效的 {TIMESTAMP_HEADER}（应为 Unix 秒数）")
    source = DeviceSource.objects.select_related("region").filter(name=name, is_active=True).first() if name else None
    secret_encrypted = source.secret_encrypted if source is not None else _stand_in_secret(
        keys.current_data_key().version)
    expected = sign(crypto.decrypt(secret_encrypted), timestamp, body)
    if not hmac.compare_digest(expected.encode(), (signature or "").encode()) or source is None:
        raise WebhookRejected("bad_signature", "签名无效")
    now = now or timezone.now()
    sent = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    if abs(now - sent) > MAX_AGE:
        raise WebhookRejected("stale_timestamp", "请求时间与服务器相差超过5分钟，已拒绝（防重放）；请校准设备平台时钟")
    return source


def device_alarm_receive(*, source: DeviceSource, alarm: Alarm, fingerprint: str) -> ReportResult:
    """Turn one alarm into a case, routed by location like every other report. ``event_id`` is the
    idempotency key within the source, so a retried alarm returns the first case."""
    category = Category.objects.filter(code=alarm.alarm_type, is_active=True).first()
    if category is None:
        raise AlarmError(f"未知或已停用的告警类别：{alarm.alarm_type}")
    now = timezone.now()
    occurred = alarm.occurred_at or now
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    if occurred > now + MAX_AGE:
        raise AlarmError("告警时间晚于当前时间，请校准设备时钟")
    owner = f"device:{source.name}"
    region_scope = Scope(paths=(source.region.path,))
    where = case_route_preview(category=category, lon=alarm.lon, lat=alarm.lat, fallback_region=source.region)
    if not region_scope.covers_path(where.scope_path):
        # A source speaks for its own region: a leaked secret cannot file cases all over the county.
        raise AlarmError(f"告警位置不在数据源所属区域（{source.region.name}）内")
    title = (alarm.title or "").strip() or f"设备告警：{alarm.device_id}"
    with transaction.atomic():
        result = case_report(
            channel=Channel.DEVICE, category=category, title=title[:100],
            description=f"设备 {alarm.device_id}（{source.name}）告警，类别 {category.name}，事件号 {alarm.event_id}",
            lon=alarm.lon, lat=alarm.lat, reporter_name=f"{source.name}/{alarm.device_id}"[:50],
            fallback_region=source.region, idempotency_key=alarm.event_id, idempotency_owner=owner,
            fingerprint=fingerprint, now=occurred.astimezone(dt.UTC),
        )
        if result.created:
            DeviceSource.objects.filter(pk=source.pk).update(last_alarm_at=now)
    return result
