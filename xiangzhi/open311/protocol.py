"""GeoReport v2 on the wire: parsing what clients send, shaping what we answer."""

import datetime as dt
import json
import math
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.urls import reverse
from django.utils import timezone

from xiangzhi.cases.models import Case, Category, HandlingLevel
from xiangzhi.open311 import selectors
from xiangzhi.open311.services import Open311Error, RequestInput

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
LIMITS = {"address_string": 200, "description": 4000, "first_name": 25, "last_name": 25, "phone": 20,
          "email": 100, "device_id": 100, "account_id": 100, "media_url": 500}
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


# --- what clients send ---------------------------------------------------------------------------

def post_body(request) -> dict:
    """Form-encoded as the spec says, or a JSON object. ``attribute[code]=value`` becomes
    ``{"attributes": {code: value}}``; in JSON, ``"attribute": {code: value}`` works too."""
    if request.content_type == "application/json":
        try:
            raw = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Open311Error(400, "请求体不是有效的 JSON") from None
        if not isinstance(raw, dict):
            raise Open311Error(400, "JSON 请求体应为一个对象")
        items = list(raw.items())
    else:
        items = [(name, ",".join(request.POST.getlist(name))) for name in request.POST]
    body, attributes = {}, {}
    for name, value in items:
        if name == "attribute" and isinstance(value, dict):
            attributes.update({str(k): _plain(v) for k, v in value.items()})
        elif match := _ATTRIBUTE.match(name):
            attributes[match.group(1)] = _plain(value)
        else:
            body[name] = value
    body["attributes"] = attributes
    return body


def _plain(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def _coordinate(body: dict, name: str, bound: float) -> float | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Open311Error(400, f"{name} 应为数字（WGS84 十进制度）") from None
    if not math.isfinite(number) or abs(number) > bound:
        raise Open311Error(400, f"{name} 超出范围")
    return number


def request_input(body: dict) -> RequestInput:
    code = _plain(body.get("service_code")).strip()
    if not code:
        raise Open311Error(400, "缺少 service_code")
    text = {}
    for name, limit in LIMITS.items():
        value = _plain(body.get(name)).strip()
        if len(value) > limit:
            raise Open311Error(400, f"{name} 不能超过 {limit} 个字符")
        text[name] = value
    lat, lon = _coordinate(body, "lat", 90), _coordinate(body, "long", 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat 和 long 要同时提供")
    if text["email"]:
        try:
            validate_email(text["email"])
        except ValidationError:
            raise Open311Error(400, "email 格式不正确") from None
    if text["media_url"]:
        try:
            URLValidator(schemes=["http", "https"])(text["media_url"])
        except ValidationError:
            raise Open311Error(400, "media_url 应为 http(s) 链接") from None
    return RequestInput(service_code=code, lat=lat, long=lon, attributes=body.get("attributes", {}), **text)


def _datetime(value: str, name: str) -> dt.datetime:
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    value = re.sub(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:\d\d)$", r"\1+\2", value.strip())
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(400, f"{name} 不是有效的 W3C 日期时间（如 2026-03-01T08:00:00+08:00）") from None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _codes(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def list_filters(query, now: dt.datetime) -> dict:
    """GET /requests parameters → ``selectors.request_list_for_client`` arguments. A window is at most 90 days;
    without dates it is the last 90 days."""
    ids = _codes(query.get("service_request_id", ""))
    codes = _codes(query.get("service_code", ""))
    known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown := [c for c in codes if c not in known]:
        raise Open311Error(400, f"未知的服务代码（service_code）：{','.join(unknown)}")
    statuses = [s.lower() for s in _codes(query.get("status", ""))]
    if bad := [s for s in statuses if s not in selectors.STATUSES]:
        raise Open311Error(400, f"status 只能是 open 或 closed：{','.join(bad)}")
    start = _datetime(query["start_date"], "start_date") if query.get("start_date") else None
    end = _datetime(query["end_date"], "end_date") if query.get("end_date") else None
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date 早于 start_date")
        if end - start > selectors.WINDOW:
            raise Open311Error(400, "查询时间跨度不能超过 90 天")
    elif start:
        end = start + selectors.WINDOW
    elif end:
        start = end - selectors.WINDOW
    else:
        start, end = now - selectors.WINDOW, now
    return {"ids": ids or None, "service_codes": codes, "statuses": statuses, "start": start, "end": end}


# --- what we answer -------------------------------------------------------------------------------

def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def discovery(request) -> dict:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit("/", 1)[0] + "/"
    changeset = selectors.catalog_changeset()
    return {
        "changeset": changeset,
        "contact": "区县综治中心（本平台管理员）",
        "key_service": "向区县综治中心申请；管理员运行 xiangzhi open311_key --name 名称 --region 区划代码 签发，"
                       "密钥只显示一次。",
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": changeset, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }


def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.group} · {category.get_kind_display()}",
        "metadata": bool(selectors.service_attributes(category)),
        "type": "realtime",
        "keywords": ",".join([category.group, category.get_kind_display(), category.get_split_class_display()]),
        "group": category.group,
    }


def service_definition(category: Category) -> dict:
    return {
        "service_code": category.code,
        "attributes": [
            {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
             "datatype_description": f"不超过 {a.max_length} 字；保存为{a.stored_as}", "order": a.order,
             "description": a.description, "values": []}
            for a in selectors.service_attributes(category)
        ],
    }


def agency(case: Case) -> str:
    if case.assignee_department_id:
        return case.assignee_department.name
    return HandlingLevel(case.handling_level).label


def notice(case: Case) -> str:
    if case.status in selectors.CLOSED:
        return ""
    due = f"，办结时限 {timezone.localtime(case.close_due_at):%Y-%m-%d %H:%M}" if case.close_due_at else ""
    return f"由{agency(case)}办理{due}"


def _coordinate_out(value: float | None, exact: bool) -> float | None:
    return value if value is None or exact else round(value, 3)


def _place(case: Case) -> str:
    region = case.region
    parent = region.parent if region.level == "village" else None
    return f"{parent.name}{region.name}" if parent else region.name


def service_request(case: Case, request) -> dict:
    """One case as a GeoReport request. ``case.own`` (the caller filed it) shows the free text and the
    exact place; everything else gets the status name, the village and coordinates rounded to ~100 m."""
    full = case.own
    status_name = case.get_status_display()
    submission = getattr(case, "open311_submission", None) if full else None
    media_url = None
    if case.photo_id:
        media_url = request.build_absolute_uri(reverse("cases:photo", kwargs={"photo_id": case.photo_id}))
    elif submission is not None and submission.media_url:
        media_url = submission.media_url
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status in selectors.CLOSED else "open",
        "status_notes": f"{status_name}：{case.last_note}" if full and case.last_note else status_name,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": (case.description or case.title) if full else "",
        "agency_responsible": agency(case),
        "service_notice": notice(case),
        "requested_datetime": _when(case.created_at),
        "updated_datetime": _when(case.updated_at),
        "expected_datetime": _when(case.close_due_at),
        "address": (case.address or _place(case)) if full else _place(case),
        "address_id": None,
        "zipcode": None,
        "lat": _coordinate_out(case.lat, full),
        "long": _coordinate_out(case.lon, full),
        "media_url": media_url,
    }
