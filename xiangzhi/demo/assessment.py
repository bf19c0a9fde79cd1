"""积分换项目 for the demo county: the default 六零 scorecard, and two half-years run, published and closed
through the assessment services — the earlier one from cases alone, the last six full months (those of
the monthly inspections) from cases, inspection findings and one score entered by hand (the village
last in the earlier half-year had a serious accident in this one) — so the ranking shows funded,
warned and (bottom twice running) flagged villages.

A whole county keeps the defaults (top 100 funded from 5000万, bottom 20 warned); a street of a few
dozen villages funds a quarter of them from 20万 a funded village and warns an eighth (at least two),
else every village would be funded with millions. Deterministic for a build day: the runs only read
what the demo wrote.

Closing a half-year awards its funded villages their funds on the projects side (积分换项目奖补). The
earlier half is closed first and dated ten days after it ended; ``between`` then writes what happened
since (the villages' projects, ``demo.projects``), so each funded village's next project takes its
award as it is set up; the last half, closed on the build day, awards the projects still waiting for
funds, or waits for the village's next one.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.assessment import services
from xiangzhi.assessment.models import Period, Score
from xiangzhi.projects.models import VillageAward
from xiangzhi.regions.models import Region, RegionLevel


@dataclass
class AssessmentReport:
    periods: int = 0
    villages: int = 0
    funded: int = 0
    funded_yuan: int = 0
    warned: int = 0
    flagged: int = 0
    awards_taken: int = 0
    awards_waiting: int = 0


def _month_back(first: dt.date, months: int) -> dt.date:
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def _name(start: dt.date, end: dt.date) -> str:
    if start.year == end.year:
        return f"{start.year}年{start.month}—{end.month}月"
    return f"{start.year}年{start.month}月—{end.year}年{end.month}月"


STREET_AWARD = 200_000  # a street's pool: this much a funded village, on average


def _backdate(period: Period, closed: dt.datetime) -> None:
    """The earlier half was published and closed when it would have been, not on the build day: its
    awards with it (the projects set up since take them later, ``between``)."""
    Period.objects.filter(pk=period.pk).update(published_at=closed - dt.timedelta(days=2), closed_at=closed)
    VillageAward.objects.filter(key__startswith=f"assessment:period:{period.pk}:").update(awarded_at=closed)


def write_assessment(today: dt.date | None = None, *, between: Callable[[], object] | None = None) -> AssessmentReport:
    report = AssessmentReport()
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("id").first()
    if county is None or admin is None:
        if between is not None:
            between()
        return report
    today = today or timezone.localdate()
    scheme = services.scheme_install_default(county=county, actor=admin)
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=county.path).count()
    funded, warned = (100, 20) if villages >= 200 else (villages // 4, max(2, villages // 8))
    pool = 50_000_000 if villages >= 200 else funded * STREET_AWARD
    this_month = today.replace(day=1)
    halves = [(_month_back(this_month, 12), _month_back(this_month, 6) - dt.timedelta(days=1)),
              (_month_back(this_month, 6), this_month - dt.timedelta(days=1))]
    last: Period | None = None
    for start, end in halves:
        period = services.period_create(scheme=scheme, actor=admin, start=start, end=end, name=_name(start, end),
                                        funded_count=funded, warned_count=warned, pool_yuan=pool)
        bottom = Score.objects.filter(run_id=last.current_run_id).order_by("-rank").first() if last else None
        if bottom is not None:
            services.manual_score_add(period=period, village=bottom.village, actor=admin, points=10,
                                      item=period.version.items.get(code="accident_serious"),
                                      reason="发生一起较大道路交通事故（2人死亡）", evidence="县应急管理局事故通报",
                                      day=start + dt.timedelta(days=40))
        services.period_run(period=period, actor=admin)
        services.period_publish(period=period, actor=admin)
        services.period_close(period=period, actor=admin)
        report.periods += 1
        last = Period.objects.get(pk=period.pk)
        if end < halves[-1][1]:
            _backdate(period, timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=10), dt.time(10))))
            if between is not None:
                between()
    if last is not None:
        scores = Score.objects.filter(run_id=last.current_run_id)
        report.villages = scores.count()
        report.funded = scores.filter(funded_yuan__gt=0).count()
        report.funded_yuan = sum(scores.values_list("funded_yuan", flat=True))
        report.warned = scores.filter(warned=True).count()
        report.flagged = scores.filter(flagged=True).count()
    report.awards_taken = VillageAward.objects.filter(project__isnull=False).count()
    report.awards_waiting = VillageAward.objects.filter(project__isnull=True).count()
    return report
