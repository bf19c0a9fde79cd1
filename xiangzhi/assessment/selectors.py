"""Scoped reads of schemes, periods and scores. The county admin sees every period of his county;
township and village staff see the county's published and closed rankings and the score pages of the
villages in their scope; the grids' own people (网格长, 网格员, 指导员) see the published grid periods and
their own grids' scores; everything else answers the same 404 as a missing id."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When

from xiangzhi.accounts.models import GRID_ROLES, AnyUser, Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.assessment import engine
from xiangzhi.assessment.models import (
    Appeal,
    AppealState,
    Item,
    LostPoint,
    Period,
    PeriodState,
    Scheme,
    SchemeKind,
    SchemeVersion,
    Score,
    ScoreCorrection,
    VersionState,
)
from xiangzhi.assessment.rules import can_manage, can_view, can_view_any, can_view_grids
from xiangzhi.core.errors import NotFound
from xiangzhi.points.models import PointsRule, PointsRulebook
from xiangzhi.points.selectors import EffectiveRule, rule_list_for_village
from xiangzhi.regions.models import Grid, GridAssignment, GridDuty, Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

PUBLIC_STATES = (PeriodState.PUBLISHED, PeriodState.CLOSED)


def county_for_user(user: AnyUser) -> Region | None:
    """The county a person works in: the one their scope lies in (the first county for a superuser); for
    the grids' people, the county of their grids."""
    if not can_view_any(user):
        return None
    scope = scope_of(user)
    counties = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
    if scope.everything:
        return counties.first()
    return next((c for c in counties if any(p.startswith(c.path) for p in scope.paths)), None)


def scheme_list_for_user(user: AnyUser) -> QuerySet[Scheme]:
    county = county_for_user(user)
    return Scheme.objects.filter(county=county).order_by("kind") if county else Scheme.objects.none()


def scheme_get_for_user(user: AnyUser, scheme_id: int) -> Scheme:
    scheme = scheme_list_for_user(user).filter(pk=scheme_id).first()
    if scheme is None:
        raise NotFound()
    return scheme


def version_get_for_user(user: AnyUser, version_id: int) -> SchemeVersion:
    county = county_for_user(user)
    version = SchemeVersion.objects.select_related("scheme").filter(pk=version_id, scheme__county=county).first()
    if county is None or version is None:
        raise NotFound()
    return version


def version_in_use(scheme: Scheme) -> SchemeVersion | None:
    return scheme.versions.filter(state=VersionState.IN_USE).first()


def item_list(version: SchemeVersion) -> list[Item]:
    return list(version.items.all())


def period_list_for_user(user: AnyUser) -> QuerySet[Period]:
    county = county_for_user(user)
    if county is None:
        return Period.objects.none()
    qs = Period.objects.filter(version__scheme__county=county).select_related("version__scheme")
    if not can_view(user):  # the grids' people: the grid assessment only
        qs = qs.filter(version__scheme__kind=SchemeKind.GRID)
    return qs if can_manage(user) else qs.filter(state__in=PUBLIC_STATES)


def period_get_for_user(user: AnyUser, period_id: int) -> Period:
    period = period_list_for_user(user).select_related("version__scheme__county", "current_run").filter(
        pk=period_id).first()
    if period is None:
        raise NotFound()
    return period


def period_unit_get(period: Period, code: str) -> Region | Grid:
    """A unit of the period's county by its code, for the county's own writes (a manual score, a
    correction): a grid in a grid period, a village in the scorecard; anything else answers 404."""
    county = period.version.scheme.county
    unit: Region | Grid | None
    if period.version.scheme.kind == SchemeKind.GRID:
        unit = Grid.objects.filter(code=code, region__path__startswith=county.path).select_related("region").first()
    else:
        unit = Region.objects.filter(code=code, level=RegionLevel.VILLAGE, path__startswith=county.path).first()
    if unit is None:
        raise NotFound()
    return unit


def covers_village(user: AnyUser, village: Region) -> bool:
    return scope_of(user).covers_path(village.path)


@dataclass(frozen=True)
class Place:
    """Where a village stands: its township (乡镇/街道) and, where one stands between them, its 管区."""

    town: Region | None
    area: Region | None


