"""The computation of a period, in memory: every unit of the county (its villages for the scorecard,
its grids for the grid assessment), every item through its source, each lost point with what caused
it; then the ranking and its consequences. ``services.period_run`` stores what this returns;
``period_verify`` compares it with what was stored.

Sources are a registry (``SOURCES``): a source kind names a function that answers, for one item and
the period's units, the causes of lost points (unit, points, reason, source id, day, how not to lose
them). Units are keyed by village id or by grid id (``Units.grid`` says which). The monthly
inspection is read through ``inspections.selectors.finding_list_for_period``; while that is not there
the item is skipped and the run says "来源未就绪". Other apps add sources with ``register_source``.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from xiangzhi.assessment.models import Item, ManualScore, Period, PeriodState, SchemeKind, Score, SourceKind
from xiangzhi.cases.models import Case, Status
from xiangzhi.regions.models import Grid, Region, RegionLevel

try:
    from xiangzhi.inspections import selectors as inspection_selectors
except ImportError:  # pragma: no cover - the inspections app not installed
    inspection_selectors = None  # type: ignore[assignment]

NOT_READY = "来源未就绪"
# 五星: the lowest totals for five, four, three and two stars when a scheme sets none.
DEFAULT_STAR_FLOORS = (95, 90, 80, 70)
# Cases that were refused or merged into another are no cause: the duplicate's original counts once.
NOT_COUNTED = (Status.REJECTED, Status.MERGED)


@dataclass(frozen=True)
class Cause:
    unit_id: int  # a village id, or a grid id when the units are grids
    points: int
    reason: str
    source_id: int | None
    day: dt.date | None
    hint: str = ""  # what would have kept the points


@dataclass
class Lost:
    item: Item
    points: int
    reason: str
    source: str
    source_id: int | None
    day: dt.date | None
    hint: str = ""


@dataclass
class UnitResult:
    village: Region
    grid: Grid | None = None
    total: int = 0
    lost: int = 0
    rank: int = 0
    town_rank: int | None = None
    stars: int = 0
    funded_yuan: int = 0
    warned: bool = False
    flagged: bool = False
    lost_points: list[Lost] = field(default_factory=list)
    by_group: dict[str, int] = field(default_factory=dict)

    @property
    def unit(self) -> Region | Grid:
        return self.grid or self.village

    @property
    def code(self) -> str:
        return self.unit.code


VillageResult = UnitResult


class Units(dict[int, Any]):
    """The period's units by id: villages (``grid`` False) or grids (``grid`` True, each with its
    ``region`` loaded)."""

    grid = False

    def __init__(self) -> None:
        super().__init__()
        self.micro: dict[int, int] = {}  # a micro-grid's id → the assessed grid that holds it

    def village_of(self, unit_id: int) -> Region:
        unit = self[unit_id]
        village: Region = unit.region if self.grid else unit
        return village

    def unit_for_grid(self, grid_id: int | None) -> int | None:
        """The assessed grid a row of this grid belongs to: the grid itself, or the grid above a
        micro-grid; None outside the period's grids."""
        if grid_id in self:
            return grid_id
        return self.micro.get(grid_id)  # type: ignore[arg-type]


@dataclass
class Computation:
    results: list[UnitResult]
    skipped: list[str]


class SourceNotReady(Exception):
    pass


Source = Callable[[Item, Period, Units], list[Cause]]


def _day_range(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def county_of_period(period: Period) -> Region:
    return period.version.scheme.county


def village_list(county: Region) -> list[Region]:
    return list(Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=county.path).order_by("code"))


def grid_list(county: Region) -> list[Grid]:
    """The grids assessed: the county's active grids of the third level (a grid worker's grid; micro-grids
    are counted in their parent's figures through the cases, visits and households they hold)."""
    return list(Grid.objects.filter(is_active=True, level=3, region__path__startswith=county.path)
                .select_related("region__parent").order_by("code"))


def units_of(period: Period) -> Units:
    scheme = period.version.scheme
    units = Units()
    if scheme.kind == SchemeKind.GRID:
        units.grid = True
        units.update((g.pk, g) for g in grid_list(scheme.county))
        below = Grid.objects.filter(level__gt=3, region__path__startswith=scheme.county.path).values_list(
            "pk", "parent_id", "parent__parent_id")
        for pk, parent, grandparent in below:
            owner = parent if parent in units else grandparent if grandparent in units else None
            if owner is not None:
                units.micro[pk] = owner
    else:
        units.update((v.pk, v) for v in village_list(scheme.county))
    return units


