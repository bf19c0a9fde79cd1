from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField, Model, Q, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from xiangzhi.accounts.models import AnyUser, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.accounts.selectors import account_list_for
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import actor_path, audit_record, client_ip

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


def _path_of(obj: Model, field: str) -> str:
    """``obj``'s region/grid path through the admin's ``scope_path_field`` (``household__grid__path``),
    or "" where the chain breaks."""
    value: Any = obj
    for name in field.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return ""
    return value if isinstance(value, str) else ""


# ModelAdmin is generic in Django's stubs only; subscripting it at run time needs django_stubs_ext.
class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An admin screen whose additions, changes and deletions go into the audit trail beside Django's
    own log, placed where the object lies (``scope_path_field``; else where the editor stands)."""

    scope_path_field: str = "path"

    def audit_path(self, request: HttpRequest, obj: Model) -> str:
        path = actor_path(obj) if isinstance(obj, User) else _path_of(obj, self.scope_path_field)
        return path or actor_path(request.user)

    def _audit(self, request: HttpRequest, obj: Model, what: str, detail: dict[str, Any], said: str = "") -> None:
        opts = obj._meta
        audit_record(actor=request.user, action=AuditAction.ADMIN,
                     summary=f"后台{what}{opts.verbose_name}「{obj}」" + (f"：{said}" if said else ""),
                     scope_path=self.audit_path(request, obj),
                     subject=f"{opts.label_lower}:{obj.pk}", detail=detail, ip=client_ip(request))

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, "添加", {"admin": "addition"})
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        said = entry.get_change_message() if hasattr(entry, "get_change_message") else str(message)
        self._audit(request, obj, "修改", {"admin": "change"}, said)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._audit(request, obj, "删除", {"admin": "deletion"})
        return entries


class ScopedAdmin(AuditedAdmin):
    """An admin screen that shows only rows inside the signed-in user's scope, and offers only such rows
    in its region, grid, department, household and account choices."""

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
