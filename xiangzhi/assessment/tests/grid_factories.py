"""A grid scheme for the page tests, built on the small county (tests.factories.build_small_county): an
item fed by cases of the grid, another scored by hand, and a stand-in for a grid source that names each
case and says how not to lose the points (the grid sources proper are tested in test_grid_sources)."""

import datetime as dt

from django.utils import timezone

from xiangzhi.assessment import engine, services
from xiangzhi.assessment.models import Item, Period, Scheme, SchemeKind, SchemeVersion, SourceKind, VersionState
from xiangzhi.cases.models import Case

HINT = "按时限办结即不扣分"


def late_cases(item: Item, period: Period, units: engine.Units) -> list[engine.Cause]:
    """Every case of an assessed grid reported in the period counts as closed late: points per case,
    with the hint."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (Case.objects.filter(created_at__gte=start, created_at__lt=end, grid__isnull=False)
            .order_by("created_at", "id").values_list("id", "grid_id", "number", "created_at"))
    out = []
    for case_id, grid_id, number, created_at in rows:
        unit = units.unit_for_grid(grid_id)
        if unit in units:
            out.append(engine.Cause(unit, item.points_per_case, f"事件 {number} 超过办结时限 2 天办结", case_id,
                                    timezone.localdate(created_at), HINT))
    return out


def grid_scheme(county, *, appeal_days: int = 7) -> Scheme:
    """网格考核 of the small county: 事件办结 (60, 3 a late case, through the stand-in source on case_late)
    and 工作作风 (40, by hand)."""
    now = timezone.now()
    scheme = Scheme.objects.create(county=county.county, kind=SchemeKind.GRID, name="网格考核",
                                   star_floors=[95, 90, 80, 70], appeal_days=appeal_days)
    version = SchemeVersion.objects.create(scheme=scheme, number=1, state=VersionState.IN_USE, created_at=now,
                                           activated_at=now)
    Item.objects.create(version=version, group="事件办理", code="late", name="事件按时办结", weight=60,
                        source=SourceKind.CASE_LATE, points_per_case=3, sort=1)
    Item.objects.create(version=version, group="工作作风", code="conduct", name="工作作风", weight=40,
                        source=SourceKind.MANUAL, sort=2)
    return scheme


def grid_quarter(county, scheme, *, start: dt.date, end: dt.date, name: str = "") -> Period:
    return services.period_create(scheme=scheme, actor=county.users["county_admin"], start=start, end=end,
                                  name=name)


def this_quarter(county, scheme) -> Period:
    """The 80 days up to today (so today's reports count)."""
    today = timezone.localdate()
    return grid_quarter(county, scheme, start=today - dt.timedelta(days=80), end=today)
