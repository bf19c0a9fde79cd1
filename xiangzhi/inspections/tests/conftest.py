"""The small county with a 督查员 of 下洼镇, and an inspection of 东村 handed over."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import build_small_county
from xiangzhi.inspections import services

IN_A1 = (118.005, 37.705)  # inside 东村's grid
IN_A2 = (118.05, 37.70)  # 西村


@pytest.fixture
def c():
    return build_small_county()  # its users hold the 督查员 of 下洼镇, "inspector"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def inspected(c, *, now=None, items=("building_illegal",), village=None):
    """An inspection of 东村 with findings, finished (handed to the village)."""
    inspector = c.users["inspector"]
    now = now or timezone.now()
    inspection = services.inspection_start(inspector=inspector, village=village or c.village_a1, now=now)
    services.inspection_fix(inspector=inspector, inspection=inspection, lon=IN_A1[0], lat=IN_A1[1], now=now)
    for code in items:
        services.finding_add(inspector=inspector, inspection=inspection, item_code=code, text_="发现问题", now=now)
    return services.inspection_finish(inspector=inspector, inspection=inspection, note="已排查", now=now)
