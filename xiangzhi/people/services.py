import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.rules import can_reveal_identity
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record, common_path
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from xiangzhi.core.inputs import text
from xiangzhi.lib import crypto, idnumber
from xiangzhi.people import rules, selectors

# The catalogues the county keeps in its configuration pages (``catalogs``): key-population categories,
# resident tags, place kinds.
from xiangzhi.people.catalogs import CatalogueError as CatalogueError
from xiangzhi.people.catalogs import key_category_create as key_category_create
from xiangzhi.people.catalogs import key_category_retire as key_category_retire
from xiangzhi.people.catalogs import key_category_update as key_category_update
from xiangzhi.people.catalogs import place_kind_create as place_kind_create
from xiangzhi.people.catalogs import place_kind_retire as place_kind_retire
from xiangzhi.people.catalogs import place_kind_update as place_kind_update
from xiangzhi.people.catalogs import resident_tag_choices as resident_tag_choices
from xiangzhi.people.catalogs import resident_tag_create as resident_tag_create
from xiangzhi.people.catalogs import resident_tag_retire as resident_tag_retire
from xiangzhi.people.catalogs import resident_tag_update as resident_tag_update

# Register changes (登记变动) are written in ``changes``, private to people; these are their doors.
from xiangzhi.people.changes import CHANGE_PHOTO_MAX_COUNT as CHANGE_PHOTO_MAX_COUNT
from xiangzhi.people.changes import FORM_KINDS as FORM_KINDS
from xiangzhi.people.changes import household_change_confirm as household_change_confirm
from xiangzhi.people.changes import household_change_propose as household_change_propose
from xiangzhi.people.changes import household_change_refuse as household_change_refuse
from xiangzhi.people.changes import household_next_number
from xiangzhi.people.errors import ChangeConflict as ChangeConflict
from xiangzhi.people.errors import RegisterError

# Lookups by a full ID number or phone are counted and recorded in ``identity``.
from xiangzhi.people.identity import IdentitySearchForbidden as IdentitySearchForbidden
from xiangzhi.people.identity import IdentitySearchLimited as IdentitySearchLimited
from xiangzhi.people.identity import IdentitySearchRefused as IdentitySearchRefused
from xiangzhi.people.identity import identity_lookups_left as identity_lookups_left
from xiangzhi.people.identity import identity_search_counted

# Key people (重点人员) are kept in ``key_people``; these are its doors.
from xiangzhi.people.key_people import KeyPersonConflict as KeyPersonConflict
from xiangzhi.people.key_people import KeyPersonError as KeyPersonError
from xiangzhi.people.key_people import key_person_change_category as key_person_change_category
from xiangzhi.people.key_people import key_person_end as key_person_end
from xiangzhi.people.key_people import key_person_end_all_for_resident as key_person_end_all_for_resident
from xiangzhi.people.key_people import key_person_register as key_person_register
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    IdentitySearch,
    MemberHouseholdLink,
    Organisation,
    OrganisationChange,
    OrganisationKind,
    Place,
    PlaceChange,
    PlaceKind,
    Relation,
    Resident,
    RevealRecord,
    SiteAction,
    Tag,
)

# Corrections by re-importing the household file (表格导入更正) are written in ``register_imports``.
from xiangzhi.people.register_imports import register_import_confirm as register_import_confirm
from xiangzhi.people.register_imports import register_import_create as register_import_create
from xiangzhi.people.register_imports import register_import_discard as register_import_discard
from xiangzhi.people.register_imports import register_import_expired as register_import_expired

# Apps above people connect to these in their AppConfig.ready (people may not import them).
from xiangzhi.people.signals import resident_left_register as resident_left_register
from xiangzhi.regions.models import Grid
from xiangzhi.regions.rules import can_edit_boundaries, can_edit_boundary
from xiangzhi.regions.selectors import locate


@dataclass
class ResidentInput:
    name: str
    id_number: str
    relation: str = Relation.HEAD
    phone: str = ""
    tags: list[str] = field(default_factory=list)
    is_away: bool = False


