"""登记变动: a proposal from the field about a household or its people, the village's decision, and
what a confirmed change writes. Private to people: everyone else calls ``people.services``, which
re-exports the public names.

``_plan`` makes every check on the input before anything is written; ``_apply`` writes the register
for a confirmed change and re-checks only what may have moved since the proposal. A change that
reaches a second household (a move within the county, a split, a merge) leaves its own confirmed row
there too: each side's village keeps the history that is its own, and a closed household is kept,
never deleted."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Conflict, Forbidden, field_error
from xiangzhi.core.inputs import text
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.people import rules
from xiangzhi.people.errors import ChangeConflict, RegisterError
from xiangzhi.people.identity import identity_lookup_for_move
from xiangzhi.people.key_people import key_person_end_all_for_resident
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    HouseholdChangePhoto,
    MemberHouseholdLink,
    Relation,
    Resident,
    counted,
)
from xiangzhi.people.selectors import county_path_of
from xiangzhi.people.signals import resident_left_register
from xiangzhi.regions.models import Grid, Region, RegionLevel

CHANGE_PHOTO_MAX_COUNT = 1
ADULT_AGE = 18

K = HouseholdChange.Kind
# What the field form offers; corrections come from the re-import and grid moves from their own page.
FORM_KINDS = [(v, label) for v, label in K.choices if v not in (K.CORRECTION, K.GRID)]
JOINING = (K.MARRY_IN, K.MOVE_IN)
LEAVING = (K.MARRY_OUT, K.MOVE_OUT)
COUNTERPART = {K.MARRY_IN: K.MARRY_OUT, K.MARRY_OUT: K.MARRY_IN, K.MOVE_IN: K.MOVE_OUT, K.MOVE_OUT: K.MOVE_IN}


def household_next_number(grid: Grid) -> str:
    last = Household.objects.filter(grid=grid).order_by("-number").values_list("number", flat=True).first()
    seq = int(last[len(grid.code):]) + 1 if last and last[len(grid.code):].isdigit() else 1
    return f"{grid.code}{seq:04d}"


# ---- reading the input -----------------------------------------------------------------------


def _date(data: Any, name: str, label: str, *, required: bool = True) -> dt.date | None:
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


def _day(data: Any, name: str, label: str, today: dt.date, *, not_before: dt.date | None = None) -> dt.date:
    day = _date(data, name, label)
    assert day is not None
    if day > today:
        raise RegisterError(f"{label}不能晚于今天", fields=field_error(name, "晚于今天"))
    if not_before is not None and day < not_before:
        raise RegisterError(f"{label}不能早于出生日期（{not_before.isoformat()}）",
                            fields=field_error(name, "早于出生日期"))
    return day


def _pk(data: Any, name: str) -> int | None:
    raw = data.get(name)
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _pks(data: Any, name: str) -> list[int | None]:
    raw = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
    if not isinstance(raw, list):
        raw = [raw]
    return [_pk({name: v}, name) for v in raw]


def _relation(data: Any, name: str, label: str = "与户主关系") -> str:
    relation = data.get(name) or ""
    if relation not in Relation.values or relation == Relation.HEAD:
        raise RegisterError(f"请选择{label}", fields=field_error(name, "不正确"))
    return str(relation)


def _member(household: Household, data: Any) -> Resident:
    pk = _pk(data, "resident")
    resident = household.residents.filter(pk=pk).first() if pk is not None else None
    if resident is None:
        raise RegisterError("请选择本户的一名成员", fields=field_error("resident", "必选"))
    return resident


def _living(resident: Resident, name: str = "resident") -> None:
    if resident.is_deceased:
        raise RegisterError(f"{resident.name}已登记死亡", fields=field_error(name, "已故"))
    if resident.left_on is not None:
        raise RegisterError(f"{resident.name}已迁出本县", fields=field_error(name, "已迁出"))


def _parse_id(value: str) -> idnumber.IdNumber:
    try:
        return idnumber.parse(value)
    except idnumber.IdNumberError as exc:
        raise RegisterError(f"身份证号：{exc}", fields=field_error("id_number", "不正确")) from None


def _label(household: Household) -> str:
    return f"{household.head_name}户（{household.number}）"


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# ---- planning: every check, nothing written --------------------------------------------------


def _plan(household: Household, kind: str, data: Any, today: dt.date) -> HouseholdChange:
    """The unsaved change: what it touches, before and after. Every check on the input is made here,
    before anything is written."""
    c = HouseholdChange(household=household, kind=kind)
    if kind == K.BIRTH:
        _plan_birth(c, data, today)
        return c
    if kind in JOINING:
        _plan_joining(c, household, data, today)
        return c
    if kind == K.SPLIT:
        _plan_split(c, household, data)
        return c
    if kind == K.MERGE:
        _plan_merge(c, household, data)
        return c
    if kind not in K.values or kind in (K.CORRECTION, K.GRID):
        raise RegisterError("请选择变动类别", fields=field_error("kind", "必选"))
    resident = _member(household, data)
    c.resident = resident
    _living(resident)
    if kind == K.DEATH:
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
        _plan_head_after_leaving(c, household, resident, data, "去世")
    elif kind in LEAVING:
        _plan_leaving(c, household, resident, data, today)
    elif kind == K.AWAY:
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
        if not resident.is_away:
            raise RegisterError(f"{resident.name}没有外出登记", fields=field_error("resident", "未外出"))
        c.before = {"外出": "是", "去向": resident.away_place}
        c.after = {"外出": "否"}
        c.touches = [f"r{resident.pk}:away"]
    elif kind == K.PHONE:
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
        if resident.relation == Relation.HEAD:
            raise RegisterError(f"{resident.name}已是户主", fields=field_error("resident", "已是户主"))
        old_relation = data.get("old_head_relation") or Relation.OTHER
        if old_relation not in Relation.values or old_relation == Relation.HEAD:
            raise RegisterError("原户主与新户主的关系不正确", fields=field_error("old_head_relation", "不正确"))
        old = household.residents.filter(counted(), relation=Relation.HEAD).first()
        c.before = {"户主": household.head_name}
        c.after = {"户主": resident.name, **({f"{old.name}改为": Relation(old_relation).label} if old else {})}
        c.sealed = {"old_head": old.pk if old else None, "old_head_relation": old_relation}
        c.touches = [f"h{household.pk}:head", f"r{resident.pk}:relation"] + ([f"r{old.pk}:relation"] if old else [])
    return c


def _plan_birth(c: HouseholdChange, data: Any, today: dt.date) -> None:
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
        parsed = _parse_id(id_raw)
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


def _plan_head_after_leaving(c: HouseholdChange, household: Household, leaver: Resident, data: Any,
                             verb: str) -> None:
    """A head who dies or leaves hands the household to a member named in the same step; when nobody
    else is left the household closes. A household is never left without a head."""
    if leaver.relation != Relation.HEAD:
        return
    others = household.residents.filter(counted()).exclude(pk=leaver.pk)
    if not others.exists():
        c.sealed["close"] = True
        c.after["本户"] = "注销（户内已无其他成员）"
        return
    pk = _pk(data, "new_head")
    new_head = others.filter(pk=pk).first() if pk is not None else None
    if new_head is None:
        raise RegisterError(f"{leaver.name}是户主，{verb}后本户不能没有户主：请同时指定新户主",
                            fields=field_error("new_head", "必选"))
    c.sealed["new_head"] = new_head.pk
    c.after["新户主"] = new_head.name
    c.touches += [f"h{household.pk}:head", f"r{new_head.pk}:relation"]


def _plan_joining(c: HouseholdChange, household: Household, data: Any, today: dt.date) -> None:
    """婚入 / 迁入: someone registered elsewhere in the county (found by ID number, moved with his
    history), or a new resident from beyond the county."""
    origin = data.get("origin") or ""
    relation = _relation(data, "relation")
    if origin == "county":
        id_raw = text(data.get("id_number"), "id_number", "身份证号", 18, required=True, error=RegisterError).upper()
        parsed = _parse_id(id_raw)
        mover = (Resident.objects.select_related("household", "household__grid", "household__grid__region")
                 .filter(id_number_hash=crypto.lookup_hash(parsed.value)).first())
        if mover is None or not mover.household.grid.path.startswith(county_path_of(household.grid.region)):
            raise RegisterError("本县没有登记这个身份证号；从县外迁入请选择「县外」",
                                fields=field_error("id_number", "本县未登记"))
        _living(mover, "id_number")
        if mover.household_id == household.pk:
            raise RegisterError(f"{mover.name}已是本户成员", fields=field_error("id_number", "已在本户"))
        old = mover.household
        if mover.relation == Relation.HEAD and old.residents.filter(counted()).exclude(pk=mover.pk).exists():
            raise RegisterError(f"{mover.name}是原户的户主，请先在原户办理户主变更",
                                fields=field_error("id_number", "原户户主"))
        moved_on = _day(data, "moved_on", "迁入日期", today, not_before=mover.birth_date)
        c.resident = mover
        c.before = {"原村": old.grid.region.name}
        c.after = {"迁入": mover.name, "与户主关系": Relation(relation).label, "迁入日期": moved_on.isoformat()}
        c.sealed = {"origin": "county", "from_household": old.pk, "relation": relation,
                    "moved_on": moved_on.isoformat()}
        c.touches = [f"r{mover.pk}:status", f"r{mover.pk}:relation"]
        return
    if origin != "outside":
        raise RegisterError("请选择从本县还是县外迁入", fields=field_error("origin", "必选"))
    name = text(data.get("name"), "name", "姓名", 50, required=True, error=RegisterError)
    id_raw = text(data.get("id_number"), "id_number", "身份证号", 18, error=RegisterError).upper()
    masked = ""
    if id_raw:
        parsed = _parse_id(id_raw)
        born, sex = parsed.birth_date, parsed.sex
        sealed, hashed, masked = crypto.seal(parsed.value, idnumber.mask)
        if Resident.objects.filter(id_number_hash=hashed).exists():
            raise RegisterError("这个身份证号已在本县登记；本县的人迁入请选择「本县」",
                                fields=field_error("id_number", "已登记"))
        c.sealed = {"id_number": [sealed, hashed, masked]}
    else:
        sex = data.get("sex") or ""
        if sex not in Resident.Sex.values:
            raise RegisterError("请选择性别", fields=field_error("sex", "必选"))
        born_on = _date(data, "birth_date", "出生日期")
        assert born_on is not None
        born = born_on
        if born > today:
            raise RegisterError("出生日期不能晚于今天", fields=field_error("birth_date", "晚于今天"))
        if _age(born, today) >= ADULT_AGE:
            raise RegisterError(f"成年人（满{ADULT_AGE}周岁）须填写身份证号", fields=field_error("id_number", "必填"))
    moved_on = _day(data, "moved_on", "迁入日期", today, not_before=born)
    from_place = text(data.get("from_place"), "from_place", "迁出地", 100, error=RegisterError)
    c.before = {"来自": from_place or "县外"}
    c.after = {"姓名": name, "性别": Resident.Sex(sex).label, "出生日期": born.isoformat(),
               "与户主关系": Relation(relation).label, **({"身份证号": masked} if masked else {}),
               "迁入日期": moved_on.isoformat()}
    c.sealed = {**c.sealed, "origin": "outside", "name": name, "sex": sex, "birth_date": born.isoformat(),
                "relation": relation, "moved_on": moved_on.isoformat()}
    c.touches = [f"join:{name}"]


def _plan_leaving(c: HouseholdChange, household: Household, resident: Resident, data: Any,
                  today: dt.date) -> None:
    """婚出 / 迁出: to a village of the county (the record goes to that village), or beyond it (the
    record is closed: kept, marked left, no longer counted)."""
    moved_on = _day(data, "moved_on", "迁出日期", today, not_before=resident.birth_date)
    destination = data.get("destination") or ""
    c.sealed = {"destination": destination, "moved_on": moved_on.isoformat()}
    c.touches = [f"r{resident.pk}:status", f"r{resident.pk}:relation", f"r{resident.pk}:away"]
    if destination == "county":
        code = text(data.get("village"), "village", "迁往的村", 20, required=True, error=RegisterError)
        village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).first()
        if village is None:
            raise RegisterError("没有这个村，请从列表中选择", fields=field_error("village", "不存在"))
        if not village.path.startswith(county_path_of(household.grid.region)):
            raise RegisterError("只能迁往本县的村；迁往县外请选择「县外」", fields=field_error("village", "不在本县"))
        number = text(data.get("to_household"), "to_household", "迁入户的户编号", 32, error=RegisterError)
        c.before = {"户": _label(household)}
        if number:
            target = Household.objects.filter(number=number, grid__region=village, closed_on__isnull=True).first()
            if target is None:
                raise RegisterError(f"{village.name}没有户编号为 {number} 的户",
                                    fields=field_error("to_household", "不存在"))
            if target.pk == household.pk:
                raise RegisterError("迁入户不能是本户", fields=field_error("to_household", "本户"))
            relation = _relation(data, "relation", "在迁入户中与户主的关系")
            c.after = {"迁往": f"{village.name} {_label(target)}", "与户主关系": Relation(relation).label}
            c.sealed |= {"to_household": target.pk, "relation": relation}
        else:
            grid_code = text(data.get("to_grid"), "to_grid", "网格", 24, error=RegisterError)
            grids = Grid.objects.filter(region=village, is_active=True)
            grid = (grids.filter(code=grid_code) if grid_code else grids.filter(parent__isnull=True)).order_by(
                "code").first()
            if grid is None:
                raise RegisterError(f"{village.name}没有这个网格", fields=field_error("to_grid", "不存在"))
            c.after = {"迁往": f"{village.name} 新立户（{grid.name}）"}
            c.sealed |= {"to_grid": grid.pk, "relation": Relation.HEAD.value}
    elif destination == "outside":
        place = text(data.get("left_to"), "left_to", "迁往地", 100, required=True, error=RegisterError)
        c.before = {"状态": "在册"}
        c.after = {"状态": "已迁出本县", "迁往": place}
        c.sealed["left_to"] = place
    else:
        raise RegisterError("请选择迁往本县的村还是县外", fields=field_error("destination", "必选"))
    c.after["迁出日期"] = moved_on.isoformat()
    _plan_head_after_leaving(c, household, resident, data, "迁出")


def _plan_split(c: HouseholdChange, household: Household, data: Any) -> None:
    """分户: chosen members form a new household in a grid of the same village; each of the two ends
    with exactly one head."""
    living = {r.pk: r for r in household.residents.filter(counted()).order_by("id")}
    picked = _pks(data, "members")
    if any(pk not in living for pk in picked):
        raise RegisterError("只能选择本户在册的成员", fields=field_error("members", "不正确"))
    chosen = [living[pk] for pk in dict.fromkeys(picked) if pk is not None]
    if not chosen:
        raise RegisterError("请选择分出去的成员", fields=field_error("members", "必选"))
    if len(chosen) == len(living):
        raise RegisterError("分户后原户至少要留一名成员", fields=field_error("members", "全部"))
    chosen_ids = {r.pk for r in chosen}
    new_head = living.get(_pk(data, "new_head") or 0)
    if new_head is None or new_head.pk not in chosen_ids:
        raise RegisterError("分户后每户必须有一名户主：请在分出的成员中指定新户的户主",
                            fields=field_error("new_head", "必选"))
    head = next((r for r in living.values() if r.relation == Relation.HEAD), None)
    stay_head = None
    if head is None or head.pk in chosen_ids:
        stay_head = living.get(_pk(data, "remaining_head") or 0)
        if stay_head is None or stay_head.pk in chosen_ids:
            raise RegisterError("分户后每户必须有一名户主：请指定原户留下的户主",
                                fields=field_error("remaining_head", "必选"))
    grid_code = text(data.get("to_grid"), "to_grid", "网格", 24, error=RegisterError)
    grid = household.grid
    if grid_code:
        found = Grid.objects.filter(code=grid_code, region_id=household.grid.region_id, is_active=True).first()
        if found is None:
            raise RegisterError("新户的网格必须是本村的网格", fields=field_error("to_grid", "不在本村"))
        grid = found
    address = text(data.get("address"), "address", "新户住址", 200, error=RegisterError)
    c.before = {"本户成员": "、".join(r.name for r in living.values())}
    c.after = {"分出": "、".join(r.name for r in chosen), "新户户主": new_head.name,
               **({"原户户主": stay_head.name} if stay_head else {}), "新户网格": grid.name}
    c.sealed = {"members": sorted(chosen_ids), "new_head": new_head.pk,
                "remaining_head": stay_head.pk if stay_head else None, "grid": grid.pk, "address": address}
    c.touches = [f"h{household.pk}:members", f"h{household.pk}:head"] + [
        f"r{pk}:{what}" for pk in sorted(chosen_ids) for what in ("status", "relation")]


def _plan_merge(c: HouseholdChange, household: Household, data: Any) -> None:
    """合户: another household of the same village joins this one; this head stays, the other head's
    new relation is chosen, and the other household is closed (kept, pointing here)."""
    number = text(data.get("other"), "other", "并入户的户编号", 32, required=True, error=RegisterError)
    other = (Household.objects.select_related("grid")
             .filter(number=number, grid__region_id=household.grid.region_id, closed_on__isnull=True).first())
    if other is None:
        raise RegisterError("本村没有这个户编号（只能合并本村的户）", fields=field_error("other", "不存在"))
    if other.pk == household.pk:
        raise RegisterError("不能与本户合户", fields=field_error("other", "本户"))
    relation = _relation(data, "other_head_relation", "并入户的户主在本户的关系")
    if HouseholdChange.objects.filter(household=other, state=HouseholdChange.State.PENDING).exists():
        raise ChangeConflict(f"{_label(other)}有待确认的变动，请等村里确认或退回后再合户")
    members = list(other.residents.filter(counted()).order_by("id"))
    head = next((r for r in members if r.relation == Relation.HEAD), None)
    names = "、".join(r.name for r in members)
    c.before = {"并入户": _label(other), "成员": names}
    c.after = {"并入本户": names, **({f"{head.name}改为": Relation(relation).label} if head else {})}
    c.sealed = {"other": other.pk, "other_head_relation": relation}
    c.touches = [f"h{household.pk}:members", f"h{other.pk}:merged"]


# ---- applying a confirmed change ----------------------------------------------------------------


def _apply(change: HouseholdChange) -> None:
    """Writes the register for a confirmed change (the caller holds the transaction and has set the
    decider)."""
    s = change.sealed
    household = change.household
    if change.kind == K.BIRTH or (change.kind in JOINING and s["origin"] == "outside"):
        resident = Resident(household=household, name=s["name"], sex=s["sex"],
                            birth_date=dt.date.fromisoformat(s["birth_date"]), relation=s["relation"])
        if "id_number" in s:
            resident.id_number_encrypted, resident.id_number_hash, resident.id_number_masked = s["id_number"]
            if Resident.objects.filter(id_number_hash=resident.id_number_hash).exists():
                raise RegisterError("身份证号已登记在其他户")
        resident.save()
        change.resident = resident
        return
    if change.kind == K.SPLIT:
        _apply_split(change)
        return
    if change.kind == K.MERGE:
        _apply_merge(change)
        return
    assert change.resident_id is not None
    r = Resident.objects.select_for_update().get(pk=change.resident_id)
    if change.kind in JOINING:
        _apply_joining(change, r)
        return
    if r.household_id != household.pk or r.is_deceased or r.left_on is not None:
        raise RegisterError(f"{r.name}已不在本户，请退回这条变动")
    if change.kind == K.DEATH:
        r.is_deceased, r.died_on = True, dt.date.fromisoformat(s["died_on"])
        r.is_away, r.away_place, r.away_work, r.away_since, r.away_expected_back = False, "", "", None, None
        _off_register(change, r, "已死亡", r.died_on)
        _apply_head_after_leaving(change, r)
    elif change.kind in LEAVING:
        _apply_leaving(change, r)
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


def _off_register(change: HouseholdChange, resident: Resident, reason: str, on: dt.date) -> None:
    """A person who died or left the county is visited no more (his key-person entries end, each
    with its history row), answers for no household as a party member, and his login closes. Apps
    above people (the party organisation) end what is theirs on ``resident_left_register``."""
    assert change.decider is not None
    key_person_end_all_for_resident(resident=resident, actor=change.decider, reason=reason, on=on)
    _links_end(MemberHouseholdLink.objects.filter(member=resident), change.decider, reason, on)
    User.objects.filter(resident=resident, is_active=True).update(is_active=False)
    resident_left_register.send(sender=Resident, resident=resident, on=on, reason=reason, actor=change.decider)


def _links_end(links: QuerySet[MemberHouseholdLink], actor: User | None, reason: str, on: dt.date) -> None:
    """Ends the party-member links still in post among ``links``, never before one began."""
    for link in links.filter(ended_on__isnull=True).select_for_update():
        link.ended_on, link.end_reason, link.ended_by = max(on, link.started_on), reason, actor
        link.save(update_fields=["ended_on", "end_reason", "ended_by"])


def _follow(resident: Resident, household: Household) -> None:
    """The villager's own login goes with him to his new household."""
    User.objects.filter(resident=resident).update(household=household)


