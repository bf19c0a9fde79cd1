"""The audiences of announcements and polls: who is in a grid, a village, a township, a party group or
among the people living away, resolved to people on the register and their accounts; and what a sender
follows (everything addressed inside his scope)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.participation.models import (
    HOUSEHOLD_AUDIENCES,
    Addressed,
    AudienceKind,
    VoteUnit,
)
from xiangzhi.participation.rules import can_address, can_send
from xiangzhi.party.models import PartyGroup
from xiangzhi.people.models import Household, Relation, Resident, Tag, counted
from xiangzhi.regions.models import Grid, Region, RegionLevel

ADULT_AGE = 18
# The levels an audience of each region kind may stand on.
REGION_LEVELS: dict[str, tuple[str, ...]] = {
    AudienceKind.VILLAGE: (RegionLevel.VILLAGE,),
    AudienceKind.TOWNSHIP: (RegionLevel.TOWNSHIP,),
    AudienceKind.AWAY_MEMBERS: (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP),
    AudienceKind.AWAY_RESIDENTS: (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP),
}


# --- audiences ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Whom something is addressed to. ``region`` is the village or township (a grid's village, a party
    group's village)."""

    kind: str
    region: Region
    grid: Grid | None = None
    group: PartyGroup | None = None

    @property
    def path(self) -> str:
        return self.grid.path if self.grid is not None else self.region.path

    @property
    def key(self) -> str:
        if self.grid is not None:
            return self.grid.code
        if self.group is not None:
            return str(self.group.pk)
        return self.region.code

    @property
    def label(self) -> str:
        if self.kind == AudienceKind.GRID and self.grid is not None:
            return f"{self.region.name}·{self.grid.name}"
        if self.kind == AudienceKind.PARTY_GROUP and self.group is not None:
            return f"{self.region.name}{self.group.name}"
        if self.kind in (AudienceKind.AWAY_MEMBERS, AudienceKind.AWAY_RESIDENTS):
            return f"{self.region.name}{AudienceKind(self.kind).label}"
        return self.region.name

    @property
    def by_household(self) -> bool:
        """Whether a household vote fits it: one made of households (not a party group, not people away)."""
        return self.kind in HOUSEHOLD_AUDIENCES

    @classmethod
    def of(cls, row: Addressed) -> "Audience":
        return cls(kind=row.audience, region=row.region, grid=row.grid, group=row.party_group)


def audience_get(kind: str, key: str) -> Audience:
    """The audience a kind and a key name (a grid's code, a region's code, a party group's id)."""
    if kind == AudienceKind.GRID:
        grid = Grid.objects.select_related("region").defer("boundary", "region__boundary").filter(
            code=key, is_active=True).first()
        if grid is None:
            raise NotFound()
        return Audience(kind=kind, region=grid.region, grid=grid)
    if kind == AudienceKind.PARTY_GROUP:
        group = (PartyGroup.objects.select_related("branch__village").defer("branch__village__boundary")
                 .filter(pk=int(key) if key.isdigit() else 0).first())
        if group is None:
            raise NotFound()
        return Audience(kind=kind, region=group.branch.village, group=group)
    levels = REGION_LEVELS.get(kind)
    if not levels:
        raise NotFound()
    region = Region.objects.defer("boundary").filter(code=key, level__in=levels).first()
    if region is None:
        raise NotFound()
    return Audience(kind=kind, region=region)


def audience_get_for_user(user: User, kind: str, key: str) -> Audience:
    """An audience the user may address: inside his scope, else the same 404 as a missing one."""
    audience = audience_get(kind, key)
    if not can_address(user, audience.path):
        raise NotFound()
    return audience


def _audience_targets(user: User, kind: str) -> QuerySet[Grid] | QuerySet[PartyGroup] | QuerySet[Region] | None:
    scope = scope_of(user)
    if kind == AudienceKind.GRID:
        return (Grid.objects.filter(scope.q("path"), is_active=True).select_related("region")
                .defer("boundary", "region__boundary").order_by("path"))
    if kind == AudienceKind.PARTY_GROUP:
        return (PartyGroup.objects.filter(scope.q("branch__village__path")).select_related("branch__village")
                .defer("branch__village__boundary").order_by("branch__village__code", "name"))
    levels = REGION_LEVELS.get(kind)
    if not levels:
        return None
    return Region.objects.filter(scope.q("path"), level__in=levels).defer("boundary").order_by("path")


def audience_kinds_for_user(user: User) -> list[AudienceKind]:
    """The kinds of audience the user may address at all: one EXISTS each."""
    if not can_send(user):
        return []
    out = []
    for kind in AudienceKind:
        targets = _audience_targets(user, kind)
        if targets is not None and targets.exists():
            out.append(kind)
    return out