def resident_build(*, household: Household, data: ResidentInput) -> Resident:
    """A validated, encrypted, unsaved resident. Raises IdNumberError or RegisterError."""
    parsed = idnumber.parse(data.id_number)
    known = resident_tag_choices()
    unknown = [t for t in data.tags if t not in known]
    if unknown:
        raise RegisterError(f"未知或已停用的标签：{'、'.join(unknown)}")
    if data.relation not in Relation.values:
        raise RegisterError(f"未知的与户主关系：{data.relation}")
    if data.phone and not (data.phone.isdigit() and len(data.phone) == 11 and data.phone.startswith("1")):
        raise RegisterError("手机号应为以1开头的11位数字")
    resident = Resident(
        household=household,
        name=data.name.strip(),
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        relation=data.relation,
        tags=",".join(data.tags),
        is_away=data.is_away,
    )
    resident.set_id_number(parsed.value)
    resident.set_phone(data.phone)
    return resident


@transaction.atomic
def household_create(*, grid: Grid, residents: list[ResidentInput], address: str = "", number: str = "") -> Household:
    heads = [r for r in residents if r.relation == Relation.HEAD]
    if len(heads) != 1:
        raise RegisterError("每户必须有且只有一名户主")
    household = Household.objects.create(
        grid=grid, number=number or household_next_number(grid), address=address, head_name=heads[0].name.strip()
    )
    built = [resident_build(household=household, data=r) for r in residents]
    hashes = [r.id_number_hash for r in built]
    if len(set(hashes)) != len(hashes):
        raise RegisterError("同一户中身份证号重复")
    if Resident.objects.filter(id_number_hash__in=hashes).exists():
        raise RegisterError("身份证号已登记在其他户")
    try:
        Resident.objects.bulk_create(built)
    except IntegrityError:
        raise RegisterError("身份证号已登记在其他户") from None
    return household


@transaction.atomic
def resident_reveal(*, user: User, resident: Resident, field: str, reason: str, ip_address: str | None = None) -> str:
    """The plain ID number or phone, for a user allowed to see it; leaves an audit record."""
    if not can_reveal_identity(user):
        raise Forbidden("无权查看完整证件号码")
    if field not in RevealRecord.Field.values:
        raise RegisterError("只能查看身份证号或手机号")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise RegisterError("请填写查看事由")
    record = RevealRecord.objects.create(user=user, resident=resident, field=field, reason=reason,
                                         ip_address=ip_address)
    label = RevealRecord.Field(field).label
    audit_record(actor=user, action=AuditAction.REVEAL, summary=f"查看{resident.name}的完整{label}（事由：{reason}）",
                 scope_path=resident.household.grid.path, subject=f"people.resident:{resident.pk}",
                 detail={"field": field, "reason": reason, "reveal_record": record.pk}, ip=ip_address)
    token = resident.id_number_encrypted if field == RevealRecord.Field.ID_NUMBER else resident.phone_encrypted
    return crypto.decrypt(token) if token else ""


def household_search(*, user: User, search: str, grid: Grid | None = None,
                     ip_address: str | None = None) -> QuerySet[Household]:
    """The households a page or the API lists for ``search``. A full ID number or phone looks up one
    person, so it is a reveal in all but name: only with the reveal permission, at most
    ``IDENTITY_SEARCH_PER_HOUR`` an hour per user, and every attempt leaves an IdentitySearch row (kept
    even when the search is refused; callers must not roll it back)."""
    query = selectors.identity_query(search)
    if query is None:
        return selectors.household_list_for_user(user, grid=grid, search=search)

    def audit(outcome: str, matched: int = 0) -> None:
        IdentitySearch.objects.create(user=user, kind=query.kind, value_hash=query.value_hash, outcome=outcome,
                                      matched=matched, ip_address=ip_address)

    if not can_reveal_identity(user):
        audit(IdentitySearch.Outcome.DENIED)
        raise IdentitySearchForbidden("按完整身份证号或手机号查询需要证件查看权限；请按姓名或户编号查询")
    if not identity_search_counted(user):
        audit(IdentitySearch.Outcome.LIMITED)
        raise IdentitySearchLimited(
            f"按完整身份证号或手机号查询过于频繁（每小时最多 {settings.IDENTITY_SEARCH_PER_HOUR} 次），请稍后再试")
    qs = selectors.household_list_by_identity(user, query=query, grid=grid)
    audit(IdentitySearch.Outcome.SEARCHED, qs.count())
    return qs


