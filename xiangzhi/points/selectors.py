"""Every read of points: rules in force, scoped entries, the review queue, a household's standing,
rankings and participation, the cycle's calendar and policy, the yearly settlements, and the ledger's
own proofs. Ranks and participation read ``PointsBalance`` (indexed by village and township), never
sums over the ledger. The quarterly notices and their proof are read in ``notice_selectors``, 积分优先
in ``benefit_selectors``; both are named here too (at the bottom), so this stays the one front door."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import Window
from django.db.models.functions import Rank
from django.utils import timezone

from xiangzhi.accounts.models import GRID_ROLES, Role, User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.lib.periods import next_month_day, periods_of_year
from xiangzhi.people.models import Household
from xiangzhi.points import ledger
from xiangzhi.points.models import (
    REVIEWED_KINDS,
    CycleKind,
    EntryKind,
    Period,
    PointsBalance,
    PointsCategory,
    PointsCycle,
    PointsEntry,
    PointsHonour,
    PointsPolicy,
    PointsRule,
    PointsRulebook,
    PointsRuleOverride,
    PointsSettlement,
    RedemptionCadence,
    ReviewDecision,
)
from xiangzhi.points.rules import can_review, can_see_rankings
from xiangzhi.regions.models import Grid, Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths, region_get_for_user, township_of

ENTRY_RELATED = ("household", "household__grid", "village", "recorder", "requested_by", "review", "review__reviewer",
                 "reversal")
NO_BOUNDARIES = ("household__grid__boundary", "village__boundary")


# --- where a village stands -----------------------------------------------------------------------


def village_get_for_user(user: User, code: str) -> Region:
    """A village whose rules the user may read: one in their scope, the village their grids lie in,
    or their own household's village; ``NotFound`` otherwise."""
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).first()
    if village is None:
        raise NotFound()
    scope = scope_of(user)
    if scope.covers_path(village.path) or any(p.startswith(village.path) for p in scope.paths):
        return village
    if user.household_id and Household.objects.filter(pk=user.household_id, grid__region=village).exists():
        return village
    raise NotFound()


def village_stood_on(user: User) -> Region | None:
    """The village a staff member stands on: their region when it is a village, else the village of
    their first current grid."""
    if user.region is not None and user.region.level == RegionLevel.VILLAGE:
        return user.region
    assignment = user.grid_assignments.filter(ended_on__isnull=True).select_related("grid__region").first()
    return assignment.grid.region if assignment else None


def village_default_for_user(user: User) -> Region | None:
    """The village whose rules a user sees unless they ask for another: their household's, else the
    one they stand on."""
    if user.household is not None:
        return user.household.grid.region
    return village_stood_on(user)


# --- rules in force -----------------------------------------------------------------------------


def rulebook_in_force(township: Region | None, on: dt.date | None = None) -> PointsRulebook | None:
    if township is None:
        return None
    on = on or timezone.localdate()
    return (PointsRulebook.objects.filter(region=township, effective_from__lte=on)
            .order_by("-effective_from").first())


def rule_get_in_force(village: Region, code: str, on: dt.date | None = None) -> PointsRule | None:
    """The item with ``code`` in the rulebook in force for the village on the day, or None."""
    book = rulebook_in_force(township_of(village), on)
    return book.rules.select_related("category").filter(code=code).first() if book else None


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
    def category(self) -> PointsCategory:
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


def rule_list_for_village(village: Region, on: dt.date | None = None, *, active_only: bool = True,
                      recordable_by: User | None = None) -> list[EffectiveRule]:
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


def _entry_scope(user: User) -> Q:
    return scope_of(user).q("household__grid__path", "household_id")


