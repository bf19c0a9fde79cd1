from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    """Read-only: to see what was sent to whom and how each channel fared."""

    scope_path_field = "recipient__region__path"
    list_display = ("created_at", "recipient", "kind", "title", "read_at", "deliveries")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__username", "recipient__full_name")
    list_select_related = ("recipient",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