def audience_choices_for_user(user: User, kind: str) -> list[tuple[str, str]]:
    """(key, name) of every audience of ``kind`` the user may address, for the form's list."""
    if not can_send(user):
        return []
    targets = _audience_targets(user, kind)
    if targets is None:
        return []
    if kind == AudienceKind.GRID:
        return [(g.code, f"{g.region.name}·{g.name}") for g in targets]  # type: ignore[union-attr]
    if kind == AudienceKind.PARTY_GROUP:
        return [(str(g.pk), f"{g.branch.village.name}{g.name}") for g in targets]  # type: ignore[union-attr]
    return [(r.code, r.name) for r in targets]  # type: ignore[union-attr]


def adult_floor(today: dt.date) -> dt.date:
    """The latest birth date of someone who is an adult on ``today``."""
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ADULT_AGE, day=28)


def _grids_under(path: str) -> QuerySet[Grid, Any]:
    return Grid.objects.filter(path__startswith=path).values("id")


def audience_residents(audience: Audience, *, today: dt.date | None = None) -> QuerySet[Resident]:
    """The adults on the register in the audience: living, not moved out, in an open household."""
    today = today or timezone.localdate()
    qs = Resident.objects.filter(counted(), household__closed_on__isnull=True, birth_date__lte=adult_floor(today))
    if audience.kind == AudienceKind.PARTY_GROUP:
        return qs.filter(party_memberships__group=audience.group, party_memberships__left_on__isnull=True)
    qs = qs.filter(household__grid__in=_grids_under(audience.path))
    if audience.kind == AudienceKind.AWAY_MEMBERS:
        return qs.filter(is_away=True, tags__contains=Tag.PARTY_MEMBER)
    if audience.kind == AudienceKind.AWAY_RESIDENTS:
        return qs.filter(is_away=True)
    return qs


def audience_households(audience: Audience) -> QuerySet[Household]:
    """The open households of a grid, village or township with someone still on the register."""
    if not audience.by_household:
        return Household.objects.none()
    living = Resident.objects.filter(counted(), household=OuterRef("pk"))
    return Household.objects.filter(Exists(living), closed_on__isnull=True, grid__in=_grids_under(audience.path))


@dataclass(frozen=True)
class Recipient:
    resident_id: int
    household_id: int
    grid_id: int
    user_id: int | None
    has_phone: bool


def recipients_of(audience: Audience, *, today: dt.date | None = None) -> list[Recipient]:
    """Everyone in the audience with the account he reads it on: his own, or — for a head of household —
    the household's account that stands for no one else. Three queries, whatever the size."""
    residents = audience_residents(audience, today=today)
    rows = list(residents.order_by("household__grid_id", "household_id", "id")
                .values_list("id", "household_id", "household__grid_id", "relation", "phone_hash"))
    own = dict(User.objects.filter(is_active=True, resident__in=residents.values("id"))
               .values_list("resident_id", "id"))
    household_accounts: dict[int | None, int] = {}
    for household_id, account_id in (User.objects.filter(is_active=True, role=Role.RESIDENT, resident__isnull=True,
                                                         household__in=residents.values("household_id"))
                                     .order_by("id").values_list("household_id", "id")):
        household_accounts.setdefault(household_id, account_id)
    taken = set(own.values())
    out = []
    for pk, household_id, grid_id, relation, phone_hash in rows:
        user_id: int | None = own.get(pk)
        if user_id is None and relation == Relation.HEAD:
            candidate = household_accounts.get(household_id)
            if candidate is not None and candidate not in taken:
                user_id = candidate
                taken.add(candidate)
        out.append(Recipient(pk, household_id, grid_id, user_id, bool(phone_hash)))
    return out


def audience_account_ids(audience: Audience, *, unit: str = VoteUnit.PERSON) -> list[int]:
    """The accounts that read or vote for the audience: every person's, or every household's."""
    accounts = [r.user_id for r in recipients_of(audience) if r.user_id is not None]
    if unit == VoteUnit.PERSON:
        return accounts
    households = audience_households(audience).values("id")
    members = User.objects.filter(is_active=True).filter(
        Q(household__in=households) | Q(resident__household__in=households)).values_list("id", flat=True)
    return sorted(set(accounts) | set(members))


def sender_q(user: User) -> Q:
    """What a sender follows, announcements and polls alike: what is addressed inside his scope; nothing
    for one who may not send."""
    return scope_of(user).q("scope_path") if can_send(user) else Q(pk__in=[])
