"""Corrections by re-importing the household file (户籍表格导入更正): the import that named registered
people leaves a ``RegisterImport`` with the differences; confirming applies them all in one transaction,
each person's or household's as one ``HouseholdChange`` of kind correction, and the new households with
them. Re-exported from ``services``.

The plan is a JSON document (``xlsx`` builds it):

``corrections``: one item per person or household with a difference::

    {"household": pk, "resident": pk | None, "line": row, "who": "张三（3701************34）",
     "where": "张三户（H-1）", "fields": [[label, before, after], ...],    # as shown (masked)
     "expect": {attr: value, ...},  # the register as compared; anything else found refuses the confirm
     "set": {attr: value, ...},     # what confirming writes; phones as [encrypted, hash, masked]
     "touches": [...]}              # as ``HouseholdChange.touches``

``households``: the new ones, ``{"number", "grid", "address", "head_name", "residents": [...]}``,
each resident with ``id_number`` and ``phone`` sealed as ``[encrypted, hash, masked]``.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.rules import can_edit_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record, common_path
from xiangzhi.core.errors import Conflict, Forbidden
from xiangzhi.people.models import Household, HouseholdChange, RegisterImport, Relation, Resident, counted
from xiangzhi.regions.models import Grid

NOTE = "表格导入更正"
STALE = "{who}的{what}在上传之后已有变动，这次导入不能再确认；请重新导出或核对后再上传"
TAKEN = "户编号 {number} 在上传之后已被登记，这次导入不能再确认；请重新上传"
ID_TAKEN = "文件中有身份证号在上传之后已被登记，这次导入不能再确认；请重新上传"
OUT_OF_SCOPE = "这次导入涉及的户已不在您的管辖范围内，不能确认"
PENDING_CHANGE = "{where}有一条待确认的「{kind}」变动（{who}），请等村里确认或退回后再导入更正"
HEADS = "户编号 {number} 更正后{problem}，每户必须有且只有一名户主"
RESIDENT_ATTRS = ("household_id", "name", "relation", "phone_hash", "tags", "is_away", "is_deceased", "left_on")
HOUSEHOLD_ATTRS = ("grid_id", "address", "head_name", "closed_on")
AWAY_CLEARED = {"away_place": "", "away_work": "", "away_since": None, "away_expected_back": None}


class ImportConflict(Conflict):
    """The pending import cannot be applied as it stands: lapsed, decided already, or the register
    changed under it."""


def expected(obj: Resident | Household) -> dict[str, Any]:
    """What a correction expects to find: every attribute the comparison read, as JSON."""
    attrs = RESIDENT_ATTRS if isinstance(obj, Resident) else HOUSEHOLD_ATTRS
    return {a: _json(getattr(obj, a)) for a in attrs}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _batches(values: list[Any], size: int = 900) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def pending_change_conflicts(households: Iterable[int], touches: dict[int, set[str]]) -> Iterator[HouseholdChange]:
    """The waiting register changes of ``households`` that touch what ``touches`` (household pk → set)
    names: a correction applied beside them would be overwritten when the village confirms them."""
    ids = sorted(set(households))
    for batch in _batches(ids):
        waiting = (HouseholdChange.objects.filter(household_id__in=batch, state=HouseholdChange.State.PENDING)
                   .select_related("household", "resident").order_by("id"))
        for change in waiting:
            if set(change.touches) & touches.get(change.household_id, set()):
                yield change


def pending_change_message(change: HouseholdChange) -> str:
    who = change.resident.name if change.resident is not None else change.after.get("姓名", "")
    return PENDING_CHANGE.format(where=f"{change.household.head_name}户", kind=change.get_kind_display(), who=who)


def register_import_create(*, importer: User, plan: dict[str, Any], unchanged: int) -> RegisterImport:
    """Keeps a compared file for its importer's decision. An importer has one pending import at a
    time (an older one is discarded), and lapsed ones are emptied on the way."""
    now = timezone.now()
    with transaction.atomic():
        RegisterImport.objects.filter(
            Q(importer=importer) | Q(created_at__lt=now - dt.timedelta(hours=RegisterImport.HOURS)),
            state=RegisterImport.State.PENDING,
        ).update(state=RegisterImport.State.DISCARDED, decided_at=now, plan={})
        households = plan.get("households", [])
        return RegisterImport.objects.create(
            importer=importer, plan=plan, unchanged=unchanged, corrections=len(plan.get("corrections", [])),
            households_new=len(households), residents_new=sum(len(h["residents"]) for h in households),
        )


def register_import_expired(register_import: RegisterImport) -> bool:
    return timezone.now() - register_import.created_at > dt.timedelta(hours=RegisterImport.HOURS)


def _open(actor: User, register_import: RegisterImport) -> RegisterImport:
    if not can_edit_register(actor) or register_import.importer_id != actor.pk:
        raise Forbidden("只有上传这份文件的人能确认或放弃这次导入")
    locked = RegisterImport.objects.select_for_update().get(pk=register_import.pk)
    if locked.state != RegisterImport.State.PENDING:
        raise ImportConflict(f"这次导入已{locked.get_state_display()}，不能再确认或放弃")
    if register_import_expired(locked):
        raise ImportConflict(f"这次导入上传已超过 {RegisterImport.HOURS} 小时，已失效；请重新上传文件")
    return locked


def register_import_discard(*, actor: User, register_import: RegisterImport) -> RegisterImport:
    with transaction.atomic():
        locked = _open(actor, register_import)
        locked.state, locked.decided_at, locked.plan = RegisterImport.State.DISCARDED, timezone.now(), {}
        locked.save(update_fields=["state", "decided_at", "plan"])
    return locked


def register_import_confirm(*, actor: User, register_import: RegisterImport) -> RegisterImport:
    """Applies the whole plan or nothing: every person and household it corrects must still be as the
    comparison found it, in the actor's scope and without a waiting change on the same field; every new
    household number and ID number must still be free."""
    with transaction.atomic():
        locked = _open(actor, register_import)
        now = timezone.now()
        corrections: list[dict[str, Any]] = locked.plan.get("corrections", [])
        changes = _corrections_apply(actor, corrections, now)
        where = _paths_touched(changes, locked.plan.get("households", []))
        _households_create(actor, locked.plan.get("households", []))
        HouseholdChange.objects.bulk_create(changes, batch_size=1000)
        locked.state, locked.decided_at, locked.plan = RegisterImport.State.APPLIED, now, {}
        locked.save(update_fields=["state", "decided_at", "plan"])
        audit_record(actor=actor, action=AuditAction.IMPORT,
                     summary=(f"确认表格导入更正：更正 {locked.corrections} 处，新建 {locked.households_new} 户、"
                              f"{locked.residents_new} 人"),
                     scope_path=where, subject=f"people.registerimport:{locked.pk}",
                     detail={"corrections": locked.corrections, "households": locked.households_new,
                             "residents": locked.residents_new})
    return locked


def _paths_touched(changes: list[HouseholdChange], households: list[dict[str, Any]]) -> str:
    """Where a confirmed import belongs in the audit trail: the deepest place above every household it
    corrects or creates."""
    paths = {c.household.grid.path for c in changes}
    paths.update(Grid.objects.filter(pk__in={h["grid"] for h in households}).values_list("path", flat=True))
    return common_path(paths)


def _corrections_apply(actor: User, corrections: list[dict[str, Any]], now: dt.datetime) -> list[HouseholdChange]:
    scope = scope_of(actor)
    household_ids = sorted({c["household"] for c in corrections})
    resident_ids = sorted({c["resident"] for c in corrections if c["resident"] is not None})
    # Households before residents, each in key order: the order the register-change services lock in.
    households: dict[int, Household] = {}
    for batch in _batches(household_ids):
        households.update((h.pk, h) for h in Household.objects.select_for_update(of=("self",)).filter(pk__in=batch)
                          .select_related("grid").order_by("pk"))
    residents: dict[int, Resident] = {}
    for batch in _batches(resident_ids):
        residents.update((r.pk, r) for r in Resident.objects.select_for_update().filter(pk__in=batch).order_by("pk"))
    if len(households) != len(household_ids) or any(not scope.covers_path(h.grid.path) for h in households.values()):
        raise Forbidden(OUT_OF_SCOPE)
    touches: dict[int, set[str]] = {}
    for c in corrections:
        touches.setdefault(c["household"], set()).update(c["touches"])
    for change in pending_change_conflicts(household_ids, touches):
        raise ImportConflict(pending_change_message(change))

    grids = {g.pk: g for g in Grid.objects.filter(
        pk__in=[c["set"]["grid_id"] for c in corrections if "grid_id" in c["set"]])}
    out = []
    for c in corrections:
        obj: Resident | Household | None = (residents.get(c["resident"]) if c["resident"] is not None
                                            else households.get(c["household"]))
        if obj is None or expected(obj) != c["expect"]:
            what = "、".join(label for label, _, _ in c["fields"])
            raise ImportConflict(STALE.format(who=c["who"], what=what))
        values: dict[str, Any] = {}
        for attr, value in c["set"].items():
            if attr == "phone":
                values.update(zip(("phone_encrypted", "phone_hash", "phone_masked"), value, strict=True))
            elif attr == "grid_id":
                grid = grids.get(value)
                if grid is None or not grid.is_active or not scope.covers_path(grid.path):
                    raise Forbidden(OUT_OF_SCOPE)
                values[attr] = value
            else:
                values[attr] = value
            if attr == "is_away" and not value:
                values.update(AWAY_CLEARED)
        # One plain UPDATE each: bulk_update's CASE over thousands of rows costs more than the statements.
        type(obj)._default_manager.filter(pk=obj.pk).update(**values)
        out.append(HouseholdChange(
            household=households[c["household"]], resident=obj if isinstance(obj, Resident) else None,
            kind=HouseholdChange.Kind.CORRECTION, before={label: before for label, before, _ in c["fields"]},
            after={label: after for label, _, after in c["fields"]}, touches=c["touches"], note=NOTE,
            proposer=actor, proposed_at=now, state=HouseholdChange.State.CONFIRMED, decider=actor, decided_at=now,
        ))
    _heads_check(households.values(), corrections)
    return out


def _heads_check(households: Iterable[Household], corrections: list[dict[str, Any]]) -> None:
    """A household whose relations were corrected still has exactly one living head, whatever else
    happened to it since the comparison."""
    touched = {c["household"] for c in corrections if "relation" in c["set"]}
    for household in households:
        if household.pk not in touched:
            continue
        heads = household.residents.filter(counted(), relation=Relation.HEAD).count()
        if heads != 1:
            problem = "没有户主" if not heads else f"有 {heads} 名户主"
            raise ImportConflict(HEADS.format(number=household.number, problem=problem))


def _households_create(actor: User, households: list[dict[str, Any]]) -> None:
    if not households:
        return
    scope = scope_of(actor)
    grids = {g.pk: g for g in Grid.objects.filter(pk__in={h["grid"] for h in households}, is_active=True)}
    if any(h["grid"] not in grids or not scope.covers_path(grids[h["grid"]].path) for h in households):
        raise Forbidden(OUT_OF_SCOPE)
    numbers = [h["number"] for h in households]
    for batch in _batches(numbers):
        taken = Household.objects.filter(number__in=batch).values_list("number", flat=True).first()
        if taken is not None:
            raise ImportConflict(TAKEN.format(number=taken))
    hashes = [r["id_number"][1] for h in households for r in h["residents"]]
    for batch in _batches(hashes):
        if Resident.objects.filter(id_number_hash__in=batch).exists():
            raise ImportConflict(ID_TAKEN)
    created = Household.objects.bulk_create([
        Household(number=h["number"], grid_id=h["grid"], address=h["address"], head_name=h["head_name"])
        for h in households
    ])
    residents = []
    for household, h in zip(created, households, strict=True):
        for r in h["residents"]:
            resident = Resident(
                household=household, name=r["name"], sex=r["sex"], birth_date=dt.date.fromisoformat(r["birth_date"]),
                relation=r["relation"], tags=r["tags"], is_away=r["is_away"],
            )
            resident.id_number_encrypted, resident.id_number_hash, resident.id_number_masked = r["id_number"]
            resident.phone_encrypted, resident.phone_hash, resident.phone_masked = r["phone"]
            residents.append(resident)
    Resident.objects.bulk_create(residents, batch_size=2000)
