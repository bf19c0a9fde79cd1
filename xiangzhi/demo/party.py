"""党组织 for the demo county: every village gets a branch with a secretary, 2–4 party groups (as many
as its grids allow, at most four) each serving a run of the village's grids, every living party member
of the village in the group serving his home grid — members living away (在外党员) too, with where they
are — and a post (设岗定责) for about two in five members at home.

Written in bulk (a handful of queries per table, whatever the scale) from its own generator
(``seed:party``), with fixed dates, so one seed gives the same organisation on any day.
"""

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from xiangzhi.party.models import Branch, DutyPost, DutyPostKind, GroupGrid, Membership, PartyGroup
from xiangzhi.people.models import Resident, Tag, counted
from xiangzhi.regions.models import Grid, Region, RegionLevel

GROUP_NAMES = ("第一党小组", "第二党小组", "第三党小组", "第四党小组")
SINCE = dt.date(2024, 3, 1)  # the groups took their grids at the last branch election
DUTIES = {
    "policy": ("每月入户宣讲惠民政策", "宣传医保、养老保险缴费政策", "讲解积分制管理办法"),
    "sanitation": ("监督房前屋后环境卫生", "督促垃圾分类投放", "巡查村道和沟渠保洁"),
    "mediation": ("调解邻里和家庭矛盾", "排查化解土地纠纷", "协助网格员化解矛盾"),
    "contact": ("联系走访独居老人", "收集群众意见建议", "帮助留守儿童家庭"),
    "safety": ("巡查防火防汛隐患", "宣传防范电信诈骗", "协助开展平安巡逻"),
}
AWAY_PLACES = ("广东省深圳市", "广东省东莞市", "浙江省宁波市", "江苏省苏州市", "上海市", "北京市", "山东省青岛市",
               "天津市", "山东省济南市", "福建省厦门市")


@dataclass
class PartyReport:
    branches: int = 0
    groups: int = 0
    members: int = 0
    away: int = 0
    posts: int = 0


def write_party(insert: Callable, *, seed: int) -> PartyReport:
    """``insert(model, rows)`` is the builder's counted ``bulk_create`` (it returns the rows with ids)."""
    report = PartyReport()
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code").only("id", "code", "name"))
    top_grids: dict[int, list[int]] = defaultdict(list)  # village → its grids under no other grid
    home_grid: dict[int, int] = {}  # any grid → the top grid it lies in
    for pk, region_id, parent_id in (Grid.objects.filter(region__level=RegionLevel.VILLAGE, is_active=True)
                                     .order_by("code").values_list("id", "region_id", "parent_id")):
        if parent_id is None:
            top_grids[region_id].append(pk)
        home_grid[pk] = parent_id or pk
    members: dict[int, list[tuple[int, int, bool, str, int]]] = defaultdict(list)
    for pk, region_id, grid_id, is_away, away_place, year in (
        Resident.objects.filter(counted(), tags__contains=Tag.PARTY_MEMBER, household__grid__region__level="village")
        .order_by("household__grid__region_id", "id")
        .values_list("id", "household__grid__region_id", "household__grid_id", "is_away", "away_place",
                     "birth_date__year")
    ):
        members[region_id].append((pk, home_grid.get(grid_id, grid_id), is_away, away_place, year))
    kinds = list(DutyPostKind.objects.filter(is_active=True).order_by("sort", "code"))

    # Branches, with a secretary of working age at home.
    rngs = {v.pk: random.Random(f"{seed}:party:{v.code}") for v in villages}
    branches = []
    for v in villages:
        rng = rngs[v.pk]
        home = [m for m in members[v.pk] if not m[2] and SINCE.year - 65 <= m[4] <= SINCE.year - 30]
        branches.append(Branch(village_id=v.pk, name=f"{v.name}党支部",
                               secretary_id=rng.choice(home)[0] if home else None,
                               founded_on=dt.date(rng.randint(1950, 1990), rng.randint(1, 12), 1)))
    branches = insert(Branch, branches)
    report.branches = len(branches)

    # Groups over contiguous runs of the village's grids (grids are numbered through the village); a
    # village of one grid has two groups, the second serving it, and their members alternate.
    groups, plans = [], []
    for v, branch in zip(villages, branches, strict=True):
        grids = top_grids[v.pk]
        count = min(len(GROUP_NAMES), max(2, len(grids)))
        for i, name in enumerate(GROUP_NAMES[:count]):
            groups.append(PartyGroup(branch_id=branch.pk, name=name))
            plans.append((v.pk, grids[i * len(grids) // count:(i + 1) * len(grids) // count]))
    groups = insert(PartyGroup, groups)
    report.groups = len(groups)
    insert(GroupGrid, [GroupGrid(group_id=g.pk, grid_id=grid, started_on=SINCE)
                       for g, (_, run) in zip(groups, plans, strict=True) for grid in run])

    # Members in the group serving their home grid, away members included; leaders from those at home.
    group_of_grid = {grid: g.pk for g, (_, run) in zip(groups, plans, strict=True) for grid in run}
    own: dict[int, list[int]] = defaultdict(list)
    shared: set[int] = set()  # villages with a group of no grid
    for g, (village_id, run) in zip(groups, plans, strict=True):
        own[village_id].append(g.pk)
        if not run:
            shared.add(village_id)
    memberships, leaders, away_places, away_ids = [], {}, defaultdict(list), set()
    for v in villages:
        rng = rngs[v.pk]
        for i, (pk, grid, is_away, place, _) in enumerate(members[v.pk]):
            group_id = own[v.pk][i % len(own[v.pk])] if v.pk in shared else group_of_grid.get(grid, own[v.pk][0])
            joined = dt.date(rng.randint(2000, 2023), rng.randint(1, 12), 1)
            memberships.append(Membership(resident_id=pk, group_id=group_id, joined_on=min(joined, SINCE)))
            if is_away:
                away_ids.add(pk)
                if not place:
                    away_places[rng.choice(AWAY_PLACES)].append(pk)
            elif group_id not in leaders:
                leaders[group_id] = pk
    memberships = insert(Membership, memberships)
    report.members, report.away = len(memberships), len(away_ids)
    for place, ids in sorted(away_places.items()):
        Resident.objects.filter(pk__in=ids).update(away_place=place)
    for g in groups:
        g.leader_id = leaders.get(g.pk)
    PartyGroup.objects.bulk_update([g for g in groups if g.leader_id], ["leader"], batch_size=500)

    # 设岗定责: about two in five members at home hold a post.
    rng = random.Random(f"{seed}:party:posts")
    posts = []
    for m in memberships:
        if m.resident_id in away_ids or not kinds or rng.random() >= 0.4:
            continue
        kind = rng.choice(kinds)
        posts.append(DutyPost(membership_id=m.pk, kind_id=kind.pk, started_on=SINCE,
                              duties=rng.choice(DUTIES.get(kind.code, ("履行岗位职责",)))))
    insert(DutyPost, posts)
    report.posts = len(posts)
    return report
