"""Scoped reads of schemes, periods and scores. The county admin sees every period of his county;
township and village staff see the county's published and closed rankings and the score pages of the
villages in their scope; everything else answers the same 404 as a missing id."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, Sum

from xiangzhi.accounts.models import AnyUser
from xiangzhi.accounts.scope import scope_of
from xiangzhi.assessment.models import (
    Item,
    LostPoint,
    Period,
    PeriodState,
    Scheme,
    SchemeVersion,
    SchemeKind,
    Score,
    ScoreCorrection,
    VersionState,
)
from xiangzhi.assessment.rules import can_manage, can_view
from xiangzhi.core.errors import NotFound
from xiangzhi.regions.models import Region, RegionLevel

PUBLIC_STATES = (PeriodState.PUBLISHED, PeriodState.CLOSED)


def county_for_user(user: AnyUser) -> Region | None:
    """The county a person works in: the one their scope lies in (the first county for a superuser)."""
    if not can_view(user):
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
    return qs if can_manage(user) else qs.filter(state__in=PUBLIC_STATES)


def period_get_for_user(user: AnyUser, period_id: int) -> Period:
    period = period_list_for_user(user).select_related("version__scheme__county", "current_run").filter(
        pk=period_id).first()
    if period is None:
        raise NotFound()
    return period


def covers_village(user: AnyUser, village: Region) -> bool:
    return scope_of(user).covers_path(village.path)


@dataclass
class Row:
    score: Score
    corrected: int | None  # the total with its corrections, when there are any
    mine: bool


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
    scores = (Score.objects.filter(run_id=period.current_run_id)
              .select_related("village__parent", "grid").order_by("rank"))
    out = []
    for s in scores:
        key = s.grid_id or s.village_id
        out.append(Row(s, s.total + corrections[key] if key in corrections else None,
                       scope.covers_path(s.grid.path if s.grid_id else s.village.path)))
    return out


@dataclass
class VillageScore:
    score: Score
    lost_points: list[LostPoint]
    corrections: list[ScoreCorrection]
    by_item: list[tuple[Item, int]]


def village_score_get_for_user(user: AnyUser, period: Period, village_code: str) -> VillageScore:
    """One village's score down to each lost point: only for those whose scope covers the village."""
    score = (Score.objects.filter(run_id=period.current_run_id, village__code=village_code, grid__isnull=True)
             .select_related("village__parent").first()) if period.current_run_id else None
    if score is None or not covers_village(user, score.village):
        raise NotFound()
    lost = list(LostPoint.objects.filter(score=score).select_related("item"))
    items = list(period.version.items.all())
    taken = {i.pk: 0 for i in items}
    for lp in lost:
        taken[lp.item_id] += lp.points
    return VillageScore(
        score, lost,
        list(ScoreCorrection.objects.filter(period=period, village=score.village, grid__isnull=True)
             .select_related("actor")),
        [(i, taken[i.pk]) for i in items])


def scheme_with_versions(scheme: Scheme) -> list[SchemeVersion]:
    return list(scheme.versions.prefetch_related(Prefetch("items")).order_by("-number"))
