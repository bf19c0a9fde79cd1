from django.contrib import admin

from xiangzhi.accounts.admin_scope import ReadOnlyScopedAdmin
from xiangzhi.shop.models import ShopItem, ShopOrder, ShopOrderEvent, ShopStockMove


@admin.register(ShopItem)
class ShopItemAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "village__path"
    list_display = ("name", "village", "kind", "price", "stock", "limit_per_household", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("village",)
    search_fields = ("name",)


@admin.register(ShopStockMove)
class ShopStockMoveAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "item__village__path"
    list_display = ("item", "reason", "delta", "order", "actor", "at")
    list_filter = ("reason",)
    list_select_related = ("item", "order", "actor")


@admin.register(ShopOrder)
class ShopOrderAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "village__path"
    list_display = ("number", "village", "household", "item_name", "quantity", "points", "status", "reserved_at")
    list_filter = ("status",)
    list_select_related = ("village", "household")
    search_fields = ("number", "household__number", "household__head_name")


@admin.register(ShopOrderEvent)
class ShopOrderEventAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "order__village__path"
    list_display = ("order", "action", "from_status", "to_status", "actor", "at")
    list_select_related = ("order", "actor")