def identity_import_check_record(*, user: User, clashes: int, ip_address: str | None = None) -> None:
    """An import whose ID numbers met registered residents told its author that those numbers exist:
    a lookup by full number like a search, so it is recorded and counted against the same hourly
    limit (the hash column holds nothing: the file may name many numbers)."""
    identity_search_counted(user)
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.IMPORT, value_hash="",
                                  outcome=IdentitySearch.Outcome.SEARCHED, matched=clashes, ip_address=ip_address)


def identity_import_refused_record(*, user: User, ip_address: str | None = None) -> None:
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.IMPORT, value_hash="",
                                  outcome=IdentitySearch.Outcome.LIMITED, ip_address=ip_address)


# ---- 地、物、组织: places and organisations kept from the field ---------------------------------


class SiteError(Invalid):
    """A place or organisation refused as given, with the reason in Chinese."""


class SiteConflict(SiteError, Conflict):
    """Refused because of its state: it was retired meanwhile."""


SITE_REFUSED = "只能管理本人负责网格或本村的部件、场所和组织"


def _may_keep_sites(actor: User, grid: Grid) -> None:
    if not rules.can_keep_sites_in(actor, grid):
        raise Forbidden(SITE_REFUSED)


def site_point_check(grid: Grid, lon: float | None, lat: float | None, *, required: bool = True) -> None:
    """A location must lie in the grid's village (``locate``): a pin dropped in the next village
    belongs to that village's register. A grid drawn with no boundary has nothing to check against."""
    if lon is None or lat is None:
        if required or (lon is None) != (lat is None):
            raise SiteError("请在地图上选择位置", fields=field_error("lon", "必填"))
        return
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise SiteError("坐标超出经纬度范围", fields=field_error("lon", "超出范围"))
    located = locate(lon, lat)
    if located is None and grid.boundary is None:
        return
    if located is None or located.region_id != grid.region_id:
        raise SiteError(f"位置不在{grid.region.name}范围内，请把图钉放到本村", fields=field_error("lon", "不在本村"))


def _place_kind(code: str, *, keep: str = "") -> PlaceKind:
    kind = PlaceKind.objects.filter(code=code).first()
    if kind is None or not (kind.is_active or kind.code == keep):
        raise SiteError("类别不存在或已停用", fields=field_error("kind", "请选择类别"))
    return kind


def _organisation_kind(code: str, *, keep: str = "") -> OrganisationKind:
    kind = OrganisationKind.objects.filter(code=code).first()
    if kind is None or not (kind.is_active or kind.code == keep):
        raise SiteError("类别不存在或已停用", fields=field_error("kind", "请选择类别"))
    return kind


def _place_shown(place: Place) -> dict[str, Any]:
    return {"类别": place.kind.name, "名称": place.name, "编号标识": place.label, "备注": place.note,
            "经度": round(place.lon, 6), "纬度": round(place.lat, 6), "状态": "在用" if place.is_active else "停用"}


def _organisation_shown(org: Organisation) -> dict[str, Any]:
    return {"类别": org.kind.name, "名称": org.name, "联系人": org.contact_name, "联系电话": org.contact_phone_masked,
            "地址": org.address, "备注": org.note,
            "经度": round(org.lon, 6) if org.lon is not None else None,
            "纬度": round(org.lat, 6) if org.lat is not None else None,
            "状态": "在册" if org.is_active else "停用"}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def place_build(*, grid: Grid, kind: str, name: str, lon: float | None, lat: float | None, label: str = "",
                note: str = "") -> Place:
    """A checked, unsaved place (the page, the API and the import all build one here)."""
    name = text(name, "name", "名称", 100, required=True, error=SiteError)
    label = text(label, "label", "编号标识", 50, error=SiteError)
    note = text(note, "note", "备注", 500, error=SiteError)
    kind_row = _place_kind(kind)
    site_point_check(grid, lon, lat)
    assert lon is not None and lat is not None
    return Place(grid=grid, kind=kind_row, name=name, label=label, note=note, lon=lon, lat=lat)


