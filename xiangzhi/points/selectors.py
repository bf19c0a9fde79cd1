"""Every read of points: rules in force, scoped entries, the review queue, a household's standing,
rankings and participation. Ranks and participation read ``PointsBalance`` (indexed by village and
township), never sums over the ledger."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import Window
from django.db.models.functions import Rank
from django.utils import timezone

from xiangzhi.accounts.models import GRID_ROLES, Role, User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.people.models import Household
from xiangzhi.points.models import (
    REVIEWED_KINDS,
    PointsBalance,
    PointsEntry,
    PointsRule,
    PointsRulebook,
    PointsRuleOverride,
)
from xiangzhi.points.rules import can_review, can_see_rankings
from xiangzhi.regions.models import Grid, Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths, township_of

ENTRY_RELATED = ("household", "household__grid", "village", "recorder", "requested_by", "review", "review__reviewer",
                 "reversal")
NO_BOUNDARIES = ("household__grid__boundary", "village__boundary")


# --- where a village stands -----------------------------------------------------------------------


def village_of(household: Household) -> Region:
    return household.grid.region


def village_get_for_user(user, code: str) -> Region:
    """A village whose rules the user may read: one in their scope, the village their grids lie in,
    or their own household's village; 404 otherwise."""
    from django.http import Http404

    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).first()
    if village is None:
        raise Http404("不存在或无权查看")
    scope = scope_of(user)
    if scope.covers_path(village.path) or any(p.startswith(village.path) for p in scope.paths):
        return village
    if user.household_id and Household.objects.filter(pk=user.household_id, grid__region=village).exists():
        return village
    raise Http404("不存在或无权查看")


# --- rules in force -----------------------------------------------------------------------------


def rulebook_in_force(township: Region | None, on: dt.date | None = None) -> PointsRulebook | None:
    if township is None:
        return None
    on = on or timezone.localdate()
    return (PointsRulebook.objects.filter(region=township, effective_from__lte=on)
            .order_by("-effective_from").first())


@dataclass(frozen=True)
class EffectiveRule:
    """A township rule as it applies in one village, its 村规民约 override folded in."""

    rule: PointsRule
    points: int
    cap_count: int | None
    cap_points: int | None
    is_active: bool
    overridden: bool

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def category(self):
        return self.rule.category

    @property
    def direction(self) -> str:
        return self.rule.direction

    @property
    def cap_period(self) -> str:
        return self.rule.cap_period

    @property
    def evidence_required(self) -> bool:
        return self.rule.evidence_required

    @property
    def roles(self) -> list[str]:
        return self.rule.role_list

    @property
    def cap_text(self) -> str:
        if not self.cap_period:
            return ""
        from xiangzhi.points.models import Period

        period = Period(self.cap_period).label
        parts = []
        if self.cap_count is not None:
            parts.append(f"最多 {self.cap_count} 次")
        if self.cap_points is not None:
            parts.append(f"最多 {self.cap_points} 分")
        return f"{period}{'、'.join(parts)}"


def rule_effective(rule: PointsRule, village: Region, override: PointsRuleOverride | None = None,
                   *, looked_up: bool = False) -> EffectiveRule:
    if override is None and not looked_up:
        override = PointsRuleOverride.objects.filter(village=village, rule=rule).first()
    if override is None:
        return EffectiveRule(rule, rule.points, rule.cap_count, rule.cap_points, rule.is_active, False)
    return EffectiveRule(
        rule,
        override.points if override.points is not None else rule.points,
        override.cap_count if override.cap_count is not None else rule.cap_count,
        override.cap_points if override.cap_points is not None else rule.cap_points,
        rule.is_active if override.is_active is None else (override.is_active and rule.is_active),
        True,
    )


def rules_for_village(village: Region, on: dt.date | None = None, *, active_only: bool = True,
                      recordable_by=None) -> list[EffectiveRule]:
    """The rules of the township rulebook in force on ``on``, as they apply in ``village``;
    ``recordable_by`` keeps those the user's role may record."""
    book = rulebook_in_force(township_of(village), on)
    if book is None:
        return []
    overrides = {o.rule_id: o for o in PointsRuleOverride.objects.filter(village=village, rule__rulebook=book)}
    out = []
    for rule in book.rules.select_related("category").order_by("category__sort", "sort", "code"):
        eff = rule_effective(rule, village, overrides.get(rule.pk), looked_up=True)
        if active_only and not eff.is_active:
            continue
        if recordable_by is not None and not (recordable_by.is_superuser or recordable_by.role in eff.roles):
            continue
        out.append(eff)
    return out


# --- entries ------------------------------------------------------------------------------------


