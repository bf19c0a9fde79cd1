"""The small checks every service and form makes on what people type: text within a length, whole
numbers in a range, an allowed role. Each refusal is a domain error in Chinese naming the field."""

import datetime as dt

from django.utils import timezone

from xiangzhi.core.errors import BadNumber, Forbidden, Invalid, field_error


def require(allowed: bool, message: str | None = None) -> None:
    """Refuse with ``Forbidden`` unless the rule allows."""
    if not allowed:
        raise Forbidden(message)


def text(value: str | None, name: str, label: str, limit: int, *, required: bool = False,
         error: type[Invalid] = Invalid) -> str:
    """Trimmed text of at most ``limit`` characters; blank allowed unless ``required``."""
    value = (value or "").strip()
    if required and not value:
        raise error(f"请填写{label}", fields=field_error(name, "必填"))
    if len(value) > limit:
        raise error(f"{label}不能超过 {limit} 个字", fields=field_error(name, "太长"))
    return value


def number(value: object, name: str, label: str, *, low: int, high: int, optional: bool = False,
           error: type[Invalid] = Invalid) -> int | None:
    """A whole number (already parsed, not a bool) between ``low`` and ``high``."""
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise error(f"{label}应为 {low}～{high} 之间的整数", fields=field_error(name, "超出范围"))
    return value


def form_int(value: str | float | None, label: str | None = None, *, blank: int | None = None) -> int | None:
    """A whole number typed into a form: blank gives ``blank``, anything else not a whole number
    is refused with ``BadNumber`` (shown beside the form, or a 400 page)."""
    if value is None or value == "":
        return blank
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadNumber(f"{label}应为整数" if label else "数字格式不正确") from None


def optional_int(value: str | float | None) -> int | None:
    """A whole number from a query string, or ``None`` when blank or not a number (filters ignore
    what they cannot read)."""
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def form_day(value: str | None, name: str, label: str, *, error: type[Invalid] = Invalid) -> dt.date:
    """A date from an ``<input type="date">`` (ISO); blank is today."""
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise error(f"{label}不正确", fields=field_error(name, "日期不正确")) from None