def place_add(*, actor: User, grid: Grid, kind: str, name: str, lon: float | None, lat: float | None,
              label: str = "", note: str = "") -> Place:
    _may_keep_sites(actor, grid)
    place = place_build(grid=grid, kind=kind, name=name, lon=lon, lat=lat, label=label, note=note)
    with transaction.atomic():
        place.save()
        PlaceChange.objects.create(place=place, action=SiteAction.ADD, actor=actor, at=timezone.now(),
                                   after=_place_shown(place))
    return place


def places_import_write(*, actor: User, places: list[Place]) -> list[Place]:
    """Checked places (``place_build``) written together, each with its history row."""
    for grid in {p.grid.pk: p.grid for p in places}.values():
        _may_keep_sites(actor, grid)
    now = timezone.now()
    with transaction.atomic():
        created = Place.objects.bulk_create(places)
        PlaceChange.objects.bulk_create([
            PlaceChange(place=p, action=SiteAction.IMPORT, actor=actor, at=now, after=_place_shown(p))
            for p in created
        ])
        audit_record(actor=actor, action=AuditAction.IMPORT, summary=f"表格导入部件 {len(created)} 个",
                     scope_path=common_path(p.grid.path for p in created), subject="people.place",
                     detail={"places": len(created)})
    return created


def _locked_place(place: Place) -> Place:
    locked = Place.objects.select_for_update().select_related("kind", "grid", "grid__region").get(pk=place.pk)
    if not locked.is_active:
        raise SiteConflict("该部件已停用")
    return locked


def _place_save(actor: User, place: Place, before: dict[str, Any], action: str, reason: str = "") -> Place:
    old, new = _changed(before, _place_shown(place))
    if old or new or action == SiteAction.RETIRE:
        place.save()
        PlaceChange.objects.create(place=place, action=action, actor=actor, at=timezone.now(), before=old,
                                   after=new, reason=reason)
    return place


def place_edit(*, actor: User, place: Place, kind: str, name: str, label: str = "", note: str = "") -> Place:
    """修改: kind, name, the painted label and the note; the location moves with ``place_move``."""
    _may_keep_sites(actor, place.grid)
    name = text(name, "name", "名称", 100, required=True, error=SiteError)
    label = text(label, "label", "编号标识", 50, error=SiteError)
    note = text(note, "note", "备注", 500, error=SiteError)
    with transaction.atomic():
        locked = _locked_place(place)
        before = _place_shown(locked)
        locked.kind = _place_kind(kind, keep=locked.kind_id)
        locked.name, locked.label, locked.note = name, label, note
        return _place_save(actor, locked, before, SiteAction.EDIT)


def place_move(*, actor: User, place: Place, lon: float | None, lat: float | None, reason: str = "") -> Place:
    """移动位置: the new point must lie in the place's village."""
    _may_keep_sites(actor, place.grid)
    reason = text(reason, "reason", "说明", 200, error=SiteError)
    site_point_check(place.grid, lon, lat)
    assert lon is not None and lat is not None
    with transaction.atomic():
        locked = _locked_place(place)
        before = _place_shown(locked)
        locked.lon, locked.lat = lon, lat
        return _place_save(actor, locked, before, SiteAction.MOVE, reason)


def place_retire(*, actor: User, place: Place, reason: str) -> Place:
    """停用 (removed, demolished, no longer kept): it leaves the lists and the map; its cases keep it."""
    _may_keep_sites(actor, place.grid)
    reason = text(reason, "reason", "停用原因", 200, required=True, error=SiteError)
    with transaction.atomic():
        locked = _locked_place(place)
        before = _place_shown(locked)
        locked.is_active = False
        return _place_save(actor, locked, before, SiteAction.RETIRE, reason)


@dataclass
class OrganisationInput:
    kind: str
    name: str
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    note: str = ""


