from django.contrib import admin

from xiangzhi.accounts.scope import scope_of


class ScopedAdmin(admin.ModelAdmin):
    """An admin screen that shows only rows inside the signed-in user's scope."""

    scope_path_field: str = "path"
    scope_household_field: str | None = None

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(scope_of(request.user).q(self.scope_path_field, self.scope_household_field))
