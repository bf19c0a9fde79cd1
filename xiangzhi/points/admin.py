from django.contrib import admin

from xiangzhi.accounts.admin_scope import AuditedAdmin, ReadOnlyScopedAdmin, ScopedAdmin
from xiangzhi.points.models import (
    PointsBalance,
    PointsCategory,
    PointsEntry,
    PointsReview,
    PointsRule,
    PointsRulebook,
    PointsRuleOverride,
)


class PointsCategoryInline(admin.TabularInline):
    model = PointsCategory
    extra = 0


@admin.register(PointsRulebook)
class PointsRulebookAdmin(AuditedAdmin):
    scope_path_field = "region__path"
    list_display = ("name", "region", "effective_from")
    list_select_related = ("region",)
    inlines = [PointsCategoryInline]


@admin.register(PointsRule)
class PointsRuleAdmin(AuditedAdmin):
    """Editing a rule changes what later records earn; entries already made keep their points."""

    scope_path_field = "rulebook__region__path"
    list_display = ("name", "code", "category", "points", "cap_period", "cap_count", "cap_points",
                    "evidence_required", "is_active", "rulebook")
    list_filter = ("rulebook", "direction", "is_active", "evidence_required")
    list_select_related = ("category", "rulebook")
    search_fields = ("name", "code")


@admin.register(PointsRuleOverride)
class PointsRuleOverrideAdmin(ScopedAdmin):
    scope_path_field = "village__path"
    list_display = ("village", "rule", "points", "cap_count", "cap_points", "is_active", "note")
    list_select_related = ("village", "rule")
    raw_id_fields = ("rule",)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "household__grid__path"
    list_display = ("village", "seq", "household", "kind", "rule_name", "points", "occurred_on", "recorder")
    list_filter = ("kind",)
    list_select_related = ("village", "household", "recorder")
    date_hierarchy = "occurred_on"


@admin.register(PointsReview)
class PointsReviewAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "entry__household__grid__path"
    list_display = ("entry", "decision", "reviewer", "reviewed_at")
    list_select_related = ("entry", "reviewer")


@admin.register(PointsBalance)
class PointsBalanceAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "household__grid__path"
    list_display = ("household", "village", "approved_total", "pending_total", "earned_total", "updated_at")
    list_select_related = ("household", "village")
