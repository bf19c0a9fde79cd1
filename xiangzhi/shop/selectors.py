"""Every read of the supermarket, scoped: staff see the villages under them, a villager their own
village's shelf and their own household's orders. Out of scope and missing answer the same 404.
The redemption windows are the points cycle's (``points.selectors.redemption_window_list``)."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.people.models import Household
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.shop.models import OrderStatus, ShopItem, ShopOrder, ShopOrderEvent
from xiangzhi.shop.rules import can_run_shop

ORDER_RELATED = ("household", "item", "village", "window", "reserved_by", "handed_over_by", "cancelled_by")
NO_BOUNDARIES = ("village__boundary",)


# --- villages -------------------------------------------------------------------------------------


def shop_village_list_for_user(user: User) -> QuerySet[Region]:
    """The villages whose counter the user may run, by code."""
    if not can_run_shop(user):
        return Region.objects.none()
    return (Region.objects.filter(scope_of(user).q("path"), level=RegionLevel.VILLAGE)
            .defer("boundary").order_by("code"))


def shop_village_get_own(user: User) -> Region | None:
    """The village of the user's household, if they have one."""
    if not user.household_id:
        return None
    return (Household.objects.select_related("grid__region").defer("grid__boundary", "grid__region__boundary")
            .get(pk=user.household_id).grid.region)


def shop_village_get_for_user(user: User, code: str) -> Region:
    """A village whose shelf the user may see: one under their counter, or their household's."""
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is not None:
        if can_run_shop(user) and scope_of(user).covers_path(village.path):
            return village
        mine = shop_village_get_own(user)
        if mine is not None and mine.pk == village.pk:
            return village
    raise NotFound()


def _counter_or_own(user: User, own: Q | None) -> Q:
    """Rows of the villages whose counter the user runs, or ``own``: what their household may see."""
    q = Q(pk__in=[])
    if can_run_shop(user):
        if scope_of(user).everything:
            return Q()  # (an empty Q would vanish in the | below)
        q = scope_of(user).q("village__path")
    if own is not None:
        q |= own
    return q


def _item_scope(user: User) -> Q:
    own = None
    if user.household_id:
        mine = Household.objects.filter(pk=user.household_id).values("grid__region_id")
        own = Q(village_id__in=mine, is_active=True)
    return _counter_or_own(user, own)


# --- items ----------------------------------------------------------------------------------------


def shop_item_list(village: Region, *, active_only: bool = True) -> QuerySet[ShopItem]:
    qs = ShopItem.objects.filter(village=village)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort", "id")


def shop_item_get_for_user(user: User, item_id: int) -> ShopItem:
    return get_in_scope_or_404(ShopItem.objects.select_related("village").defer(*NO_BOUNDARIES), _item_scope(user),
                               pk=item_id)


# --- orders ---------------------------------------------------------------------------------------


def _order_scope(user: User) -> Q:
    return _counter_or_own(user, Q(household_id=user.household_id) if user.household_id else None)


def shop_order_list_for_user(user: User, *, village: Region | None = None, household_id: int | None = None,
                             status: str | None = None, search: str = "") -> QuerySet[ShopOrder]:
    """Orders the user may see, newest first; ``search`` matches an order number, a household
    number or the head of the household's name."""
    qs = ShopOrder.objects.filter(_order_scope(user)).select_related(*ORDER_RELATED).defer(*NO_BOUNDARIES)
    if village is not None:
        qs = qs.filter(village=village)
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    if status:
        qs = qs.filter(status=status)
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(number__endswith=search) | Q(household__number__startswith=search)
                       | Q(household__head_name__contains=search))
    return qs.order_by("-reserved_at", "-id")


def shop_order_get_for_user(user: User, order_id: int) -> ShopOrder:
    return get_in_scope_or_404(ShopOrder.objects.select_related(*ORDER_RELATED).defer(*NO_BOUNDARIES),
                               _order_scope(user), pk=order_id)


def order_quantity_in_window(household_id: int, item_id: int, window_id: int) -> int:
    """How many of the item the household has ordered in the window, cancelled orders left out."""
    ordered: int = (ShopOrder.objects.filter(household_id=household_id, item_id=item_id, window_id=window_id)
                    .exclude(status=OrderStatus.CANCELLED).aggregate(n=Coalesce(Sum("quantity"), 0))["n"])
    return ordered


# --- proofs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockMismatch:
    item_id: int
    stock: int | None
    moves: int


def stock_mismatch_list(village: Region | None = None) -> list[StockMismatch]:
    """Every item's stock against the sum of its moves (an unlimited item has none); empty when
    they agree. One grouped query."""
    qs = ShopItem.objects.all()
    if village is not None:
        qs = qs.filter(village=village)
    rows = qs.annotate(moved=Coalesce(Sum("moves__delta"), 0)).values_list("pk", "stock", "moved").order_by("pk")
    return [StockMismatch(pk, stock, moved) for pk, stock, moved in rows
            if (stock if stock is not None else 0) != moved or (stock is not None and stock < 0)]


def order_history_mismatch_list(village: Region | None = None) -> list[int]:
    """Orders whose status is not where their events lead (the last event's ``to_status``), or that
    lack their reserve event; empty when every order agrees with its history."""
    last = ShopOrderEvent.objects.filter(order=OuterRef("pk")).order_by("-at", "-id").values("to_status")[:1]
    reserved = ShopOrderEvent.objects.filter(order=OuterRef("pk"), action="reserve")
    qs = ShopOrder.objects.all()
    if village is not None:
        qs = qs.filter(village=village)
    qs = qs.annotate(last=Subquery(last), reserved=Exists(reserved))
    return [pk for pk, status, last_to, has_reserve in qs.values_list("pk", "status", "last", "reserved")
            if status != last_to or not has_reserve]