def _organisation_fields(data: OrganisationInput) -> dict[str, str]:
    phone = (data.contact_phone or "").strip()
    if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
        raise SiteError("联系电话应为以1开头的11位手机号", fields=field_error("contact_phone", "格式不正确"))
    return {
        "name": text(data.name, "name", "名称", 100, required=True, error=SiteError),
        "contact_name": text(data.contact_name, "contact_name", "联系人", 50, error=SiteError),
        "address": text(data.address, "address", "地址", 200, error=SiteError),
        "note": text(data.note, "note", "备注", 500, error=SiteError),
        "phone": phone,
    }


def organisation_build(*, grid: Grid, data: OrganisationInput, lon: float | None = None,
                       lat: float | None = None) -> Organisation:
    """A checked, unsaved organisation (the page, the API and the import all build one here); its
    location is optional, but when given it lies in the village."""
    fields = _organisation_fields(data)
    kind = _organisation_kind(data.kind)
    site_point_check(grid, lon, lat, required=False)
    org = Organisation(grid=grid, kind=kind, name=fields["name"], contact_name=fields["contact_name"],
                       address=fields["address"], note=fields["note"], lon=lon, lat=lat)
    org.set_contact_phone(fields["phone"])
    return org


def organisations_import_write(*, actor: User, organisations: list[Organisation]) -> list[Organisation]:
    """Checked organisations (``organisation_build``) written together, each with its history row."""
    for grid in {o.grid.pk: o.grid for o in organisations}.values():
        _may_keep_sites(actor, grid)
    now = timezone.now()
    with transaction.atomic():
        created = Organisation.objects.bulk_create(organisations)
        OrganisationChange.objects.bulk_create([
            OrganisationChange(organisation=o, action=SiteAction.IMPORT, actor=actor, at=now,
                               after=_organisation_shown(o))
            for o in created
        ])
        audit_record(actor=actor, action=AuditAction.IMPORT, summary=f"表格导入组织 {len(created)} 个",
                     scope_path=common_path(o.grid.path for o in created), subject="people.organisation",
                     detail={"organisations": len(created)})
    return created


def organisation_add(*, actor: User, grid: Grid, data: OrganisationInput, lon: float | None = None,
                     lat: float | None = None) -> Organisation:
    """An organisation on a grid; its location is optional, but when given it lies in the village."""
    _may_keep_sites(actor, grid)
    org = organisation_build(grid=grid, data=data, lon=lon, lat=lat)
    with transaction.atomic():
        org.save()
        OrganisationChange.objects.create(organisation=org, action=SiteAction.ADD, actor=actor, at=timezone.now(),
                                          after=_organisation_shown(org))
    return org


def _locked_organisation(org: Organisation) -> Organisation:
    locked = (Organisation.objects.select_for_update().select_related("kind", "grid", "grid__region")
              .get(pk=org.pk))
    if not locked.is_active:
        raise SiteConflict("该组织已停用")
    return locked


def _organisation_save(actor: User, org: Organisation, before: dict[str, Any], action: str,
                       reason: str = "") -> Organisation:
    old, new = _changed(before, _organisation_shown(org))
    if old or new or action == SiteAction.RETIRE:
        org.save()
        OrganisationChange.objects.create(organisation=org, action=action, actor=actor, at=timezone.now(),
                                          before=old, after=new, reason=reason)
    return org


def organisation_edit(*, actor: User, organisation: Organisation, data: OrganisationInput,
                      keep_phone: bool = False) -> Organisation:
    """修改; with ``keep_phone`` a blank phone leaves the sealed one as it is (the form never shows it)."""
    _may_keep_sites(actor, organisation.grid)
    fields = _organisation_fields(data)
    with transaction.atomic():
        locked = _locked_organisation(organisation)
        before = _organisation_shown(locked)
        locked.kind = _organisation_kind(data.kind, keep=locked.kind_id)
        locked.name, locked.contact_name = fields["name"], fields["contact_name"]
        locked.address, locked.note = fields["address"], fields["note"]
        if fields["phone"] or not keep_phone:
            locked.set_contact_phone(fields["phone"])
        return _organisation_save(actor, locked, before, SiteAction.EDIT)


