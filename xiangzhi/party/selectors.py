"""Reads of the party organisation: a village's whole organisation for its page, a grid's members for
亮身份, scoped lists for the API, and — for assessment, which scores party groups as grid units — which
grids each group serves on a day."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.party.models import (
    Branch,
    DutyPost,
    DutyPostKind,
    GroupActivity,
    GroupGrid,
    Membership,
    PartyChange,
    PartyGroup,
)
from xiangzhi.people.models import Resident, Tag, counted
from xiangzhi.regions.models import Grid, Region

BRANCH_PATH = "village__path"
GROUP_PATH = "branch__village__path"
MEMBERSHIP_PATH = "group__branch__village__path"
POST_PATH = "membership__group__branch__village__path"
ACTIVITY_PATH = "group__branch__village__path"


def _active_posts() -> Any:
    return Prefetch("posts", to_attr="posts_in_post",
                    queryset=DutyPost.objects.filter(ended_on__isnull=True).select_related("kind")
                    .order_by("kind__sort", "id"))


def _active_members() -> Any:
    """Members in post, each with the village he is on the register of now (``home_village_id``,
    ``home_village_name``): another than the group's when he moved within the county, his membership
    waiting to be transferred (组织关系转接)."""
    return Prefetch("memberships", to_attr="members_in_post",
                    queryset=Membership.objects.filter(left_on__isnull=True)
                    .select_related("resident", "resident__household").prefetch_related(_active_posts())
                    .annotate(home_village_id=F("resident__household__grid__region_id"),
                              home_village_name=F("resident__household__grid__region__name"))
                    .order_by("resident__name", "id"))


def _active_grids() -> Any:
    return Prefetch("grid_links", to_attr="grids_in_post",
                    queryset=GroupGrid.objects.filter(ended_on__isnull=True).select_related("grid")
                    .defer("grid__boundary").order_by("grid__code"))


@dataclass
class Organisation:
    """A village's party organisation as its page shows it."""

    village: Region
    branch: Branch | None
    groups: list[PartyGroup] = field(default_factory=list)
    away: list[Membership] = field(default_factory=list)
    moved: list[Membership] = field(default_factory=list)
    ungrouped: list[Resident] = field(default_factory=list)
    # Ungrouped members still in a group of the village they came from: resident id → that village's name.
    held_elsewhere: dict[int, str] = field(default_factory=dict)
    unserved: list[Grid] = field(default_factory=list)
    history: list[Membership] = field(default_factory=list)
    changes: list[PartyChange] = field(default_factory=list)


def party_members_of_village(village: Region) -> QuerySet[Resident]:
    """Living party members on the village's register (not moved out)."""
    return (Resident.objects.filter(counted(), household__grid__region=village, tags__contains=Tag.PARTY_MEMBER)
            .select_related("household").order_by("name", "id"))


def _held_elsewhere(village: Region) -> dict[int, str]:
    """The village's party members whose membership is still in a group of another village (moved
    here within the county): resident id → that village's name. One query."""
    rows = (Membership.objects.filter(left_on__isnull=True, resident__in=party_members_of_village(village).values("pk"))
            .exclude(group__branch__village=village).values_list("resident_id", "group__branch__village__name"))
    return dict(rows)


def _with_held_in(residents: list[Resident], held_elsewhere: dict[int, str]) -> list[Resident]:
    for r in residents:
        r.held_in = held_elsewhere.get(r.pk, "")  # type: ignore[attr-defined]
    return residents


