"""一键可知 (C10, seed 004 "五个一"): the area profile of a node — population, households, key people by
category, grids and grid workers, 一格一人 — each beside its value at the end of last month, and the same
columns for every child node. Counted from the registers on every request, never stored.

The change since the end of last month comes from the registers' own dates:

    人口        now − then = the month's confirmed 出生, 婚入, 迁入 − 死亡, 婚出, 迁出, + the people registered
                with a household created this month (people.selectors.resident_counts_by_grid)
    户数        then = registered (created) before the 1st and not closed before it
    重点人员    then = registered on or before the last day of last month and not ended by then, in the
                category it had then
    网格员      then = chiefs and workers whose assignment had started and not ended on that day
    覆盖率      then = grids with a chief or worker in post on that day ÷ today's grids
    网格        no change: a grid records no date of its creation or retirement

What stays as it is now: the grid a household belongs to (a household moved between grids of its
village counts in its present grid then too) and the household a key person lives in.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from xiangzhi.accounts.models import GRID_ROLES, User
from xiangzhi.accounts.rules import can_manage_grids, can_read_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.centre.figures import home_node
from xiangzhi.centre.kept import Kept, keeps, kept
from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.people.models import KeyCategory
from xiangzhi.people.selectors import household_counts_by_grid, key_person_counts_by_grid, resident_counts_by_grid
from xiangzhi.regions.models import Grid, Region
from xiangzhi.regions.selectors import worker_posts

FORMULAS = {
    "residents": ("人口", "在册居民（未死亡、未迁出本县）人数；较上月末 = 本月村里确认的出生、婚入、迁入"
                         " − 死亡、婚出、迁出（本县内迁动在迁出、迁入两地各记一次），"
                         "加上本月新建户（表格导入、新增户）登记的人"),
    "households": ("户数", "未注销的户；上月末户数 = 本月1日前登记、且未在本月1日前注销的户"),
    "key_people": ("重点人员", "在册的重点人员登记（一人属几类计几次）；"
                             "上月末 = 登记日期不晚于上月末、且到上月末尚未解除的，按其当时的类别"),
    "grids": ("网格", "启用的网格（不含微网格，微网格与所在网格共用人员）；网格没有记录设立和停用日期，不计变化"),
    "workers": ("网格员", "在岗的网格长、专职和兼职网格员（不含网格指导员），一人在几个网格只计一次；"
                          "上月末 = 起始日期不晚于上月末、到上月末尚未结束的"),
    "coverage": ("一格一人覆盖率", "有至少一名在岗网格长或网格员的网格 ÷ 网格（同“一格一人预警”的规则）；"
                                 "上月末按现有网格、当时在岗的人员计算"),
    "single": ("一格恰一人", "恰有一名在岗网格长或网格员的网格 ÷ 网格"),
}
NOTE = ("网格没有记录设立和停用日期，“网格”一项不计较上月末的变化，上月末的覆盖率按现有网格计算。"
        "户和重点人员按现在所在的网格归属：本月在本村网格之间调整过的户，上月末也计在现在的网格。")


@dataclass
class Figure:
    """A count now and at the end of last month (``then`` None where the register keeps no date)."""

    now: int = 0
    then: int | None = 0

    @property
    def change(self) -> int | None:
        return None if self.then is None else self.now - self.then

    def add(self, now: int, then: int | None) -> None:
        self.now += now
        if self.then is not None and then is not None:
            self.then += then


def _rate(part: int | None, whole: int) -> float | None:
    return round(part / whole, 4) if whole and part is not None else None


@dataclass
class Row:
    """One node's profile: the node itself (``key`` "") or one of its children."""

    key: str
    name: str
    kind: str  # "region" or "grid": which page lists its people and grids
    residents: Figure = field(default_factory=Figure)
    households: Figure = field(default_factory=Figure)
    key_people: Figure = field(default_factory=Figure)
    by_category: dict[int, Figure] = field(default_factory=dict)
    grids: Figure = field(default_factory=lambda: Figure(then=None))
    workers: Figure = field(default_factory=Figure)
    covered: Figure = field(default_factory=Figure)  # grids with at least one chief or worker
    single: Figure = field(default_factory=Figure)  # grids with exactly one
    workers_now: set[int] = field(default_factory=set, repr=False)
    workers_then: set[int] = field(default_factory=set, repr=False)

    @property
    def coverage(self) -> float | None:
        return _rate(self.covered.now, self.grids.now)

    @property
    def coverage_then(self) -> float | None:
        return _rate(self.covered.then, self.grids.now)

    @property
    def single_rate(self) -> float | None:
        return _rate(self.single.now, self.grids.now)

    @property
    def single_rate_then(self) -> float | None:
        return _rate(self.single.then, self.grids.now)

    @property
    def is_empty(self) -> bool:
        return not (self.residents.now or self.households.now or self.key_people.now or self.grids.now
                    or self.residents.change or self.households.change)