def _close(household: Household, on: dt.date, reason: str, merged_into: Household | None = None,
           actor: User | None = None) -> None:
    """A household with nobody left, or merged into another: kept, marked closed. Its party member's
    link ends; the logins of a merged household's people go with them."""
    household.closed_on, household.closed_reason, household.merged_into = on, reason, merged_into
    household.save(update_fields=["closed_on", "closed_reason", "merged_into"])
    _links_end(MemberHouseholdLink.objects.filter(household=household), actor, f"户已注销：{reason}", on)
    if merged_into is not None:
        User.objects.filter(household=household).update(household=merged_into)


def _mirror(change: HouseholdChange, household: Household, kind: str, resident: Resident | None,
            before: dict[str, Any], after: dict[str, Any]) -> None:
    """The other household's own row of a change that reached it, decided with the change."""
    HouseholdChange.objects.create(
        household=household, resident=resident, kind=kind, before=before, after=after, note=change.note,
        proposer=change.proposer, proposed_at=change.proposed_at, state=HouseholdChange.State.CONFIRMED,
        decider=change.decider, decided_at=change.decided_at,
    )


def _apply_head_after_leaving(change: HouseholdChange, leaver: Resident) -> None:
    household, s = change.household, change.sealed
    others = household.residents.filter(counted()).exclude(pk=leaver.pk)
    if s.get("new_head"):
        new_head = others.filter(pk=s["new_head"]).first()
        if new_head is None:
            raise RegisterError("指定的新户主已不在本户，请退回这条变动")
        new_head.relation = Relation.HEAD
        new_head.save(update_fields=["relation"])
        household.head_name = new_head.name
        household.save(update_fields=["head_name"])
    elif s.get("close"):
        if others.exists():
            raise RegisterError("本户又有了其他成员，请退回这条变动并指定新户主")
        _close(household, timezone.localdate(), f"{leaver.name}{change.get_kind_display()}，户内已无其他成员",
               actor=change.decider)
    elif leaver.relation == Relation.HEAD:
        raise RegisterError("户主变动后本户不能没有户主，请退回这条变动")


