import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.rules import can_reveal_identity
from xiangzhi.core.errors import Conflict, DomainError, Forbidden, Invalid, RateLimited, field_error
from xiangzhi.core.inputs import text
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.people import rules, selectors
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    HouseholdChangePhoto,
    IdentitySearch,
    Relation,
    Resident,
    RevealRecord,
    Tag,
)
from xiangzhi.regions.models import Grid


class RegisterError(Invalid):
    """A household-register change refused, with the reason in Chinese."""


class IdentitySearchRefused(DomainError):
    """A search by full ID number or phone refused: without the permission, or over the limit."""


class IdentitySearchForbidden(IdentitySearchRefused, Forbidden):
    code = "forbidden"


class IdentitySearchLimited(IdentitySearchRefused, RateLimited):
    code = "rate_limited"


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
    unknown = [t for t in data.tags if t not in Tag.values]
    if unknown:
        raise RegisterError(f"未知的标签：{'、'.join(unknown)}")
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


def household_next_number(grid: Grid) -> str:
    last = Household.objects.filter(grid=grid).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(grid.code):]) + 1 if last and last[len(grid.code):].isdigit() else 1
    return f"{grid.code}{seq:04d}"


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
    RevealRecord.objects.create(user=user, resident=resident, field=field, reason=reason, ip_address=ip_address)
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
    if not _identity_search_counted(user):
        audit(IdentitySearch.Outcome.LIMITED)
        raise IdentitySearchLimited(
            f"按完整身份证号或手机号查询过于频繁（每小时最多 {settings.IDENTITY_SEARCH_PER_HOUR} 次），请稍后再试")
    qs = selectors.household_list_by_identity(user, query=query, grid=grid)
    audit(IdentitySearch.Outcome.SEARCHED, qs.count())
    return qs


def _identity_window_key(user: User) -> str:
    return f"people:identity-search:{user.pk}:{int(time.time() // 3600)}"


def identity_lookups_left(user: User) -> bool:
    """Whether the user may make one more lookup by full number this clock hour (nothing counted)."""
    return (cache.get(_identity_window_key(user)) or 0) < settings.IDENTITY_SEARCH_PER_HOUR


def identity_import_check_record(*, user: User, clashes: int, ip_address: str | None = None) -> None:
    """An import whose ID numbers met registered residents told its author that those numbers exist:
    a lookup by full number like a search, so it is recorded and counted against the same hourly
    limit (the hash column holds nothing: the file may name many numbers)."""
    _identity_search_counted(user)
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.IMPORT, value_hash="",
                                  outcome=IdentitySearch.Outcome.SEARCHED, matched=clashes, ip_address=ip_address)


def identity_import_refused_record(*, user: User, ip_address: str | None = None) -> None:
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.IMPORT, value_hash="",
                                  outcome=IdentitySearch.Outcome.LIMITED, ip_address=ip_address)


def _identity_search_counted(user: User) -> bool:
    """Counts one search in this clock hour's window; False once the user is over the limit."""
    key = _identity_window_key(user)
    cache.add(key, 0, timeout=3600 + 60)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3600 + 60)
        used = 1
    return used <= settings.IDENTITY_SEARCH_PER_HOUR


# ---- Register changes from the field (登记变动) -------------------------------------------------

CHANGE_PHOTO_MAX_COUNT = 1


class ChangeConflict(RegisterError, Conflict):
    """Another proposal touching the same person and field is waiting for the village."""

    code = "conflict"


def _date(data: dict[str, Any], name: str, label: str, *, required: bool = True) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            raise RegisterError(f"请填写{label}", fields=field_error(name, "必填"))
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RegisterError(f"{label}格式不正确", fields=field_error(name, "格式不正确")) from None


def _member(household: Household, data: dict[str, Any]) -> Resident:
    raw = data.get("resident")
    try:
        pk = int(raw) if raw not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pk = None
    resident = household.residents.filter(pk=pk).first() if pk is not None else None
    if resident is None:
        raise RegisterError("请选择本户的一名成员", fields=field_error("resident", "必选"))
    return resident


