"""党组织 for the demo county: every village gets a branch with a secretary, 2–4 party groups (as many
as its grids allow, at most four) each serving a run of the village's grids, every living party member
of the village in the group serving his home grid — members living away (在外党员) too, with where they
are — and a post (设岗定责) for about two in five members at home.

Then two years of each group's activities (党小组活动) up to the build day: most groups hold two to four
a quarter — 主题党日, study, voluntary service, household visits, group meetings — a few (about one in
eight) hardly any; each attended by most of the group's members and recorded by the village cadre a day
or two later.

Written in bulk (a handful of queries per table, whatever the scale) from its own generators
(``seed:party``), with fixed dates, so one seed gives the same organisation on any day, and the same
activities for a build day.
"""

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.party.models import (
    Branch,
    DutyPost,
    DutyPostKind,
    GroupActivity,
    GroupActivityKind,
    GroupGrid,
    Membership,
    PartyGroup,
)
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


K = GroupActivityKind
# kind, how often it is held (a weight), its themes
ACTIVITIES = [
    (K.THEME_DAY, 4, ("主题党日：重温入党誓词", "主题党日：清理村道环境卫生", "主题党日：走访慰问老党员",
                      "主题党日：植树护绿", "主题党日：整治房前屋后")),
    (K.STUDY, 3, ("学习《中国共产党章程》", "学习农村基层组织工作条例", "学习乡村振兴政策", "学习积分制管理办法",
                  "学习《中华人民共和国民法典》婚姻家庭编")),
    (K.SERVICE, 2, ("志愿服务：帮助留守老人秋收", "志愿服务：义务清理河道", "志愿服务：协助防汛巡查",
                    "志愿服务：为老人义务理发", "志愿服务：清扫积雪")),
    (K.VISITS, 2, ("入户走访独居老人", "走访外出务工人员家庭", "入户宣讲医保缴费政策", "走访困难群众",
                   "入户宣传防范电信诈骗")),
    (K.MEETING, 2, ("党小组会：讨论村级项目计划", "党小组会：民主评议党员", "党小组会：排查网格矛盾纠纷",
                    "党小组会：征求群众意见建议")),
]
ACTIVITY_NOTES = ("", "", "会后分头入户落实", "群众反映良好", "整理照片存档", "收集意见建议 3 条")
ACTIVITY_YEARS = 2
QUIET_SHARE = 0.12  # groups that hold hardly any


@dataclass
class PartyReport:
    branches: int = 0
    groups: int = 0
    members: int = 0
    away: int = 0
    posts: int = 0
    activities: int = 0


def write_party(insert: Callable, *, seed: int, today: dt.date | None = None) -> PartyReport:
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

    size = Counter(m.group_id for m in memberships)
    village_of = {g.pk: village_id for g, (village_id, _) in zip(groups, plans, strict=True)}
    code = {v.pk: v.code for v in villages}
    report.activities = len(insert(GroupActivity, _activities(groups, size, village_of, code, seed,
                                                              today or timezone.localdate())))
    return report


def _quarters(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Calendar quarters overlapping ``start``–``end``, each cut to that span."""
    out = []
    first = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
    while first <= end:
        month = first.month + 3
        nxt = dt.date(first.year + 1, month - 12, 1) if month > 12 else dt.date(first.year, month, 1)
        out.append((max(first, start), min(nxt - dt.timedelta(days=1), end)))
        first = nxt
    return out


def _activities(groups: list[PartyGroup], size: Counter, village_of: dict[int, int], code: dict[int, str],
                seed: int, today: dt.date) -> list[GroupActivity]:
    """Two years of activities, up to ``today``, for every group with members: each group draws from its
    own generator (``seed:party:activities:<village code>:<group>``)."""
    cadres: dict[int, int] = {}
    for region_id, user_id in (User.objects.filter(role=Role.VILLAGE_CADRE, is_active=True, region__isnull=False)
                               .order_by("id").values_list("region_id", "id")):
        cadres.setdefault(region_id, user_id)
    quarters = _quarters(today - dt.timedelta(days=365 * ACTIVITY_YEARS - 1), today)
    kinds = [k for k, _, _ in ACTIVITIES]
    weights = [w for _, w, _ in ACTIVITIES]
    themes = {k: t for k, _, t in ACTIVITIES}
    tz, now = timezone.get_current_timezone(), timezone.now()
    rows = []
    for g in groups:
        members = size.get(g.pk, 0)
        if not members:
            continue
        village_id = village_of[g.pk]
        rng = random.Random(f"{seed}:party:activities:{code[village_id]}:{g.name}")
        quiet = rng.random() < QUIET_SHARE
        for lo, hi in quarters:
            span = (hi - lo).days + 1
            count = rng.choice((0, 0, 1)) if quiet else rng.randint(2, 4)
            if span < 90:  # the first and the current quarter, cut short: as many as their share
                count = int(count * span / 91 + rng.random())
            for offset in sorted(rng.sample(range(span), k=min(count, span))):
                held = lo + dt.timedelta(days=offset)
                kind = rng.choices(kinds, weights)[0]
                recorded = dt.datetime.combine(min(held + dt.timedelta(days=rng.randint(0, 2)), today),
                                               dt.time(20, rng.randint(0, 59)), tzinfo=tz)
                rows.append(GroupActivity(
                    group_id=g.pk, held_on=held, kind=kind, title=rng.choice(themes[kind]),
                    attendees=rng.randint(max(1, members * 6 // 10), members), note=rng.choice(ACTIVITY_NOTES),
                    recorded_by_id=cadres.get(village_id), recorded_at=min(recorded, now)))
    return rows
