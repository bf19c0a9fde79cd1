"""The people catalogues the county keeps in its configuration pages: key-population categories with their
visit cycles, resident tags beside the built-in ones, and kinds of places. Each is added, renamed and
retired (never deleted: people, entries and places point at it), by the county admin, every change with
its reason in the configuration history. A township's own visit cycle is a setting
(``configuration``: ``visit_cycle.<code>``); ``visit_cycles`` resolves both for the due-visit lists.

Re-exported by ``people.services`` (writes) and ``people.selectors`` (reads)."""

import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import QuerySet

from xiangzhi.accounts.models import User
from xiangzhi.configuration.models import ConfigKind
from xiangzhi.configuration.rules import can_edit_county
from xiangzhi.configuration.selectors import (
    VISIT_CYCLE_PREFIX,
    county_for_user,
    setting_overrides,
    spec_for,
    visit_cycle_key,
)
from xiangzhi.configuration.services import change_reason, config_change_record
from xiangzhi.core.errors import Conflict, Invalid, field_error
from xiangzhi.core.inputs import require
from xiangzhi.people.models import KeyCategory, KeyPerson, PlaceKind, ResidentTag, Tag, tag_names

READ_ONLY = "只有县级管理员可以修改这些类别"
CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")

K = TypeVar("K", KeyCategory, PlaceKind, ResidentTag)


class CatalogueError(Invalid):
    """A catalogue change refused, with the reason in Chinese."""


def _refuse(name: str, message: str) -> CatalogueError:
    return CatalogueError(message, fields=field_error(name, message))