def organisation_move(*, actor: User, organisation: Organisation, lon: float | None, lat: float | None,
                      reason: str = "") -> Organisation:
    _may_keep_sites(actor, organisation.grid)
    reason = text(reason, "reason", "说明", 200, error=SiteError)
    site_point_check(organisation.grid, lon, lat)
    with transaction.atomic():
        locked = _locked_organisation(organisation)
        before = _organisation_shown(locked)
        locked.lon, locked.lat = lon, lat
        return _organisation_save(actor, locked, before, SiteAction.MOVE, reason)


def organisation_retire(*, actor: User, organisation: Organisation, reason: str) -> Organisation:
    _may_keep_sites(actor, organisation.grid)
    reason = text(reason, "reason", "停用原因", 200, required=True, error=SiteError)
    with transaction.atomic():
        locked = _locked_organisation(organisation)
        before = _organisation_shown(locked)
        locked.is_active = False
        return _organisation_save(actor, locked, before, SiteAction.RETIRE, reason)


# --- 党员联系户 ----------------------------------------------------------------------------------

# How many households one party member answers for at most (the reports speak of 5–10 neighbours).
MEMBER_MAX_HOUSEHOLDS = 10


class MemberLinkError(Invalid):
    """A party member's link to households refused, with the reason in Chinese."""


class MemberLinkConflict(MemberLinkError, Conflict):
    """Refused because of the links already in post."""


def _require_link_keeper(actor: User | None, village_path: str) -> None:
    if actor is None:
        return
    if not rules.can_keep_member_links(actor):
        raise Forbidden("只有村两委可以安排党员联系户")
    if not scope_of(actor).covers_path(village_path):
        raise NotFound()


def member_link_create(
    *, member: Resident, households: Sequence[Household], started_on: dt.date | None = None,
    actor: User | None = None,
) -> list[MemberHouseholdLink]:
    """Links a party member to households of his own village, all or none. Refused: a member who is
    not a party member, has died or lives away; a household of another village; a household that
    already has a member in post; more than ``MEMBER_MAX_HOUSEHOLDS`` in post for one member."""
    home = Household.objects.select_related("grid__region").get(pk=member.household_id)
    village = home.grid.region
    _require_link_keeper(actor, village.path)
    wanted = list({h.pk: h for h in households}.values())
    if not wanted:
        raise MemberLinkError("请选择要联系的户", fields=field_error("households", "必选"))
    if Tag.PARTY_MEMBER not in member.tag_list:
        raise MemberLinkError(f"{member.name}不是党员，不能安排联系户", fields=field_error("member", "不是党员"))
    if member.is_deceased:
        raise MemberLinkError(f"{member.name}已故，不能安排联系户", fields=field_error("member", "已故"))
    if member.is_away:
        raise MemberLinkError(f"{member.name}外出在外，不能联系本村的户；请安排在村党员",
                              fields=field_error("member", "外出"))
    started_on = started_on or timezone.localdate()
    with transaction.atomic():
        # The member's row, then the households' in id order: two keepers linking at once queue here.
        Resident.objects.select_for_update().filter(pk=member.pk).first()
        locked = list(Household.objects.select_for_update().filter(pk__in=[h.pk for h in wanted])
                      .select_related("grid").order_by("pk"))
        if len(locked) != len(wanted):
            raise NotFound()
        elsewhere = [h for h in locked if h.grid.region_id != village.pk]
        if elsewhere:
            raise MemberLinkError(f"{'、'.join(str(h) for h in elsewhere)}不在{village.name}，党员只联系本村的户",
                                  fields=field_error("households", "不在本村"))
        taken = list(MemberHouseholdLink.objects.filter(household__in=locked, ended_on__isnull=True)
                     .select_related("member", "household"))
        if taken:
            names = "、".join(f"{link.household}（{link.member.name}）" for link in taken)
            raise MemberLinkConflict(f"{names}已有联系党员，一户只由一名党员联系；请先结束原联系",
                                     fields=field_error("households", "已有联系党员"))
        linked = MemberHouseholdLink.objects.filter(member=member, ended_on__isnull=True).count()
        if linked + len(locked) > MEMBER_MAX_HOUSEHOLDS:
            raise MemberLinkConflict(
                f"{member.name}已联系 {linked} 户，一名党员最多联系 {MEMBER_MAX_HOUSEHOLDS} 户",
                fields=field_error("households", "超过上限"),
            )
        return MemberHouseholdLink.objects.bulk_create([
            MemberHouseholdLink(member=member, household=h, started_on=started_on, assigned_by=actor) for h in locked
        ])


