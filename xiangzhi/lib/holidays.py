"""A year's holidays and swapped working days (放假 / 调休上班) as people type them from the 国务院办公厅's
yearly notice, one line each:

    2027-01-01 至 2027-01-03 元旦
    2027-02-06 至 2027-02-12 春节
    2027-02-14 上班 春节调休

A line is a day or a span (至, 到, ~), then 放假 or 上班 (放假 when left out; a name that says 上班 or 补班
makes it a working day), then the name. Dates may be written 2027-01-01, 2027/1/1, 2027年1月1日 or, in
the year being entered, 1月1日. ``parse`` checks every line and returns every problem with its line
number; nothing is taken from text with a problem."""

import datetime as dt
import re
from dataclasses import dataclass

_DATE = r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_LINE = re.compile(
    rf"^{_DATE}\s*(?:(?:至|到|~|～|—|–|\s-\s)\s*{_DATE})?\s*(放假|休息|上班|补班|调休上班)?\s*(.*?)\s*$"
)
WORK_WORDS = ("上班", "补班")
NAME_LIMIT = 30
SPAN_LIMIT = 31
WEEKDAYS = "一二三四五六日"
EXAMPLE = "应写成“2027-01-01 至 2027-01-03 元旦”或“2027-02-14 上班 春节调休”"


@dataclass(frozen=True)
class Day:
    date: dt.date
    workday: bool  # a swapped working day (调休上班) on a weekend; else a holiday (放假)
    name: str


def _date(year: str | None, month: str, day: str, page_year: int) -> dt.date | None:
    try:
        return dt.date(int(year) if year else page_year, int(month), int(day))
    except ValueError:
        return None


def weekday_name(day: dt.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def parse(text: str, year: int) -> tuple[list[Day], list[tuple[int, str]]]:
    """The days of ``year`` in ``text``, in date order, and the problems found as (line number, message)."""
    days: dict[dt.date, tuple[int, Day]] = {}
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = _LINE.match(line)
        if found is None:
            problems.append((number, f"看不懂“{line[:40]}”：{EXAMPLE}"))
            continue
        y1, m1, d1, y2, m2, d2, word, name = found.groups()
        first = _date(y1, m1, d1, year)
        last = _date(y2 or y1, m2, d2, year) if m2 else first
        if first is None or last is None:
            problems.append((number, "日期不存在"))
            continue
        if first.year != year or last.year != year:
            problems.append((number, f"日期应在 {year} 年内"))
            continue
        if last < first:
            problems.append((number, "结束日期早于开始日期"))
            continue
        if (last - first).days + 1 > SPAN_LIMIT:
            problems.append((number, f"一段假期不超过 {SPAN_LIMIT} 天"))
            continue
        name = name.strip()
        if len(name) > NAME_LIMIT:
            problems.append((number, f"名称不超过 {NAME_LIMIT} 个字"))
            continue
        workday = word in ("上班", "补班", "调休上班") or (word is None and any(w in name for w in WORK_WORDS))
        if workday and last != first:
            problems.append((number, "调休上班的日子请一天写一行"))
            continue
        if workday and first.weekday() < 5:
            problems.append((number, f"{first.isoformat()} 是{weekday_name(first)}，本来就上班，不必写"))
            continue
        day = first
        while day <= last:
            if day in days:
                problems.append((number, f"{day.isoformat()} 已在第 {days[day][0]} 行写过"))
            else:
                days[day] = (number, Day(day, workday, name))
            day += dt.timedelta(days=1)
    return [d for _, d in sorted(days.values(), key=lambda nd: nd[1].date)], problems


def format_days(days: list[Day]) -> str:
    """The lines ``parse`` reads back: consecutive holidays of one name as a span, working days one a line."""
    lines: list[str] = []
    ordered = sorted(days, key=lambda d: d.date)
    i = 0
    while i < len(ordered):
        day = ordered[i]
        if day.workday:
            lines.append(f"{day.date.isoformat()} 上班 {day.name}".rstrip())
            i += 1
            continue
        j = i
        while (j + 1 < len(ordered) and not ordered[j + 1].workday and ordered[j + 1].name == day.name
               and ordered[j + 1].date == ordered[j].date + dt.timedelta(days=1)):
            j += 1
        span = day.date.isoformat() if j == i else f"{day.date.isoformat()} 至 {ordered[j].date.isoformat()}"
        lines.append(f"{span} {day.name}".rstrip())
        i = j + 1
    return "\n".join(lines)