def entry_list_for_user(user: User, *, household: Household | None = None, village: Region | None = None,
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


def entry_get_for_user(user: User, entry_id: int) -> PointsEntry:
    return get_in_scope_or_404(
        PointsEntry.objects.select_related(*ENTRY_RELATED, "reverses", "rule").defer(*NO_BOUNDARIES),
        _entry_scope(user), pk=entry_id,
    )


def requester_list_for_entry(entry: PointsEntry) -> list[User]:
    """Who may stand as having asked for a 冲正 of the entry: active accounts of its household and
    active staff whose scope covers it (region staff above its village, grid staff of its grid)."""
    paths = ancestor_paths(entry.household.grid.path)
    staff_on_grid = Q(role__in=GRID_ROLES, grid_assignments__grid__path__in=paths,
                      grid_assignments__ended_on__isnull=True)
    staff_on_region = ~Q(role__in=[*GRID_ROLES, Role.RESIDENT, Role.DEPARTMENT_STAFF]) & Q(region__path__in=paths)
    return list(User.objects.filter(staff_on_grid | staff_on_region | Q(household_id=entry.household_id),
                                    is_active=True).distinct().order_by("role", "full_name", "pk"))


def review_queue_for_user(user: User) -> QuerySet[PointsEntry]:
    """Pending entries the user may decide: in scope, not recorded by them, not of their household."""
    if not can_review(user):
        return PointsEntry.objects.none()
    qs = PointsEntry.objects.filter(_entry_scope(user), kind__in=REVIEWED_KINDS, review__isnull=True).exclude(
        recorder=user)
    if user.household_id:
        qs = qs.exclude(household_id=user.household_id)
    return qs.select_related("household", "household__grid", "village", "recorder").defer(*NO_BOUNDARIES).order_by(
        "recorded_at", "id")


def review_queue_others_count(user: User) -> int:
    """Pending entries in scope the user may not decide (theirs, or their household's)."""
    if not can_review(user):
        return 0
    mine = Q(recorder=user)
    if user.household_id:
        mine |= Q(household_id=user.household_id)
    return PointsEntry.objects.filter(_entry_scope(user), mine, kind__in=REVIEWED_KINDS,
                                      review__isnull=True).count()


def household_choice_list_for_user(user: User, *, search: str = "", village_id: int | None = None,
                               limit: int = 200) -> list[Household]:
    """Households of the user's scope for a picker (recording points, signing up for an activity),
    optionally of one village, matching ``search`` by head, number or address."""
    qs = Household.objects.filter(scope_of(user).q("grid__path", "pk"), closed_on__isnull=True).select_related(
        "grid").defer("grid__boundary")
    if village_id is not None:
        qs = qs.filter(grid__region_id=village_id)
    search = search.strip()
    if search:
        qs = qs.filter(Q(head_name__contains=search) | Q(number__startswith=search) | Q(address__contains=search))
    return list(qs.order_by("grid__code", "number")[:limit])


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
    """Households on the register (a merged or emptied household is closed, and counts no more)."""
    if region.level == RegionLevel.VILLAGE:
        return Household.objects.filter(grid__region_id=region.pk, closed_on__isnull=True).count()
    return Household.objects.filter(grid__in=Grid.objects.filter(path__startswith=region.path).values("pk"),
                                    closed_on__isnull=True).count()


def household_balance(household_id: int) -> int:
    """The household's approved points now (0 for a household without entries)."""
    return PointsBalance.objects.filter(pk=household_id).values_list("approved_total", flat=True).first() or 0


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


def participation_rate(participating: int, households: int) -> float | None:
    """Households taking part ÷ households, in percent to one place; None where there are none."""
    return round(100 * participating / households, 1) if households else None


@dataclass(frozen=True)
class VillageParticipation:
    """A village's households and how many of them take part (what counts is the comparison's)."""

    village: Region
    households: int
    participating: int

    @property
    def participation_rate(self) -> float | None:
        return participation_rate(self.participating, self.households)


@dataclass(frozen=True)
class VillageRow(VillageParticipation):
    """``participating``: households with any approved addition (not reversed)."""

    points: int

    @property
    def average(self) -> float | None:
        return round(self.points / self.households, 1) if self.households else None


def village_household_list(region: Region) -> list[tuple[Region, int]]:
    """Every village under ``region`` (or the village itself), by code, with its number of
    households: what a comparison of villages starts from. Two queries."""
    if region.level == RegionLevel.VILLAGE:
        villages = [region]
    else:
        villages = list(Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=region.path)
                        .only("pk", "name", "code", "path").order_by("code"))
    households = dict(
        Household.objects.filter(grid__in=Grid.objects.filter(path__startswith=region.path).values("pk"),
                                 closed_on__isnull=True)
        .values("grid__region_id").order_by().annotate(n=Count("pk")).values_list("grid__region_id", "n")
    )
    return [(v, households.get(v.pk, 0)) for v in villages]