def village_places(villages: Iterable[Region]) -> dict[int, Place]:
    """Each village's township and 管区 by village id, read from the paths (a village's parent is its
    管区 where the county has them, not its township): one query whatever the number of villages."""
    paths = {v.pk: v.path for v in villages}
    above = {r.path: r for r in Region.objects.filter(
        path__in={a for p in paths.values() for a in ancestor_paths(p)},
        level__in=[RegionLevel.TOWNSHIP, RegionLevel.AREA]).defer("boundary")}
    out = {}
    for pk, path in paths.items():
        found = [above[a] for a in ancestor_paths(path) if a in above]
        out[pk] = Place(next((r for r in reversed(found) if r.level == RegionLevel.TOWNSHIP), None),
                        next((r for r in reversed(found) if r.level == RegionLevel.AREA), None))
    return out


@dataclass
class Row:
    score: Score
    corrected: int | None  # the total with its corrections, when there are any
    mine: bool
    town: Region | None = None  # the township (乡镇/街道) of the row's village
    area: Region | None = None  # its 管区, where one stands between the township and the village


def corrections_by_unit(period: Period) -> dict[int, int]:
    """The sum of each unit's corrections (keyed by grid id in a grid period, by village id otherwise)."""
    key = "grid_id" if period.version.scheme.kind == SchemeKind.GRID else "village_id"
    return dict(ScoreCorrection.objects.filter(period=period).values(key).annotate(s=Sum("points"))
                .values_list(key, "s"))


def ranking(user: AnyUser, period: Period) -> list[Row]:
    """Every unit of the period's current result (villages, or grids), by rank, with corrections beside
    the original."""
    if period.current_run_id is None:
        return []
    corrections = corrections_by_unit(period)
    scope = scope_of(user)
    scores = list(Score.objects.filter(run_id=period.current_run_id)
                  .select_related("village", "grid").defer("village__boundary", "grid__boundary").order_by("rank"))
    places = village_places({s.village_id: s.village for s in scores}.values())
    out = []
    for s in scores:
        key = s.grid_id or s.village_id
        place = places[s.village_id]
        out.append(Row(s, s.total + corrections[key] if key in corrections else None,
                       scope.covers_path(s.grid.path if s.grid is not None else s.village.path),
                       place.town, place.area))
    return out


@dataclass
class VillageScore:
    """A village's score down to each lost point. Each item of ``by_item`` that lost points carries
    ``household_rules``: the household points rules it cascades to (对应户积分条目)."""

    score: Score
    lost_points: list[LostPoint]
    corrections: list[ScoreCorrection]
    by_item: list[tuple[Item, int]]
    town: Region | None = None  # the village's township (乡镇/街道)
    area: Region | None = None  # and its 管区, where there is one


def household_rules_by_code(village: Region, codes: set[str]) -> dict[str, EffectiveRule]:
    """The household points rules of ``codes`` as the village's rulebook in force has them (its 村规民约
    folded in); codes the rulebook lacks or has switched off are left out. A link only: the village's
    assessment and the households' points are separate ledgers."""
    if not codes:
        return {}
    return {r.code: r for r in rule_list_for_village(village) if r.code in codes}


def household_rule_choices() -> list[PointsRule]:
    """The household points rules an item may cascade to, for the item form: the default rulebook's,
    whose codes every township's copy keeps (a township's own added rules are named by code)."""
    book = PointsRulebook.objects.filter(region__isnull=True).order_by("-effective_from").first()
    if book is None:
        return []
    return list(book.rules.filter(is_active=True).select_related("category").order_by("category__sort", "sort"))


def village_score_get_for_user(user: AnyUser, period: Period, village_code: str) -> VillageScore:
    """One village's score down to each lost point: only for those whose scope covers the village."""
    score = (Score.objects.filter(run_id=period.current_run_id, village__code=village_code, grid__isnull=True)
             .select_related("village").first()) if period.current_run_id else None
    if score is None or not covers_village(user, score.village):
        raise NotFound()
    lost = list(LostPoint.objects.filter(score=score).select_related("item"))
    items = list(period.version.items.all())
    taken = {i.pk: 0 for i in items}
    for lp in lost:
        taken[lp.item_id] += lp.points
    rules = household_rules_by_code(score.village, {c for i in items if taken[i.pk] for c in i.household_rule_codes})
    for i in items:
        i.household_rules = (  # type: ignore[attr-defined]
            [rules[c] for c in i.household_rule_codes if c in rules] if taken[i.pk] else [])
    place = village_places([score.village])[score.village_id]
    return VillageScore(
        score, lost,
        list(ScoreCorrection.objects.filter(period=period, village=score.village, grid__isnull=True)
             .select_related("actor")),
        [(i, taken[i.pk]) for i in items], place.town, place.area)


