"""How dates and figures read on every page: one convention for the whole site.

A day reads 「12月6日」 in the current year and 「2025年12月6日」 otherwise; with its time
「12月6日 14:05」 / 「2025年12月6日 14:05」, always on the county's clock (``TIME_ZONE``). A figure
reads with thousands grouping 「102,325」; a decimal with a fixed number of places for its kind
(kilometres 2, percentages 1: 「96.5%」). IDs, codes, years and URLs are never grouped, so Django's
own localisation (``USE_THOUSAND_SEPARATOR``) stays off and these filters are applied by name.

Loaded as a template builtin (settings ``TEMPLATES``): ``{{ case.created_at|moment }}``,
``{{ entry.occurred_on|day }}``, ``{{ log.updated_at|clock }}``, ``{{ balance|figure }}``,
``{{ entry.points|signed }}``, ``{{ patrol.distance_km|km }}``, ``{{ rate|percent }}``. Python code
that builds text for a screen or a message calls the ``*_text`` functions. Machine formats
(``datetime=`` attributes, ``<input type="date">`` values, exports) keep ISO 8601.
An empty value (None, "") renders as "" so ``|default:"—"`` still works after a filter.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

register = template.Library()

Day = dt.date | dt.datetime


def _local(value: Day) -> Day:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _empty(value: object) -> bool:
    return value is None or value == ""


def day_text(value: Day | None, *, today: dt.date | None = None) -> str:
    """「12月6日」 this year, 「2025年12月6日」 any other year; a moment is read on the county's clock."""
    if value is None or value == "":
        return ""
    local = _local(value)
    day = local.date() if isinstance(local, dt.datetime) else local
    this_year = (today or timezone.localdate()).year
    if day.year == this_year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def moment_text(value: Day | None, *, today: dt.date | None = None) -> str:
    """「12月6日 14:05」 / 「2025年12月6日 14:05」; a bare date reads as a day."""
    if value is None or value == "":
        return ""
    local = _local(value)
    if not isinstance(local, dt.datetime):
        return day_text(local, today=today)
    return f"{day_text(local, today=today)} {local:%H:%M}"


def clock_text(value: dt.datetime | dt.time | None) -> str:
    """「14:05」, on the county's clock."""
    if value is None or value == "":
        return ""
    local = _local(value) if isinstance(value, dt.datetime) else value
    return f"{local:%H:%M}"


def _number(value: object) -> Decimal | None:
    if _empty(value) or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def figure_text(value: object) -> str:
    """A count, points, stock: 「102,325」. A value that is not a number is shown as it is."""
    number = _number(value)
    if number is None:
        return "" if _empty(value) else str(value)
    return f"{round(number):,}"


def signed_text(value: object) -> str:
    """Points gained or lost: 「+1,200」 / 「-5」 / 「+0」."""
    number = _number(value)
    if number is None:
        return "" if _empty(value) else str(value)
    return f"{round(number):+,}"


def decimal_text(value: object, places: int = 1) -> str:
    """A measured quantity with a fixed number of places: 「1,234.5」."""
    number = _number(value)
    if number is None:
        return "" if _empty(value) else str(value)
    return f"{number:,.{int(places)}f}"


def km_text(value: object) -> str:
    """Kilometres, two places: 「3.25」 (the page writes 公里 after it)."""
    return decimal_text(value, 2)


def percent_text(value: object, places: int = 1) -> str:
    """A rate already in percent, one place: 「96.5%」."""
    text = decimal_text(value, places)
    return f"{text}%" if _number(value) is not None else text


def share_text(value: object, places: int = 1) -> str:
    """A fraction shown as a percentage: 0.965 → 「96.5%」."""
    number = _number(value)
    if number is None:
        return "" if _empty(value) else str(value)
    return percent_text(number * 100, places)


def size_text(value: object) -> str:
    """Bytes on disk, in the largest unit under 1,024, one place: 「1.5 GB」, 「820.0 KB」, 「12 B」."""
    number = _number(value)
    if number is None:
        return "" if _empty(value) else str(value)
    size = float(number)
    sign = "-" if size < 0 else ""
    size = abs(size)
    if size < 1024:
        return f"{sign}{round(size):,} B"
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1024
        if size < 1024 or unit == "TB":
            break
    return f"{sign}{size:,.1f} {unit}"


def stated_text(value: object) -> object:
    """A value kept as text (a register change's before and after): an ISO day reads as a day, in the
    site's style; anything else is shown as it is."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return day_text(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return value


register.filter("day", day_text)
register.filter("stated", stated_text)
register.filter("moment", moment_text)
register.filter("clock", clock_text)
register.filter("figure", figure_text)
register.filter("signed", signed_text)
register.filter("decimal", decimal_text)
register.filter("km", km_text)
register.filter("percent", percent_text)
register.filter("share", share_text)
register.filter("size", size_text)