def village_table(region: Region) -> list[VillageRow]:
    """Every village under ``region`` (or the village itself): households, participating households,
    participation rate, points held and points per household; three grouped queries."""
    villages = village_household_list(region)
    sums = {
        row["village_id"]: row
        for row in _balances_under(region).values("village_id").order_by().annotate(
            participating=Count("pk", filter=Q(earned_total__gt=0)), points=Sum("approved_total"))
    }
    rows = [
        VillageRow(v, households, sums.get(v.pk, {}).get("participating", 0), sums.get(v.pk, {}).get("points") or 0)
        for v, households in villages
    ]
    return sorted(rows, key=lambda r: (-(r.average or 0), r.village.code))


def ranking_region_list_for_user(user: User) -> list[Region]:
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


@dataclass(frozen=True)
class ComparisonPlace:
    """Where a page comparing villages stands: the region, the one above it when the user may open
    that too, and the ones below it."""

    region: Region
    parent: Region | None
    children: list[Region]


def comparison_region_for_user(user: User, code: str | None, roots: list[Region]) -> Region:
    """The region a comparison (the points rankings, the villages' volunteer work) is of: the one
    asked for, within the user's scope, else the widest of ``roots``."""
    if code:
        return region_get_for_user(user, code)
    if roots:
        return roots[0]
    raise NotFound()


def comparison_place_for_user(user: User, code: str | None, roots: list[Region]) -> ComparisonPlace:
    """``comparison_region_for_user`` with the regions a comparison page links to around it."""
    region = comparison_region_for_user(user, code, roots)
    children = []
    if region.level != RegionLevel.VILLAGE:
        children = list(Region.objects.filter(parent=region).defer("boundary").order_by("code"))
    parent = region.parent
    if parent is not None and not any(parent.path.startswith(r.path) for r in roots):
        parent = None
    return ComparisonPlace(region, parent, children)


# --- the cycle ----------------------------------------------------------------------------------


def policy_for(township: Region | int) -> PointsPolicy:
    """The township's policy, or the defaults (unsaved) when it has none."""
    township_id = township if isinstance(township, int) else township.pk
    return PointsPolicy.objects.filter(pk=township_id).first() or PointsPolicy(township_id=township_id)


def cycle_plan_for_year(township_id: int, year: int, policy: PointsPolicy) -> list[PointsCycle]:
    """The steps ``policy`` lays out for the township's ``year`` (unsaved): twelve monthly reviews,
    four quarterly notices, two or four redemption windows, one settlement."""
    cycles = []
    for start, end in periods_of_year("month", year):
        cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.REVIEW, period_start=start, period_end=end,
                                  opens_on=end + dt.timedelta(days=1),
                                  closes_on=next_month_day(end, policy.review_days)))
    for start, end in periods_of_year("quarter", year):
        opens = next_month_day(end, policy.notice_day)
        cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.NOTICE, period_start=start, period_end=end,
                                  opens_on=opens, closes_on=opens + dt.timedelta(days=policy.objection_days - 1)))
    cadence = "quarter" if policy.redemption_every == RedemptionCadence.QUARTER else "half_year"
    for start, end in periods_of_year(cadence, year):
        # The window opens the day after the objection window of the period's last notice closes.
        opens = next_month_day(end, policy.notice_day) + dt.timedelta(days=policy.objection_days)
        cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.REDEMPTION, period_start=start,
                                  period_end=end, opens_on=opens,
                                  closes_on=opens + dt.timedelta(days=policy.redemption_days - 1)))
    settle = dt.date(year + 1, 1, policy.settlement_day)
    cycles.append(PointsCycle(township_id=township_id, kind=CycleKind.SETTLEMENT, period_start=dt.date(year, 1, 1),
                              period_end=dt.date(year, 12, 31), opens_on=settle, closes_on=settle))
    return cycles