def scheme_with_versions(scheme: Scheme) -> list[SchemeVersion]:
    return list(scheme.versions.prefetch_related(Prefetch("items")).order_by("-number"))


# --- the grid assessment ---------------------------------------------------------------------------

STAR_NAMES = {5: "五星", 4: "四星", 3: "三星", 2: "二星", 1: "一星", 0: "未评星"}
DUTY_ORDER = [GridDuty.CHIEF, GridDuty.FULL_TIME, GridDuty.PART_TIME, GridDuty.GUIDE]


def star_rule_text(scheme: Scheme) -> str:
    """The scheme's star floors in words: 「95 分及以上五星，90 分及以上四星，…，以下一星」."""
    floors = list(scheme.star_floors or engine.DEFAULT_STAR_FLOORS)[:4]
    parts = [f"{floor} 分及以上{STAR_NAMES[5 - n]}" for n, floor in enumerate(floors)]
    return "，".join([*parts, f"以下{STAR_NAMES[5 - len(floors)]}"])


def is_grid_period(period: Period) -> bool:
    return period.version.scheme.kind == SchemeKind.GRID


@dataclass
class GridRanking:
    rows: list[Row]  # the grids shown (the county's, or one township's), by rank
    towns: list[Region]  # the townships of the county's grids, for the filter
    town: Region | None  # the township shown; None for the whole county
    star_counts: list[tuple[int, int]]  # (stars, grids) from five down to one, over the grids shown
    county_count: int


def grid_ranking(user: AnyUser, period: Period, town_code: str | None = None) -> GridRanking:
    """The county ranking of grids with their stars, or one township's (by ``town_rank``); the grids in the
    user's scope are ``mine`` (their score pages open)."""
    rows = ranking(user, period)  # each with its township (and 管区)
    town_list = sorted({r.town.pk: r.town for r in rows if r.town}.values(), key=lambda t: t.code)
    town = None
    if town_code:
        town = next((t for t in town_list if t.code == town_code), None)
        if town is None:
            raise NotFound()
    shown = [r for r in rows if town is None or r.town == town]
    counts: dict[int, int] = defaultdict(int)
    for r in shown:
        counts[r.score.stars] += 1
    return GridRanking(shown, town_list, town, [(n, counts[n]) for n in range(5, 0, -1)], len(rows))


@dataclass
class GridScore:
    """A grid's score down to each lost point (失分点), with what was done about it: corrections, appeals
    and their outcomes. Each lost point carries ``appeals`` (those filed on it)."""

    period: Period
    score: Score
    town: Region | None  # the grid's township (乡镇/街道)
    area: Region | None  # the 管区 between the township and the grid's village, where there is one
    lost_points: list[LostPoint]
    by_item: list[tuple[Item, int]]  # every item of the scheme with the points lost on it
    corrections: list[ScoreCorrection]
    appeals: list[Appeal]
    county_count: int  # grids ranked in the county
    town_count: int  # … and in the grid's township
    chief_of: frozenset[int]  # the grids the user is chief of now (who may appeal)

    @property
    def corrected(self) -> int | None:
        return self.score.total + sum(c.points for c in self.corrections) if self.corrections else None

    @property
    def whole_appeals(self) -> list[Appeal]:
        """Appeals on the whole score (not on one lost point)."""
        return [a for a in self.appeals if a.lost_point_id is None and not a.lost_reason]

    @property
    def pending_whole(self) -> bool:
        return any(a.state == AppealState.PENDING for a in self.whole_appeals)

    @property
    def returned(self) -> int:
        return sum(a.points_returned for a in self.appeals)


def chief_grid_ids(user: AnyUser) -> frozenset[int]:
    """The grids a 网格长 is assigned to as chief now."""
    if not user.is_authenticated or user.role != Role.GRID_CHIEF:
        return frozenset()
    return frozenset(GridAssignment.objects.filter(user=user, duty=GridDuty.CHIEF, ended_on__isnull=True)
                     .values_list("grid_id", flat=True))