def organisation_of_village(village: Region) -> Organisation:
    """The branch, each group with its leader, grids and members (each with his posts), members living
    away (在外党员) under their home group, members who moved to another village of the county (their
    membership waiting to be transferred), party members in no group (and where those who came from
    another village are still grouped), grids no group serves, and the latest departures and changes.
    A fixed number of queries, whatever the village's size."""
    branch = Branch.objects.filter(village=village).select_related("secretary").first()
    out = Organisation(village=village, branch=branch)
    grids = list(Grid.objects.filter(region=village, is_active=True).defer("boundary").order_by("code"))
    out.held_elsewhere = _held_elsewhere(village)
    if branch is None:
        out.ungrouped = _with_held_in(list(party_members_of_village(village)), out.held_elsewhere)
        out.unserved = grids
        return out
    out.groups = list(PartyGroup.objects.filter(branch=branch).select_related("leader")
                      .prefetch_related(_active_members(), _active_grids()).order_by("name", "id"))
    members: list[Membership] = [m for g in out.groups for m in g.members_in_post]  # type: ignore[attr-defined]
    grouped = {m.resident_id for m in members}
    out.away = [m for m in members if m.resident.is_away]
    out.moved = [m for m in members if m.home_village_id != village.pk]  # type: ignore[attr-defined]
    out.ungrouped = _with_held_in([r for r in party_members_of_village(village) if r.pk not in grouped],
                                  out.held_elsewhere)
    served = {link.grid_id for g in out.groups for link in g.grids_in_post}  # type: ignore[attr-defined]
    out.unserved = [g for g in grids if g.pk not in served]
    out.history = list(Membership.objects.filter(group__branch=branch, left_on__isnull=False)
                       .select_related("resident", "group", "ended_by").order_by("-left_on", "-id")[:30])
    out.changes = list(PartyChange.objects.filter(branch=branch).select_related("group", "actor")[:20])
    return out


def duty_post_kinds() -> QuerySet[DutyPostKind]:
    return DutyPostKind.objects.filter(is_active=True)


# ---- 亮身份 on the grid page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServingMember:
    """A party member serving a grid, shown by name with his group and posts: nothing else about him."""

    name: str
    group: str
    is_leader: bool
    posts: tuple[str, ...]


def grid_identity(grid: Grid) -> list[ServingMember]:
    """亮身份: the party members of the group(s) serving ``grid`` today, at home (not living away, not
    moved to another village), leaders first, each with his posts. Two queries."""
    groups = list(PartyGroup.objects.filter(grid_links__grid=grid, grid_links__ended_on__isnull=True)
                  .prefetch_related(Prefetch(
                      "memberships", to_attr="members_in_post",
                      queryset=Membership.objects.filter(counted("resident__"), left_on__isnull=True,
                                                         resident__is_away=False,
                                                         resident__household__grid__region=F("group__branch__village"))
                      .select_related("resident").prefetch_related(_active_posts()).order_by("resident__name", "id"),
                  )).distinct())
    rows = [
        ServingMember(name=m.resident.name, group=g.name, is_leader=g.leader_id == m.resident_id,
                      posts=tuple(p.kind.name for p in m.posts_in_post))  # type: ignore[attr-defined]
        for g in groups for m in g.members_in_post
    ]
    return sorted(rows, key=lambda r: (r.group, not r.is_leader, r.name))


def grid_last_activity(grid: Grid) -> dt.date | None:
    """The day of the latest activity of the group(s) serving ``grid`` today; one query."""
    last: dt.date | None = (GroupActivity.objects
                            .filter(group__grid_links__grid=grid, group__grid_links__ended_on__isnull=True)
                            .aggregate(last=Max("held_on"))["last"])
    return last


# ---- For assessment: party groups as grid units ---------------------------------------------------


def _on(on: dt.date | None) -> Q:
    day = on or timezone.localdate()
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def group_grid_links_on(*, region: Region | None = None, on: dt.date | None = None) -> QuerySet[GroupGrid]:
    """Which group served which grid on ``on`` (today by default), below ``region`` if given: the rows
    an assessment of party groups reads to sum its grids' figures per group."""
    qs = GroupGrid.objects.filter(_on(on)).select_related("group", "group__branch").defer("grid__boundary")
    if region is not None:
        qs = qs.filter(group__branch__village__path__startswith=region.path)
    return qs.order_by("group_id", "grid_id")


def grids_by_group(*, region: Region | None = None, on: dt.date | None = None) -> dict[int, list[int]]:
    """{group id: [grid ids]} served on ``on``; one query."""
    out: dict[int, list[int]] = {}
    for group_id, grid_id in group_grid_links_on(region=region, on=on).values_list("group_id", "grid_id"):
        out.setdefault(group_id, []).append(grid_id)
    return out


def group_of_grid(grid: Grid, on: dt.date | None = None) -> PartyGroup | None:
    """The group serving ``grid`` on ``on``, if any."""
    link = GroupGrid.objects.filter(_on(on), grid=grid).select_related("group").first()
    return link.group if link else None


