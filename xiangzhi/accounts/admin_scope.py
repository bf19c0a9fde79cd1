from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField, Model, Q, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from xiangzhi.accounts.models import AnyUser, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.accounts.selectors import account_list_for

# How each scoped kind of row finds its place: (path field, household field), as ``Scope.q`` takes them.
SCOPED_CHOICES = {
    "regions.region": ("path", None),
    "regions.grid": ("path", None),
    "regions.department": ("region__path", None),
    "people.household": ("grid__path", "pk"),
}


def scoped_choices(model: type[Model], user: AnyUser) -> QuerySet[Any] | None:
    """The rows of ``model`` that ``user`` may pick in a form, or None where the model has no scope
    (categories, groups, permissions…)."""
    if model is User:
        return account_list_for(user)
    fields = SCOPED_CHOICES.get(model._meta.label_lower)
    if fields is None:
        return None
    return model._default_manager.filter(scope_of(user).q(*fields))


# ModelAdmin is generic in Django's stubs only; subscripting it at run time needs django_stubs_ext.
class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An admin screen that shows only rows inside the signed-in user's scope, and offers only such rows
    in its region, grid, department, household and account choices."""

    scope_path_field: str = "path"
    scope_household_field: str | None = None
    # A county's residents are 400,000 rows: no exact total under every filtered list and no per-filter
    # counts (facets); each would count the table again on every page.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def scope_q(self, request: HttpRequest) -> Q:
        return scope_of(request.user).q(self.scope_path_field, self.scope_household_field)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(self.scope_q(request))

    def _scoped(self, db_field: ForeignKey[Any, Any] | ManyToManyField[Any, Any], request: HttpRequest,
                kwargs: dict[str, Any]) -> dict[str, Any]:
        """The form field's options, its choices narrowed to the scope unless the caller set them."""
        if "queryset" not in kwargs:
            choices = scoped_choices(db_field.remote_field.model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return kwargs

    def formfield_for_foreignkey(self, db_field: ForeignKey[Any, Any], request: HttpRequest,
                                 **kwargs: Any) -> ModelChoiceField[Any] | None:
        return super().formfield_for_foreignkey(db_field, request, **self._scoped(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field: ManyToManyField[Any, Any], request: HttpRequest,
                                 **kwargs: Any) -> ModelMultipleChoiceField[Any] | None:
        return super().formfield_for_manytomany(db_field, request, **self._scoped(db_field, request, kwargs))


class ReadOnlyScopedAdmin(ScopedAdmin):
    """Rows that change only through their services (ledgers, stock moves, patrols) or never (audit
    trails): listed within the scope, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
