from django.contrib import admin

from xiangzhi.accounts.admin_scope import ReadOnlyScopedAdmin
from xiangzhi.gridwork.models import DailyLog, Patrol, Visit


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("worker", "grid", "started_at", "ended_at", "distance_m", "point_count")
    list_select_related = ("worker", "grid")
    date_hierarchy = "started_at"


@admin.register(Visit)
class VisitAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "key_person__resident__household__grid__path"
    list_display = ("key_person", "visitor", "visited_at", "outcome", "due_on")
    list_filter = ("outcome",)
    list_select_related = ("key_person__resident", "key_person__category", "visitor")
    date_hierarchy = "visited_at"


@admin.register(DailyLog)
class DailyLogAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("worker", "date", "grid")
    list_select_related = ("worker", "grid")
    date_hierarchy = "date"
