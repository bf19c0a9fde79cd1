from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.shop.models import ShopItem, ShopOrder, ShopOrderEvent, ShopStockMove


class ReadOnlyAdmin(ScopedAdmin):
    """Written only through the shop's services (stock and points move with them); here it is read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ShopItem)
class ShopItemAdmin(ReadOnlyAdmin):
    scope_path_field = "village__path"
    list_display = ("name", "village", "kind", "price", "stock", "limit_per_household", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("village",)
    search_fields = ("name",)


@admin.register(ShopStockMove)
class ShopStockMoveAdmin(ReadOnlyAdmin):
    scope_path_field = "item__village__path"
    list_display = ("item", "reason", "delta", "order", "actor", "at")
    list_filter = ("reason",)
    list_select_related = ("item", "order", "actor")


@admin.register(ShopOrder)
class ShopOrderAdmin(ReadOnlyAdmin):
    scope_path_field = "village__path"
    list_display = ("number", "village", "household", "item_name", "quantity", "points", "status", "reserved_at")
    list_filter = ("status",)
    list_select_related = ("village", "household")
    search_fields = ("number", "household__number", "household__head_name")


@admin.register(ShopOrderEvent)
class ShopOrderEventAdmin(ReadOnlyAdmin):
    scope_path_field = "order__village__path"
    list_display = ("order", "action", "from_status", "to_status", "actor", "at")
    list_select_related = ("order", "actor")