def _cases(item: Item, period: Period, units: Units) -> list[Cause]:
    start, end = _day_range(period)
    county = county_of_period(period)
    rows = (
        Case.objects.filter(scope_path__startswith=county.path, category__code__in=item.category_codes,
                            created_at__gte=start, created_at__lt=end, duplicate_of__isnull=True)
        .exclude(status__in=NOT_COUNTED)
        .order_by("created_at", "id")
        .values_list("id", "grid_id" if units.grid else "region_id", "created_at", "number", "category__name")
    )
    out = []
    for case_id, key, created_at, number, name in rows:
        unit_id = units.unit_for_grid(key) if units.grid else key
        if unit_id is not None and unit_id in units:
            out.append(Cause(unit_id, item.points_per_case, f"{name} {number}", case_id,
                             timezone.localdate(created_at)))
    return out


def _get(row: Any, *names: str) -> Any:
    for name in names:
        value = row.get(name) if isinstance(row, dict) else getattr(row, name, None)
        if value is not None:
            return value
    return None


def _inspection(item: Item, period: Period, villages: Units) -> list[Cause]:
    find = getattr(inspection_selectors, "finding_list_for_period", None)
    if find is None or villages.grid:  # the monthly inspection is a village's
        raise SourceNotReady
    # Overdue as of the period's last day at the latest, so a closed period recomputes the same.
    rows = find(list(villages), period.start, period.end, list(item.finding_codes),
                today=min(timezone.localdate(), period.end))
    out = []
    for row in rows:
        village_id = _get(row, "village_id", "village")
        village_id = getattr(village_id, "pk", village_id)
        if village_id not in villages:
            continue
        points = int(_get(row, "cost", "points") or 0)  # cost: the points plus any overdue surcharge
        text = str(_get(row, "text", "summary", "note") or "排查发现问题")
        if _get(row, "overdue", "is_overdue"):
            text += "（整改超期）"
        out.append(Cause(village_id, points, text[:200], _get(row, "id", "finding_id"),
                         _get(row, "found_on", "day")))
    out.sort(key=lambda c: (c.day or dt.date.min, c.source_id or 0))
    return out


def _manual(item: Item, period: Period, units: Units) -> list[Cause]:
    rows = ManualScore.objects.filter(period=period, item=item).order_by("day", "id")
    out = []
    for r in rows:
        unit_id = r.grid_id if units.grid else r.village_id
        if unit_id is not None and unit_id in units:
            out.append(Cause(unit_id, r.points, r.reason + (f"（依据：{r.evidence}）" if r.evidence else ""), r.pk,
                             r.day))
    return out


SOURCES: dict[str, Source] = {
    SourceKind.CASES: _cases,
    SourceKind.INSPECTION: _inspection,
    SourceKind.MANUAL: _manual,
}


def register_source(kind: str, source: Source) -> None:
    """Add (or replace) the function behind a source kind."""
    SOURCES[kind] = source


def source_ready(kind: str) -> bool:
    if kind not in SOURCES:
        return False
    return kind != SourceKind.INSPECTION or getattr(inspection_selectors, "finding_list_for_period", None) is not None


def stars_for(total: float, floors: list[int]) -> int:
    """五星: five stars at or above the first floor, four at the second, … one below the last. With no
    floors set, 95/90/80/70."""
    floors = list(floors or DEFAULT_STAR_FLOORS)[:4]
    return next((5 - n for n, floor in enumerate(floors) if total >= floor), 5 - len(floors))


def group_order(items: Iterable[Item]) -> list[str]:
    """The groups from the heaviest (sum of its items' weights) down; equal weights in the scheme's order."""
    weight: dict[str, int] = defaultdict(int)
    first: dict[str, int] = {}
    for n, item in enumerate(items):
        weight[item.group] += item.weight
        first.setdefault(item.group, n)
    return sorted(weight, key=lambda g: (-weight[g], first[g]))


def rank(results: list[UnitResult], groups: list[str]) -> None:
    """Higher total first. Ties: fewer points lost in the heaviest group, then in the next heaviest and
    so on; then the unit's code (the village's division code, the grid's code; the smaller first). Ranks
    are 1…n with no shared places, so every cut is exact."""
    results.sort(key=lambda r: (-r.total, *(r.by_group.get(g, 0) for g in groups), r.code))
    for n, r in enumerate(results, 1):
        r.rank = n