def _entry_scope(user) -> Q:
    return scope_of(user).q("household__grid__path", "household_id")


def entry_list_for_user(user, *, household: Household | None = None, village: Region | None = None,
                        status: str | None = None, kind: str | None = None) -> QuerySet[PointsEntry]:
    qs = PointsEntry.objects.filter(_entry_scope(user)).select_related(*ENTRY_RELATED).defer(*NO_BOUNDARIES)
    if household is not None:
        qs = qs.filter(household=household)
    if village is not None:
        qs = qs.filter(village=village)
    if status == "pending":
        qs = qs.filter(review__isnull=True)
    elif status in ("approved", "rejected"):
        qs = qs.filter(review__decision=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-recorded_at", "-id")


def entry_get_for_user(user, entry_id: int) -> PointsEntry:
    return get_in_scope_or_404(
        PointsEntry.objects.select_related(*ENTRY_RELATED, "reverses", "rule").defer(*NO_BOUNDARIES),
        _entry_scope(user), pk=entry_id,
    )


def requesters_for_entry(entry: PointsEntry) -> list:
    """Who may stand as having asked for a 冲正 of the entry: active accounts of its household and
    active staff whose scope covers it (region staff above its village, grid staff of its grid)."""
    paths = ancestor_paths(entry.household.grid.path)
    staff_on_grid = Q(role__in=GRID_ROLES, grid_assignments__grid__path__in=paths,
                      grid_assignments__ended_on__isnull=True)
    staff_on_region = ~Q(role__in=[*GRID_ROLES, Role.RESIDENT, Role.DEPARTMENT_STAFF]) & Q(region__path__in=paths)
    return list(User.objects.filter(staff_on_grid | staff_on_region | Q(household_id=entry.household_id),
                                    is_active=True).distinct().order_by("role", "full_name", "pk"))


def review_queue_for_user(user) -> QuerySet[PointsEntry]:
    """Pending entries the user may decide: in scope, not recorded by them, not of their household."""
    if not can_review(user):
        return PointsEntry.objects.none()
    qs = PointsEntry.objects.filter(_entry_scope(user), kind__in=REVIEWED_KINDS, review__isnull=True).exclude(
        recorder=user)
    if user.household_id:
        qs = qs.exclude(household_id=user.household_id)
    return qs.select_related("household", "household__grid", "village", "recorder").defer(*NO_BOUNDARIES).order_by(
        "recorded_at", "id")


def review_queue_others_count(user) -> int:
    """Pending entries in scope the user may not decide (theirs, or their household's)."""
    if not can_review(user):
        return 0
    mine = Q(recorder=user)
    if user.household_id:
        mine |= Q(household_id=user.household_id)
    return PointsEntry.objects.filter(_entry_scope(user), mine, kind__in=REVIEWED_KINDS,
                                      review__isnull=True).count()


# --- standing, rankings, participation ----------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    approved: int
    pending: int
    earned: int
    village: Region
    village_rank: int
    village_households: int
    township: Region | None
    township_rank: int | None
    township_households: int | None


def _households_under(region: Region) -> int:
    if region.level == RegionLevel.VILLAGE:
        return Household.objects.filter(grid__region_id=region.pk).count()
    return Household.objects.filter(grid__in=Grid.objects.filter(path__startswith=region.path).values("pk")).count()


def household_standing(household: Household) -> Standing:
    """Balance and rank (standard competition ranking: 1 + households with more points) in the
    village and the township; a household without entries stands on 0 points."""
    balance = PointsBalance.objects.filter(pk=household.pk).first()
    approved = balance.approved_total if balance else 0
    village = household.grid.region
    township = township_of(village)
    village_rank = 1 + PointsBalance.objects.filter(village_id=village.pk, approved_total__gt=approved).count()
    township_rank = None
    if township is not None:
        township_rank = 1 + PointsBalance.objects.filter(township_id=township.pk, approved_total__gt=approved).count()
    return Standing(
        approved=approved,
        pending=balance.pending_total if balance else 0,
        earned=balance.earned_total if balance else 0,
        village=village, village_rank=village_rank, village_households=_households_under(village),
        township=township, township_rank=township_rank,
        township_households=_households_under(township) if township is not None else None,
    )


def _balances_under(region: Region) -> QuerySet[PointsBalance]:
    if region.level == RegionLevel.VILLAGE:
        return PointsBalance.objects.filter(village_id=region.pk)
    if region.level == RegionLevel.TOWNSHIP:
        return PointsBalance.objects.filter(township_id=region.pk)
    return PointsBalance.objects.filter(village__path__startswith=region.path)


def household_ranking(region: Region, *, limit: int = 50, offset: int = 0) -> list[PointsBalance]:
    """Households under ``region`` by points, each with ``rank`` (ties share a rank)."""
    qs = (
        _balances_under(region)
        .annotate(rank=Window(Rank(), order_by=F("approved_total").desc()))
        .select_related("household", "village")
        .only("household_id", "village_id", "approved_total", "pending_total", "earned_total",
              "household__number", "household__head_name", "village__name")
        .order_by("-approved_total", "household_id")
    )
    return list(qs[offset:offset + limit])


@dataclass(frozen=True)
class VillageRow:
    village: Region
    households: int
    participating: int
    points: int

    @property
    def participation_rate(self) -> float | None:
        """Households with any approved addition (not reversed) ÷ households, in percent."""
        return round(100 * self.participating / self.households, 1) if self.households else None

    @property
    def average(self) -> float | None:
        return round(self.points / self.households, 1) if self.households else None


def village_table(region: Region) -> list[VillageRow]:
    """Every village under ``region`` (or the village itself): households, participating households,
    participation rate, points held and points per household; three grouped queries."""
    if region.level == RegionLevel.VILLAGE:
        villages = [region]
    else:
        villages = list(Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=region.path)
                        .only("pk", "name", "code", "path").order_by("code"))
    households = dict(
        Household.objects.filter(grid__in=Grid.objects.filter(path__startswith=region.path).values("pk"))
        .values("grid__region_id").order_by().annotate(n=Count("pk")).values_list("grid__region_id", "n")
    )
    sums = {
        row["village_id"]: row
        for row in _balances_under(region).values("village_id").order_by().annotate(
            participating=Count("pk", filter=Q(earned_total__gt=0)), points=Sum("approved_total"))
    }
    rows = [
        VillageRow(v, households.get(v.pk, 0), sums.get(v.pk, {}).get("participating", 0),
                   sums.get(v.pk, {}).get("points") or 0)
        for v in villages
    ]
    return sorted(rows, key=lambda r: (-(r.average or 0), r.village.code))


