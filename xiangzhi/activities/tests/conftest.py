import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import install_points_rulebooks
from xiangzhi.activities import services
from xiangzhi.points.models import PointsRule


@pytest.fixture
def rules(county):
    """Rules of 下洼镇 (town_a) by code, as in the points tests; 古城镇 (town_b) has its own copy."""
    return install_points_rulebooks(county.town_a, county.town_b)[county.town_a.code]


@pytest.fixture
def rules_b(county, rules):
    return {r.code: r for r in PointsRule.objects.filter(rulebook__region=county.town_b).select_related("category")}


def make_activity(county, rules, *, started: bool = False, actor: str = "village_cadre", village=None,
                  code: str = "volunteer_activity", signups=(), checked_in=(), **kw):
    """An activity in village a1 (by default) through the services. ``started``: it began an hour ago
    (created, and ``signups`` made, the day before); otherwise it starts tomorrow morning. The
    households named in ``checked_in`` are checked in now."""
    now = timezone.now()
    starts_at = now - dt.timedelta(hours=1) if started else now + dt.timedelta(days=1)
    then = starts_at - dt.timedelta(days=1) if started else now
    fields = {"title": "清扫村道", "place": "村委会门前", "starts_at": starts_at,
              "ends_at": starts_at + dt.timedelta(hours=3), **kw}
    activity = services.activity_create(actor=county.users[actor], village=village or county.village_a1,
                                        rule=rules[code], now=then, **fields)
    made = {}
    for key in signups:
        made[key] = services.activity_signup(actor=county.users[actor], activity=activity,
                                             household=county.households[key], now=then)
    if checked_in:
        services.activity_check_in(actor=county.users[actor], activity=activity,
                                   signups=[made[k] for k in checked_in])
    return activity, made


@pytest.fixture
def activity(county, rules):
    """Tomorrow's 清扫村道 in 东村 (a1), nobody signed up yet."""
    return make_activity(county, rules)[0]