def township_code(village: Region, county: Region) -> str:
    """The code of the township (乡镇/街道) a village of the county lies in: the first code of its path
    below the county's, whether a 管区 stands between them or not."""
    return village.path[len(county.path):].split("/", 1)[0]


def rank_in_towns(results: list[UnitResult], county: Region | None = None) -> None:
    """The township ranking: the same order as the county's (``rank`` first), numbered within each
    township (found from the village's path under ``county``; without it, the village's parent)."""
    seen: dict[object, int] = defaultdict(int)
    for r in sorted(results, key=lambda r: r.rank):
        town = township_code(r.village, county) if county is not None else r.village.parent_id
        seen[town] += 1
        r.town_rank = seen[town]


def fund(results: list[UnitResult], *, funded_count: int, pool_yuan: int) -> None:
    """The published formula: the top ``funded_count`` villages (by rank) share the pool. Half the pool is
    split equally; the other half in proportion to (score − the last funded village's score + 1). Every
    amount is rounded down to the yuan, so the sum never exceeds the pool (the few yuan left stay in it)."""
    funded = [r for r in results if r.rank <= funded_count]
    if not funded or pool_yuan <= 0:
        return
    base = (pool_yuan // 2) // len(funded)
    share_pool = pool_yuan - base * len(funded)
    cut = min(r.total for r in funded)
    weights = [r.total - cut + 1 for r in funded]
    whole = sum(weights)
    for r, w in zip(funded, weights, strict=True):
        r.funded_yuan = base + share_pool * w // whole


def warn_and_flag(results: list[UnitResult], *, funded_count: int, warned_count: int,
                  warned_before: set[int]) -> None:
    """The bottom ``warned_count`` below the funded are warned (通报诫勉); warned in the previous period
    as well → flagged for sanction (组织处理)."""
    n = len(results)
    warned = min(warned_count, max(0, n - funded_count))
    for r in results:
        r.warned = r.rank > n - warned
        r.flagged = r.warned and r.village.pk in warned_before


def previous_period(period: Period) -> Period | None:
    return (
        Period.objects.filter(version__scheme_id=period.version.scheme_id, end__lt=period.start,
                              state__in=[PeriodState.PUBLISHED, PeriodState.CLOSED])
        .order_by("-end").first()
    )


def warned_in(period: Period | None) -> set[int]:
    if period is None or period.current_run_id is None:
        return set()
    return set(Score.objects.filter(run_id=period.current_run_id, warned=True).values_list("village_id", flat=True))


def compute(period: Period) -> Computation:
    scheme = period.version.scheme
    items = list(period.version.items.all())
    units = units_of(period)
    results = {pk: UnitResult(village=units.village_of(pk), grid=unit if units.grid else None)
               for pk, unit in units.items()}
    lost: dict[tuple[int, int], int] = defaultdict(int)
    skipped = []
    for item in items:
        source = SOURCES.get(item.source)
        try:
            if source is None:
                raise SourceNotReady
            causes = source(item, period, units)
        except SourceNotReady:
            skipped.append(f"{item.name}：{NOT_READY}")
            continue
        for cause in causes:
            taken = lost[cause.unit_id, item.pk]
            points = max(0, min(cause.points, item.weight - taken))
            lost[cause.unit_id, item.pk] = taken + points
            reason = cause.reason if points or not cause.points else f"{cause.reason}（本项已扣满）"
            results[cause.unit_id].lost_points.append(
                Lost(item, points, reason[:200], item.source, cause.source_id, cause.day, cause.hint[:200]))
    group_of = {i.pk: i.group for i in items}
    for (unit_id, item_id), points in lost.items():
        r = results[unit_id]
        group = group_of[item_id]
        r.by_group[group] = r.by_group.get(group, 0) + points
        r.lost += points
    out = list(results.values())
    for r in out:
        r.total = scheme.total - r.lost
    rank(out, group_order(items))
    if units.grid:
        rank_in_towns(out, scheme.county)
        for r in out:
            r.stars = stars_for(r.total, scheme.star_floors)
    else:
        fund(out, funded_count=period.funded_count, pool_yuan=period.pool_yuan)
        warn_and_flag(out, funded_count=period.funded_count, warned_count=period.warned_count,
                      warned_before=warned_in(previous_period(period)))
    return Computation(out, skipped)
