from django.contrib import admin

from xiangzhi.accounts.admin_scope import ScopedAdmin
from xiangzhi.people.models import (
    Household,
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
    list_display = ("name", "relation", "sex", "birth_date", "id_number_masked", "phone_masked", "household")
    search_fields = ("name",)
    fields = ("household", "name", "sex", "birth_date", "relation", "id_number_masked", "phone_masked", "tags",
              "is_away")
    readonly_fields = ("id_number_masked", "phone_masked")
    raw_id_fields = ("household",)

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
class RevealRecordAdmin(ScopedAdmin):
    scope_path_field = "resident__household__grid__path"
    list_display = ("created_at", "user", "resident", "field", "reason", "ip_address")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
