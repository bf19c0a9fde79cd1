"""Keeping a village's party organisation: its branch, groups, the grids each group serves, members
and their duty posts. Every refusal is a ``PartyError`` in Chinese and writes nothing; every end is
dated with a reason and keeps its row."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from xiangzhi.core.inputs import text
from xiangzhi.party import rules
from xiangzhi.party.models import (
    Branch,
    DutyPost,
    DutyPostKind,
    GroupActivity,
    GroupActivityKind,
    GroupGrid,
    Membership,
    PartyChange,
    PartyGroup,
)
from xiangzhi.people.models import Resident, Tag
from xiangzhi.regions.models import Grid, Region, RegionLevel


class PartyError(Invalid):
    """A change to the party organisation refused, with the reason in Chinese."""


class PartyConflict(PartyError, Conflict):
    """Refused because of what is already in post."""


def _require_keeper(actor: User | None, village: Region) -> None:
    """``actor`` None: the demo and imports, which act for the county."""
    if actor is None:
        return
    if not rules.can_keep_party(actor):
        raise Forbidden("只有村两委和乡镇（街道）工作人员可以维护党组织")
    if not scope_of(actor).covers_path(village.path):
        raise NotFound()


def _village_of(resident: Resident) -> Region:
    return Region.objects.get(grids__households__residents=resident)


def _require_member(resident: Resident, village: Region, field: str) -> None:
    """A living party member on the register of ``village``."""
    if Tag.PARTY_MEMBER not in resident.tag_list:
        raise PartyError(f"{resident.name}不是党员（户籍中无党员标签）", fields=field_error(field, "不是党员"))
    if resident.is_deceased:
        raise PartyError(f"{resident.name}已故", fields=field_error(field, "已故"))
    if resident.left_on is not None:
        raise PartyError(f"{resident.name}已迁出（{day_text(resident.left_on)}）", fields=field_error(field, "已迁出"))
    if _village_of(resident).pk != village.pk:
        raise PartyError(f"{resident.name}不是{village.name}的居民", fields=field_error(field, "不是本村居民"))


def _reason(value: str) -> str:
    return text(value, "reason", "原因", 200, required=True, error=PartyError)


def _end_day(ended_on: dt.date | None, started_on: dt.date) -> dt.date:
    ended_on = ended_on or timezone.localdate()
    if ended_on < started_on:
        raise PartyError(f"结束日期不能早于起始日期（{day_text(started_on)}）",
                         fields=field_error("ended_on", "早于起始日期"))
    return ended_on


def _snapshot(obj: Branch | PartyGroup) -> dict[str, Any]:
    out: dict[str, Any] = {"名称": obj.name}
    if isinstance(obj, Branch):
        out["书记"] = obj.secretary.name if obj.secretary else ""
        out["成立日期"] = obj.founded_on.isoformat() if obj.founded_on else ""
    else:
        out["组长"] = obj.leader.name if obj.leader else ""
    return out


# ---- 党支部 --------------------------------------------------------------------------------------


def branch_create(
    *, village: Region, name: str, secretary: Resident | None = None, founded_on: dt.date | None = None,
    actor: User | None = None,
) -> Branch:
    """The village's branch (one per village), its secretary a living party member of the village."""
    _require_keeper(actor, village)
    if village.level != RegionLevel.VILLAGE:
        raise PartyError("党支部只建在村/社区", fields=field_error("village", "不是村/社区"))
    name = text(name, "name", "支部名称", 100, required=True, error=PartyError)
    if secretary is not None:
        _require_member(secretary, village, "secretary")
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=village.pk).first()
        if Branch.objects.filter(village=village).exists():
            raise PartyConflict(f"{village.name}已有党支部")
        branch = Branch.objects.create(village=village, name=name, secretary=secretary, founded_on=founded_on)
        PartyChange.objects.create(branch=branch, after=_snapshot(branch), reason="建立支部", actor=actor)
    return branch


def branch_update(
    *, branch: Branch, name: str, secretary: Resident | None, founded_on: dt.date | None, reason: str = "",
    actor: User | None = None,
) -> Branch:
    """Renames the branch or changes its secretary; the change is kept with who, when and why."""
    village = branch.village
    _require_keeper(actor, village)
    name = text(name, "name", "支部名称", 100, required=True, error=PartyError)
    reason = text(reason, "reason", "原因", 200, error=PartyError)
    if secretary is not None:
        _require_member(secretary, village, "secretary")
    with transaction.atomic():
        locked = Branch.objects.select_for_update(of=("self",)).select_related("secretary").get(pk=branch.pk)
        before = _snapshot(locked)
        locked.name, locked.secretary, locked.founded_on = name, secretary, founded_on
        after = _snapshot(locked)
        if before != after:
            locked.save(update_fields=["name", "secretary", "founded_on"])
            PartyChange.objects.create(branch=locked, before=before, after=after, reason=reason, actor=actor)
    branch.name, branch.secretary, branch.founded_on = name, secretary, founded_on
    return branch


