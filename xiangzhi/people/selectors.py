from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.lib import crypto, idnumber
from xiangzhi.people import rules
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    HouseholdChangePhoto,
    IdentitySearch,
    KeyCategory,
    KeyPerson,
    Organisation,
    Place,
    Resident,
)
from xiangzhi.regions.models import Grid, Region
from xiangzhi.regions.selectors import grid_counts

# Lists show a grid's name and code; its polygon can be large and is read only by maps.
NO_GRID_BOUNDARY = ("grid__boundary",)


def household_list_for_user(user: User, *, grid: Grid | None = None, search: str = "") -> QuerySet[Household]:
    """Households the user may see, newest register order, with their members in one more query."""
    qs = Household.objects.filter(scope_of(user).q("grid__path", "pk")).select_related("grid").defer(*NO_GRID_BOUNDARY)
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    search = search.strip()
    if search:
        qs = qs.filter(_search_q(search)).distinct()  # a name may match two members of one household
    # Grid, then registration order: an integer sort; sorting 20,000 household numbers as text under
    # a locale collation costs PostgreSQL more than the rest of the request.
    return qs.order_by("grid_id", "id").prefetch_related(
        Prefetch("residents", queryset=Resident.objects.order_by("id"))
    )


@dataclass(frozen=True)
class IdentityQuery:
    """A search that names one person: a valid full ID number or an 11-digit phone."""

    kind: str  # IdentitySearch.Kind
    value_hash: str  # the keyed lookup hash; the number itself goes no further


def identity_query(search: str) -> IdentityQuery | None:
    search = search.strip()
    if len(search) == 18:
        try:
            value = idnumber.parse(search).value
        except idnumber.IdNumberError:
            return None
        return IdentityQuery(IdentitySearch.Kind.ID_NUMBER, crypto.lookup_hash(value))
    if search.isdigit() and len(search) == 11:
        return IdentityQuery(IdentitySearch.Kind.PHONE, crypto.lookup_hash(search))
    return None


def _search_q(search: str) -> Q:
    """By head's or member's name, or household number. A full ID number or phone matches nothing here,
    not even as a household-number prefix: looking a person up by number is ``household_list_by_identity``,
    reached only through ``services.household_search`` (permission, rate limit, audit)."""
    if identity_query(search) is not None:
        return Q(pk__in=[])
    return Q(head_name__contains=search) | Q(number__startswith=search) | Q(residents__name=search)


def household_list_by_identity(user: User, *, query: IdentityQuery, grid: Grid | None = None) -> QuerySet[Household]:
    field = "residents__id_number_hash" if query.kind == IdentitySearch.Kind.ID_NUMBER else "residents__phone_hash"
    return household_list_for_user(user, grid=grid).filter(**{field: query.value_hash}).distinct()


def household_get_for_user(user: User, household_id: int) -> Household:
    return get_in_scope_or_404(
        Household.objects.select_related("grid", "grid__region"),
        scope_of(user).q("grid__path", "pk"),
        pk=household_id,
    )


def resident_get_for_user(user: User, resident_id: int) -> Resident:
    return get_in_scope_or_404(
        Resident.objects.select_related("household", "household__grid"),
        scope_of(user).q("household__grid__path", "household_id"),
        pk=resident_id,
    )


def key_person_list_for_user(user: User, *, category: KeyCategory | None = None) -> QuerySet[KeyPerson]:
    qs = KeyPerson.objects.filter(
        scope_of(user).q("resident__household__grid__path", "resident__household_id"), is_active=True
    ).select_related("resident", "resident__household", "resident__household__grid", "category").defer(
        "resident__household__grid__boundary"
    )
    if category is not None:
        qs = qs.filter(category=category)
    return qs.order_by("category__code", "resident__household__number", "id")


def place_list_for_user(user: User, *, grid: Grid | None = None) -> QuerySet[Place]:
    qs = Place.objects.filter(scope_of(user).q("grid__path")).select_related("grid").defer(*NO_GRID_BOUNDARY)
    return qs.filter(grid__path__startswith=grid.path) if grid is not None else qs


def organisation_list_for_user(user: User, *, grid: Grid | None = None) -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(scope_of(user).q("grid__path")).select_related("grid").defer(*NO_GRID_BOUNDARY)
    return qs.filter(grid__path__startswith=grid.path) if grid is not None else qs


def region_counts(region: Region) -> dict[str, int]:
    """Headline figures for a region: its grids, households, residents and key people, counted,
    never stored."""
    grid_ids = Grid.objects.filter(path__startswith=region.path).values("id")
    return {
        **grid_counts(region),
        "households": Household.objects.filter(grid_id__in=grid_ids).count(),
        "residents": Resident.objects.filter(household__grid_id__in=grid_ids).count(),
        "key_people": KeyPerson.objects.filter(resident__household__grid_id__in=grid_ids, is_active=True).count(),
    }


def household_change_history(user: User, household: Household) -> QuerySet[HouseholdChange]:
    """A household's changes, newest first, for its page (the caller has the household in scope):
    staff see every proposal with its state, a villager only what the village confirmed."""
    qs = household.changes.select_related("resident", "proposer", "decider").prefetch_related("photos")
    if not rules.sees_change_drafts(user):
        qs = qs.filter(state=HouseholdChange.State.CONFIRMED)
    return qs.order_by("-proposed_at", "-id")


def household_change_pending_list(user: User) -> QuerySet[HouseholdChange]:
    """Proposals waiting for the user's decision: a village cadre's, of his village."""
    if not rules.can_decide_changes(user):
        return HouseholdChange.objects.none()
    return (HouseholdChange.objects.filter(scope_of(user).q("household__grid__path"),
                                           state=HouseholdChange.State.PENDING)
            .select_related("household", "household__grid", "resident", "proposer")
            .defer("household__grid__boundary").prefetch_related("photos").order_by("proposed_at", "id"))


def household_change_pending_count(user: User) -> int:
    """For the home page: how many register changes wait for this user's decision."""
    return household_change_pending_list(user).count()


def household_change_get_for_user(user: User, change_id: int) -> HouseholdChange:
    return get_in_scope_or_404(
        HouseholdChange.objects.select_related("household", "household__grid", "resident"),
        scope_of(user).q("household__grid__path"), pk=change_id,
    )


def household_change_photo_get_for_user(user: User, photo_id: int) -> HouseholdChangePhoto:
    if not rules.sees_change_drafts(user):
        raise NotFound()
    return get_in_scope_or_404(HouseholdChangePhoto.objects.all(),
                               scope_of(user).q("change__household__grid__path"), pk=photo_id)
