"""Every change to the three lists. A county's list lives in numbered versions: a draft is copied from the
version in force (or imported from a spreadsheet), edited item by item, then activated, which retires
the version before it and tells case routing at once. An active or retired version is never edited.

Items are checked by one function (``item_build``) whether they come from the page, the API, the
spreadsheet or the demo: a field of the version, a department or level people can name, case category
codes of the catalog, process steps for every small power, and no category governed by two items of one
version (routing must know which one)."""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.core.errors import field_error
from xiangzhi.duties import catalog, words
from xiangzhi.duties.errors import DutyError, VersionConflict
from xiangzhi.duties.models import ROUTING_KINDS, Level, ListItem, ListKind, ListVersion, TownshipRole, VersionState
from xiangzhi.duties.words import DEFAULT_FIELDS
from xiangzhi.regions.models import Region, RegionLevel

MAX_STEPS = 20
STEP_ARROWS = ("→", "->", "⇒", "=>")


def routing_connect(*, categories: Callable[[], dict[str, str]], lists_changed: Callable[[], None]) -> None:
    """Called once by the cases app at start: where category codes come from, and whom to tell when a
    county's lists change (case routing reloads what it keeps)."""
    catalog.connect(categories=categories, lists_changed=lists_changed)


@dataclass
class ItemInput:
    """An item as typed: departments, levels, sides and roles by code or by name; steps and category
    codes as a list or as one text (steps one a line or joined by →, codes by 、 or commas)."""

    code: str
    field: str
    title: str
    sort: int | None = None
    side: str = ""
    subject: str = ""
    basis: str = ""
    steps: Sequence[str] | str = ()
    organisation: str = ""
    post: str = ""
    handling_level: str = ""
    township_role: str = ""
    department_kind: str = ""
    unit: str = ""
    category_codes: Sequence[str] | str = ()


@dataclass
class Problems:
    """A row's refusals, each with the input it is about."""

    found: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.found.append((name, message))

    def raise_any(self) -> None:
        if self.found:
            raise DutyError("；".join(m for _, m in self.found),
                            fields=[{"field": name, "message": m} for name, m in self.found])


