"""A little configuration history for the demo county, made through the configuration services before the
case history is written (so the cases reported since the change keep its new terms): last month the
county gave 垃圾乱堆乱放 two more days to clear; last week it entered next year's holidays; its first
township keeps its own duplicate-report distance."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.models import Category
from xiangzhi.cases.selectors import category_input_of
from xiangzhi.cases.services import calendar_year_set, category_update
from xiangzhi.configuration.services import setting_set
from xiangzhi.regions.models import Region, RegionLevel

EDITED = "env_garbage"
# Holidays that fall on the same dates every year; the lunar ones are known for 2027 (the year the demo
# was first built for), where a weekend day is worked in exchange.
FIXED = ["{y}-01-01 元旦", "{y}-05-01 至 {y}-05-05 劳动节", "{y}-10-01 至 {y}-10-07 国庆节"]
LUNAR = {2027: ["2027-02-05 至 2027-02-13 春节", "2027-02-20 上班 春节调休", "2027-04-03 至 2027-04-05 清明节",
                "2027-05-08 上班 劳动节调休", "2027-06-09 端午节", "2027-09-15 中秋节",
                "2027-09-26 上班 国庆节调休", "2027-10-09 上班 国庆节调休"]}


@dataclass
class ConfigurationReport:
    edited: str = ""
    year: int = 0
    days: int = 0
    override: str = ""


def holiday_text(year: int) -> str:
    return "\n".join([*(line.format(y=year) for line in FIXED), *LUNAR.get(year, [])])


def write_configuration(now: dt.datetime | None = None) -> ConfigurationReport:
    now = now or timezone.now()
    report = ConfigurationReport()
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("username").first()
    if admin is None:
        return report
    garbage = Category.objects.filter(code=EDITED).first()
    if garbage is not None:
        data = category_input_of(garbage)
        data.handle_hours = (data.handle_hours or 24) + 48
        category_update(category=garbage, data=data, actor=admin, reason="清运车辆调整，处置时限延长两天",
                        now=now - dt.timedelta(days=35))
        report.edited = f"{garbage.name}（处置时限延长至 {data.handle_hours} 工作小时）"
    year = timezone.localtime(now).year + 1
    days = calendar_year_set(year=year, text=holiday_text(year), actor=admin, reason="按国务院办公厅节假日安排通知录入",
                             now=now - dt.timedelta(days=6))
    report.year, report.days = year, len(days)
    township = Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").first()
    if township is not None:
        setting_set(key="case.duplicate_meters", region=township, value=300, actor=admin,
                    reason=f"{township.name}村庄分散，疑似重复件距离放宽到300米", now=now - dt.timedelta(days=20))
        report.override = f"{township.name}疑似重复件距离 300 米"
    return report
