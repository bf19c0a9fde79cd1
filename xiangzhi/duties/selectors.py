"""Every read of the three lists. A person reads the lists of the county their scope lies in: the county
keeps them (drafts too), township and village staff read the versions in force and those retired. The
same 404 answers "does not exist" and "not yours" (another county's version, a draft for a reader).

Routing reads ``routing_rules`` (one query for every county's lists in force); the village's public
page reads ``public_lists``."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from xiangzhi.accounts.models import AnyUser
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.duties import catalog, words
from xiangzhi.duties.models import (
    ROUTING_KINDS,
    Level,
    ListItem,
    ListKind,
    ListVersion,
    PowerSide,
    TownshipRole,
    VersionState,
)
from xiangzhi.duties.rules import can_edit, can_read, can_view_township
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

# What a difference between two versions compares, per list, with the words the page shows.
COMPARED: dict[str, list[tuple[str, str]]] = {
    ListKind.POWER: [("field", "领域"), ("title", "事项"), ("side", "正面/负面"), ("subject", "责任主体"),
                     ("basis", "依据"), ("steps", "办理流程")],
    ListKind.DUTY: [("field", "领域"), ("title", "职责任务"), ("organisation", "承担机构"), ("post", "责任岗位"),
                    ("handling_level", "处置层级"), ("category_codes", "事件类别")],
    ListKind.TERRITORIAL: [("field", "领域"), ("title", "事项"), ("township_role", "乡镇责任"),
                           ("department_kind", "主管部门"), ("unit", "主管单位"), ("category_codes", "事件类别")],
}


def county_for_user(user: AnyUser) -> Region | None:
    """The county whose lists a person reads: the one their scope lies in (the first county for a
    superuser); None for a role that reads no list."""
    if not can_read(user):
        return None
    scope = scope_of(user)
    counties = Region.objects.filter(level=RegionLevel.COUNTY).defer("boundary").order_by("code")
    if scope.everything:
        return counties.first()
    if not scope.paths:
        return None
    return counties.filter(path__in=ancestor_paths(scope.paths[0])).first()


def county_of(region: Region) -> Region | None:
    return (Region.objects.filter(level=RegionLevel.COUNTY, path__in=ancestor_paths(region.path))
            .defer("boundary").first())


def version_list_for_user(user: AnyUser, kind: str | None = None) -> QuerySet[ListVersion]:
    county = county_for_user(user)
    if county is None:
        return ListVersion.objects.none()
    qs = ListVersion.objects.filter(county=county)
    if not can_edit(user):
        qs = qs.exclude(state=VersionState.DRAFT)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return (qs.select_related("county", "created_by", "activated_by").defer("county__boundary")
            .annotate(item_count=Count("items")).order_by("kind", "-number"))


def version_get_for_user(user: AnyUser, version_id: int) -> ListVersion:
    version = version_list_for_user(user).filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    return version


def active_version(county: Region, kind: str) -> ListVersion | None:
    return ListVersion.objects.filter(county=county, kind=kind, state=VersionState.ACTIVE).first()


def import_fields(county: Region, kind: str) -> list[str]:
    """The fields an import is checked against: the open draft's (it receives the rows), else the
    version in force's, else the defaults a first version starts with."""
    versions = ListVersion.objects.filter(county=county, kind=kind)
    base = (versions.filter(state=VersionState.DRAFT).first() or versions.filter(state=VersionState.ACTIVE).first()
            or versions.order_by("-number").first())
    return list(base.fields) if base is not None else list(words.DEFAULT_FIELDS[kind])


def draft_of(county: Region, kind: str) -> ListVersion | None:
    return ListVersion.objects.filter(county=county, kind=kind, state=VersionState.DRAFT).first()


def category_choices() -> list[tuple[str, str]]:
    return list(catalog.category_names().items())


# --- items, as the pages and the API show them --------------------------------------------------------


def label_items(items: Iterable[ListItem], kind: str, names: dict[str, str] | None = None) -> list[ListItem]:
    """The items of a ``kind`` list with their words for the page: ``organisation_name``,
    ``department_name``, ``level_name`` (the handling level a duty or territorial item sends its categories
    to) and ``categories`` ((code, name) pairs; an unknown code keeps its code)."""
    names = catalog.category_names() if names is None else names
    out = []
    for item in items:
        level_name = ""
        if kind in ROUTING_KINDS and (item.organisation or item.township_role):
            level, _ = words.route_of(kind, organisation=item.organisation, handling_level=item.handling_level,
                                      township_role=item.township_role, department_kind=item.department_kind)
            level_name = words.LEVEL_NAMES.get(level, "")
        labels = {
            "organisation_name": words.organisation_name(item.organisation) if item.organisation else "",
            "department_name": words.DEPARTMENT_NAMES.get(item.department_kind, ""),
            "categories": [(code, names.get(code, code)) for code in item.category_codes],
            "level_name": level_name,
        }
        for name, value in labels.items():
            setattr(item, name, value)
        out.append(item)
    return out