def grid_score_get_for_user(user: AnyUser, period: Period, grid_code: str) -> GridScore:
    """One grid's score and its lost points: one query for the score, one for all its lost points (with
    their items), then the scheme's items, corrections, appeals and the two counts, whatever the number
    of lost points. Only for those whose scope covers the grid."""
    if period.current_run_id is None or not is_grid_period(period):
        raise NotFound()
    score = (Score.objects.filter(run_id=period.current_run_id, grid__code=grid_code)
             .select_related("grid", "village").first())
    if score is None or score.grid is None or not scope_of(user).covers_path(score.grid.path):
        raise NotFound()
    lost = list(LostPoint.objects.filter(score=score).select_related("item"))
    items = list(period.version.items.all())
    appeals = list(Appeal.objects.filter(period=period, grid=score.grid).select_related("filed_by", "decided_by")
                   .order_by("filed_at", "id"))
    on_point: dict[int, list[Appeal]] = defaultdict(list)
    for a in appeals:
        if a.lost_point_id:
            on_point[a.lost_point_id].append(a)
    taken = {i.pk: 0 for i in items}
    for lp in lost:
        taken[lp.item_id] = taken.get(lp.item_id, 0) + lp.points
        lp.appeals = on_point.get(lp.pk, [])  # type: ignore[attr-defined]
    place = village_places([score.village])[score.village_id]
    town = place.town
    counts = Score.objects.filter(run_id=period.current_run_id).aggregate(
        county=Count("id"), town=Count("id", filter=Q(village__path__startswith=town.path if town else "-")))
    return GridScore(
        period, score, town, place.area, lost, [(i, taken[i.pk]) for i in items],
        list(ScoreCorrection.objects.filter(period=period, grid=score.grid).select_related("actor")),
        appeals, counts["county"], counts["town"], chief_grid_ids(user))


def latest_grid_period(user: AnyUser) -> Period | None:
    """The latest published (or closed) grid period the user sees: 本季度考核."""
    return (period_list_for_user(user).filter(version__scheme__kind=SchemeKind.GRID, state__in=PUBLIC_STATES,
                                              current_run__isnull=False)
            .order_by("-end", "-id").first())


@dataclass
class MyGridScore:
    period: Period
    score: Score
    corrected: int | None
    county_count: int


def grid_scores_mine(user: AnyUser) -> list[MyGridScore]:
    """The latest published quarter's score of each grid a grid chief, worker or guide works now (the
    card on his day); nothing for anyone else, or before the first quarter is published."""
    if not user.is_authenticated or user.role not in GRID_ROLES:
        return []
    period = latest_grid_period(user)
    run_id = period.current_run_id if period is not None else None
    if period is None or run_id is None:
        return []
    scores = list(Score.objects.filter(run_id=run_id).filter(scope_of(user).q("grid__path"))
                  .select_related("grid", "village").order_by("rank"))
    if not scores:
        return []
    corrections = dict(ScoreCorrection.objects.filter(period=period, grid__in=[s.grid_id for s in scores])
                       .values("grid_id").annotate(s=Sum("points")).values_list("grid_id", "s"))
    count = Score.objects.filter(run_id=run_id).count()
    return [MyGridScore(period, s, s.total + corrections[s.grid_id] if s.grid_id in corrections else None, count)
            for s in scores]


def appeal_list_for_user(user: AnyUser, period: Period) -> list[Appeal]:
    """A period's appeals on the units in the user's scope (the grids of a grid period, the villages of the
    scorecard): pending first, then by filing. Each carries ``cap``, the most points it may return (its
    lost point's, or the whole score's lost)."""
    grids = is_grid_period(period)
    unit = "grid_id" if grids else "village_id"
    appeals = list(
        Appeal.objects.filter(period=period, grid__isnull=not grids)
        .filter(scope_of(user).q("grid__path" if grids else "village__path"))
        .select_related("grid", "village", "filed_by", "decided_by")
        .order_by(Case(When(state=AppealState.PENDING, then=Value(0)), default=Value(1),
                       output_field=IntegerField()), "filed_at", "id"))
    whole = {getattr(a, unit) for a in appeals if not a.lost_reason}
    lost = dict(Score.objects.filter(run_id=period.current_run_id, grid__isnull=not grids, **{f"{unit}__in": whole})
                .values_list(unit, "lost")) if whole and period.current_run_id else {}
    places = village_places({a.village_id: a.village for a in appeals}.values())
    for a in appeals:
        a.cap = a.lost_points if a.lost_reason else lost.get(getattr(a, unit), 0)  # type: ignore[attr-defined]
        a.place = places[a.village_id]  # type: ignore[attr-defined]
    return appeals


def appeal_get_for_user(user: AnyUser, appeal_id: int) -> Appeal:
    """An appeal of a period the user sees, on a unit (grid, or village of the scorecard) in the user's
    scope."""
    appeal = (Appeal.objects.filter(pk=appeal_id)
              .select_related("grid", "village", "period__version__scheme").first())
    if (appeal is None or not scope_of(user).covers_path((appeal.grid or appeal.village).path)
            or not period_list_for_user(user).filter(pk=appeal.period_id).exists()):
        raise NotFound()
    return appeal


