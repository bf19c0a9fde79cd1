from django.contrib import admin
from django.db.models import Q

from xiangzhi.accounts.admin_scope import ReadOnlyScopedAdmin, ScopedAdmin
from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import can_reveal_identity, is_superuser
from xiangzhi.accounts.selectors import account_list_for
from xiangzhi.people.models import (
    Household,
    IdentitySearch,
    KeyCategory,
    KeyPerson,
    MemberHouseholdLink,
    Organisation,
    Place,
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
        if can_reveal_identity(request.user):
            return self.readonly_fields
        return (*self.readonly_fields, "birth_year")

    def has_add_permission(self, request):
        # New residents come through the register (page or .xlsx import), which validates and encrypts.
        return False


@admin.register(KeyCategory)
class KeyCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "visit_cycle_days", "is_active")


@admin.register(KeyPerson)
class KeyPersonAdmin(ScopedAdmin):
    scope_path_field = "resident__household__grid__path"
    list_display = ("resident", "category", "registered_on", "is_active")
    list_filter = ("category",)
    raw_id_fields = ("resident",)


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("name", "kind", "grid", "lon", "lat")
    list_filter = ("kind",)
    raw_id_fields = ("grid",)


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    scope_path_field = "grid__path"
    list_display = ("name", "kind", "grid")
    list_filter = ("kind",)
    raw_id_fields = ("grid",)


@admin.register(MemberHouseholdLink)
class MemberHouseholdLinkAdmin(ScopedAdmin):
    scope_path_field = "household__grid__path"
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