def _apply_leaving(change: HouseholdChange, r: Resident) -> None:
    s, household = change.sealed, change.household
    moved_on = dt.date.fromisoformat(s["moved_on"])
    r.is_away, r.away_place, r.away_work, r.away_since, r.away_expected_back = False, "", "", None, None
    if s["destination"] == "outside":
        r.left_on, r.left_to = moved_on, s["left_to"]
        _off_register(change, r, f"已迁出本县（{s['left_to']}）" if s["left_to"] else "已迁出本县", moved_on)
        _apply_head_after_leaving(change, r)
        r.save()
        return
    _apply_head_after_leaving(change, r)
    if s.get("to_household"):
        target = Household.objects.select_for_update().select_related("grid__region").get(pk=s["to_household"])
        if target.closed_on is not None:
            raise RegisterError(f"迁入户{_label(target)}已注销，请退回这条变动")
    else:
        grid = Grid.objects.select_related("region").get(pk=s["to_grid"])
        target = Household.objects.create(grid=grid, number=household_next_number(grid), head_name=r.name)
    if target.grid.region_id != household.grid.region_id:  # he answers for households of his old village no more
        _links_end(MemberHouseholdLink.objects.filter(member=r), change.decider,
                   f"迁往{target.grid.region.name}", moved_on)
    r.household, r.relation = target, s["relation"]
    r.save()
    _follow(r, target)
    _mirror(change, target, COUNTERPART[K(change.kind)], r, {"原村": household.grid.region.name},
            {"迁入": r.name, "与户主关系": Relation(s["relation"]).label, "迁入日期": s["moved_on"]})


