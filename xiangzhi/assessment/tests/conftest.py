import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.assessment import services
from xiangzhi.cases.models import Category
from xiangzhi.cases.services import case_report

# Inside each village's first grid (tests.factories.build_small_county).
SPOTS = {"a1": (118.005, 37.705), "a2": (118.055, 37.705), "b1": (118.105, 37.705)}


def report(county, village: str, category: str, *, days_ago: int = 1):
    lon, lat = SPOTS[village]
    return case_report(category=Category.objects.get(code=category), title="测试事件", channel="worker",
                       lon=lon, lat=lat, reporter=county.users["grid_worker"],
                       now=timezone.now() - dt.timedelta(days=days_ago)).case


@pytest.fixture
def scheme(county):
    return services.scheme_install_default(county=county.county)


def make_period(county, scheme, *, start=None, end=None, **kw):
    today = timezone.localdate()
    return services.period_create(scheme=scheme, actor=county.users["county_admin"],
                                  start=start or today - dt.timedelta(days=60), end=end or today, **kw)


@pytest.fixture
def period(county, scheme):
    """This half-year so far: 2 funded, 1 warned among the three villages, a pool of 1,000,000 yuan."""
    return make_period(county, scheme, funded_count=2, warned_count=1, pool_yuan=1_000_000)