def rulebook_adopted_on(township: Region) -> dt.date | None:
    """The day the township's first rulebook came into force: the cycle has no periods before it."""
    return (PointsRulebook.objects.filter(region=township).order_by("effective_from")
            .values_list("effective_from", flat=True).first())


def cycle_list_for_year(township: Region, year: int) -> list[PointsCycle]:
    """The township's cycle steps that run in ``year`` (by the day they open), read-only: the rows
    the worker has planned, and for periods it has not planned yet the steps the policy would plan
    (unsaved, scheduled). Looking at a calendar never writes it."""
    stored = list(PointsCycle.objects.filter(township=township, opens_on__year=year)
                  .select_related("township").order_by("opens_on", "kind"))
    adopted = rulebook_adopted_on(township)
    if adopted is not None:
        have = {(c.kind, c.period_start) for c in PointsCycle.objects.filter(
            township=township, period_start__year__in=(year - 1, year)).only("kind", "period_start")}
        policy = policy_for(township)
        for period_year in (year - 1, year):
            for c in cycle_plan_for_year(township.pk, period_year, policy):
                if c.opens_on.year == year and c.period_end >= adopted and (c.kind, c.period_start) not in have:
                    c.township = township
                    stored.append(c)
    return sorted(stored, key=lambda c: (c.opens_on, c.kind))


def redemption_window_for(village: Region, on: dt.date | None = None) -> PointsCycle | None:
    """The redemption window open for the village on the day, or None: the supermarket takes
    orders only inside one. Decided by the window's dates, not by the worker."""
    on = on or timezone.localdate()
    township = township_of(village)
    if township is None:
        return None
    return (PointsCycle.objects.filter(township=township, kind=CycleKind.REDEMPTION, opens_on__lte=on,
                                       closes_on__gte=on).order_by("opens_on").first())


def redemption_window_next(village: Region, on: dt.date | None = None) -> PointsCycle | None:
    """The next window that has not closed yet (the open one, or the next to open), or None."""
    on = on or timezone.localdate()
    township = township_of(village)
    if township is None:
        return None
    return (PointsCycle.objects.filter(township=township, kind=CycleKind.REDEMPTION, closes_on__gte=on)
            .order_by("opens_on").first())


def redemption_window_list(village: Region, on: dt.date | None = None, *, past: int = 2) -> list[PointsCycle]:
    """The redemption windows of the village's township: the last ``past`` that closed, the open
    one and those to come, by date."""
    on = on or timezone.localdate()
    township = township_of(village)
    if township is None:
        return []
    qs = PointsCycle.objects.filter(township=township, kind=CycleKind.REDEMPTION).select_related("township").defer(
        "township__boundary")
    done = list(qs.filter(closes_on__lt=on).order_by("-opens_on")[:past])
    return [*reversed(done), *qs.filter(closes_on__gte=on).order_by("opens_on")]


def review_deadline_for_user(user: User, on: dt.date | None = None) -> PointsCycle | None:
    """The monthly review the user's pending entries are due in: of the townships in the user's
    scope, the review step that closes first on or after ``on`` (stored by the cycle worker, or as
    the policy plans it when the worker has not stored it yet). None for who reviews nothing."""
    if not can_review(user):
        return None
    on = on or timezone.localdate()
    townships = township_list_for_user(user)
    if not townships:
        return None
    stored = (PointsCycle.objects.filter(township__in=townships, kind=CycleKind.REVIEW, closes_on__gte=on)
              .select_related("township").defer("township__boundary").order_by("closes_on", "township__code").first())
    if stored is not None or len(townships) > 1:
        return stored
    township = townships[0]
    if rulebook_adopted_on(township) is None:
        return None
    policy = policy_for(township)
    planned = [c for year in (on.year, on.year + 1) for c in cycle_plan_for_year(township.pk, year, policy)
               if c.kind == CycleKind.REVIEW and c.closes_on >= on]
    for c in planned:
        c.township = township
    return min(planned, key=lambda c: c.closes_on, default=None)


