from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.regions.models import Department, Grid, GridAssignment, Liaison, Region


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("path",)


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "region", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("path", "center_lon", "center_lat")
    raw_id_fields = ("region", "parent")


@admin.register(GridAssignment)
class GridAssignmentAdmin(ScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("grid", "user", "duty", "started_on", "ended_on")
    list_filter = ("duty",)
    raw_id_fields = ("grid", "user")


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    scope_path_field = "region__path"
    list_display = ("code", "name", "kind", "region", "is_active")
    search_fields = ("name",)


@admin.register(Liaison)
class LiaisonAdmin(ScopedAdmin):
    scope_path_field = "region__path"
    list_display = ("user", "region", "tier", "group_name", "started_on")
    raw_id_fields = ("user", "region")