def group_activity_counts(group_ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """{group id: activities held from ``start`` to ``end``, both inclusive} for every id asked (0 for
    a group that held none); one query."""
    out = dict.fromkeys(group_ids, 0)
    if not group_ids:
        return out
    rows = (GroupActivity.objects.filter(group_id__in=group_ids, held_on__gte=start, held_on__lte=end)
            .values("group_id").annotate(n=Count("id")).values_list("group_id", "n"))
    for group_id, n in rows:
        out[group_id] = n
    return out


# ---- Scoped lists and lookups (pages and the API) ---------------------------------------------------


def branch_list_for_user(user: User, *, region: Region | None = None) -> QuerySet[Branch]:
    qs = Branch.objects.filter(scope_of(user).q(BRANCH_PATH)).select_related("village", "secretary")
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    return qs.order_by("village__code")


def branch_get_for_user(user: User, branch_id: int) -> Branch:
    return get_in_scope_or_404(Branch.objects.select_related("village", "secretary"), scope_of(user).q(BRANCH_PATH),
                               pk=branch_id)


def group_list_for_user(user: User, *, region: Region | None = None) -> QuerySet[PartyGroup]:
    qs = (PartyGroup.objects.filter(scope_of(user).q(GROUP_PATH)).select_related("branch", "branch__village", "leader")
          .prefetch_related(_active_grids()))
    if region is not None:
        qs = qs.filter(branch__village__path__startswith=region.path)
    return qs.order_by("branch__village__code", "name", "id")


def group_get_for_user(user: User, group_id: int) -> PartyGroup:
    return get_in_scope_or_404(PartyGroup.objects.select_related("branch", "branch__village", "leader"),
                               scope_of(user).q(GROUP_PATH), pk=group_id)


def membership_list_for_user(
    user: User, *, region: Region | None = None, group: PartyGroup | None = None, active: bool | None = True,
) -> QuerySet[Membership]:
    """Memberships the user sees; in post only by default, ended only with ``active=False``."""
    qs = (Membership.objects.filter(scope_of(user).q(MEMBERSHIP_PATH))
          .select_related("resident", "group", "group__branch__village", "ended_by").prefetch_related(_active_posts()))
    if region is not None:
        qs = qs.filter(group__branch__village__path__startswith=region.path)
    if group is not None:
        qs = qs.filter(group=group)
    if active is not None:
        qs = qs.filter(left_on__isnull=active)
    return qs.order_by("group_id", "resident__name", "id")


def membership_get_for_user(user: User, membership_id: int) -> Membership:
    return get_in_scope_or_404(Membership.objects.select_related("resident", "group", "group__branch__village"),
                               scope_of(user).q(MEMBERSHIP_PATH), pk=membership_id)


def duty_post_list_for_user(
    user: User, *, region: Region | None = None, active: bool | None = True,
) -> QuerySet[DutyPost]:
    qs = (DutyPost.objects.filter(scope_of(user).q(POST_PATH))
          .select_related("kind", "membership__resident", "membership__group"))
    if region is not None:
        qs = qs.filter(membership__group__branch__village__path__startswith=region.path)
    if active is not None:
        qs = qs.filter(ended_on__isnull=active)
    return qs.order_by("membership__group_id", "membership__resident__name", "kind__sort", "id")


def duty_post_get_for_user(user: User, post_id: int) -> DutyPost:
    return get_in_scope_or_404(
        DutyPost.objects.select_related("kind", "membership__resident", "membership__group__branch__village"),
        scope_of(user).q(POST_PATH), pk=post_id)


def group_grid_get_for_user(user: User, link_id: int) -> GroupGrid:
    return get_in_scope_or_404(GroupGrid.objects.select_related("grid", "group__branch__village"),
                               scope_of(user).q("group__branch__village__path"), pk=link_id)


def group_activity_list_for_user(
    user: User, *, group: PartyGroup | None = None, region: Region | None = None, start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[GroupActivity]:
    """Activities of the groups the user sees, latest first; ``start``/``end`` bound the day held."""
    qs = (GroupActivity.objects.filter(scope_of(user).q(ACTIVITY_PATH))
          .select_related("group", "group__branch__village", "recorded_by").defer("group__branch__village__boundary"))
    if group is not None:
        qs = qs.filter(group=group)
    if region is not None:
        qs = qs.filter(group__branch__village__path__startswith=region.path)
    if start is not None:
        qs = qs.filter(held_on__gte=start)
    if end is not None:
        qs = qs.filter(held_on__lte=end)
    return qs.order_by("-held_on", "-id")