def _apply_joining(change: HouseholdChange, mover: Resident) -> None:
    s, household = change.sealed, change.household
    old = Household.objects.select_for_update().select_related("grid__region").get(pk=s["from_household"])
    if mover.household_id != old.pk or mover.is_deceased or mover.left_on is not None:
        raise RegisterError(f"{mover.name}已不在原户，请退回这条变动")
    if mover.relation == Relation.HEAD:
        if old.residents.filter(counted()).exclude(pk=mover.pk).exists():
            raise RegisterError(f"{mover.name}是原户的户主，请先在原户办理户主变更")
        _close(old, timezone.localdate(),
               f"{mover.name}{change.get_kind_display()}{household.grid.region.name}，户内已无其他成员",
               actor=change.decider)
    if old.grid.region_id != household.grid.region_id:
        _links_end(MemberHouseholdLink.objects.filter(member=mover), change.decider,
                   f"迁往{household.grid.region.name}", dt.date.fromisoformat(s["moved_on"]))
    mover.household, mover.relation = household, s["relation"]
    mover.save(update_fields=["household", "relation"])
    _follow(mover, household)
    _mirror(change, old, COUNTERPART[K(change.kind)], mover, {"户": _label(old)},
            {"迁往": f"{household.grid.region.name} {_label(household)}", "迁出日期": s["moved_on"]})


