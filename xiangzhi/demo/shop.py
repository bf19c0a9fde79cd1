"""积分超市 shelves for the demo county: every village's supermarket stocked with daily goods, a
service and an honour, priced for households that earn a few tens of points a month (文祖's
villages: 20–60 a month, spent at a half-yearly window), so a household buys a few things a window.

文祖北村 carries the seventeen kinds its own supermarket lists; every other village a smaller shelf
drawn from the same list, always with washing powder, cooking oil, salt, the haircut voucher and the
star-household plaque. Items are written in bulk through ``shop_items_import``, together with one
restock move each ("上架入库") for their opening stock, so an item's stock equals the sum of its
moves, exactly as if each had been put on the shelf through ``shop_item_create``. Villages that
already have a shelf are left alone.

Deterministic for a seed: each village draws from ``seed:shop:village code``.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.points.selectors import household_balance
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.shop.models import ItemKind, ShopItem
from xiangzhi.shop.services import shop_items_import, shop_order_hand_over, shop_order_reserve

# name, kind, unit, points, opening stock (None: unlimited), limit per household per window, note
SHELF = [
    ("洗衣粉", ItemKind.GOODS, "袋", 20, 40, None, "1.5 公斤装"),
    ("食用油", ItemKind.GOODS, "桶", 60, 20, 2, "5 升花生油"),
    ("酱油", ItemKind.GOODS, "瓶", 10, 30, None, "500 毫升"),
    ("醋", ItemKind.GOODS, "瓶", 8, 30, None, "500 毫升"),
    ("食盐", ItemKind.GOODS, "袋", 5, 50, None, "400 克"),
    ("牙膏", ItemKind.GOODS, "支", 12, 30, None, ""),
    ("毛巾", ItemKind.GOODS, "条", 10, 30, None, "纯棉"),
    ("香皂", ItemKind.GOODS, "块", 8, 40, None, ""),
    ("卫生纸", ItemKind.GOODS, "提", 15, 40, None, "10 卷"),
    ("洗洁精", ItemKind.GOODS, "瓶", 12, 30, None, "1.1 公斤"),
    ("挂面", ItemKind.GOODS, "把", 8, 40, None, "1 公斤"),
    ("大米", ItemKind.GOODS, "袋", 50, 20, 2, "10 斤"),
    ("白糖", ItemKind.GOODS, "袋", 10, 20, None, "500 克"),
    ("洗发水", ItemKind.GOODS, "瓶", 25, 20, None, ""),
    ("暖水瓶", ItemKind.GOODS, "个", 40, 10, 1, ""),
    ("理发券", ItemKind.SERVICE, "张", 10, None, 2, "村理发室，凭券理发一次"),
    ("星级文明户挂牌", ItemKind.HONOUR, "块", 300, None, 1, "积分兑换荣誉，悬挂于户门"),
]
FULL_SHELF_VILLAGE = "文祖北村"
ALWAYS = {"洗衣粉", "食用油", "食盐", "理发券", "星级文明户挂牌"}


@dataclass
class ShopReport:
    villages: int = 0
    items: int = 0
    units: int = 0


def _default_insert(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=1000)


def shelf_for(village: Region, seed: int) -> list[tuple]:
    """The kinds ``village`` stocks, in shelf order, with its opening stock varied a little."""
    rng = random.Random(f"{seed}:shop:{village.code}")
    if village.name == FULL_SHELF_VILLAGE:
        chosen = list(SHELF)
    else:
        others = [row for row in SHELF if row[0] not in ALWAYS]
        picked = {row[0] for row in rng.sample(others, rng.randint(5, 9))}
        chosen = [row for row in SHELF if row[0] in ALWAYS or row[0] in picked]
    out = []
    for name, kind, unit, price, stock, limit, note in chosen:
        if stock is not None:
            stock = max(5, round(stock * rng.uniform(0.6, 1.3)))
        out.append((name, kind, unit, price, stock, limit, note))
    return out


def write_shops(insert: Callable[[type, list], list] | None = None, *, seed: int = 1,
                villages: Iterable[Region] | None = None, now: dt.datetime | None = None) -> ShopReport:
    """Stock the supermarket of every village (or of ``villages``) that has none yet."""
    insert = insert or _default_insert
    now = now or timezone.now()
    report = ShopReport()
    if villages is None:
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).defer("boundary").order_by("code")
    stocked = set(ShopItem.objects.values_list("village_id", flat=True).distinct())
    items: list[ShopItem] = []
    for village in villages:
        if village.pk in stocked:
            continue
        report.villages += 1
        for sort, (name, kind, unit, price, stock, limit, note) in enumerate(shelf_for(village, seed), start=1):
            items.append(ShopItem(village_id=village.pk, name=name, kind=kind, unit=unit, price=price, stock=stock,
                                  limit_per_household=limit, is_active=True, sort=sort, note=note,
                                  created_at=now, updated_at=now))
    moves = shop_items_import(items, insert=insert, now=now)
    report.items = len(items)
    report.units = sum(m.delta for m in moves)
    return report


@dataclass
class RedemptionReport:
    order_number: str = ""
    household_number: str = ""
    username: str = ""


def write_first_redemption(*, now=None) -> RedemptionReport:
    """The first demo villager reserves a bag of washing powder on their phone and the village's
    points recorder hands it over at the counter, through the shop's services."""
    now = now or timezone.now()
    report = RedemptionReport()
    # The first demo villager (by account) whose household has the points for it.
    for resident in User.objects.filter(role=Role.RESIDENT, household__isnull=False).order_by("id"):
        village = resident.household.grid.region
        item = ShopItem.objects.filter(village=village, name="洗衣粉", is_active=True, stock__gt=0).first()
        clerk = User.objects.filter(role=Role.POINTS_RECORDER, region=village).order_by("id").first()
        if item is not None and clerk is not None and household_balance(resident.household_id) >= item.price:
            break
    else:
        return report
    order = shop_order_reserve(actor=resident, household=resident.household, item=item,
                               now=now - dt.timedelta(hours=3)).order
    shop_order_hand_over(actor=clerk, order=order, note="村委会积分超市现场领取", now=now - dt.timedelta(hours=1))
    return RedemptionReport(order.number, resident.household.number, resident.username)
