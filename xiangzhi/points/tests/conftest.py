import pytest

from tests.factories import install_points_rulebooks


@pytest.fixture
def rules(county):
    """Rules of 下洼镇 (town_a) by code; 古城镇 (town_b) has its own copy under ``rules_b``."""
    books = install_points_rulebooks(county.town_a, county.town_b)
    return books[county.town_a.code]


@pytest.fixture
def rules_b(county, rules):
    from xiangzhi.points.models import PointsRule

    return {r.code: r for r in PointsRule.objects.filter(rulebook__region=county.town_b).select_related("category")}
