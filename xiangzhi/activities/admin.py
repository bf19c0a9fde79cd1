from django.contrib import admin

from xiangzhi.accounts.admin_scope import ReadOnlyScopedAdmin
from xiangzhi.activities.models import Activity, ActivitySignup


@admin.register(Activity)
class ActivityAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "village__path"
    list_display = ("title", "village", "starts_at", "place", "points", "state", "created_by", "awarded_at")
    list_filter = ("state",)
    list_select_related = ("village", "created_by")
    date_hierarchy = "starts_at"
    search_fields = ("title", "place")


@admin.register(ActivitySignup)
class ActivitySignupAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "household__grid__path"
    list_display = ("activity", "household", "people", "signed_up_at", "checked_in_at", "withdrawn_at",
                    "award_entry", "award_note")
    list_select_related = ("activity", "household")
    raw_id_fields = ("activity", "household", "resident", "award_entry")