def item_list(version: ListVersion, *, q: str = "", field_name: str = "") -> list[ListItem]:
    qs = version.items.all()
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(code__contains=q) | Q(post__contains=q) | Q(subject__contains=q))
    if field_name:
        qs = qs.filter(field=field_name)
    return label_items(qs, version.kind)


def item_get(version: ListVersion, item_id: int) -> ListItem:
    item = version.items.filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    return label_items([item], version.kind)[0]


@dataclass
class FieldGroup:
    name: str
    items: list[ListItem]


def by_field(fields: Sequence[str], items: Iterable[ListItem]) -> list[FieldGroup]:
    """The items under their fields in the version's order (a field without items left out)."""
    groups: dict[str, list[ListItem]] = {name: [] for name in fields}
    for item in items:
        groups.setdefault(item.field, []).append(item)
    return [FieldGroup(name, rows) for name, rows in groups.items() if rows]


@dataclass
class Counts:
    items: int = 0
    fields: int = 0
    allowed: int = 0
    forbidden: int = 0
    lead: int = 0
    cooperate: int = 0
    categories: int = 0


def counts_of(items: Sequence[ListItem]) -> Counts:
    sides = Counter(i.side for i in items)
    roles = Counter(i.township_role for i in items)
    return Counts(items=len(items), fields=len({i.field for i in items}), allowed=sides[PowerSide.ALLOWED],
                  forbidden=sides[PowerSide.FORBIDDEN], lead=roles[TownshipRole.LEAD],
                  cooperate=roles[TownshipRole.COOPERATE],
                  categories=len({c for i in items for c in i.category_codes}))


@dataclass
class ListSummary:
    kind: str
    name: str
    active: ListVersion | None
    counts: Counts
    draft: ListVersion | None = None
    versions: int = 0


def list_overview_for_user(user: AnyUser) -> list[ListSummary]:
    """The county's three lists: the version in force with its counts, the open draft (the county's
    editors only) and how many versions there are. Three queries."""
    versions = list(version_list_for_user(user))
    active = {v.kind: v for v in versions if v.state == VersionState.ACTIVE}
    items: dict[int, list[ListItem]] = {v.pk: [] for v in active.values()}
    for item in ListItem.objects.filter(version__in=list(active.values())).only(
            "version_id", "field", "side", "township_role", "category_codes"):
        items[item.version_id].append(item)
    out = []
    for kind, name in ListKind.choices:
        version = active.get(kind)
        out.append(ListSummary(
            kind=kind, name=name, active=version, counts=counts_of(items[version.pk]) if version else Counts(),
            draft=next((v for v in versions if v.kind == kind and v.state == VersionState.DRAFT), None),
            versions=sum(1 for v in versions if v.kind == kind)))
    return out


# --- what changed between two versions ----------------------------------------------------------------


@dataclass
class Change:
    code: str
    title: str
    what: list[tuple[str, str, str]]  # (label, before, after)


@dataclass
class VersionDiff:
    older: ListVersion
    newer: ListVersion
    added: list[ListItem] = field(default_factory=list)
    removed: list[ListItem] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    fields_before: list[str] = field(default_factory=list)
    fields_after: list[str] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed or self.fields_before != self.fields_after)


def _shown(name: str, value: object, names: dict[str, str]) -> str:
    if name == "steps":
        return " → ".join(str(s) for s in value) if isinstance(value, list) else ""
    if name == "category_codes":
        return "、".join(names.get(str(c), str(c)) for c in value) if isinstance(value, list) else ""
    if name == "organisation":
        return words.organisation_name(str(value))
    if name == "department_kind":
        return words.DEPARTMENT_NAMES.get(str(value), str(value))
    if name == "handling_level":
        return words.LEVEL_NAMES.get(str(value), str(value)) if value else "（随承担机构）"
    if name == "side":
        return str(dict(PowerSide.choices).get(str(value), value))
    if name == "township_role":
        return str(dict(TownshipRole.choices).get(str(value), value))
    return str(value)


def routes_to(kind: str, item: ListItem) -> str:
    """Where a duty or territorial item sends its categories, in words: 「职能部门（水务）」, 「村（社区）」."""
    if kind not in ROUTING_KINDS or not item.category_codes:
        return ""
    level, department = words.route_of(kind, organisation=item.organisation, handling_level=item.handling_level,
                                       township_role=item.township_role, department_kind=item.department_kind)
    name = words.LEVEL_NAMES.get(level, level)
    return f"{name}（{words.DEPARTMENT_NAMES[department]}）" if level == Level.DEPARTMENT and department else name