def _living(resident: Resident) -> None:
    if resident.is_deceased:
        raise RegisterError(f"{resident.name}已登记死亡", fields=field_error("resident", "已故"))


def _plan(household: Household, kind: str, data: dict[str, Any], today: dt.date) -> HouseholdChange:
    """The unsaved change: what it touches, before and after. Every check on the input is made here,
    before anything is written."""
    c = HouseholdChange(household=household, kind=kind)
    K = HouseholdChange.Kind
    if kind == K.BIRTH:
        name = text(data.get("name"), "name", "姓名", 50, required=True, error=RegisterError)
        sex = data.get("sex") or ""
        if sex not in Resident.Sex.values:
            raise RegisterError("请选择性别", fields=field_error("sex", "必选"))
        born = _date(data, "birth_date", "出生日期")
        assert born is not None
        if born > today:
            raise RegisterError("出生日期不能晚于今天", fields=field_error("birth_date", "晚于今天"))
        relation = data.get("relation") or Relation.CHILD
        if relation not in Relation.values or relation == Relation.HEAD:
            raise RegisterError("与户主关系不正确", fields=field_error("relation", "不正确"))
        id_raw = text(data.get("id_number"), "id_number", "身份证号", 18, error=RegisterError).upper()
        masked = ""
        if id_raw:
            try:
                parsed = idnumber.parse(id_raw)
            except idnumber.IdNumberError as exc:
                raise RegisterError(f"身份证号：{exc}", fields=field_error("id_number", "不正确")) from None
            if parsed.birth_date != born or parsed.sex != sex:
                raise RegisterError("身份证号与出生日期或性别不符", fields=field_error("id_number", "不符"))
            sealed, hashed, masked = crypto.seal(parsed.value, idnumber.mask)
            if Resident.objects.filter(id_number_hash=hashed).exists():
                raise RegisterError("身份证号已登记在其他户", fields=field_error("id_number", "已登记"))
            c.sealed = {"id_number": [sealed, hashed, masked]}
        c.after = {"姓名": name, "性别": Resident.Sex(sex).label, "出生日期": born.isoformat(),
                   "与户主关系": Relation(relation).label, **({"身份证号": masked} if masked else {})}
        c.sealed = {**c.sealed, "name": name, "sex": sex, "birth_date": born.isoformat(), "relation": relation}
        c.touches = [f"birth:{name}"]
        return c
    resident = _member(household, data)
    c.resident = resident
    if kind == K.DEATH:
        _living(resident)
        died = _date(data, "died_on", "死亡日期")
        assert died is not None
        if died < resident.birth_date:
            raise RegisterError(f"死亡日期不能早于{resident.name}的出生日期（{resident.birth_date.isoformat()}）",
                                fields=field_error("died_on", "早于出生日期"))
        if died > today:
            raise RegisterError("死亡日期不能晚于今天", fields=field_error("died_on", "晚于今天"))
        c.before, c.after = {"状态": "在册"}, {"状态": "已故", "死亡日期": died.isoformat()}
        c.sealed = {"died_on": died.isoformat()}
        c.touches = [f"r{resident.pk}:status", f"r{resident.pk}:away"]
    elif kind == K.AWAY:
        _living(resident)
        if resident.is_away:
            raise RegisterError(f"{resident.name}已登记外出", fields=field_error("resident", "已外出"))
        place = text(data.get("away_place"), "away_place", "外出去向", 100, required=True, error=RegisterError)
        work = text(data.get("away_work"), "away_work", "从事工作", 100, error=RegisterError)
        since = _date(data, "away_since", "外出时间")
        assert since is not None
        if since > today:
            raise RegisterError("外出时间不能晚于今天", fields=field_error("away_since", "晚于今天"))
        back = _date(data, "away_expected_back", "预计返回时间", required=False)
        if back is not None and back < since:
            raise RegisterError("预计返回时间不能早于外出时间",
                                fields=field_error("away_expected_back", "早于外出时间"))
        c.before = {"外出": "否"}
        c.after = {"外出": "是", "去向": place, **({"从事": work} if work else {}), "外出时间": since.isoformat(),
                   **({"预计返回": back.isoformat()} if back else {})}
        c.sealed = {"away_place": place, "away_work": work, "away_since": since.isoformat(),
                    "away_expected_back": back.isoformat() if back else ""}
        c.touches = [f"r{resident.pk}:away"]
    elif kind == K.RETURN:
        _living(resident)
        if not resident.is_away:
            raise RegisterError(f"{resident.name}没有外出登记", fields=field_error("resident", "未外出"))
        c.before = {"外出": "是", "去向": resident.away_place}
        c.after = {"外出": "否"}
        c.touches = [f"r{resident.pk}:away"]
    elif kind == K.PHONE:
        _living(resident)
        phone = text(data.get("phone"), "phone", "手机号", 11, error=RegisterError)
        if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            raise RegisterError("手机号应为以1开头的11位数字", fields=field_error("phone", "格式不正确"))
        sealed, hashed, masked = crypto.seal(phone, idnumber.mask_phone)
        if hashed == resident.phone_hash and phone:
            raise RegisterError("新手机号与原手机号相同", fields=field_error("phone", "未变"))
        c.before, c.after = {"手机号": resident.phone_masked or "无"}, {"手机号": masked or "无"}
        c.sealed = {"phone": [sealed, hashed, masked]}
        c.touches = [f"r{resident.pk}:phone"]
    elif kind == K.HEAD:
        _living(resident)
        if resident.relation == Relation.HEAD:
            raise RegisterError(f"{resident.name}已是户主", fields=field_error("resident", "已是户主"))
        old_relation = data.get("old_head_relation") or Relation.OTHER
        if old_relation not in Relation.values or old_relation == Relation.HEAD:
            raise RegisterError("原户主与新户主的关系不正确", fields=field_error("old_head_relation", "不正确"))
        old = household.residents.filter(relation=Relation.HEAD).first()
        c.before = {"户主": household.head_name}
        c.after = {"户主": resident.name, **({f"{old.name}改为": Relation(old_relation).label} if old else {})}
        c.sealed = {"old_head": old.pk if old else None, "old_head_relation": old_relation}
        c.touches = [f"h{household.pk}:head", f"r{resident.pk}:relation"] + ([f"r{old.pk}:relation"] if old else [])
    else:
        raise RegisterError("请选择变动类别", fields=field_error("kind", "必选"))
    return c


