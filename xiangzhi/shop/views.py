"""积分超市 pages: the villager's shelf (``/shop/``) and the counter (``/shop/manage/``). Every form
posts to one view that calls one service; a refusal comes back as a message on the page and, the
service being one transaction, nothing of it is written."""

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import form_int, require
from xiangzhi.people.models import Household
from xiangzhi.people.selectors import household_get_for_user
from xiangzhi.points.rules import can_administer_points
from xiangzhi.points.selectors import (
    household_balance,
    redemption_window_for,
    redemption_window_list,
    redemption_window_next,
)
from xiangzhi.regions.models import Region
from xiangzhi.regions.selectors import township_of
from xiangzhi.shop import selectors, services
from xiangzhi.shop.errors import ShopError
from xiangzhi.shop.models import ItemKind, OrderStatus, ShopOrder
from xiangzhi.shop.rules import can_run_shop, can_use_shop

MY_ORDERS = 30
AWAITING = 100


def _back(request, village: Region | None = None):
    """Where a form returns: the counter of its village, or the villager's shelf."""
    if request.POST.get("back") == "manage" and village is not None:
        return redirect(f"{reverse('shop:manage')}?village={village.code}")
    return redirect("shop:index")


def _window_context(village: Region) -> dict:
    window = redemption_window_for(village)
    return {"window": window, "next_window": None if window else redemption_window_next(village)}


# --- the villager's shelf ---------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    if not user.household_id:
        require(can_run_shop(user))
        return redirect("shop:manage")
    village = selectors.shop_village_get_own(user)
    token = uuid.uuid4().hex
    return render(request, "shop/index.html", {
        "village": village, "balance": household_balance(user.household_id), "token": token,
        "items": selectors.shop_item_list(village), **_window_context(village),
        "orders": selectors.shop_order_list_for_user(user, household_id=user.household_id)[:MY_ORDERS],
    })


def _counter_household(user, village: Region, text: str) -> Household:
    """The household a counter order is for: by its number, or by its head's name when only one
    household of the village has it."""
    text = (text or "").strip()
    if not text:
        raise ShopError("请填写户编号或户主姓名")
    found = list(Household.objects.filter(scope_of(user).q("grid__path", "pk"), grid__region=village)
                 .filter(Q(number=text) | Q(head_name=text)).select_related("grid__region")[:5])
    if not found:
        raise ShopError(f"{village.name}没有找到“{text}”户")
    if len(found) > 1:
        raise ShopError(f"{village.name}有多户户主名为“{text}”，请填写户编号")
    return found[0]


@login_required
@require_POST
def order_reserve(request):
    user = request.user
    require(can_use_shop(user))
    item = selectors.shop_item_get_for_user(user, form_int(request.POST.get("item"), "商品") or 0)
    try:
        if request.POST.get("household"):
            household = _counter_household(user, item.village, request.POST["household"])
        elif user.household_id:
            household = household_get_for_user(user, user.household_id)
        else:
            raise ShopError("请填写户编号或户主姓名")
        result = services.shop_order_reserve(
            actor=user, household=household, item=item,
            quantity=form_int(request.POST.get("quantity"), "数量", blank=1),
            idempotency_key=request.POST.get("submission_id", ""),
        )
    except Invalid as exc:
        messages.error(request, f"未能兑换“{item.name}”：{exc}")
    else:
        o = result.order
        messages.success(request, f"已预订：{o.item_name}×{o.quantity}，扣除 {o.points} 分，兑换单号 {o.number}。"
                                  "请凭单号到村积分超市领取。")
    return _back(request, item.village)


def _order_act(request, order_id: int, work: Callable[[ShopOrder], object], done: Callable[[ShopOrder], str]):
    """Run one service on an order for a POSTed form and come back with its outcome."""
    order = selectors.shop_order_get_for_user(request.user, order_id)
    try:
        work(order)
    except Invalid as exc:
        messages.error(request, f"兑换单 {order.number}：{exc}")
    else:
        messages.success(request, done(order))
    return _back(request, order.village)


@login_required
@require_POST
def order_cancel(request, order_id: int):
    return _order_act(
        request, order_id,
        lambda order: services.shop_order_cancel(actor=request.user, order=order,
                                                 reason=request.POST.get("reason", "")),
        lambda order: f"已取消兑换单 {order.number}，退还 {order.points} 分",
    )


