"""Calendar periods for caps and cycles: the day, month, quarter or year a date falls in."""

import datetime as dt

PERIODS = ("day", "month", "quarter", "year")


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day (both inclusive) of the ``period`` containing ``day``."""
    if period == "day":
        return day, day
    if period == "month":
        start = day.replace(day=1)
        return start, _next_month(start) - dt.timedelta(days=1)
    if period == "quarter":
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        end = _next_month(_next_month(_next_month(start))) - dt.timedelta(days=1)
        return start, end
    if period == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValueError(f"unknown period {period!r}; one of {', '.join(PERIODS)}")


def _next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def periods_of_year(period: str, year: int) -> list[tuple[dt.date, dt.date]]:
    """Every ``period`` ("month", "quarter", "half_year" or "year") of the year, first to last."""
    months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}.get(period)
    if months is None:
        raise ValueError(f"unknown period {period!r}")
    out = []
    for first_month in range(1, 13, months):
        start = dt.date(year, first_month, 1)
        end = dt.date(year, first_month + months, 1) - dt.timedelta(days=1) if first_month + months <= 12 \
            else dt.date(year, 12, 31)
        out.append((start, end))
    return out


def next_month_day(end: dt.date, day: int) -> dt.date:
    """Day ``day`` of the month after the one ``end`` falls in."""
    return _next_month(end.replace(day=1)).replace(day=day)