def ranking_regions_for_user(user) -> list[Region]:
    """The regions a user may open rankings for, widest first: their scope node and, under a
    township or county, its townships."""
    if not can_see_rankings(user):
        return []
    scope = scope_of(user)
    if scope.everything:
        roots = list(Region.objects.filter(level=RegionLevel.COUNTY))
    else:
        roots = list(Region.objects.filter(path__in=scope.paths))
    return roots


def recordable_households_for_user(user, *, search: str = "", limit: int = 200) -> list[Household]:
    qs = Household.objects.filter(scope_of(user).q("grid__path", "pk")).select_related("grid").defer(
        "grid__boundary")
    search = search.strip()
    if search:
        qs = qs.filter(Q(head_name__contains=search) | Q(number__startswith=search) | Q(address__contains=search))
    return list(qs.order_by("grid__code", "number")[:limit])


# --- the cycle ----------------------------------------------------------------------------------


def redemption_window_for(village: Region, on: dt.date | None = None):
    """The redemption window (a ``PointsCycle``) open for the village on the day, or None: the
    supermarket takes orders only inside one. Decided by the window's dates, not by the worker."""
    from xiangzhi.points.models import CycleKind, PointsCycle

    on = on or timezone.localdate()
    township = township_of(village)
    if township is None:
        return None
    return (PointsCycle.objects.filter(township=township, kind=CycleKind.REDEMPTION, opens_on__lte=on,
                                       closes_on__gte=on).order_by("opens_on").first())


def next_redemption_window(village: Region, on: dt.date | None = None):
    """The next window that has not closed yet (the open one, or the next to open), or None."""
    from xiangzhi.points.models import CycleKind, PointsCycle

    on = on or timezone.localdate()
    township = township_of(village)
    if township is None:
        return None
    return (PointsCycle.objects.filter(township=township, kind=CycleKind.REDEMPTION, closes_on__gte=on)
            .order_by("opens_on").first())


def townships_for_user(user) -> list[Region]:
    """Townships whose points calendar the user may read: those in or above their scope nodes, or
    their own household's township."""
    scope = scope_of(user)
    if scope.everything:
        return list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code"))
    paths = set(scope.paths)
    if scope.household_id:
        grid_path = Household.objects.filter(pk=scope.household_id).values_list("grid__path", flat=True).first()
        paths = {grid_path} if grid_path else set()
    around = {a for p in paths for a in ancestor_paths(p)}
    found = Region.objects.filter(level=RegionLevel.TOWNSHIP, path__in=around)
    under = Region.objects.none()
    for p in paths:
        under = under | Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=p)
    return list((found | under).distinct().order_by("code"))
