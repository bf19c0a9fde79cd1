"""Scoped reads of accounts and tokens."""

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from xiangzhi.accounts.models import AnyUser, ApiToken, Signup, SignupStatus, User
from xiangzhi.accounts.rules import can_add_family_member, can_decide_signups
from xiangzhi.accounts.scope import Scope, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.regions.models import Grid, GridAssignment, Region, RegionLevel

TOKEN_LIST_LIMIT = 50


def account_scope_q(scope: Scope) -> Q:
    """Accounts that stand inside ``scope``: a region under it, a grid assignment (current or past)
    under it, a household in a grid under it, or a department whose region is under it."""
    if scope.everything:
        return Q()
    if not scope.paths:
        return Q(pk__in=[])
    parts = []
    for p in scope.paths:
        parts += [
            Q(region__path__startswith=p),
            Q(department__region__path__startswith=p),
            Q(household__grid__path__startswith=p),
            Q(pk__in=GridAssignment.objects.filter(grid__path__startswith=p).values("user_id")),
        ]
    return reduce(or_, parts)


def account_q_for(user: AnyUser) -> Q:
    """The accounts ``user`` may manage: those in scope; superuser accounts only for a superuser."""
    q = account_scope_q(scope_of(user))
    return q if user.is_superuser else q & Q(is_superuser=False)


def account_list_for(user: AnyUser) -> QuerySet[User]:
    return User.objects.filter(account_q_for(user))


def api_token_list_for_owner(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[:TOKEN_LIST_LIMIT]


def api_token_get_for_owner(user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound()
    return token


# --- Sign-ups ------------------------------------------------------------------------------------
# The register is read here only through the relations the account itself stands on (a household
# hangs off a grid, a resident off a household), never by importing the people app, which sits above.

HOUSEHOLD_CHOICES_LIMIT = 30


def signup_list_for_user(user: AnyUser) -> QuerySet[Signup]:
    """The pending sign-ups a village cadre may decide: those of the villages in his scope."""
    if not can_decide_signups(user):
        return Signup.objects.none()
    return (scope_of(user).filter(Signup.objects.filter(status=SignupStatus.PENDING), "village__path")
            .select_related("village").order_by("created_at", "id"))


def signup_pending_count(user: AnyUser) -> int:
    return signup_list_for_user(user).count()


def signup_get_for_user(user: AnyUser, signup_id: int) -> Signup:
    """A pending sign-up the user may decide; the same ``NotFound`` for another village's and for none."""
    signup = signup_list_for_user(user).filter(pk=signup_id).first()
    if signup is None:
        raise NotFound()
    return signup


def signup_latest_of(user: User) -> Signup | None:
    """The applicant's own latest sign-up, with the reason of its latest decision."""
    return Signup.objects.filter(user=user).prefetch_related("decisions").order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class HouseholdChoice:
    id: int
    number: str
    head_name: str
    address: str
    grid_name: str
    resident_id: int | None = None  # the resident whose ID number matched
    resident_name: str = ""


_HOUSEHOLD_FIELDS = ("households__id", "households__number", "households__head_name", "households__address", "name")


def _choice(row: dict[str, Any], resident: tuple[int, str] | None = None) -> HouseholdChoice:
    return HouseholdChoice(
        id=row["households__id"], number=row["households__number"], head_name=row["households__head_name"],
        address=row["households__address"], grid_name=row["name"],
        resident_id=resident[0] if resident else None, resident_name=resident[1] if resident else "",
    )


def _village_grids(signup: Signup) -> QuerySet[Grid]:
    return Grid.objects.filter(path__startswith=signup.village.path)


def signup_household_match(signup: Signup) -> HouseholdChoice | None:
    """The household of the village holding a resident with the applicant's ID number, if any."""
    if not signup.id_number_hash:
        return None
    row = (_village_grids(signup).filter(households__residents__id_number_hash=signup.id_number_hash)
           .values(*_HOUSEHOLD_FIELDS, "households__residents__id", "households__residents__name").first())
    if row is None:
        return None
    return _choice(row, (row["households__residents__id"], row["households__residents__name"]))


def signup_household_choices(signup: Signup, search: str = "") -> list[HouseholdChoice]:
    """Households of the village for the cadre to pick from: by householder or number when he searches,
    else those whose householder bears the name the applicant gave."""
    grids = _village_grids(signup).filter(households__isnull=False)
    search = search.strip()
    if search:
        grids = grids.filter(Q(households__head_name__contains=search) | Q(households__number__contains=search)
                             | Q(households__address__contains=search))
    elif signup.head_name:
        grids = grids.filter(households__head_name=signup.head_name)
    else:
        return []
    rows = grids.values(*_HOUSEHOLD_FIELDS).order_by("households__number")[:HOUSEHOLD_CHOICES_LIMIT]
    return [_choice(r) for r in rows]


def signup_village_choices() -> QuerySet[Region]:
    """The villages a villager can pick from when signing up, with their township's name."""
    return (Region.objects.filter(level=RegionLevel.VILLAGE).select_related("parent", "parent__parent")
            .order_by("path"))


@dataclass(frozen=True)
class FamilyMember:
    id: int
    name: str
    relation: str
    has_account: bool


def family_member_list_for(user: AnyUser) -> list[FamilyMember]:
    """The residents of the user's own household, and which of them already have an account."""
    if not isinstance(user, User) or not can_add_family_member(user) or user.household is None:
        return []
    residents = user.household.residents.select_related("account").order_by("pk")
    return [FamilyMember(id=r.pk, name=r.name, relation=r.get_relation_display(), has_account=hasattr(r, "account"))
            for r in residents]
