import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import install_points_rulebooks
from xiangzhi.points import selectors
from xiangzhi.points import services as points
from xiangzhi.points.models import PointsRule
from xiangzhi.shop import services
from xiangzhi.shop.selectors import order_history_mismatch_list, stock_mismatch_list

EARN = "shop_test_earn"
# Who records and who reviews points for each household of the small county.
RECORDER = {"a1": "points_recorder", "a1_micro": "points_recorder", "b1": "grid_worker_b"}
REVIEWER = {"a1": "points_supervisor", "a1_micro": "points_supervisor", "b1": "township_staff_b"}


@pytest.fixture
def rules(county):
    """Rules of 下洼镇 (town_a) by code, as in the points tests; 古城镇 (town_b) has its own copy."""
    books = install_points_rulebooks(county.town_a, county.town_b)
    for town in (county.town_a, county.town_b):
        first = PointsRule.objects.filter(rulebook__region=town).select_related("category").first()
        # Uncapped, so a test can give a household any balance it needs through the real services.
        PointsRule.objects.create(rulebook=first.rulebook, category=first.category, code=EARN, name="测试积分",
                                  direction="add", points=50)
    return books[county.town_a.code]


def fund(county, key: str, amount: int) -> None:
    """Give household ``key`` ``amount`` approved points: recorded and reviewed like any entry."""
    household = county.households[key]
    town = county.town_b if key == "b1" else county.town_a
    rule = PointsRule.objects.select_related("category").get(code=EARN, rulebook__region=town)
    while amount > 0:
        per = min(amount, 50)
        entry = points.entry_record(actor=county.users[RECORDER[key]], household=household, rule=rule,
                                    occurred_on=timezone.localdate(), points=per).entry
        points.entry_review(actor=county.users[REVIEWER[key]], entry=entry, approve=True)
        amount -= per


@pytest.fixture
def shop(county, rules):
    """An open window in 下洼镇 (none in 古城镇), and shelves: 东村 has washing powder, cooking oil
    (one per household per window) and a haircut voucher (unlimited, two per window); 南村 salt."""
    today = timezone.localdate()
    window = points.redemption_window_add(actor=county.users["township_staff"], township=county.town_a, opens_on=today,
                                   closes_on=today + dt.timedelta(days=14))
    cadre = county.users["village_cadre"]
    return SimpleNamespace(
        window=window,
        powder=services.shop_item_create(actor=cadre, village=county.village_a1, name="洗衣粉", unit="袋", price=20,
                                         stock=10),
        oil=services.shop_item_create(actor=cadre, village=county.village_a1, name="食用油", unit="桶", price=50,
                                      stock=3, limit_per_household=1),
        haircut=services.shop_item_create(actor=cadre, village=county.village_a1, name="理发券", kind="service",
                                          unit="张", price=10, stock=None, limit_per_household=2),
        salt=services.shop_item_create(actor=county.users["township_staff_b"], village=county.village_b1,
                                       name="食盐", unit="袋", price=5, stock=5),
    )


def assert_shop_holds(county) -> None:
    """Stock equals its moves, orders agree with their events, balances with the ledger, chains hold."""
    assert stock_mismatch_list() == []
    assert order_history_mismatch_list() == []
    assert selectors.balance_mismatch_list() == []
    for village in (county.village_a1, county.village_a2, county.village_b1):
        assert selectors.ledger_verify(village) is None


@pytest.fixture(autouse=True)
def _shop_holds_after(request):
    """Every scenario that built the county ends with the books in agreement. The county is taken
    here, so this check runs before the database is put back."""
    county = request.getfixturevalue("county") if "county" in request.fixturenames else None
    yield
    if county is not None:
        assert_shop_holds(county)
