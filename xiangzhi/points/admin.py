from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
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
class PointsRulebookAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "effective_from")
    list_select_related = ("region",)
    inlines = [PointsCategoryInline]


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    """Editing a rule changes what later records earn; entries already made keep their points."""

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


class LedgerAdmin(ScopedAdmin):
    """The ledger is written only through the points services; here it is read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(LedgerAdmin):
    scope_path_field = "household__grid__path"
    list_display = ("village", "seq", "household", "kind", "rule_name", "points", "occurred_on", "recorder")
    list_filter = ("kind",)
    list_select_related = ("village", "household", "recorder")
    date_hierarchy = "occurred_on"


@admin.register(PointsReview)
class PointsReviewAdmin(LedgerAdmin):
    scope_path_field = "entry__household__grid__path"
    list_display = ("entry", "decision", "reviewer", "reviewed_at")
    list_select_related = ("entry", "reviewer")


@admin.register(PointsBalance)
class PointsBalanceAdmin(LedgerAdmin):
    scope_path_field = "household__grid__path"
    list_display = ("household", "village", "approved_total", "pending_total", "earned_total", "updated_at")
    list_select_related = ("household", "village")