# ---- 党小组 --------------------------------------------------------------------------------------


def _place_leader(group: PartyGroup, leader: Resident, actor: User | None, on: dt.date) -> None:
    """The leader is one of the group's members: placed in it now if in no group, refused if in another."""
    current = Membership.objects.select_for_update().filter(resident=leader, left_on__isnull=True).first()
    if current is None:
        Membership.objects.create(resident=leader, group=group, joined_on=on, added_by=actor)
    elif current.group_id != group.pk:
        raise PartyConflict(f"{leader.name}是{current.group.name}的成员，请先调入本组再任组长",
                            fields=field_error("leader", "其他小组成员"))


def group_create(
    *, branch: Branch, name: str, leader: Resident | None = None, actor: User | None = None,
) -> PartyGroup:
    village = branch.village
    _require_keeper(actor, village)
    name = text(name, "name", "小组名称", 100, required=True, error=PartyError)
    if leader is not None:
        _require_member(leader, village, "leader")
    with transaction.atomic():
        Branch.objects.select_for_update().filter(pk=branch.pk).first()
        if PartyGroup.objects.filter(branch=branch, name=name).exists():
            raise PartyConflict(f"{branch.name}已有{name}", fields=field_error("name", "重名"))
        group = PartyGroup.objects.create(branch=branch, name=name, leader=leader)
        if leader is not None:
            _place_leader(group, leader, actor, timezone.localdate())
        PartyChange.objects.create(branch=branch, group=group, after=_snapshot(group), reason="建立党小组",
                                   actor=actor)
    return group


def group_update(
    *, group: PartyGroup, name: str, leader: Resident | None, reason: str = "", actor: User | None = None,
) -> PartyGroup:
    village = group.branch.village
    _require_keeper(actor, village)
    name = text(name, "name", "小组名称", 100, required=True, error=PartyError)
    reason = text(reason, "reason", "原因", 200, error=PartyError)
    if leader is not None:
        _require_member(leader, village, "leader")
    with transaction.atomic():
        locked = PartyGroup.objects.select_for_update(of=("self",)).select_related("leader").get(pk=group.pk)
        if PartyGroup.objects.filter(branch_id=locked.branch_id, name=name).exclude(pk=locked.pk).exists():
            raise PartyConflict(f"{group.branch.name}已有{name}", fields=field_error("name", "重名"))
        before = _snapshot(locked)
        locked.name, locked.leader = name, leader
        after = _snapshot(locked)
        if before != after:
            if leader is not None:
                _place_leader(locked, leader, actor, timezone.localdate())
            locked.save(update_fields=["name", "leader"])
            PartyChange.objects.create(branch_id=locked.branch_id, group=locked, before=before, after=after,
                                       reason=reason, actor=actor)
    group.name, group.leader = name, leader
    return group


# ---- 党小组服务的网格 -----------------------------------------------------------------------------


def group_grid_add(
    *, group: PartyGroup, grid: Grid, started_on: dt.date | None = None, actor: User | None = None,
) -> GroupGrid:
    """A group takes on a grid of its own village; a grid is served by one group at a time."""
    village = group.branch.village
    _require_keeper(actor, village)
    if grid.region_id != village.pk:
        raise PartyError(f"{grid.name}不是{village.name}的网格，党小组只服务本村网格",
                         fields=field_error("grid", "不是本村网格"))
    if not grid.is_active:
        raise PartyError(f"{grid.name}已停用", fields=field_error("grid", "已停用"))
    with transaction.atomic():
        Grid.objects.select_for_update().filter(pk=grid.pk).first()
        taken = GroupGrid.objects.filter(grid=grid, ended_on__isnull=True).select_related("group").first()
        if taken is not None:
            raise PartyConflict(f"{grid.name}已由{taken.group.name}服务；请先结束原安排",
                                fields=field_error("grid", "已有党小组"))
        return GroupGrid.objects.create(group=group, grid=grid, started_on=started_on or timezone.localdate(),
                                        assigned_by=actor)


