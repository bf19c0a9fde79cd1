import datetime as dt
from zoneinfo import ZoneInfo

from xiangzhi.lib.workdays import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=0):
    return dt.datetime(y, m, d, h, tzinfo=SH)


def test_weekends_do_not_count():
    cal = WorkCalendar()
    friday_noon = at(2026, 11, 20, 12)
    assert cal.add_working_hours(friday_noon, 24) == at(2026, 11, 23, 12)  # Monday noon
    assert cal.working_hours_between(friday_noon, at(2026, 11, 23, 12)) == 24


def test_holidays_are_skipped_and_swapped_workdays_count():
    # 2026 National Day: 1–7 October off, Saturday 10 October a working day.
    holidays = frozenset(dt.date(2026, 10, d) for d in range(1, 8))
    cal = WorkCalendar(holidays=holidays, extra_workdays=frozenset({dt.date(2026, 10, 10)}))
    assert cal.add_working_hours(at(2026, 9, 30, 12), 24) == at(2026, 10, 8, 12)
    assert cal.add_working_hours(at(2026, 10, 9, 12), 24) == at(2026, 10, 10, 12)
    assert not cal.is_workday(dt.date(2026, 10, 11))


def test_a_start_on_a_day_off_begins_counting_on_the_next_workday():
    cal = WorkCalendar()
    assert cal.add_working_hours(at(2026, 11, 21, 15), 2) == at(2026, 11, 23, 2)