def _apply_split(change: HouseholdChange) -> None:
    s, household = change.sealed, change.household
    members = list(Resident.objects.select_for_update().filter(pk__in=s["members"]).order_by("id"))
    if len(members) != len(s["members"]) or any(
            m.household_id != household.pk or m.is_deceased or m.left_on is not None for m in members):
        raise RegisterError("分出的成员已有变动，请退回这条变动后重新登记")
    if not household.residents.filter(counted()).exclude(pk__in=s["members"]).exists():
        raise RegisterError("分户后原户至少要留一名成员")
    grid = Grid.objects.get(pk=s["grid"])
    new_head = next(m for m in members if m.pk == s["new_head"])
    new = Household.objects.create(grid=grid, number=household_next_number(grid), address=s["address"],
                                   head_name=new_head.name)
    for m in members:
        m.household = new
        m.relation = Relation.HEAD if m is new_head else (Relation.OTHER if m.relation == Relation.HEAD else m.relation)
    Resident.objects.bulk_update(members, ["household", "relation"])
    if s["remaining_head"]:
        stay = household.residents.filter(counted()).get(pk=s["remaining_head"])
        stay.relation = Relation.HEAD
        stay.save(update_fields=["relation"])
        household.head_name = stay.name
        household.save(update_fields=["head_name"])
    change.after = {**change.after, "新户编号": new.number}
    _mirror(change, new, K.SPLIT, None, {"分自": _label(household)},
            {"成员": "、".join(m.name for m in members), "户主": new_head.name})