@dataclass
class Know:
    node: Region | Grid | None
    node_name: str
    child_label: str
    today: dt.date
    as_of: dt.date  # the end of last month: the day the changes are measured from
    total: Row
    children: list[Row]
    categories: list[tuple[int, str, str]]  # (id, code, name) of the categories shown
    home: Region | Grid | None = None  # the user's own node (None for grid staff: their grids)
    manages_grids: bool = False


def _month_start(today: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))


@dataclass
class _Tree:
    grid_ids: QuerySet[Grid, Any]  # the ids of the node's grids, as a subquery
    label: str
    child_of: dict[int, str]  # grid id → child key ("" for the node itself)
    names: dict[str, tuple[str, str]]  # child key → (name, kind)
    staffing: dict[int, str]  # the grids 一格一人 counts (active, basic) → child key


def _tree(user: User, node: Region | Grid | None) -> _Tree:
    """The node's grids and the child each one rolls up into: the child regions of a region above a
    village, the grids of a village (micro-grids in their grid), the micro-grids of a grid; for grid
    staff without a node, the grids they work."""
    if node is not None:
        grids = Grid.objects.filter(path__startswith=node.path)
    else:
        grids = Grid.objects.filter(scope_of(user).q("path"))
    rows: list[tuple[int, str, int | None, str, str, bool]] = list(
        grids.values_list("id", "path", "parent_id", "code", "name", "is_active"))
    if isinstance(node, Region) and node.level != "village":
        children = list(Region.objects.filter(parent=node).order_by("code").values_list("path", "code", "name",
                                                                                       "level"))
        label = {"township": "乡镇（街道）", "area": "管区", "village": "村（社区）"}.get(
            children[0][3] if children else "village", "下级区域")
        tops = [(path, code, name, "region") for path, code, name, _ in children]
    elif isinstance(node, Region):
        label = "网格"
        tops = [(path, code, name, "grid") for _, path, parent, code, name, _ in rows if parent is None]
    elif isinstance(node, Grid):
        label = "微网格"
        tops = [(path, code, name, "grid") for _, path, parent, code, name, _ in rows if parent == node.pk]
    else:
        label = "网格"
        paths = set(scope_of(user).paths)
        tops = [(path, code, name, "grid") for _, path, _, code, name, _ in rows if path in paths]
    tops.sort(key=lambda t: t[1])

    def key(path: str) -> str:
        return next((code for top, code, _, _ in tops if path.startswith(top)), "")

    child_of = {pk: key(path) for pk, path, *_ in rows}
    staffing = {pk: child_of[pk] for pk, _, parent, _, _, active in rows if active and parent is None}
    return _Tree(grids.values("id"), label, child_of, {code: (name, kind) for _, code, name, kind in tops}, staffing)


