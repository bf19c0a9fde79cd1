"""积分超市: each village's shelf (``ShopItem``), the stock book behind it (``ShopStockMove``), and
orders (``ShopOrder``) with one ``ShopOrderEvent`` per step.

An item's ``stock`` is kept on its row, so an order can take it with one conditional UPDATE, and
always equals the sum of the item's stock moves; services with unlimited stock have none (null).
Stock moves and order events are append-only, like the points ledger: the model layer refuses an
update or a delete, and on PostgreSQL a trigger does too (migration 0002). Points move only through
the points ledger: a redemption entry when an order is reserved, a refund entry if it is cancelled.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from xiangzhi.core.models import AppendOnly


class ItemKind(models.TextChoices):
    GOODS = "goods", "商品"
    SERVICE = "service", "服务"
    HONOUR = "honour", "荣誉"


class ShopItem(models.Model):
    """A kind of thing a village's supermarket gives for points. Changing the price never changes
    orders already placed: each order keeps the price it was placed at."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="shop_items",
                                verbose_name="村/社区")
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类别", max_length=10, choices=ItemKind.choices, default=ItemKind.GOODS)
    unit = models.CharField("单位", max_length=10, default="件")
    price = models.PositiveIntegerField("所需积分")
    stock = models.IntegerField("库存", null=True, blank=True, help_text="为空表示不限量（仅限服务、荣誉）")
    limit_per_household = models.PositiveSmallIntegerField("每户每期限兑", null=True, blank=True,
                                                           help_text="每个兑换期每户最多兑换的数量；为空不限")
    is_active = models.BooleanField("上架", default=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["village_id", "sort", "id"]
        verbose_name = "积分超市商品"
        verbose_name_plural = "积分超市商品"
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="shop_item_name_once"),
            models.CheckConstraint(condition=Q(price__gt=0), name="shop_item_price_positive"),
            models.CheckConstraint(condition=Q(stock__isnull=True) | Q(stock__gte=0),
                                   name="shop_item_stock_not_negative"),
            models.CheckConstraint(condition=~Q(kind=ItemKind.GOODS) | Q(stock__isnull=False),
                                   name="shop_item_goods_have_stock"),
            models.CheckConstraint(condition=Q(limit_per_household__isnull=True) | Q(limit_per_household__gt=0),
                                   name="shop_item_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.price} 分/{self.unit}）"

    @property
    def is_unlimited(self) -> bool:
        return self.stock is None


class MoveReason(models.TextChoices):
    RESTOCK = "restock", "入库"
    RESERVE = "reserve", "预订"
    CANCEL = "cancel", "取消退回"
    ADJUST = "adjust", "盘点调整"


class ShopStockMove(AppendOnly):
    """One change of an item's stock; the item's ``stock`` is the sum of its moves."""

    append_only_noun = "积分超市流水"

    item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="moves", verbose_name="商品")
    delta = models.IntegerField("变动数量")
    reason = models.CharField("原因", max_length=10, choices=MoveReason.choices)
    order = models.ForeignKey("ShopOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="moves",
                              verbose_name="兑换单")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "库存流水"
        verbose_name_plural = "库存流水"
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="shop_move_nonzero"),
            models.CheckConstraint(
                condition=Q(reason__in=[MoveReason.RESERVE, MoveReason.CANCEL], order__isnull=False)
                | (Q(reason__in=[MoveReason.RESTOCK, MoveReason.ADJUST]) & Q(order__isnull=True)),
                name="shop_move_order_matches_reason",
            ),
        ]
        indexes = [models.Index(fields=["item", "at"], name="shop_move_item_at")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.get_reason_display()} {self.delta:+d}"


# --- orders ---------------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    RESERVED = "reserved", "已预订"
    HANDED_OVER = "handed_over", "已领取"
    CANCELLED = "cancelled", "已取消"


class ShopOrder(models.Model):
    """A household's order: reserved (points and stock taken) → handed over at the counter, or
    cancelled (points refunded, stock put back). ``number`` is what the villager tells the counter:
    the window's first day and a sequence within the village and window."""

    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="村/社区")
    number = models.CharField("兑换单号", max_length=20)
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="shop_orders",
                                  verbose_name="户")
    item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="orders", verbose_name="商品")
    item_name = models.CharField("商品名称", max_length=60)
    unit = models.CharField("单位", max_length=10)
    quantity = models.PositiveSmallIntegerField("数量")
    price = models.PositiveIntegerField("单价（积分）")
    points = models.PositiveIntegerField("积分")
    status = models.CharField("状态", max_length=12, choices=OrderStatus.choices, default=OrderStatus.RESERVED)
    window = models.ForeignKey("points.PointsCycle", on_delete=models.PROTECT, related_name="+",
                               verbose_name="兑换期")
    redemption = models.OneToOneField("points.PointsEntry", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name="兑换记录")
    refund = models.OneToOneField("points.PointsEntry", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="退还记录")
    reserved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="预订人")
    reserved_at = models.DateTimeField("预订时间")
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name="发放人")
    handed_over_at = models.DateTimeField("领取时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="取消人")
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-reserved_at", "-id"]
        verbose_name = "兑换单"
        verbose_name_plural = "兑换单"
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="shop_order_number_once"),
            models.UniqueConstraint(fields=["reserved_by", "idempotency_key"], condition=~Q(idempotency_key=""),
                                    name="shop_order_idempotency"),
            models.CheckConstraint(condition=Q(quantity__gt=0, points__gt=0), name="shop_order_positive"),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.HANDED_OVER) | Q(handed_over_at__isnull=False),
                name="shop_order_handed_over_stamped",
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.CANCELLED) | Q(cancelled_at__isnull=False, refund__isnull=False),
                name="shop_order_cancelled_refunded",
            ),
        ]
        indexes = [
            models.Index(fields=["village", "status"], name="shop_order_village_status"),
            models.Index(fields=["household", "item", "window"], name="shop_order_household_window"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.item_name}×{self.quantity}"


class OrderAction(models.TextChoices):
    RESERVE = "reserve", "预订"
    HAND_OVER = "hand_over", "领取"
    CANCEL = "cancel", "取消"


class ShopOrderEvent(AppendOnly):
    """One step of an order: who, when, from which status to which, and why."""

    append_only_noun = "积分超市流水"

    order = models.ForeignKey(ShopOrder, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作", max_length=10, choices=OrderAction.choices)
    from_status = models.CharField("原状态", max_length=12, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    at = models.DateTimeField("时间")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "兑换单记录"
        verbose_name_plural = "兑换单记录"

    def __str__(self) -> str:
        return f"{self.order_id} {self.get_action_display()}"
