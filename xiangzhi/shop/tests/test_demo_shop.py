import pytest

from tests.factories import RegionFactory
from xiangzhi.demo.shop import SHELF, write_shops
from xiangzhi.shop.models import ShopItem
from xiangzhi.shop.selectors import stock_mismatch_list

pytestmark = pytest.mark.django_db


def test_every_village_gets_a_shelf_and_wenzu_north_its_seventeen_kinds(county):
    wenzu = RegionFactory(code="371603101003", name="文祖北村", level="village", parent=county.town_a)
    report = write_shops(seed=3)
    assert report.villages == 4 and report.items == ShopItem.objects.count() and report.units > 0
    names = list(ShopItem.objects.filter(village=wenzu).values_list("name", flat=True))
    assert len(names) == 17 == len(SHELF) and names[:2] == ["洗衣粉", "食用油"]
    assert names[-2:] == ["理发券", "星级文明户挂牌"]
    for village in (county.village_a1, county.village_a2, county.village_b1):
        shelf = dict(ShopItem.objects.filter(village=village).values_list("name", "price"))
        assert 10 <= len(shelf) < 17 and shelf["洗衣粉"] == 20 and shelf["食盐"] == 5
    assert ShopItem.objects.get(village=wenzu, name="理发券").stock is None
    assert stock_mismatch_list() == []
    assert write_shops(seed=3).items == 0  # a village with a shelf is left alone
