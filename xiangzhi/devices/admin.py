from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.devices.models import DeviceSource


@admin.register(DeviceSource)
class DeviceSourceAdmin(ScopedAdmin):
    """Sources are registered with ``xiangzhi device_source`` (which shows the secret once); here they are
    watched (last alarm) and switched off."""

    scope_path_field = "region__path"
    list_display = ("name", "region", "is_active", "last_alarm_at", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    list_select_related = ("region",)
    fields = ("name", "region", "is_active", "last_alarm_at", "created_at")
    readonly_fields = ("name", "region", "last_alarm_at", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # its cases keep the source's name in their idempotency records