def _apply(change: HouseholdChange) -> None:
    """Writes the register for a confirmed change (the caller holds the transaction)."""
    K, s = HouseholdChange.Kind, change.sealed
    household = change.household
    if change.kind == K.BIRTH:
        resident = Resident(household=household, name=s["name"], sex=s["sex"],
                            birth_date=dt.date.fromisoformat(s["birth_date"]), relation=s["relation"])
        if "id_number" in s:
            resident.id_number_encrypted, resident.id_number_hash, resident.id_number_masked = s["id_number"]
            if Resident.objects.filter(id_number_hash=resident.id_number_hash).exists():
                raise RegisterError("身份证号已登记在其他户")
        resident.save()
        change.resident = resident
        return
    assert change.resident_id is not None
    r = Resident.objects.select_for_update().get(pk=change.resident_id)
    if change.kind == K.DEATH:
        r.is_deceased, r.died_on = True, dt.date.fromisoformat(s["died_on"])
        r.is_away, r.away_place, r.away_work, r.away_since, r.away_expected_back = False, "", "", None, None
    elif change.kind == K.AWAY:
        r.is_away, r.away_place, r.away_work = True, s["away_place"], s["away_work"]
        r.away_since = dt.date.fromisoformat(s["away_since"])
        r.away_expected_back = dt.date.fromisoformat(s["away_expected_back"]) if s["away_expected_back"] else None
    elif change.kind == K.RETURN:
        r.is_away, r.away_place, r.away_work, r.away_since, r.away_expected_back = False, "", "", None, None
    elif change.kind == K.PHONE:
        r.phone_encrypted, r.phone_hash, r.phone_masked = s["phone"]
    elif change.kind == K.HEAD:
        if s["old_head"]:
            Resident.objects.filter(pk=s["old_head"]).update(relation=s["old_head_relation"])
        r.relation = Relation.HEAD
        household.head_name = r.name
        household.save(update_fields=["head_name"])
    r.save()