# --- the yearly roll-up ----------------------------------------------------------------------------


def _display_name(full_name: str, role: str) -> str:
    """A person by name, never by login (as ``person_name`` on pages)."""
    return (full_name or "").strip() or f"{Role(role).label}（未填姓名）"


@dataclass
class RollupRow:
    grid: Grid
    village: Region
    town: Region | None  # the township (乡镇/街道)
    area: Region | None  # the 管区 between them, where there is one
    totals: list[int | None]  # each period's total with its corrections; None where the grid was not ranked
    average: Decimal | None  # of the periods it was ranked in, to one place (half up)
    stars: int  # of the average, by the scheme's floors
    workers: list[tuple[str, str]] = field(default_factory=list)  # (name, duty) of its current assignments


@dataclass
class Rollup:
    year: int
    periods: list[Period]
    rows: list[RollupRow]
    towns: list[Region]
    town: Region | None


def grid_year_rollup(user: AnyUser, year: int, town_code: str | None = None) -> Rollup:
    """A year of the grid assessment for staff evaluation: the grids in the user's scope, each quarter's
    corrected total (published and closed quarters only), their average (one place, half up), the stars
    of the average and who works the grid now. Highest average first, then the grid's code."""
    if not can_view_grids(user) or not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise NotFound()
    periods = list(period_list_for_user(user).filter(
        version__scheme__kind=SchemeKind.GRID, start__year=year, state__in=PUBLIC_STATES, current_run__isnull=False,
    ).select_related("version__scheme__county").order_by("start", "id"))
    column = {p.current_run_id: n for n, p in enumerate(periods)}
    # Figures as plain tuples, each grid (with its village and township) once: a county's year is ~2,400
    # scores of ~600 grids.
    scores = (Score.objects.filter(run_id__in=list(column)).filter(scope_of(user).q("grid__path"))
              if periods else Score.objects.none())
    corrections = {
        (p, g): s for p, g, s in ScoreCorrection.objects.filter(period__in=periods, grid__isnull=False)
        .values("period_id", "grid_id").annotate(s=Sum("points")).values_list("period_id", "grid_id", "s")
    } if periods else {}
    floors = periods[-1].version.scheme.star_floors if periods else []
    totals: dict[int, list[int | None]] = {}
    for run_id, grid_id, total in scores.values_list("run_id", "grid_id", "total"):
        n = column[run_id]
        totals.setdefault(grid_id, [None] * len(periods))[n] = total + corrections.get((periods[n].pk, grid_id), 0)
    grids = list(Grid.objects.filter(pk__in=scores.values("grid_id")).select_related("region")
                 .defer("boundary", "region__boundary"))
    places = village_places({g.region_id: g.region for g in grids}.values())
    rows = {g.pk: RollupRow(g, g.region, places[g.region_id].town, places[g.region_id].area, totals[g.pk], None, 0)
            for g in grids}
    towns = sorted({r.town.pk: r.town for r in rows.values() if r.town}.values(), key=lambda t: t.code)
    town = None
    if town_code:
        town = next((t for t in towns if t.code == town_code), None)
        if town is None:
            raise NotFound()
        rows = {k: r for k, r in rows.items() if r.town == town}
    for r in rows.values():
        got = [t for t in r.totals if t is not None]
        r.average = (Decimal(sum(got)) / len(got)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        r.stars = engine.stars_for(float(r.average), floors)  # one place: exact beside whole floors
    duty_order = Case(*(When(duty=d, then=Value(n)) for n, d in enumerate(DUTY_ORDER)), default=Value(9),
                      output_field=IntegerField())
    for grid_id, full_name, role, duty in (
            GridAssignment.objects.filter(grid_id__in=scores.values("grid_id"), ended_on__isnull=True)
            .order_by(duty_order, "started_on", "id").values_list("grid_id", "user__full_name", "user__role", "duty")):
        if grid_id in rows:
            rows[grid_id].workers.append((_display_name(full_name, role), GridDuty(duty).label))
    ordered = sorted(rows.values(), key=lambda r: (-(r.average or 0), r.grid.code))
    return Rollup(year, periods, ordered, towns, town)


def rollup_years(user: AnyUser) -> list[int]:
    """The years with a published grid period the user sees, latest first."""
    return sorted({start.year for start in period_list_for_user(user).filter(
        version__scheme__kind=SchemeKind.GRID, state__in=PUBLIC_STATES).values_list("start", flat=True)}, reverse=True)
