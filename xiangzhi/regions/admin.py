from django import forms
from django.contrib import admin

from xiangzhi.accounts.admin_scope import ReadOnlyScopedAdmin, ScopedAdmin
from xiangzhi.lib.geometry import BoundaryError, parse_boundary
from xiangzhi.regions.models import Department, Grid, GridAssignment, Liaison, Region
from xiangzhi.regions.services import boundary_center, grid_path


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    readonly_fields = ("path",)


class GridForm(forms.ModelForm):
    class Meta:
        model = Grid
        fields = ["code", "name", "level", "region", "parent", "boundary", "is_active"]

    def clean_boundary(self):
        boundary = self.cleaned_data.get("boundary")
        if boundary:
            try:
                geom = parse_boundary(boundary)
            except BoundaryError as exc:
                raise forms.ValidationError(str(exc)) from None
            self.instance.center_lon, self.instance.center_lat = boundary_center(geom)
        return boundary

    def clean(self):
        data = super().clean()
        region, parent = data.get("region"), data.get("parent")
        if parent and region and parent.region_id != region.id:
            raise forms.ValidationError("上级网格不属于同一区域")
        if region and data.get("code"):
            self.instance.path = grid_path(region, parent, data["code"])
        return data


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    form = GridForm
    list_display = ("code", "name", "level", "region", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("path", "center_lon", "center_lat")
    raw_id_fields = ("region", "parent")

    def get_readonly_fields(self, request, obj=None):
        # A drawn grid's boundary changes on its 「边界」 page: checked against the village and the
        # neighbours, with a revision row and the households that changed grid listed.
        return (*self.readonly_fields, "boundary") if obj is not None and obj.boundary else self.readonly_fields


# Staffing and liaisons change only through their services (one chief, guides on at most two grids,
# the tiers' rules, a reason to end, who did it): the staffing and 包联 pages and the API. Here they are
# read, never written.
@admin.register(GridAssignment)
class GridAssignmentAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("grid", "user", "duty", "started_on", "ended_on", "end_reason")
    list_filter = ("duty",)
    raw_id_fields = ("grid", "user")


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    scope_path_field = "region__path"
    list_display = ("code", "name", "kind", "region", "is_active")
    search_fields = ("name",)


@admin.register(Liaison)
class LiaisonAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "region__path"
    list_display = ("user", "region", "tier", "group_name", "started_on", "ended_on", "end_reason")
    raw_id_fields = ("user", "region")
