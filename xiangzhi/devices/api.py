"""The device-alarm webhook: no user session or token; each request is signed by its source."""

import datetime as dt
import json

from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationError

from xiangzhi.core.http import error_response
from xiangzhi.core.idempotency import fingerprint
from xiangzhi.devices import services

router = Router(tags=["设备告警"])
MAX_BODY_BYTES = 64 * 1024


class AlarmIn(Schema):
    source: str = Field(..., min_length=1, max_length=50, description="登记的数据源名称")
    device_id: str = Field(..., min_length=1, max_length=64)
    event_id: str = Field(..., min_length=1, max_length=100,
                          description="告警事件号；同一数据源内重复发送只生成一件事件")
    alarm_type: str = Field(services.DEFAULT_ALARM_TYPE, max_length=32, description="事件类别代码")
    title: str = Field("", max_length=100)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    occurred_at: dt.datetime | None = Field(None, description="ISO 8601；不带时区按北京时间")


class AlarmOut(Schema):
    id: int
    number: str
    status: str
    handling_level: str
    grid_code: str | None
    region_code: str
    created: bool


def _error(request, status: int, code: str, message: str):
    return error_response(status, code, message)


@router.post(
    "/device", auth=None, response={200: AlarmOut, 201: AlarmOut},
    summary="设备告警接入（HMAC-SHA256 签名，5 分钟防重放）",
    description=f"请求头 `{services.TIMESTAMP_HEADER}: <Unix 秒>`、`{services.SIGNATURE_HEADER}: sha256=<hex>`，"
    "签名为 HMAC-SHA256(数据源密钥, 时间戳 + \".\" + 原始请求体)。首次 201，同一 event_id 重发 200。",
    openapi_extra={"requestBody": {"required": True,
                                   "content": {"application/json": {"schema": AlarmIn.model_json_schema()}}}},
)
def device_alarm(request):
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if (declared.isdigit() and int(declared) > MAX_BODY_BYTES) or len(request.body) > MAX_BODY_BYTES:
        return _error(request, 413, "too_large", f"请求体超过 {MAX_BODY_BYTES // 1024} KB")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        return _error(request, 422, "invalid", "请求体不是有效的 JSON 对象")
    try:
        source = services.source_authenticate(
            name=data["source"] if isinstance(data.get("source"), str) else "",
            timestamp=request.headers.get(services.TIMESTAMP_HEADER, ""),
            signature=request.headers.get(services.SIGNATURE_HEADER, ""), body=request.body,
        )
    except services.WebhookRejected as exc:
        return _error(request, 401, exc.code, str(exc))
    try:
        payload = AlarmIn.model_validate(data)
    except ValidationError as exc:
        raise NinjaValidationError(exc.errors(include_url=False)) from None
    alarm = services.Alarm(
        device_id=payload.device_id, event_id=payload.event_id, alarm_type=payload.alarm_type, title=payload.title,
        lon=payload.lon, lat=payload.lat, occurred_at=payload.occurred_at,
    )
    result = services.device_alarm_receive(source=source, alarm=alarm,
                                           fingerprint=fingerprint(payload.model_dump()))
    case = result.case
    return Status(201 if result.created else 200, {
        "id": case.pk, "number": case.number, "status": case.status, "handling_level": case.handling_level,
        "grid_code": case.grid.code if case.grid_id else None, "region_code": case.region.code,
        "created": result.created,
    })