def group_grid_end(
    *, link: GroupGrid, reason: str, ended_on: dt.date | None = None, actor: User | None = None,
) -> GroupGrid:
    _require_keeper(actor, link.group.branch.village)
    reason = _reason(reason)
    with transaction.atomic():
        locked = GroupGrid.objects.select_for_update().get(pk=link.pk)
        if locked.ended_on is not None:
            raise PartyConflict(f"该安排已于{day_text(locked.ended_on)}结束")
        locked.ended_on, locked.end_reason, locked.ended_by = _end_day(ended_on, locked.started_on), reason, actor
        locked.save(update_fields=["ended_on", "end_reason", "ended_by"])
    return locked


# ---- 党小组成员 ----------------------------------------------------------------------------------


def membership_add(
    *, group: PartyGroup, resident: Resident, joined_on: dt.date | None = None, actor: User | None = None,
) -> Membership:
    """Places a living party member of the village in a group: one group at a time. A member living
    away (外出) stays in his home group and is listed there as 在外."""
    village = group.branch.village
    _require_keeper(actor, village)
    _require_member(resident, village, "resident")
    with transaction.atomic():
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        current = Membership.objects.filter(resident=resident, left_on__isnull=True).select_related("group").first()
        if current is not None:
            raise PartyConflict(f"{resident.name}已是{current.group.name}的成员，"
                                "一名党员同一时间只在一个党小组；请先调出",
                                fields=field_error("resident", "已在其他小组"))
        return Membership.objects.create(resident=resident, group=group, joined_on=joined_on or timezone.localdate(),
                                         added_by=actor)


def _end_membership(locked: Membership, left_on: dt.date, reason: str, actor: User | None) -> None:
    locked.left_on, locked.leave_reason, locked.ended_by = left_on, reason, actor
    locked.save(update_fields=["left_on", "leave_reason", "ended_by"])
    # A post begun after the day given ends on its first day, never before it.
    DutyPost.objects.filter(membership=locked, ended_on__isnull=True).update(
        ended_on=Greatest(F("started_on"), Value(left_on, output_field=DateField())),
        end_reason=f"离开党小组：{reason}"[:200], ended_by=actor)
    group = PartyGroup.objects.select_for_update(of=("self",)).select_related("leader").get(pk=locked.group_id)
    if group.leader_id == locked.resident_id:
        before = _snapshot(group)
        group.leader = None
        group.save(update_fields=["leader"])
        PartyChange.objects.create(branch_id=group.branch_id, group=group, before=before, after=_snapshot(group),
                                   reason=f"组长离开党小组：{reason}"[:200], actor=actor)


def membership_end(
    *, membership: Membership, reason: str, left_on: dt.date | None = None, actor: User | None = None,
) -> Membership:
    """A member leaves the group, with a reason; his posts end with it, and a leader's group is left
    without a leader until the keeper names one."""
    _require_keeper(actor, membership.group.branch.village)
    reason = _reason(reason)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.left_on is not None:
            raise PartyConflict(f"已于{day_text(locked.left_on)}离开该党小组")
        _end_membership(locked, _end_day(left_on, locked.joined_on), reason, actor)
    return locked


def membership_move(
    *, membership: Membership, group: PartyGroup, reason: str, on: dt.date | None = None, actor: User | None = None,
) -> Membership:
    """调整党小组: leaves the old group and joins ``group`` of the same branch on the same day."""
    old_group = membership.group
    _require_keeper(actor, old_group.branch.village)
    reason = _reason(reason)
    if group.branch_id != old_group.branch_id:
        raise PartyError("只能调到本支部的党小组", fields=field_error("group", "不是本支部"))
    if group.pk == old_group.pk:
        raise PartyConflict(f"已在{group.name}", fields=field_error("group", "同一小组"))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.left_on is not None:
            raise PartyConflict(f"已于{day_text(locked.left_on)}离开该党小组")
        day = _end_day(on, locked.joined_on)
        _end_membership(locked, day, reason, actor)
        return Membership.objects.create(resident_id=locked.resident_id, group=group, joined_on=day, added_by=actor)


