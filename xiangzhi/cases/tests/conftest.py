import pytest

from xiangzhi.cases.models import Category


@pytest.fixture
def street_light(db):
    return Category.objects.get(code="road_light")


@pytest.fixture
def power_department(county):
    return county.department  # 下洼供电所, kind "power", in town_a