def _text(value: str | None, name: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _refuse(name, f"请填写{label}")
    if len(value) > limit:
        raise _refuse(name, f"{label}不能超过 {limit} 个字")
    return value


def _whole(value: Any, name: str, label: str, low: int, high: int, unit: str = "") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _refuse(name, f"{label}应为 {low}～{high}{unit} 之间的整数")
    return value


def _code(model: type[models.Model], code: str | None, limit: int, prefix: str) -> str:
    """A typed code, checked; or, left blank, the next free ``<prefix>_NNN``."""
    code = (code or "").strip()
    if not code:
        n = model._default_manager.count() + 1
        while model._default_manager.filter(code=f"{prefix}_{n:03d}").exists():
            n += 1
        return f"{prefix}_{n:03d}"
    if not CODE.match(code) or len(code) > limit:
        raise _refuse("code", f"代码应以小写字母开头，由小写字母、数字和下划线组成（2～{limit} 位）")
    if model._default_manager.filter(code=code).exists():
        raise Conflict(f"代码 {code} 已被使用", fields=field_error("code", "已被使用"))
    return code


def _name_free(model: type[models.Model], name: str, keep: models.Model | None = None) -> None:
    taken = model._default_manager.filter(name=name)
    if keep is not None:
        taken = taken.exclude(pk=keep.pk)
    if taken.exists():
        raise Conflict(f"已有名为“{name}”的类别", fields=field_error("name", "重名"))


def _scope_path(actor: User) -> str:
    county = county_for_user(actor)
    return county.path if county is not None else ""


def _record(kind: str, row: Any, before: dict[str, Any] | None, after: dict[str, Any], actor: User,
            reason: str) -> None:
    config_change_record(kind=kind, code=row.code, name=row.name, before=before, after=after, actor=actor,
                         reason=reason, scope_path=_scope_path(actor))


def _update(kind: str, row: K, values: dict[str, Any], actor: User, reason: str) -> K:
    changed = {f: v for f, v in values.items() if getattr(row, f) != v}
    if not changed:
        raise Conflict("没有修改任何内容")
    before = {f: getattr(row, f) for f in changed}
    for f, v in changed.items():
        setattr(row, f, v)
    row.save(update_fields=list(changed))
    _record(kind, row, before, changed, actor, reason)
    return row


def _retire(kind: str, row: K, active: bool, actor: User, reason: str) -> K:
    if row.is_active == active:
        raise Conflict("已启用" if active else "已停用")
    row.is_active = active
    row.save(update_fields=["is_active"])
    _record(kind, row, {"is_active": not active}, {"is_active": active}, actor, reason)
    return row


# --- key-population categories ---------------------------------------------------------------------


@transaction.atomic
def key_category_create(*, name: str, visit_cycle_days: int, actor: User, reason: str, code: str = "",
                        description: str = "") -> KeyCategory:
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    name = _text(name, "name", "名称", 50)
    _name_free(KeyCategory, name)
    values = {"name": name, "visit_cycle_days": _whole(visit_cycle_days, "visit_cycle_days", "走访周期", 1, 366, " 天"),
              "description": _text(description, "description", "说明", 200, required=False)}
    row = KeyCategory.objects.create(code=_code(KeyCategory, code, 32, "key"), **values)
    _record(ConfigKind.KEY_CATEGORY, row, None, {"code": row.code, **values}, actor, reason)
    return row


@transaction.atomic
def key_category_update(*, category: KeyCategory, name: str, visit_cycle_days: int, actor: User, reason: str,
                        description: str = "") -> KeyCategory:
    """Rename a category or change the county's visit cycle: due dates follow at once (they are computed,
    never stored), except in a township that keeps its own cycle for the category."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    category = KeyCategory.objects.select_for_update().get(pk=category.pk)
    name = _text(name, "name", "名称", 50)
    _name_free(KeyCategory, name, keep=category)
    return _update(ConfigKind.KEY_CATEGORY, category, {
        "name": name, "visit_cycle_days": _whole(visit_cycle_days, "visit_cycle_days", "走访周期", 1, 366, " 天"),
        "description": _text(description, "description", "说明", 200, required=False)}, actor, reason)


@transaction.atomic
def key_category_retire(*, category: KeyCategory, actor: User, reason: str, active: bool = False) -> KeyCategory:
    """停用 a category nobody is registered in any more (its people would drop off the visit lists), or
    启用 it again."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    category = KeyCategory.objects.select_for_update().get(pk=category.pk)
    if not active:
        kept = KeyPerson.objects.filter(category=category, is_active=True).count()
        if kept:
            raise Conflict(f"该类别还有 {kept} 名在册重点人员，请先为他们变更类别或解除后再停用")
    return _retire(ConfigKind.KEY_CATEGORY, category, active, actor, reason)


# --- resident tags -------------------------------------------------------------------------------


def _tag_code(code: str) -> str:
    """Tags are kept comma-separated and found by ``tags__contains``: no code may hold another."""
    code = _code(ResidentTag, code, 32, "tag")
    for other in ResidentTag.objects.values_list("code", flat=True):
        if code in other or other in code:
            raise _refuse("code", f"代码 {code} 与已有标签的代码 {other} 相互包含，请换一个")
    return code


@transaction.atomic
def resident_tag_create(*, name: str, actor: User, reason: str, code: str = "", sort: int | None = None) -> ResidentTag:
    """A tag the county adds beside the built-in ones: the register's pages, API and imports accept it."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    name = _text(name, "name", "名称", 20)
    _name_free(ResidentTag, name)
    values = {"name": name, "sort": _whole(sort if sort is not None else 500, "sort", "排序", 0, 999)}
    row = ResidentTag.objects.create(code=_tag_code(code), **values)
    tag_names.forget()
    _record(ConfigKind.RESIDENT_TAG, row, None, {"code": row.code, **values}, actor, reason)
    return row


@transaction.atomic
def resident_tag_update(*, tag: ResidentTag, name: str, actor: User, reason: str,
                        sort: int | None = None) -> ResidentTag:
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    tag = ResidentTag.objects.select_for_update().get(pk=tag.pk)
    name = _text(name, "name", "名称", 20)
    _name_free(ResidentTag, name, keep=tag)
    row = _update(ConfigKind.RESIDENT_TAG, tag, {
        "name": name, "sort": _whole(sort if sort is not None else tag.sort, "sort", "排序", 0, 999)}, actor, reason)
    tag_names.forget()
    return row


@transaction.atomic
def resident_tag_retire(*, tag: ResidentTag, actor: User, reason: str, active: bool = False) -> ResidentTag:
    """停用 a tag the county added: people keep it, no form or import offers it. Built-in tags stay (the
    party pages read 党员)."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    tag = ResidentTag.objects.select_for_update().get(pk=tag.pk)
    if tag.is_builtin or tag.code in Tag.values:
        raise Conflict("内置标签不能停用")
    row = _retire(ConfigKind.RESIDENT_TAG, tag, active, actor, reason)
    tag_names.forget()
    return row


def resident_tag_choices() -> dict[str, str]:
    """Active tags, code → name, in their order: what the register's forms and imports accept."""
    return dict(ResidentTag.objects.filter(is_active=True).order_by("sort", "code").values_list("code", "name"))


def resident_tag_list() -> QuerySet[ResidentTag]:
    return ResidentTag.objects.order_by("-is_active", "sort", "code")


# --- place kinds ---------------------------------------------------------------------------------


@transaction.atomic
def place_kind_create(*, name: str, actor: User, reason: str, code: str = "", sort: int | None = None) -> PlaceKind:
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    name = _text(name, "name", "名称", 50)
    _name_free(PlaceKind, name)
    values = {"name": name, "sort": _whole(sort if sort is not None else 500, "sort", "排序", 0, 999)}
    row = PlaceKind.objects.create(code=_code(PlaceKind, code, 20, "place"), **values)
    _record(ConfigKind.PLACE_KIND, row, None, {"code": row.code, **values}, actor, reason)
    return row


@transaction.atomic
def place_kind_update(*, kind: PlaceKind, name: str, actor: User, reason: str, sort: int | None = None) -> PlaceKind:
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    kind = PlaceKind.objects.select_for_update().get(pk=kind.pk)
    name = _text(name, "name", "名称", 50)
    _name_free(PlaceKind, name, keep=kind)
    return _update(ConfigKind.PLACE_KIND, kind, {
        "name": name, "sort": _whole(sort if sort is not None else kind.sort, "sort", "排序", 0, 999)}, actor, reason)


@transaction.atomic
def place_kind_retire(*, kind: PlaceKind, actor: User, reason: str, active: bool = False) -> PlaceKind:
    """停用 a kind: its places keep it, no new place takes it."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    kind = PlaceKind.objects.select_for_update().get(pk=kind.pk)
    return _retire(ConfigKind.PLACE_KIND, kind, active, actor, reason)


# --- visit cycles: the county's per category, a township's own where it keeps one -----------------


@dataclass
class VisitCycles:
    """The visit cycle of each category (id → days): the county's, and each township's own where it set
    one (township path → {id: days})."""

    county: dict[int, int]
    townships: dict[str, dict[int, int]] = field(default_factory=dict)

    def days(self, category_id: int, path: str) -> int | None:
        """The cycle for a person of the category whose household is at ``path`` (a grid's path)."""
        for township, cycles in self.townships.items():
            if path.startswith(township) and category_id in cycles:
                return cycles[category_id]
        return self.county.get(category_id)

    def within(self, paths: tuple[str, ...],
               everything: bool = False) -> tuple[dict[int, int], list[tuple[str, int, int]]]:
        """For a list over ``paths`` (a user's scope): the cycles that hold everywhere in it (the county's,
        or the township's when the scope lies inside one township) and the townships' own cycles that
        hold in only part of it, as (township path, category id, days)."""
        base = dict(self.county)
        partial: list[tuple[str, int, int]] = []
        for township, cycles in sorted(self.townships.items()):
            if paths and not everything and all(p.startswith(township) for p in paths):
                base.update({cid: d for cid, d in cycles.items() if cid in base})
            elif everything or any(township.startswith(p) for p in paths):
                partial += [(township, cid, d) for cid, d in cycles.items() if cid in base]
        return base, partial


def visit_cycles(*, active_only: bool = True) -> VisitCycles:
    """Every category's cycle and the townships' own: two small queries."""
    rows = KeyCategory.objects.filter(is_active=True) if active_only else KeyCategory.objects.all()
    ids = dict(rows.values_list("code", "id"))
    county = dict(rows.values_list("id", "visit_cycle_days"))
    townships: dict[str, dict[int, int]] = {}
    for key, by_path in setting_overrides(VISIT_CYCLE_PREFIX).items():
        category_id = ids.get(key[len(VISIT_CYCLE_PREFIX):])
        if category_id is None:
            continue
        for path, days in by_path.items():
            if isinstance(days, int) and spec_for(key) is not None:
                townships.setdefault(path, {})[category_id] = days
    return VisitCycles(county, townships)


__all__ = [
    "CatalogueError", "VisitCycles", "key_category_create", "key_category_retire", "key_category_update",
    "place_kind_create", "place_kind_retire", "place_kind_update", "resident_tag_choices", "resident_tag_create",
    "resident_tag_list", "resident_tag_retire", "resident_tag_update", "visit_cycle_key", "visit_cycles",
]