def member_link_end(
    *, link: MemberHouseholdLink, ended_on: dt.date | None = None, reason: str = "", actor: User | None = None,
) -> MemberHouseholdLink:
    """Ends a link on a day, with a reason; the row stays as the household's history."""
    household = Household.objects.select_related("grid__region").get(pk=link.household_id)
    _require_link_keeper(actor, household.grid.region.path)
    reason = text(reason, "reason", "结束原因", 200, required=True, error=MemberLinkError)
    ended_on = ended_on or timezone.localdate()
    with transaction.atomic():
        locked = MemberHouseholdLink.objects.select_for_update().get(pk=link.pk)
        if locked.ended_on is not None:
            raise MemberLinkConflict(f"该联系已于{day_text(locked.ended_on)}结束，不能再次结束")
        if ended_on < locked.started_on:
            raise MemberLinkError(f"结束日期不能早于起始日期（{day_text(locked.started_on)}）",
                                  fields=field_error("ended_on", "早于起始日期"))
        locked.ended_on, locked.end_reason, locked.ended_by = ended_on, reason, actor
        locked.save(update_fields=["ended_on", "end_reason", "ended_by"])
    link.ended_on, link.end_reason, link.ended_by = locked.ended_on, locked.end_reason, locked.ended_by
    return link


# ---- 调整网格: a household moved to another grid of its village -------------------------------------


def household_grid_move(*, actor: User, household: Household, grid: Grid, reason: str) -> HouseholdChange:
    """Moves a household to another grid of its own village (its house lies there once a boundary was
    redrawn) and keeps a confirmed 「调整网格」 change with the grids' names before and after. Only a
    boundary editor over both grids may; never into another village."""
    if not can_edit_boundaries(actor):
        raise Forbidden("只有村两委、乡镇（街道）和县级管理人员可以调整户的网格")
    reason = text(reason, "reason", "调整原因", 200, required=True, error=RegisterError)
    with transaction.atomic():
        locked = Household.objects.select_for_update().select_related("grid").get(pk=household.pk)
        old = locked.grid
        if not (can_edit_boundary(actor, old) and can_edit_boundary(actor, grid)):
            raise NotFound()
        if grid.region_id != old.region_id:
            raise RegisterError("只能调到本村的网格", fields=field_error("grid", "不是本村的网格"))
        if not grid.is_active:
            raise RegisterError(f"{grid.name}已停用", fields=field_error("grid", "已停用"))
        if grid.pk == old.pk:
            raise ChangeConflict(f"该户已在{grid.name}")
        now = timezone.now()
        locked.grid = grid
        locked.save(update_fields=["grid"])
        change = HouseholdChange.objects.create(
            household=locked, kind=HouseholdChange.Kind.GRID, before={"网格": old.name}, after={"网格": grid.name},
            touches=[f"h{locked.pk}:grid"], note=reason, proposer=actor, proposed_at=now,
            state=HouseholdChange.State.CONFIRMED, decider=actor, decided_at=now,
        )
    household.grid = grid
    return change


# ---- corrections made on the county's admin screens ---------------------------------------------


def register_correction_record(*, actor: User, household: Household, resident: Resident | None,
                               before: dict[str, Any], after: dict[str, Any],
                               note: str = "管理后台更正") -> HouseholdChange | None:
    """A correction made outside the field's path (the admin screens) is written beside the record
    as a confirmed 「信息更正」, so nothing in the register is overwritten without trace."""
    if before == after:
        return None
    now = timezone.now()
    return HouseholdChange.objects.create(
        household=household, resident=resident, kind=HouseholdChange.Kind.CORRECTION, before=before, after=after,
        note=note, proposer=actor, proposed_at=now, state=HouseholdChange.State.CONFIRMED, decider=actor,
        decided_at=now)
