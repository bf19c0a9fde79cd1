from django.contrib import admin

from xiangzhi.accounts.admin_scope import AuditedAdmin, ReadOnlyScopedAdmin
from xiangzhi.party.models import Branch, DutyPost, DutyPostKind, GroupActivity, GroupGrid, Membership, PartyGroup


@admin.register(DutyPostKind)
class DutyPostKindAdmin(AuditedAdmin):
    """设岗定责's kinds are data the county keeps: names, order and retiring one; a code stays as posts use it."""

    list_display = ("code", "name", "is_active", "sort")
    list_editable = ("name", "is_active", "sort")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False


# The organisation changes through party.services (a living party member of the village, one group at a
# time, grids of the village, a reason to end): read-only here.
@admin.register(Branch)
class BranchAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "village__path"
    list_display = ("name", "village", "secretary", "founded_on")
    list_select_related = ("village", "secretary")
    search_fields = ("name",)


@admin.register(PartyGroup)
class PartyGroupAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "branch__village__path"
    list_display = ("name", "branch", "leader")
    list_select_related = ("branch", "leader")


@admin.register(GroupGrid)
class GroupGridAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "group__branch__village__path"
    list_display = ("group", "grid", "started_on", "ended_on", "end_reason")
    list_select_related = ("group", "grid")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "group__branch__village__path"
    list_display = ("resident", "group", "joined_on", "left_on", "leave_reason")
    list_select_related = ("resident", "group")


@admin.register(DutyPost)
class DutyPostAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "membership__group__branch__village__path"
    list_display = ("membership", "kind", "duties", "started_on", "ended_on")
    list_select_related = ("membership__resident", "membership__group", "kind")
    list_filter = ("kind",)


@admin.register(GroupActivity)
class GroupActivityAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "group__branch__village__path"
    list_display = ("held_on", "group", "kind", "title", "attendees", "recorder", "recorded_at")
    list_select_related = ("group", "recorded_by")
    list_filter = ("kind",)
    date_hierarchy = "held_on"
    search_fields = ("title", "group__name")

    @admin.display(description="登记人")
    def recorder(self, obj: GroupActivity) -> str:
        """By name, never by login."""
        user = obj.recorded_by
        if user is None:
            return "—"
        return (user.full_name or "").strip() or f"{user.get_role_display()}（未填姓名）"
