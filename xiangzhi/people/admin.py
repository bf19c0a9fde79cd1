from django.contrib import admin
from django.db import transaction
from django.db.models import Q

from xiangzhi.accounts.admin_scope import AuditedAdmin, ReadOnlyScopedAdmin, ScopedAdmin
from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import can_reveal_identity, is_superuser
from xiangzhi.accounts.selectors import account_list_for
from xiangzhi.people import services
from xiangzhi.people.models import (
    Household,
    IdentitySearch,
    KeyCategory,
    KeyPerson,
    MemberHouseholdLink,
    Organisation,
    OrganisationKind,
    Place,
    PlaceKind,
    Resident,
    RevealRecord,
)


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    scope_path_field = "grid__path"
    scope_household_field = "pk"
    list_display = ("number", "head_name", "grid", "address")
    search_fields = ("number", "head_name")
    raw_id_fields = ("grid",)
    # Closing is a register change (death of the last member, a move, a merge), never an admin edit;
    # read-only also keeps the form from listing every household for ``merged_into``.
    readonly_fields = ("closed_on", "closed_reason", "merged_into")

    def get_readonly_fields(self, request, obj=None):
        # Another grid is 调整网格 (its own page, after a boundary is redrawn), with its history row.
        return (*self.readonly_fields, "grid") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            traced = _traced(Household, obj, form) if change else None
            super().save_model(request, obj, form, change)
            if traced:
                services.register_correction_record(actor=request.user, household=obj, resident=None, **traced)


def _shown(obj, name: str) -> str:
    value = getattr(obj, name)
    if name == "tags":
        return "、".join(obj.tag_labels) or "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def _traced(model, obj, form) -> dict | None:
    """The changed fields' values before (from the database) and after, as the history shows them."""
    names = [n for n in form.changed_data if n in {f.name for f in model._meta.concrete_fields}]
    if not names:
        return None
    old = model.objects.get(pk=obj.pk)
    labels = {n: str(model._meta.get_field(n).verbose_name) for n in names}
    return {"before": {labels[n]: _shown(old, n) for n in names}, "after": {labels[n]: _shown(obj, n) for n in names}}


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    """Encrypted columns never appear here; only masked copies."""

    scope_path_field = "household__grid__path"
    scope_household_field = "household_id"
    list_display = ("name", "relation", "sex", "birth_year", "id_number_masked", "phone_masked", "household")
    sortable_by = ()  # sorting a county's residents by a column without an index costs a second a page
    search_fields = ("name",)
    fields = ("household", "name", "sex", "birth_date", "relation", "id_number_masked", "phone_masked", "tags",
              "is_away")
    readonly_fields = ("id_number_masked", "phone_masked")
    raw_id_fields = ("household",)

    @admin.display(description="出生年份")
    def birth_year(self, obj):
        return obj.birth_year

    def get_fields(self, request, obj=None):
        # The full birth date beside the masked ID would finish it: the year only, unless one may reveal.
        if can_reveal_identity(request.user):
            return self.fields
        return tuple("birth_year" if f == "birth_date" else f for f in self.fields)

    def get_readonly_fields(self, request, obj=None):
        # Joining another household is a move (迁入/迁出, 分户, 合户) with both households' history.
        fields = (*self.readonly_fields, "household")
        if can_reveal_identity(request.user):
            return fields
        return (*fields, "birth_year")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            traced = _traced(Resident, obj, form) if change else None
            super().save_model(request, obj, form, change)
            if traced:
                services.register_correction_record(actor=request.user, household=obj.household, resident=obj,
                                                    **traced)

    def has_add_permission(self, request):
        # New residents come through the register (page or .xlsx import), which validates and encrypts.
        return False


class ConfiguredInPages:
    """Kept in the county's configuration pages (/centre/config/), which ask for a reason and keep the
    history of every change: read only here."""

    list_editable: tuple[str, ...] = ()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KeyCategory)
class KeyCategoryAdmin(ConfiguredInPages, AuditedAdmin):
    list_display = ("code", "name", "visit_cycle_days", "is_active")


# Registered, re-categorised and ended only through their services, each step with its history row.
@admin.register(KeyPerson)
class KeyPersonAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "resident__household__grid__path"
    list_display = ("resident", "category", "registered_on", "is_active")
    list_filter = ("category",)
    raw_id_fields = ("resident",)


class SiteKindAdmin(AuditedAdmin):
    """Kinds are data the county keeps: names, order and switching one off; a code stays as rows use it."""

    list_display = ("code", "name", "is_active", "sort")
    list_editable = ("name", "is_active", "sort")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # retired with is_active: places and organisations point at it


class PlaceKindAdmin(ConfiguredInPages, SiteKindAdmin):
    pass


admin.site.register(PlaceKind, PlaceKindAdmin)
admin.site.register(OrganisationKind, SiteKindAdmin)


# Places and organisations change through their pages and the API, which keep their history: here they
# are read only.
@admin.register(Place)
class PlaceAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("name", "kind", "label", "grid", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "label")


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("name", "kind", "grid", "contact_name", "contact_phone_masked", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    exclude = ("contact_phone_encrypted", "contact_phone_hash")


# Written only through people.services (a party member, in the village, ten households at most, one
# member per household, a reason to end): read-only here.
@admin.register(MemberHouseholdLink)
class MemberHouseholdLinkAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "household__grid__path"
    list_display = ("member", "household", "started_on", "ended_on", "end_reason")
    raw_id_fields = ("member", "household")


@admin.register(RevealRecord)
class RevealRecordAdmin(ReadOnlyScopedAdmin):
    scope_path_field = "resident__household__grid__path"
    list_display = ("created_at", "user", "resident", "field", "reason", "ip_address")


@admin.register(IdentitySearch)
class IdentitySearchAdmin(ReadOnlyScopedAdmin):
    """Searches by full ID number or phone name no household: they are scoped by who searched, and
    the county's administrators read them."""

    list_display = ("created_at", "user", "kind", "outcome", "matched", "ip_address")
    list_filter = ("kind", "outcome")

    def scope_q(self, request):
        return Q(user__in=account_list_for(request.user).values("pk"))

    def has_module_permission(self, request):
        return is_superuser(request.user) or request.user.role == Role.COUNTY_ADMIN

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and super().has_view_permission(request, obj)