@login_required
@require_POST
def order_hand_over(request, order_id: int):
    return _order_act(
        request, order_id,
        lambda order: services.shop_order_hand_over(actor=request.user, order=order,
                                                    note=request.POST.get("note", "")),
        lambda order: f"已领取：{order.number} {order.household.head_name}户 {order.item_name}×{order.quantity}",
    )


# --- the counter --------------------------------------------------------------------------------


def _managed_village(request) -> Region:
    user = request.user
    require(can_run_shop(user))
    villages = selectors.shop_village_list_for_user(user)
    code = request.GET.get("village") or request.POST.get("village")
    village = villages.filter(code=code).first() if code else villages.first()
    if village is None:
        raise NotFound()
    return village


def _awaiting(user, village: Region, search: str):
    return selectors.shop_order_list_for_user(user, village=village, status=OrderStatus.RESERVED,
                                              search=search).order_by("reserved_at", "id")[:AWAITING]


@login_required
def manage(request):
    user = request.user
    village = _managed_village(request)
    search = request.GET.get("q", "")
    township = township_of(village)
    return render(request, "shop/manage.html", {
        "village": village, "villages": selectors.shop_village_list_for_user(user).only("code", "name"),
        "items": selectors.shop_item_list(village, active_only=False), "kinds": ItemKind.choices,
        "awaiting": _awaiting(user, village, search), "q": search, "limit": AWAITING,
        "recent": selectors.shop_order_list_for_user(user, village=village).exclude(
            status=OrderStatus.RESERVED)[:10],
        "windows": redemption_window_list(village), "township": township,
        "may_arrange": can_administer_points(user) and township is not None
        and scope_of(user).covers_path(township.path),
        "token": uuid.uuid4().hex, **_window_context(village),
    })


@login_required
def manage_orders(request):
    """htmx: the orders awaiting hand-over, for a search by order number or household."""
    village = _managed_village(request)
    search = request.GET.get("q", "")
    return render(request, "shop/_awaiting.html", {
        "village": village, "awaiting": _awaiting(request.user, village, search), "q": search, "limit": AWAITING,
    })


def _item_fields(post) -> dict:
    kind = post.get("kind", ItemKind.GOODS)
    return {
        "name": post.get("name", ""), "kind": kind, "unit": post.get("unit", "") or "件",
        "price": form_int(post.get("price"), "所需积分"),
        "limit_per_household": form_int(post.get("limit_per_household"), "每户每期限兑"),
        "sort": form_int(post.get("sort"), "排序", blank=0), "note": post.get("note", ""),
    }


@login_required
@require_POST
def item_create(request):
    village = _managed_village(request)
    try:
        fields = _item_fields(request.POST)
        stock = form_int(request.POST.get("stock"), "库存")
        if stock is None and fields["kind"] == ItemKind.GOODS:
            stock = 0
        item = services.shop_item_create(actor=request.user, village=village, stock=stock, **fields)
    except Invalid as exc:
        messages.error(request, f"未能上架：{exc}")
    else:
        messages.success(request, f"已上架：{item.name}（{item.price} 分/{item.unit}）")
    return redirect(f"{reverse('shop:manage')}?village={village.code}")


@login_required
@require_POST
def item_update(request, item_id: int):
    item = selectors.shop_item_get_for_user(request.user, item_id)
    try:
        services.shop_item_update(actor=request.user, item=item, is_active=bool(request.POST.get("is_active")),
                                  **_item_fields(request.POST))
    except Invalid as exc:
        messages.error(request, f"未能保存“{item.name}”：{exc}")
    else:
        messages.success(request, f"已保存：{item.name}")
    return redirect(f"{reverse('shop:manage')}?village={item.village.code}")


@login_required
@require_POST
def item_stock(request, item_id: int):
    item = selectors.shop_item_get_for_user(request.user, item_id)
    note = request.POST.get("note", "")
    try:
        quantity = form_int(request.POST.get("quantity"), "数量")
        if request.POST.get("reason") == "adjust":
            services.shop_item_adjust(actor=request.user, item=item, delta=quantity, note=note)
        else:
            services.shop_item_restock(actor=request.user, item=item, quantity=quantity, note=note)
    except Invalid as exc:
        messages.error(request, f"“{item.name}”库存未变：{exc}")
    else:
        messages.success(request, f"“{item.name}”现有库存 {item.stock} {item.unit}")
    return redirect(f"{reverse('shop:manage')}?village={item.village.code}")
