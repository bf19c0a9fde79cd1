"""Writes of the Open311 app: issuing a client key, and filing a case through the one intake
(``xiangzhi.cases.services.case_report``), the same function the pages and the JSON API call."""

import re
from dataclasses import asdict, dataclass, field

from django.db import transaction

from xiangzhi.cases.models import Channel
from xiangzhi.cases.selectors import case_route_preview
from xiangzhi.cases.services import ReportResult, case_report
from xiangzhi.core.idempotency import fingerprint
from xiangzhi.open311 import selectors
from xiangzhi.open311.models import Open311Client, Submission
from xiangzhi.regions.models import Region


class Open311Error(Exception):
    """A request Open311 refuses: the HTTP status and the description (Chinese) for the error body."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class RequestInput:
    """A POST /requests body, parsed; what the fingerprint of an Idempotency-Key covers."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str = ""
    description: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def open311_client_create(*, name: str, region: Region) -> tuple[Open311Client, str]:
    """Issue a key. Only its digest is kept: the returned key is the one chance to see it."""
    name = (name or "").strip()
    if not name:
        raise Open311Error(400, "请填写客户端名称")
    if len(name) > 100:
        raise Open311Error(400, "客户端名称不能超过100字")
    key = Open311Client.new_key()
    client = Open311Client.objects.create(name=name, region=region, key_digest=Open311Client.digest_of(key))
    return client, key


def _phone(value: str) -> str:
    """Open311 clients send phones as they like (+86 138-0013-8000); the intake wants 11 digits."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _title(data: RequestInput, attributes: dict[str, str], fallback: str) -> str:
    if attributes.get("title"):
        return attributes["title"]
    first_line = next((line.strip() for line in data.description.splitlines() if line.strip()), "")
    if not first_line:
        return fallback
    return first_line if len(first_line) <= 50 else first_line[:49] + "…"


@transaction.atomic
def open311_request_create(*, client: Open311Client, data: RequestInput,
                           idempotency_key: str | None = None) -> ReportResult:
    """POST /requests: check the service and the place against the client's scope, then file the
    case through ``case_report`` with the client's region as the routing fallback."""
    category = selectors.service_get(data.service_code)
    if category is None:
        raise Open311Error(400, f"未知的服务代码（service_code）：{data.service_code}")
    if data.lat is None and data.long is None and not data.address_string:
        raise Open311Error(400, "缺少位置：请提供 lat 和 long，或 address_string")
    attributes = {}
    for attribute in selectors.service_attributes(category):
        value = (data.attributes.get(attribute.code) or "").strip()
        if attribute.required and not value:
            raise Open311Error(400, f"缺少必填属性 attribute[{attribute.code}]：{attribute.description}")
        if len(value) > attribute.max_length:
            raise Open311Error(400, f"属性 attribute[{attribute.code}] 不能超过 {attribute.max_length} 字")
        attributes[attribute.code] = value
    # Preview the route (a read) so a place outside the client's region is refused before any write.
    where = case_route_preview(category=category, lon=data.long, lat=data.lat, fallback_region=client.region)
    if not where.scope_path.startswith(client.region.path):
        raise Open311Error(400, f"该位置不在本客户端的服务区域（{client.region.name}）内")

    extra = [("部件编号", attributes.get("facility_code")), ("联系邮箱", data.email), ("照片链接", data.media_url)]
    description = "\n".join([data.description.strip(), *(f"{label}：{value}" for label, value in extra if value)])
    address = " ".join(part for part in (data.address_string.strip(), attributes.get("address_detail")) if part)
    result = case_report(
        channel=Channel.OPEN311, category=category, title=_title(data, attributes, category.name),
        description=description, lon=data.long, lat=data.lat, address=address,
        reporter_name=f"{data.last_name.strip()}{data.first_name.strip()}", reporter_phone=_phone(data.phone),
        fallback_region=client.region, idempotency_key=idempotency_key, idempotency_owner=f"open311:{client.pk}",
        fingerprint=fingerprint(asdict(data)),
    )
    if result.created:
        Submission.objects.create(client=client, case=result.case, device_id=data.device_id,
                                  account_id=data.account_id, media_url=data.media_url)
    return result
