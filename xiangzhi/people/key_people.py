"""Key people kept from the field (重点人员): registered, re-categorised and ended by grid workers and
chiefs in their grids and the village cadre in his village, each step with its ``KeyPersonChange``.
Here rather than in ``services`` so the register's own changes (``changes``: a death, a move out of
the county) can end a person's entries without a circle; ``services`` re-exports every door."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, field_error
from xiangzhi.core.inputs import text
from xiangzhi.people import rules
from xiangzhi.people.models import KeyCategory, KeyPerson, KeyPersonChange, Resident


class KeyPersonError(Invalid):
    """A key-person registration, category change or end refused, with the reason in Chinese."""


class KeyPersonConflict(KeyPersonError, Conflict):
    """Refused because of the entry's present state: already registered, already ended."""

    code = "conflict"


def _key_category(code: str | None) -> KeyCategory:
    category = KeyCategory.objects.filter(code=(code or "").strip()).first() if code else None
    if category is None or not category.is_active:
        raise KeyPersonError("请选择一个启用中的重点人群类别", fields=field_error("category", "未知或已停用"))
    return category


def _key_day(value: dt.date | None, name: str, label: str, *, earliest: dt.date, earliest_label: str) -> dt.date:
    today = timezone.localdate()
    if value is None:
        return today
    if value > today:
        raise KeyPersonError(f"{label}不能晚于今天", fields=field_error(name, "晚于今天"))
    if value < earliest:
        raise KeyPersonError(f"{label}不能早于{earliest_label}（{earliest.isoformat()}）",
                             fields=field_error(name, f"早于{earliest_label}"))
    return value


def _key_category_values(category: KeyCategory) -> dict[str, str]:
    return {"类别": category.name, "走访周期": f"每{category.visit_cycle_days}天"}


def _may_keep(actor: User, resident: Resident) -> None:
    if not rules.can_keep_key_person(actor, resident.household):
        raise Forbidden("只能为本人负责的网格或本村的居民登记、变更或解除重点人员")


def key_person_register(*, actor: User, resident: Resident, category: str, note: str = "",
                        on: dt.date | None = None) -> KeyPerson:
    """登记为重点人员: a new active entry, due its first visit one cycle after ``on`` (today by default).
    A resident ended in a category before may be registered in it again: that is a new entry."""
    _may_keep(actor, resident)
    note = text(note, "note", "备注", 200, error=KeyPersonError)
    chosen = _key_category(category)
    with transaction.atomic():
        # The resident's row is the lock every key-person write for this person takes first.
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.is_deceased:
            raise KeyPersonError(f"{resident.name}已登记死亡", fields=field_error("resident", "已故"))
        on = _key_day(on, "registered_on", "登记日期", earliest=resident.birth_date, earliest_label="出生日期")
        if KeyPerson.objects.filter(resident=resident, category=chosen, is_active=True).exists():
            raise KeyPersonConflict(f"{resident.name}已登记为{chosen.name}，不能重复登记",
                                    fields=field_error("category", "已登记"))
        entry = KeyPerson.objects.create(resident=resident, category=chosen, registered_on=on, registered_by=actor,
                                         note=note)
        KeyPersonChange.objects.create(
            key_person=entry, kind=KeyPersonChange.Kind.REGISTER, before={},
            after={**_key_category_values(chosen), "登记日期": on.isoformat()}, reason=note, actor=actor,
            at=timezone.now(),
        )
    return entry


def _locked_active(key_person: KeyPerson) -> KeyPerson:
    Resident.objects.select_for_update().filter(pk=key_person.resident_id).first()
    locked = KeyPerson.objects.select_for_update().select_related("category", "resident").get(pk=key_person.pk)
    if not locked.is_active:
        raise KeyPersonConflict(f"{locked.resident.name}的「{locked.category.name}」登记已解除；如需要请重新登记")
    return locked


def key_person_change_category(*, actor: User, key_person: KeyPerson, category: str, reason: str) -> KeyPerson:
    """变更类别: the same entry, so its visits stay with it; the next visit falls due one new cycle
    after the last visit that met the person (or the registration)."""
    _may_keep(actor, key_person.resident)
    reason = text(reason, "reason", "变更原因", 200, required=True, error=KeyPersonError)
    chosen = _key_category(category)
    with transaction.atomic():
        entry = _locked_active(key_person)
        if chosen.pk == entry.category_id:
            raise KeyPersonConflict(f"{entry.resident.name}已是{chosen.name}", fields=field_error("category", "未变"))
        if KeyPerson.objects.filter(resident_id=entry.resident_id, category=chosen, is_active=True).exists():
            raise KeyPersonConflict(f"{entry.resident.name}已另有一条「{chosen.name}」登记",
                                    fields=field_error("category", "已登记"))
        before = _key_category_values(entry.category)
        entry.category = chosen
        entry.save(update_fields=["category"])
        KeyPersonChange.objects.create(key_person=entry, kind=KeyPersonChange.Kind.CATEGORY, before=before,
                                       after=_key_category_values(chosen), reason=reason, actor=actor,
                                       at=timezone.now())
    return entry


def _end(entry: KeyPerson, *, actor: User, reason: str, on: dt.date) -> None:
    entry.is_active, entry.ended_on, entry.end_reason, entry.ended_by = False, on, reason, actor
    entry.save(update_fields=["is_active", "ended_on", "end_reason", "ended_by"])
    KeyPersonChange.objects.create(key_person=entry, kind=KeyPersonChange.Kind.END, before={"状态": "在册"},
                                   after={"状态": "已解除", "解除日期": on.isoformat()}, reason=reason, actor=actor,
                                   at=timezone.now())


def key_person_end(*, actor: User, key_person: KeyPerson, reason: str, on: dt.date | None = None) -> KeyPerson:
    """解除 (e.g. 解除社区矫正, 刑满, 已迁出): the entry stays with its history and visits, no longer due
    a visit and no longer listed as active."""
    _may_keep(actor, key_person.resident)
    reason = text(reason, "reason", "解除原因", 200, required=True, error=KeyPersonError)
    with transaction.atomic():
        entry = _locked_active(key_person)
        on = _key_day(on, "ended_on", "解除日期", earliest=entry.registered_on, earliest_label="登记日期")
        _end(entry, actor=actor, reason=reason, on=on)
    return entry


def key_person_end_all_for_resident(*, resident: Resident, actor: User, reason: str, on: dt.date) -> int:
    """Ends every active entry of a resident who died or left the county, each with its history row;
    how many were ended. The caller has authorised the register change that causes it (the village
    confirming a death or a move), so no keeper's rule is checked here; call it inside that change's
    transaction."""
    reason = text(reason, "reason", "解除原因", 200, required=True, error=KeyPersonError)
    ended = 0
    with transaction.atomic():
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        for entry in KeyPerson.objects.select_for_update().filter(resident_id=resident.pk, is_active=True):
            _end(entry, actor=actor, reason=reason, on=max(on, entry.registered_on))
            ended += 1
    return ended
