"""Working-day arithmetic for deadlines: time limits run on working days only (节假日顺延).

A deadline of N working hours from a start counts only hours that fall on working days; weekends
are off unless declared working days (调休), and declared holidays are off.
"""

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` working hours after ``start`` (aware datetimes keep their zone)."""
        remaining = dt.timedelta(hours=hours)
        current = start
        for _ in range(3660):  # ten years of days: a guard, never reached with real limits
            day = current.date()
            next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=current.tzinfo)
            if self.is_workday(day):
                available = next_midnight - current
                if remaining <= available:
                    return current + remaining
                remaining -= available
            current = next_midnight
        raise ValueError("deadline too far in the future")

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        if end <= start:
            return 0.0
        total = dt.timedelta()
        current = start
        while current < end:
            day = current.date()
            next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=current.tzinfo)
            stop = min(end, next_midnight)
            if self.is_workday(day):
                total += stop - current
            current = stop
        return total.total_seconds() / 3600
