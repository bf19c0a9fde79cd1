"""积分优先 in the demo county, through the real services: in the first villages (by code) the village
cadre publishes a few benefits — a training place, a public-welfare job, a credit loan, an honour —
each with a threshold set from the village's own points, so that about twice as many households reach
it as there are places. Two were published 24 days ago and closed by the cadre on their closing day,
three days ago: their lists are fixed, with their 核验码; the others are open and follow the ledger.

Runs after the points cycle (whose sweep would close a benefit past its closing day itself).
Deterministic for the build's data and day: no random draw; thresholds come from the ledger.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.demo.points import adoption_day
from xiangzhi.points import services as points
from xiangzhi.points.models import BenefitKind, BenefitState, PointsBenefit
from xiangzhi.points.selectors import benefit_points
from xiangzhi.regions.models import Region, RegionLevel

# (which of the villages, kind, title, description, places, closed)
BENEFITS = [
    (0, BenefitKind.TRAINING, "电商直播技能培训", "县人社局举办，为期 10 天，免培训费，结业发证书", 5, True),
    (0, BenefitKind.JOB, "村保洁公益岗位", "每月补贴 800 元，一年一聘", 2, False),
    (1, BenefitKind.LOAN, "“积分贷”信用贷款", "县农商银行按户积分授信，最高 5 万元，利率下浮 20%", 8, True),
    (2, BenefitKind.HONOUR, "文明家庭推荐", "推荐参加街道年度文明家庭评选", 3, False),
]
PUBLISHED_DAYS_AGO = {True: 24, False: 5}
OPEN_DAYS = {True: 21, False: 14}
CLOSED_DAYS_AGO = 3  # their closing day


@dataclass
class BenefitsReport:
    published: int = 0
    closed: int = 0
    villages: set[str] = field(default_factory=set)
    rows: int = 0  # households on the closed lists


def threshold_for(totals: Iterable[int], places: int) -> int:
    """About twice ``places`` households reach it (more where several share the points at the cut): the
    points of the (2 × places)th household, or of the last one with points; at least 1."""
    ranked = sorted((t for t in totals if t > 0), reverse=True)
    if not ranked:
        return 1
    return ranked[min(len(ranked), 2 * places) - 1]


def write_benefits(*, villages: Iterable[Region] | None = None, now: dt.datetime | None = None) -> BenefitsReport:
    now = now or timezone.now()
    today = timezone.localdate(now)
    basis_start = adoption_day(today)
    if villages is None:
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")[:3]
    chosen = [v for v in villages if not PointsBenefit.objects.filter(village=v).exists()]
    report = BenefitsReport()
    for index, kind, title, description, places, closed in BENEFITS:
        if index >= len(chosen):
            continue
        village = chosen[index]
        cadre = User.objects.filter(role=Role.VILLAGE_CADRE, region=village, is_active=True).order_by("id").first()
        if cadre is None:
            continue
        published = now - dt.timedelta(days=PUBLISHED_DAYS_AGO[closed])
        opens_on = timezone.localdate(published)
        closes_on = opens_on + dt.timedelta(days=OPEN_DAYS[closed])
        basis_end = opens_on if closed else today
        totals = benefit_points(village, basis_start, basis_end).values()
        benefit = points.benefit_publish(
            actor=cadre, village=village, kind=kind, title=title, description=description, places=places,
            threshold=threshold_for(totals, places), basis_start=basis_start, basis_end=basis_end,
            opens_on=opens_on, closes_on=closes_on, now=published)
        report.published += 1
        report.villages.add(village.code)
        if closed:
            benefit = points.benefit_close(actor=cadre, benefit=benefit,
                                           now=now - dt.timedelta(days=CLOSED_DAYS_AGO))
            report.closed += benefit.state == BenefitState.CLOSED
            report.rows += benefit.rows.count()
    return report