def version_diff(older: ListVersion, newer: ListVersion) -> VersionDiff:
    """Items added, removed and changed from ``older`` to ``newer`` (matched by their code), and each
    change's columns in words. Two queries."""
    if older.kind != newer.kind or older.county_id != newer.county_id:
        raise NotFound()
    names = catalog.category_names()
    before = {i.code: i for i in older.items.all()}
    after = {i.code: i for i in newer.items.all()}
    diff = VersionDiff(older=older, newer=newer, fields_before=list(older.fields), fields_after=list(newer.fields))
    diff.added = label_items([i for code, i in after.items() if code not in before], newer.kind, names)
    diff.removed = label_items([i for code, i in before.items() if code not in after], older.kind, names)
    for code, new in after.items():
        old = before.get(code)
        if old is None:
            continue
        what = [(label, _shown(name, getattr(old, name), names), _shown(name, getattr(new, name), names))
                for name, label in COMPARED[newer.kind] if getattr(old, name) != getattr(new, name)]
        went, goes = routes_to(older.kind, old), routes_to(newer.kind, new)
        if went != goes:
            what.append(("事件派往", went or "（不派遣）", goes or "（不派遣）"))
        if what:
            diff.changed.append(Change(code=code, title=new.title, what=what))
    return diff


def previous_version(version: ListVersion) -> ListVersion | None:
    return (ListVersion.objects.filter(county_id=version.county_id, kind=version.kind, number__lt=version.number)
            .exclude(state=VersionState.DRAFT).order_by("-number").first())


# --- one township's territorial duties ----------------------------------------------------------------


@dataclass
class TownshipDuties:
    township: Region
    version: ListVersion | None
    lead: list[FieldGroup]
    cooperate: list[FieldGroup]
    lead_count: int
    cooperate_count: int


def township_list_for_user(user: AnyUser) -> QuerySet[Region]:
    if not can_view_township(user):
        return Region.objects.none()
    return (Region.objects.filter(scope_of(user).q("path"), level=RegionLevel.TOWNSHIP).defer("boundary")
            .order_by("code"))


def township_duties_for_user(user: AnyUser, code: str) -> TownshipDuties:
    """The territorial list in force as one township's duties: the items it leads (主体责任) and those it
    cooperates on (配合), by field."""
    township = township_list_for_user(user).filter(code=code).first()
    county = county_of(township) if township is not None else None
    if township is None or county is None:
        raise NotFound()
    version = active_version(county, ListKind.TERRITORIAL)
    items = item_list(version) if version is not None else []
    lead = [i for i in items if i.township_role == TownshipRole.LEAD]
    cooperate = [i for i in items if i.township_role == TownshipRole.COOPERATE]
    fields = version.fields if version is not None else []
    return TownshipDuties(township=township, version=version, lead=by_field(fields, lead),
                          cooperate=by_field(fields, cooperate), lead_count=len(lead),
                          cooperate_count=len(cooperate))


# --- the village's public page (一村一码) -----------------------------------------------------------


@dataclass
class PublicList:
    kind: str
    name: str
    version: ListVersion
    groups: list[FieldGroup]
    counts: Counts


def public_lists(village: Region) -> list[PublicList]:
    """The lists in force in the village's county, for its public page: each with its items by field
    (small powers with their process steps). Nothing personal is in a list. Three queries."""
    county = county_of(village)
    if county is None:
        return []
    versions = {v.kind: v for v in ListVersion.objects.filter(county=county, state=VersionState.ACTIVE)}
    names: dict[str, str] = {}  # the public page names no case category
    items: dict[int, list[ListItem]] = {v.pk: [] for v in versions.values()}
    for item in ListItem.objects.filter(version__in=list(versions.values())):
        items[item.version_id].append(item)
    out = []
    for kind, name in ListKind.choices:
        version = versions.get(kind)
        if version is None:
            continue
        rows = label_items(items[version.pk], kind, names)
        out.append(PublicList(kind=kind, name=str(name), version=version, groups=by_field(version.fields, rows),
                              counts=counts_of(rows)))
    return out


# --- routing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Governing:
    """What a county's list in force says about one case category."""

    version_id: int
    list_kind: str
    number: int
    level: str
    department_kind: str


def routing_rules() -> dict[tuple[int, str], Governing]:
    """(county id, category code) → the item of the county's lists in force that governs the category:
    the duty list's when it has one, else the territorial list's. One query."""
    rows = list(ListItem.objects.filter(version__state=VersionState.ACTIVE, version__kind__in=ROUTING_KINDS)
                .order_by().values_list("version_id", "version__county_id", "version__kind", "version__number",
                                        "category_codes", "organisation", "handling_level", "township_role",
                                        "department_kind"))
    found: dict[tuple[int, str], Governing] = {}
    for kind in ROUTING_KINDS:
        for version_id, county_id, list_kind, number, codes, organisation, level, role, department in rows:
            if list_kind != kind or not codes:
                continue
            routed_level, routed_department = words.route_of(
                kind, organisation=organisation, handling_level=level, township_role=role,
                department_kind=department)
            rule = Governing(version_id, kind, number, routed_level, routed_department)
            for code in codes:
                found.setdefault((county_id, code), rule)
    return found
