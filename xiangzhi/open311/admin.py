from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.open311.models import Open311Client, Submission


@admin.register(Open311Client)
class Open311ClientAdmin(ScopedAdmin):
    """Listed and switched off here; issued only by ``xiangzhi open311_key``, the one place the key is shown."""

    scope_path_field = "region__path"
    list_display = ("name", "region", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    fields = ("name", "region", "is_active", "created_at")
    readonly_fields = ("region", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(Submission)
class SubmissionAdmin(ScopedAdmin):
    scope_path_field = "case__scope_path"
    list_display = ("case", "client", "created_at")
    list_select_related = ("case", "client")
    readonly_fields = ("client", "case", "device_id", "account_id", "media_url", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