def know_for_user(user: User, *, region: Region | None = None, grid: Grid | None = None,
                  today: dt.date | None = None) -> Know:
    """The profile of ``grid`` or ``region`` (404 outside the user's scope), else of the user's own node
    (their grids, for grid staff), with a row per child. For staff who read the register; others get
    Forbidden. A few grouped queries whatever the county's size: households, residents (three), key
    people (two), worker assignments, the grids and the children."""
    require(can_read_register(user), "无权查看概况")
    node: Region | Grid | None = grid or region
    if node is not None and not scope_of(user).covers_path(node.path):
        raise NotFound
    home = None if user.role in GRID_ROLES else home_node(user)
    if node is None and user.role not in GRID_ROLES:
        if home is None:
            raise NotFound
        node = home
    today = today or timezone.localdate()
    since = _month_start(today)
    as_of = today.replace(day=1) - dt.timedelta(days=1)
    tree = _tree(user, node)

    rows = {code: Row(key=code, name=name, kind=kind) for code, (name, kind) in tree.names.items()}

    def row(grid_id: int) -> Row:
        code = tree.child_of.get(grid_id, "")
        if code not in rows:
            rows[code] = Row(key="", name="本级（未落入下级）", kind="")
        return rows[code]

    for grid_id, (now, then) in household_counts_by_grid(tree.grid_ids, since).items():
        row(grid_id).households.add(now, then)
    for grid_id, (now, change) in resident_counts_by_grid(tree.grid_ids, since).items():
        row(grid_id).residents.add(now, now - change)
    used: set[int] = set()
    for (grid_id, category_id), (now, then) in key_person_counts_by_grid(tree.grid_ids, as_of).items():
        r = row(grid_id)
        r.key_people.add(now, then)
        r.by_category.setdefault(category_id, Figure()).add(now, then)
        used.add(category_id)
    for grid_id in tree.staffing:
        row(grid_id).grids.add(1, None)
    staff: dict[int, tuple[set[int], set[int]]] = {}
    for post in worker_posts(tree.grid_ids, as_of):
        r = row(post.grid_id)
        if post.now:
            r.workers_now.add(post.user_id)
        if post.then:
            r.workers_then.add(post.user_id)
        if post.grid_id in tree.staffing:
            now_set, then_set = staff.setdefault(post.grid_id, (set(), set()))
            if post.now:
                now_set.add(post.user_id)
            if post.then:
                then_set.add(post.user_id)
    for grid_id, (now_set, then_set) in staff.items():
        r = row(grid_id)
        r.covered.add(int(bool(now_set)), int(bool(then_set)))
        r.single.add(int(len(now_set) == 1), int(len(then_set) == 1))

    total = Row(key="", name=node.name if node is not None else "我的网格",
                kind="region" if isinstance(node, Region) else "grid" if isinstance(node, Grid) else "")
    everyone_now: set[int] = set()
    everyone_then: set[int] = set()
    for r in rows.values():
        r.workers = Figure(len(r.workers_now), len(r.workers_then))
        everyone_now |= r.workers_now
        everyone_then |= r.workers_then
        for name in ("residents", "households", "key_people", "grids", "covered", "single"):
            getattr(total, name).add(getattr(r, name).now, getattr(r, name).then)
        for category_id, figure in r.by_category.items():
            total.by_category.setdefault(category_id, Figure()).add(figure.now, figure.then)
    total.workers = Figure(len(everyone_now), len(everyone_then))
    categories = [(pk, code, name) for pk, code, name, active in
                  KeyCategory.objects.order_by("code").values_list("id", "code", "name", "is_active")
                  if active or pk in used]
    children = sorted((r for r in rows.values() if r.key or not r.is_empty), key=lambda r: (r.key == "", r.key))
    return Know(node=node, node_name=total.name, child_label=tree.label, today=today, as_of=as_of, total=total,
                children=children, categories=categories, home=home, manages_grids=can_manage_grids(user))


# --- the lists behind the counts ----------------------------------------------------------------


def people_url(kind: str, code: str) -> str:
    """Where a node's households and people are listed: a region's page (its counts, its villages or
    grids), a grid's page (its households)."""
    if kind == "region":
        return reverse("front:region", args=[code])
    if kind == "grid":
        return reverse("front:grid", args=[code])
    return ""




@keeps("know")
def _know_count(user: User, *, region: Region | None, grid: Grid | None) -> Know:
    return know_for_user(user, region=region, grid=grid)


def know_kept(user: User, *, region: Region | None = None, grid: Grid | None = None) -> Kept[Know]:
    """``know_for_user``, kept a minute where it is slow to count (``centre.kept``): a county's profile
    reads every resident of the county."""
    return kept("know", user, region=region, grid=grid)
