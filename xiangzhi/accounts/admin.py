from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin, ScopedAdmin):
    scope_path_field = "region__path"
    list_display = ("username", "full_name", "role", "region", "department", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name")
    autocomplete_fields = ("region", "department")
    raw_id_fields = ("household",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("角色与范围", {"fields": ("full_name", "phone", "role", "region", "department", "household")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin):
    scope_path_field = "user__region__path"
    list_display = ("prefix", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "digest", "prefix", "created_at", "last_used_at")
