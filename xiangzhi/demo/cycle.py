"""The points cycle in the demo county, run through the real services as the worker would run it:
every cycle since the townships adopted their rulebooks is planned and advanced (last quarter's
notices are published for every village and take objections now), one villager's objection is
upheld with a correcting entry and another is answered without one, and the county opens a
year-end redemption window in every township so the supermarkets take orders today."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.people.models import Household
from xiangzhi.points import services as points
from xiangzhi.points.models import PointsNotice
from xiangzhi.regions.models import Region, RegionLevel

WINDOW_NOTE = "岁末积分兑换"


@dataclass
class CycleReport:
    notices: int = 0
    objections: int = 0
    windows: int = 0
    village_code: str = ""


def write_cycle(*, now: dt.datetime | None = None) -> CycleReport:
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = CycleReport()
    # The worker published last quarter's notices yesterday; villagers object, supervisors answer.
    points.cycles_advance(now=now - dt.timedelta(days=1))
    report.notices = PointsNotice.objects.count()

    # Objections in the village of the first demo villager, on last quarter's notice.
    resident = User.objects.filter(role=Role.RESIDENT, household__isnull=False).order_by("id").first()
    if resident is not None:
        village = resident.household.grid.region
        report.village_code = village.code
        notice = PointsNotice.objects.filter(village=village).order_by("-period_start").first()
        supervisor = User.objects.filter(role=Role.POINTS_SUPERVISOR, region=village).first()
        neighbour = next((r for r in reversed(notice.rows) if r["household"] != resident.household_id), None) \
            if notice else None
        if notice is not None and supervisor is not None and neighbour is not None:
            upheld = points.objection_file(
                actor=resident, notice=notice, household=Household.objects.get(pk=neighbour["household"]),
                text=f"{neighbour['number']}户{notice.period_end.month}月参加义务整修村东河道，名单上没有这一项",
                now=now - dt.timedelta(hours=20))
            points.objection_resolve(actor=supervisor, objection=upheld, upheld=True, correction=3,
                                     resolution="经核对出工登记属实，补记“义务出工”3 分",
                                     now=now - dt.timedelta(hours=2))
            dismissed = points.objection_file(
                actor=resident, notice=notice, household=resident.household,
                text="本户8月垃圾分类应当每周都合格，名单上的分数偏少", now=now - dt.timedelta(hours=19))
            points.objection_resolve(actor=supervisor, objection=dismissed, upheld=False,
                                     resolution="经核查8月第二周抽查未分类，维持原记录",
                                     now=now - dt.timedelta(hours=1))
            report.objections = 2

    # The county opens a year-end window in every township, so the supermarkets take orders today.
    admin = User.objects.filter(role=Role.COUNTY_ADMIN).order_by("id").first()
    if admin is not None:
        for township in Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"):
            points.redemption_window_add(actor=admin, township=township, opens_on=today - dt.timedelta(days=3),
                                         closes_on=today + dt.timedelta(days=11), note=WINDOW_NOTE)
            report.windows += 1
        points.cycles_advance(now=now)
    return report