def township_list_for_user(user: User) -> list[Region]:
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


# --- the quarterly notice -----------------------------------------------------------------------
# The rest of the notice (its list, its proof, who reads it, the objections) is read in
# ``notice_selectors``; its categories are the rulebook's, so they are read here.


def notice_categories(village: Region, period_end: dt.date) -> list[dict[str, str]]:
    book = rulebook_in_force(township_of(village), period_end)
    cats = PointsCategory.objects.filter(rulebook=book).order_by("sort", "code") if book else []
    return [{"code": c.code, "name": c.name} for c in cats]


# --- the yearly settlement ----------------------------------------------------------------------

# Points of conduct: what a year's points and its 积分之星 count.
YEAR_KINDS = (EntryKind.RECORD, EntryKind.AWARD, EntryKind.CORRECTION, EntryKind.REVERSAL)


def year_points(village_ids: list[int], year: int) -> dict[int, int]:
    """household id → the year's approved points of conduct, one grouped query."""
    rows = (PointsEntry.objects.filter(village_id__in=village_ids, review__decision=ReviewDecision.APPROVED,
                                       kind__in=YEAR_KINDS, occurred_on__year=year)
            .values("household_id").order_by().annotate(p=Sum("points")).values_list("household_id", "p"))
    return dict(rows)


def settlement_list_for_user(user: User) -> QuerySet[PointsSettlement]:
    scope = scope_of(user)
    qs = PointsSettlement.objects.select_related("township").defer("township__boundary")
    if scope.everything:
        return qs
    return qs.filter(scope.q("township__path"))


def honour_list_for_household(household: Household) -> QuerySet[PointsHonour]:
    return PointsHonour.objects.filter(household=household).select_related("settlement").order_by("-settlement__year")


def honour_list_for_settlement(settlement: PointsSettlement, *, limit: int = 500) -> list[PointsHonour]:
    return list(PointsHonour.objects.filter(settlement=settlement).select_related("household", "village")[:limit])


# --- proofs -------------------------------------------------------------------------------------


def ledger_verify(village: Region) -> ledger.LedgerBreak | None:
    """Walk the village's entry and review chains; the first row that does not hold, or None."""
    return ledger.chain_verify(village.pk)


def balance_mismatch_list(household_ids: list[int] | None = None) -> list[ledger.BalanceMismatch]:
    """Every household's kept totals (or those of ``household_ids``) against the ledger's sums; an
    empty list means they agree."""
    return ledger.balance_mismatch_list(household_ids)


# --- read elsewhere, named here too -------------------------------------------------------------
# The quarterly notice and 积分优先 are read in their own modules; ``selectors`` stays the one front
# door other apps use, so it names their reads too. Imported last: neither module imports this one.

from xiangzhi.points.benefit_selectors import (  # noqa: E402, F401
    BenefitCheck,
    BenefitRow,
    BenefitStanding,
    benefit_digest,
    benefit_eligible_households,
    benefit_get_for_user,
    benefit_get_public,
    benefit_get_readable,
    benefit_list_for_user,
    benefit_list_public,
    benefit_list_readable,
    benefit_points,
    benefit_rows_compute,
    benefit_standing_for_household,
    benefit_verify,
    benefit_village_list_for_user,
)
from xiangzhi.points.notice_selectors import (  # noqa: E402, F401
    CATEGORISED_KINDS,
    CHAIN_CHECK_SECONDS,
    OTHER,
    Anchor,
    NoticeCheck,
    mask_name,
    notice_digest,
    notice_get_for_user,
    notice_get_public,
    notice_list_for_user,
    notice_list_public,
    notice_objection_counts,
    notice_rows,
    notice_verify,
    objection_get_for_user,
    objection_list_open_for_user,
    objection_list_public,
)
