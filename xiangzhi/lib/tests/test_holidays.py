import datetime as dt

from xiangzhi.lib.holidays import Day, format_days, parse

NOTICE_2027 = """
2027-01-01 至 2027-01-03 元旦
2027年2月6日 至 2月12日 春节
2027/2/14 上班 春节调休
4月5日 清明节
# 劳动节见下
2027-05-01 ~ 2027-05-05 放假 劳动节
2027-05-08 劳动节补班
"""


def test_a_notice_reads_as_days():
    days, problems = parse(NOTICE_2027, 2027)
    assert problems == []
    off = [d.date for d in days if not d.workday]
    work = [(d.date, d.name) for d in days if d.workday]
    assert len(off) == 3 + 7 + 1 + 5
    assert work == [(dt.date(2027, 2, 14), "春节调休"), (dt.date(2027, 5, 8), "劳动节补班")]
    assert Day(dt.date(2027, 2, 9), False, "春节") in days


def test_every_problem_is_named_with_its_line():
    text = "\n".join([
        "2027-01-01 至 2027-01-03 元旦",
        "2027-01-02 元旦",              # twice
        "2026-12-31 跨年",              # another year
        "2027-02-30 春节",              # no such day
        "2027-03-05 至 2027-03-01 x",   # backwards
        "2027-03-08 上班 调休",          # a Monday works anyway
        "明天放假",                      # not a date
        "2027-06-01 至 2027-07-15 暑假",  # too long
        "2027-10-09 至 2027-10-10 上班",  # working days one a line
    ])
    _, problems = parse(text, 2027)
    assert [n for n, _ in problems] == [2, 3, 4, 5, 6, 7, 8, 9]
    messages = dict(problems)
    assert messages[2] == "2027-01-02 已在第 1 行写过"
    assert messages[3] == "日期应在 2027 年内"
    assert messages[6] == "2027-03-08 是星期一，本来就上班，不必写"
    assert "看不懂" in messages[7]


def test_formatting_reads_back_the_same_days():
    days, _ = parse(NOTICE_2027, 2027)
    text = format_days(days)
    assert text.splitlines()[0] == "2027-01-01 至 2027-01-03 元旦"
    assert "2027-02-14 上班 春节调休" in text
    assert parse(text, 2027) == (days, [])