def _apply_merge(change: HouseholdChange) -> None:
    s, household = change.sealed, change.household
    other = Household.objects.select_for_update().get(pk=s["other"])
    if other.closed_on is not None:
        raise RegisterError(f"{_label(other)}已注销，请退回这条变动")
    members = list(other.residents.select_for_update().filter(counted()).order_by("id"))
    for m in members:
        m.household = household
        if m.relation == Relation.HEAD:
            m.relation = s["other_head_relation"]
    Resident.objects.bulk_update(members, ["household", "relation"])
    before = {"户": _label(other), "成员": "、".join(m.name for m in members)}
    _close(other, timezone.localdate(), f"并入{_label(household)}", merged_into=household, actor=change.decider)
    _mirror(change, other, K.MERGE, None, before, {"并入": f"{_label(household)}", "本户": "注销"})


# ---- the three doors ----------------------------------------------------------------------------


def _open_conflict(change: HouseholdChange) -> None:
    households = {change.household_id} | {
        change.sealed[k] for k in ("from_household", "to_household", "other") if change.sealed.get(k)}
    for other in (HouseholdChange.objects.filter(household_id__in=households, state=HouseholdChange.State.PENDING)
                  .select_related("resident")):
        if set(other.touches) & set(change.touches):
            who = other.resident.name if other.resident is not None else other.after.get("姓名", "")
            raise ChangeConflict(
                f"已有一条待确认的「{other.get_kind_display()}」变动（{who}，"
                f"{timezone.localtime(other.proposed_at):%m月%d日}登记），请等村里确认或退回后再登记")