def _text(value: object, name: str, label: str, limit: int, problems: Problems, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        problems.add(name, f"请填写{label}")
    elif len(text) > limit:
        problems.add(name, f"{label}不能超过 {limit} 个字")
    return text


def split_steps(value: Sequence[str] | str) -> list[str]:
    """Process steps: a list, or one text with a step a line or the steps joined by arrows."""
    if isinstance(value, str):
        for arrow in STEP_ARROWS:
            value = value.replace(arrow, "\n")
        value = value.splitlines()
    return [str(s).strip() for s in value if str(s).strip()]


def split_codes(value: Sequence[str] | str) -> list[str]:
    """Category codes (or names): a list, or one text separated by 、 ， , ； or spaces."""
    if isinstance(value, str):
        for sep in ("、", "，", "；", ";", "\n"):
            value = value.replace(sep, ",")
        value = [p for part in value.split(",") for p in part.split()]
    return [str(c).strip() for c in value if str(c).strip()]


def _categories(value: Sequence[str] | str, names: dict[str, str], problems: Problems) -> list[str]:
    by_name = {name: code for code, name in names.items()}
    codes, unknown = [], []
    for given in split_codes(value):
        code = given if given in names else by_name.get(given)
        if code is None:
            unknown.append(given)
        elif code not in codes:
            codes.append(code)
    if unknown:
        problems.add("category_codes", "未知的事件类别：" + "、".join(unknown))
    return codes


def item_build(*, kind: str, data: ItemInput, fields: Sequence[str], categories: dict[str, str] | None = None,
               version: ListVersion | None = None) -> ListItem:
    """An unsaved item of a ``kind`` list checked against the list's ``fields`` and the catalog's
    ``categories`` (code → name); every problem of the input at once in one ``DutyError``."""
    problems = Problems()
    names = catalog.category_names() if categories is None else categories
    item = ListItem(version=version)
    item.code = _text(data.code, "code", "编号", 20, problems, required=True)
    item.field = _text(data.field, "field", "领域", 30, problems, required=True)
    if item.field and item.field not in fields:
        problems.add("field", f"未知的领域“{item.field}”，本清单的领域：{'、'.join(fields)}")
    item.title = _text(data.title, "title", "事项", 200, problems, required=True)
    if data.sort is not None:
        if not isinstance(data.sort, int) or isinstance(data.sort, bool) or not 0 <= data.sort <= 100_000:
            problems.add("sort", "排序应为 0～100000 之间的整数")
        else:
            item.sort = data.sort
    if kind == ListKind.POWER:
        _power(item, data, problems)
    elif kind == ListKind.DUTY:
        _duty(item, data, problems)
        item.category_codes = _categories(data.category_codes, names, problems)
    elif kind == ListKind.TERRITORIAL:
        _territorial(item, data, problems)
        item.category_codes = _categories(data.category_codes, names, problems)
    else:
        problems.add("kind", "未知的清单")
    if kind == ListKind.POWER and split_codes(data.category_codes):
        problems.add("category_codes", "小微权力清单的事项不关联事件类别")
    problems.raise_any()
    return item


def _power(item: ListItem, data: ItemInput, problems: Problems) -> None:
    side = words.parse_side(data.side or "")
    if side is None:
        problems.add("side", "请写明正面清单还是负面清单")
    else:
        item.side = side
    item.subject = _text(data.subject, "subject", "责任主体", 100, problems)
    item.basis = _text(data.basis, "basis", "依据", 300, problems)
    steps = split_steps(data.steps)
    if len(steps) < 2:
        problems.add("steps", "请填写办理流程（至少两步，每步一行或用 → 连接）")
    elif len(steps) > MAX_STEPS:
        problems.add("steps", f"办理流程最多 {MAX_STEPS} 步")
    elif any(len(s) > 100 for s in steps):
        problems.add("steps", "办理流程的每一步不能超过 100 个字")
    item.steps = steps


def _duty(item: ListItem, data: ItemInput, problems: Problems) -> None:
    given = (data.organisation or "").strip()
    organisation = words.parse_organisation(given) if given else None
    if not given:
        problems.add("organisation", "请填写承担机构")
    elif organisation is None:
        departments = "、".join(words.DEPARTMENT_NAMES.values())
        problems.add("organisation", f"未知的承担机构“{given}”：应为职能部门（{departments}）或网格、村、乡镇、区县")
    else:
        item.organisation = organisation
    item.post = _text(data.post, "post", "责任岗位", 100, problems)
    level_text = (data.handling_level or "").strip()
    if level_text:
        level = words.parse_level(level_text)
        if level is None:
            problems.add("handling_level", f"未知的处置层级“{level_text}”：应为{'、'.join(words.LEVEL_NAMES.values())}")
        elif level == Level.DEPARTMENT and organisation is not None and organisation not in words.DEPARTMENT_NAMES:
            problems.add("handling_level", "处置层级为职能部门时，承担机构应为职能部门")
        else:
            item.handling_level = level


def _territorial(item: ListItem, data: ItemInput, problems: Problems) -> None:
    role = words.parse_role(data.township_role or "")
    if role is None:
        problems.add("township_role", "请写明乡镇是牵头还是配合")
    else:
        item.township_role = role
    given = (data.department_kind or "").strip()
    if given:
        kind = words.parse_department(given)
        if kind is None:
            problems.add("department_kind", f"未知的部门“{given}”：应为{'、'.join(words.DEPARTMENT_NAMES.values())}")
        else:
            item.department_kind = kind
    elif role == TownshipRole.COOPERATE:
        problems.add("department_kind", "乡镇配合的事项要写明主管部门")
    item.unit = _text(data.unit, "unit", "主管单位", 100, problems)


def governed_twice(kind: str, items: Iterable[ListItem]) -> dict[str, str]:
    """category code → the code of the item that governs it, for codes that a later item names again;
    empty for the small-power list. Used to refuse the second."""
    if kind not in ROUTING_KINDS:
        return {}
    owner: dict[str, str] = {}
    twice: dict[str, str] = {}
    for item in items:
        for code in item.category_codes:
            if code in owner and owner[code] != item.code:
                twice[code] = owner[code]
            owner.setdefault(code, item.code)
    return twice


# --- versions ---------------------------------------------------------------------------------------


def _county(county: Region) -> None:
    if county.level != RegionLevel.COUNTY:
        raise DutyError("三张清单只能建在县/区一级")


def _kind(kind: str) -> str:
    if kind not in ListKind.values:
        raise DutyError("未知的清单", fields=field_error("kind", "不是可选的值"))
    return kind


def _editable(version: ListVersion) -> None:
    if version.state != VersionState.DRAFT:
        raise VersionConflict("现行或已停用的清单版本不能修改，请先新建修订版")


def _locked(version: ListVersion) -> ListVersion:
    return ListVersion.objects.select_for_update().select_related("county").get(pk=version.pk)


def version_draft(*, county: Region, kind: str, actor: User | None, note: str = "",
                  now: dt.datetime | None = None) -> ListVersion:
    """A new draft copied from the version in force (else the latest); an open draft is returned as it
    is. A county's first draft starts with the default fields and no items."""
    _county(county)
    _kind(kind)
    problems = Problems()
    note = _text(note, "note", "修订说明", 200, problems)
    problems.raise_any()
    now = now or timezone.now()
    versions = ListVersion.objects.filter(county=county, kind=kind)
    existing = versions.filter(state=VersionState.DRAFT).first()
    if existing is not None:
        return existing
    base = versions.filter(state=VersionState.ACTIVE).first() or versions.order_by("-number").first()
    try:
        with transaction.atomic():
            number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
            draft = ListVersion.objects.create(
                county=county, kind=kind, number=number, state=VersionState.DRAFT, created_by=actor, created_at=now,
                fields=list(base.fields) if base is not None else list(DEFAULT_FIELDS[kind]), note=note)
            if base is not None:
                ListItem.objects.bulk_create([_copy(i, draft) for i in base.items.all()])
    except IntegrityError:  # another draft was opened meanwhile (one draft per list)
        found = versions.filter(state=VersionState.DRAFT).first()
        if found is None:
            raise
        return found
    return draft


def _copy(item: ListItem, version: ListVersion) -> ListItem:
    return ListItem(version=version, code=item.code, field=item.field, title=item.title, sort=item.sort,
                    side=item.side, subject=item.subject, basis=item.basis, steps=list(item.steps),
                    organisation=item.organisation, post=item.post, handling_level=item.handling_level,
                    township_role=item.township_role, department_kind=item.department_kind, unit=item.unit,
                    category_codes=list(item.category_codes))


@transaction.atomic
def item_save(*, version: ListVersion, actor: User, data: ItemInput, item: ListItem | None = None) -> ListItem:
    """Add an item to a draft, or change one of its items."""
    version = _locked(version)
    _editable(version)
    if item is not None and item.version_id != version.pk:
        raise DutyError("该事项不属于此版本")
    built = item_build(kind=version.kind, data=data, fields=version.fields, version=version)
    others = [o for o in version.items.all() if item is None or o.pk != item.pk]
    if any(o.code == built.code for o in others):
        raise DutyError(f"编号“{built.code}”已被本清单的其他事项使用", fields=field_error("code", "编号重复"))
    twice = governed_twice(version.kind, [*others, built])
    if twice:
        taken = "、".join(f"{code}（已由 {owner} 负责）" for code, owner in sorted(twice.items()))
        raise DutyError(f"同一事件类别只能由一项负责：{taken}", fields=field_error("category_codes", "类别重复"))
    if item is not None:
        built.pk = item.pk
        if data.sort is None:
            built.sort = item.sort
    elif data.sort is None:
        built.sort = (max((o.sort for o in others), default=0) + 1) if others else 1
    built.save()
    return built


@transaction.atomic
def item_remove(*, item: ListItem, actor: User) -> None:
    _editable(_locked(item.version))
    item.delete()


@transaction.atomic
def version_fields_set(*, version: ListVersion, actor: User, fields: Sequence[str] | str) -> ListVersion:
    """A draft's fields (领域), in order: one a line. A field still holding items stays."""
    version = _locked(version)
    _editable(version)
    names = [f.strip() for f in (fields.splitlines() if isinstance(fields, str) else fields) if f.strip()]
    problems = Problems()
    if not names:
        problems.add("fields", "至少要有一个领域")
    if any(len(n) > 30 for n in names):
        problems.add("fields", "领域名称不能超过 30 个字")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        problems.add("fields", "领域重复：" + "、".join(twice))
    used = sorted(set(version.items.values_list("field", flat=True)) - set(names))
    if used:
        problems.add("fields", "以下领域还有事项，不能删除：" + "、".join(used))
    problems.raise_any()
    version.fields = names
    version.save(update_fields=["fields"])
    return version


@transaction.atomic
def version_activate(*, version: ListVersion, actor: User | None, now: dt.datetime | None = None) -> ListVersion:
    """Put a draft in force: the version in force before is retired, and case routing reloads the lists
    at once in this process (after the commit too; other processes within ``RELOAD_SECONDS``)."""
    version = _locked(version)
    _editable(version)
    items = list(version.items.all())
    if not items:
        raise DutyError("清单中还没有事项，不能启用")
    if version.kind == ListKind.POWER and any(len(i.steps) < 2 for i in items):
        raise DutyError("每一项小微权力都要有办理流程")
    now = now or timezone.now()
    ListVersion.objects.filter(county=version.county, kind=version.kind, state=VersionState.ACTIVE).update(
        state=VersionState.RETIRED, retired_at=now)
    version.state, version.activated_at, version.activated_by = VersionState.ACTIVE, now, actor
    version.save(update_fields=["state", "activated_at", "activated_by"])
    label = ListKind(version.kind).label
    audit_record(actor=actor, action=AuditAction.PUBLISH,
                 summary=f"启用{version.county.name}{label}第 {version.number} 版（{len(items)} 项）",
                 scope_path=version.county.path, subject=f"duties.listversion:{version.pk}",
                 detail={"kind": version.kind, "number": version.number, "items": len(items)})
    catalog.lists_changed()
    transaction.on_commit(catalog.lists_changed)
    return version


@transaction.atomic
def version_discard(*, version: ListVersion, actor: User) -> None:
    """Throw a draft away (nothing ever routed by it)."""
    version = _locked(version)
    _editable(version)
    version.items.all().delete()
    version.delete()


@transaction.atomic
def version_items_replace(*, county: Region, kind: str, actor: User, items: Sequence[ListItem], note: str = "",
                          activate: bool = False, now: dt.datetime | None = None) -> ListVersion:
    """An import's rows, checked already by ``item_build``: they become the draft's items (a new draft
    when none is open; an open draft's items are replaced), and with ``activate`` the draft is put in
    force."""
    if not items:
        raise DutyError("文件中没有数据行")
    now = now or timezone.now()
    draft = _locked(version_draft(county=county, kind=kind, actor=actor, note=note, now=now))
    missing = sorted({i.field for i in items} - set(draft.fields))
    if missing:  # the draft's fields changed since the rows were checked
        raise DutyError("未知的领域：" + "、".join(missing))
    if note:
        draft.note = note
        draft.save(update_fields=["note"])
    draft.items.all().delete()
    for n, item in enumerate(items, start=1):
        item.version = draft
        item.sort = item.sort or n
    ListItem.objects.bulk_create(items)
    audit_record(actor=actor, action=AuditAction.IMPORT,
                 summary=f"表格导入{county.name}{ListKind(kind).label} {len(items)} 项（第 {draft.number} 版草稿）",
                 scope_path=county.path, subject=f"duties.listversion:{draft.pk}",
                 detail={"kind": kind, "number": draft.number, "items": len(items)})
    if activate:
        return version_activate(version=draft, actor=actor, now=now)
    return draft