def _open_conflict(change: HouseholdChange) -> None:
    for other in HouseholdChange.objects.filter(household=change.household, state=HouseholdChange.State.PENDING):
        if set(other.touches) & set(change.touches):
            who = other.resident.name if other.resident is not None else other.after.get("姓名", "")
            raise ChangeConflict(
                f"本户已有一条待确认的「{other.get_kind_display()}」变动（{who}，"
                f"{timezone.localtime(other.proposed_at):%m月%d日}登记），请等村里确认或退回后再登记")


def household_change_propose(*, actor: User, household: Household, kind: str, data: dict[str, Any],
                             note: str = "", evidence: Sequence[ProcessedPhoto] = ()) -> HouseholdChange:
    """A grid worker's or chief's proposal, waiting for the village cadre; a cadre's own is applied at
    once (proposed and confirmed by him). Nothing is written when any check refuses."""
    if not rules.can_propose_change(actor, household):
        raise Forbidden("只能为本人负责的网格或本村的户登记变动")
    note = text(note, "note", "说明", 200, error=RegisterError)
    if len(evidence) > CHANGE_PHOTO_MAX_COUNT:
        raise RegisterError("只能上传一张户口本照片", fields=field_error("photo", "太多"))
    now = timezone.now()
    with transaction.atomic():
        household = Household.objects.select_for_update().select_related("grid").get(pk=household.pk)
        change = _plan(household, kind, data, timezone.localdate())
        _open_conflict(change)
        change.note, change.proposer, change.proposed_at = note, actor, now
        if rules.can_decide_change(actor, change):
            _apply(change)
            change.state, change.decider, change.decided_at = HouseholdChange.State.CONFIRMED, actor, now
        change.save()
        for i, photo in enumerate(evidence, start=1):
            row = HouseholdChangePhoto(change=change)
            row.attach(photo, f"change-{change.pk}-{i}.jpg")
            row.save()
    return change


def _pending_for_decision(actor: User, change: HouseholdChange) -> HouseholdChange:
    if not rules.can_decide_change(actor, change):
        raise Forbidden("只有本村的村干部能确认或退回登记变动")
    locked = (HouseholdChange.objects.select_for_update().select_related("household", "household__grid")
              .get(pk=change.pk))
    if locked.state != HouseholdChange.State.PENDING:
        raise Conflict(f"这条变动已{locked.get_state_display()}")
    return locked


def household_change_confirm(*, actor: User, change: HouseholdChange) -> HouseholdChange:
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=change.household_id).first()
        change = _pending_for_decision(actor, change)
        _apply(change)
        change.state, change.decider, change.decided_at = HouseholdChange.State.CONFIRMED, actor, timezone.now()
        change.save()
    return change


def household_change_refuse(*, actor: User, change: HouseholdChange, reason: str) -> HouseholdChange:
    reason = text(reason, "reason", "退回理由", 200, required=True, error=RegisterError)
    with transaction.atomic():
        change = _pending_for_decision(actor, change)
        change.state, change.decider, change.decided_at = HouseholdChange.State.REFUSED, actor, timezone.now()
        change.refusal_reason = reason
        change.save()
    return change