def _decided(change: HouseholdChange, actor: User, now: dt.datetime) -> None:
    change.state, change.decider, change.decided_at = HouseholdChange.State.CONFIRMED, actor, now


def _move_in_lookup_record(actor: User, data: Any) -> None:
    """Naming a mover by ID number finds where he lives: counted and recorded like a search, before
    the proposal's transaction so the record stays when the proposal is refused."""
    try:
        parsed = idnumber.parse(str(data.get("id_number") or "").strip().upper())
    except idnumber.IdNumberError:
        return  # the plan refuses it; nothing was looked up
    value_hash = crypto.lookup_hash(parsed.value)
    identity_lookup_for_move(user=actor, value_hash=value_hash,
                             matched=Resident.objects.filter(id_number_hash=value_hash).count())


def household_change_propose(*, actor: User, household: Household, kind: str, data: Any,
                             note: str = "", evidence: Sequence[ProcessedPhoto] = ()) -> HouseholdChange:
    """A grid worker's or chief's proposal, waiting for the village cadre; a cadre's own is applied at
    once (proposed and confirmed by him). Nothing is written when any check refuses."""
    if not rules.can_propose_change(actor, household):
        raise Forbidden("只能为本人负责的网格或本村的户登记变动")
    note = text(note, "note", "说明", 200, error=RegisterError)
    if len(evidence) > CHANGE_PHOTO_MAX_COUNT:
        raise RegisterError("只能上传一张户口本照片", fields=field_error("photo", "太多"))
    if kind in JOINING and data.get("origin") == "county":
        _move_in_lookup_record(actor, data)
    now = timezone.now()
    with transaction.atomic():
        household = Household.objects.select_for_update().select_related("grid", "grid__region").get(pk=household.pk)
        if household.closed_on is not None:
            raise RegisterError(f"该户已于{household.closed_on.isoformat()}注销，不能再登记变动")
        change = _plan(household, kind, data, timezone.localdate())
        _open_conflict(change)
        change.note, change.proposer, change.proposed_at = note, actor, now
        if rules.can_decide_change(actor, change):
            _decided(change, actor, now)
            _apply(change)
        change.save()
        for i, photo in enumerate(evidence, start=1):
            row = HouseholdChangePhoto(change=change)
            row.attach(photo, f"change-{change.pk}-{i}.jpg")
            row.save()
    return change


def _pending_for_decision(actor: User, change: HouseholdChange) -> HouseholdChange:
    if not rules.can_decide_change(actor, change):
        raise Forbidden("只有本村的村干部能确认或退回登记变动")
    locked = (HouseholdChange.objects.select_for_update()
              .select_related("household", "household__grid", "household__grid__region").get(pk=change.pk))
    if locked.state != HouseholdChange.State.PENDING:
        raise Conflict(f"这条变动已{locked.get_state_display()}")
    return locked


def household_change_confirm(*, actor: User, change: HouseholdChange) -> HouseholdChange:
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=change.household_id).first()
        change = _pending_for_decision(actor, change)
        _decided(change, actor, timezone.now())
        _apply(change)
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