def membership_end_for_register(*, resident: Resident, on: dt.date, reason: str, actor: User | None = None) -> int:
    """The register says ``resident`` died or moved out of the county on ``on``
    (``people.signals.resident_left_register``): his membership and posts end that day with the
    register's reason, and a group he led or a branch whose secretary he was is left without one, each
    on record (``PartyChange``). No keeper check: the village cadre's confirmation of the register
    change is the decision. Runs inside the register's transaction; answers how many memberships ended."""
    reason = reason.strip()[:200] or "户籍注销"
    ended = 0
    for locked in Membership.objects.select_for_update().filter(resident=resident, left_on__isnull=True):
        _end_membership(locked, max(on, locked.joined_on), reason, actor)
        ended += 1
    for branch in Branch.objects.select_for_update(of=("self",)).select_related("secretary").filter(secretary=resident):
        before = _snapshot(branch)
        branch.secretary = None
        branch.save(update_fields=["secretary"])
        PartyChange.objects.create(branch=branch, before=before, after=_snapshot(branch),
                                   reason=f"支部书记{reason}"[:200], actor=actor)
    return ended


# ---- 设岗定责 ------------------------------------------------------------------------------------


def duty_post_assign(
    *, membership: Membership, kind: DutyPostKind, duties: str, started_on: dt.date | None = None,
    actor: User | None = None,
) -> DutyPost:
    """A post for a member in a group, with the duties it carries; one post of a kind at a time."""
    _require_keeper(actor, membership.group.branch.village)
    duties = text(duties, "duties", "岗位职责", 300, required=True, error=PartyError)
    if not kind.is_active:
        raise PartyError(f"岗位「{kind.name}」已停用", fields=field_error("kind", "已停用"))
    with transaction.atomic():
        locked = Membership.objects.select_for_update(of=("self",)).select_related("resident").get(pk=membership.pk)
        if locked.left_on is not None:
            raise PartyConflict(f"{locked.resident.name}已离开该党小组，不能设岗",
                                fields=field_error("membership", "已离开"))
        if DutyPost.objects.filter(membership=locked, kind=kind, ended_on__isnull=True).exists():
            raise PartyConflict(f"{locked.resident.name}已在{kind.name}", fields=field_error("kind", "已在岗"))
        return DutyPost.objects.create(membership=locked, kind=kind, duties=duties,
                                       started_on=started_on or timezone.localdate(), assigned_by=actor)


def duty_post_end(
    *, post: DutyPost, reason: str, ended_on: dt.date | None = None, actor: User | None = None,
) -> DutyPost:
    _require_keeper(actor, post.membership.group.branch.village)
    reason = _reason(reason)
    with transaction.atomic():
        locked = DutyPost.objects.select_for_update().get(pk=post.pk)
        if locked.ended_on is not None:
            raise PartyConflict(f"该岗位已于{day_text(locked.ended_on)}结束")
        locked.ended_on, locked.end_reason, locked.ended_by = _end_day(ended_on, locked.started_on), reason, actor
        locked.save(update_fields=["ended_on", "end_reason", "ended_by"])
    return locked


# ---- 党小组活动 ----------------------------------------------------------------------------------


def group_activity_record(
    *, group: PartyGroup, held_on: dt.date, kind: str, title: str, attendees: int, note: str = "",
    actor: User | None = None, now: dt.datetime | None = None,
) -> GroupActivity:
    """An activity the group held (主题党日, 集中学习…): on a day not after today, with its theme, and no
    more members taking part than the group has now. Recorded by the village's cadres or the township
    and county staff above it."""
    village = group.branch.village
    if actor is not None:
        if not rules.can_record_activities(actor):
            raise Forbidden("只有村两委和乡镇（街道）、县级工作人员可以登记党小组活动")
        if not scope_of(actor).covers_path(village.path):
            raise NotFound()
    if kind not in GroupActivityKind.values:
        raise PartyError("请选择活动类型", fields=field_error("kind", "必选"))
    title = text(title, "title", "活动主题", 100, required=True, error=PartyError)
    note = text(note, "note", "情况说明", 500, error=PartyError)
    now = now or timezone.now()
    if held_on > timezone.localtime(now).date():
        raise PartyError("活动日期不能晚于今天", fields=field_error("held_on", "晚于今天"))
    if not isinstance(attendees, int) or isinstance(attendees, bool) or attendees < 1:
        raise PartyError("参加党员人数应为大于 0 的整数", fields=field_error("attendees", "应为正整数"))
    with transaction.atomic():
        PartyGroup.objects.select_for_update().filter(pk=group.pk).first()
        members = Membership.objects.filter(group=group, left_on__isnull=True).count()
        if attendees > members:
            raise PartyError(f"参加党员人数不能超过本组现有党员（{members} 名）",
                             fields=field_error("attendees", "超过本组党员人数"))
        return GroupActivity.objects.create(group=group, held_on=held_on, kind=kind, title=title,
                                            attendees=attendees, note=note, recorded_by=actor, recorded_at=now)
