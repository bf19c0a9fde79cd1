import datetime as dt
from dataclasses import dataclass
from math import cos, radians
from typing import Any

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.rules import can_read_register
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.lib import crypto, geo_distance, idnumber
from xiangzhi.people import rules

# The county's catalogues and visit cycles (``catalogs``), for forms, imports and the due-visit lists.
from xiangzhi.people.catalogs import VisitCycles as VisitCycles
from xiangzhi.people.catalogs import resident_tag_choices as resident_tag_choices
from xiangzhi.people.catalogs import resident_tag_list as resident_tag_list
from xiangzhi.people.catalogs import visit_cycles as visit_cycles
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    HouseholdChangePhoto,
    IdentitySearch,
    KeyCategory,
    KeyPerson,
    KeyPersonChange,
    MemberHouseholdLink,
    Organisation,
    OrganisationChange,
    OrganisationKind,
    Place,
    PlaceChange,
    PlaceKind,
    RegisterImport,
    Resident,
    Tag,
    counted,
)
from xiangzhi.regions.models import Grid, Region, RegionLevel
from xiangzhi.regions.selectors import grid_counts, grid_index, grid_list_for_report_map

# Lists show a grid's name and code; its polygon can be large and is read only by maps.
NO_GRID_BOUNDARY = ("grid__boundary",)


def household_list_for_user(user: User, *, grid: Grid | None = None, search: str = "") -> QuerySet[Household]:
    """Households the user may see, newest register order, with their members in one more query."""
    qs = Household.objects.filter(scope_of(user).q("grid__path", "pk")).select_related("grid").defer(*NO_GRID_BOUNDARY)
    qs = qs.filter(closed_on__isnull=True)  # a closed household keeps its page, not its place in lists
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    search = search.strip()
    if search:
        qs = qs.filter(_search_q(search)).distinct()  # a name may match two members of one household
    # Grid, then registration order: an integer sort; sorting 20,000 household numbers as text under
    # a locale collation costs PostgreSQL more than the rest of the request.
    return qs.order_by("grid_id", "id").prefetch_related(
        # The living, still registered in the county: the deceased and the departed are no longer counted.
        Prefetch("residents", queryset=Resident.objects.filter(counted()).order_by("id"))
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


def key_person_list_for_user(user: User, *, category: KeyCategory | None = None,
                             ended: bool = False) -> QuerySet[KeyPerson]:
    """Active entries in scope; with ``ended``, the ended ones instead, most recently ended first."""
    qs = KeyPerson.objects.filter(
        scope_of(user).q("resident__household__grid__path", "resident__household_id"), is_active=not ended
    ).select_related("resident", "resident__household", "resident__household__grid", "category").defer(
        "resident__household__grid__boundary"
    )
    if category is not None:
        qs = qs.filter(category=category)
    if ended:
        return qs.order_by(F("ended_on").desc(nulls_last=True), "-id")
    return qs.order_by("category__code", "resident__household__number", "id")


def key_person_get_for_user(user: User, key_person_id: int) -> KeyPerson:
    """An entry, active or ended, for staff who may read the register in its scope; the same 404 for
    a villager, an outsider and a missing id."""
    if not can_read_register(user):
        raise NotFound()
    return get_in_scope_or_404(
        KeyPerson.objects.select_related("resident", "resident__household", "resident__household__grid",
                                         "category", "registered_by", "ended_by")
        .defer("resident__household__grid__boundary"),
        scope_of(user).q("resident__household__grid__path"), pk=key_person_id,
    )


def key_person_changes(key_person: KeyPerson) -> QuerySet[KeyPersonChange]:
    """An entry's history, oldest first (the caller has the entry in scope)."""
    return key_person.changes.select_related("actor").order_by("at", "id")


def household_key_people(user: User, household: Household) -> list[KeyPerson]:
    """The key-person entries of a household's members, active first, each with its history: for staff
    who read the register (the caller has the household in scope); a villager gets none."""
    if not can_read_register(user):
        return []
    return list(
        KeyPerson.objects.filter(resident__household=household)
        .select_related("resident", "category", "registered_by", "ended_by")
        .prefetch_related(Prefetch("changes", queryset=KeyPersonChange.objects.select_related("actor")
                                   .order_by("at", "id")))
        .order_by("-is_active", "resident_id", "-registered_on", "-id")
    )


def place_list_for_user(user: User, *, grid: Grid | None = None, kind: str = "",
                        active_only: bool = True) -> QuerySet[Place]:
    """Places in the user's scope (a grid's subtree, one kind), in use unless asked otherwise."""
    qs = (Place.objects.filter(scope_of(user).q("grid__path")).select_related("grid", "kind")
          .defer(*NO_GRID_BOUNDARY))
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    if kind:
        qs = qs.filter(kind__code=kind)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("grid__code", "kind__sort", "name", "id")


def organisation_list_for_user(user: User, *, grid: Grid | None = None, kind: str = "",
                               active_only: bool = True) -> QuerySet[Organisation]:
    qs = (Organisation.objects.filter(scope_of(user).q("grid__path")).select_related("grid", "kind")
          .defer(*NO_GRID_BOUNDARY))
    if grid is not None:
        qs = qs.filter(grid__path__startswith=grid.path)
    if kind:
        qs = qs.filter(kind__code=kind)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("grid__code", "kind__sort", "name", "id")


def region_counts(region: Region) -> dict[str, int]:
    """Headline figures for a region: its grids, households, residents and key people, counted,
    never stored."""
    grid_ids = Grid.objects.filter(path__startswith=region.path).values("id")
    return {
        **grid_counts(region),
        "households": Household.objects.filter(grid_id__in=grid_ids, closed_on__isnull=True).count(),
        "residents": Resident.objects.filter(counted(), household__grid_id__in=grid_ids).count(),
        "key_people": KeyPerson.objects.filter(resident__household__grid_id__in=grid_ids, is_active=True).count(),
    }


def county_path_of(region: Region) -> str:
    """The path of the county a region lies in (the root of the tree when no county is above it)."""
    parts = region.path.strip("/").split("/")
    prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    found = Region.objects.filter(level=RegionLevel.COUNTY, path__in=prefixes).values_list("path", flat=True).first()
    return found or prefixes[0]


def change_form_places(household: Household) -> dict[str, QuerySet[Region] | QuerySet[Grid]]:
    """What the change form offers: the county's villages (a move within the county) and the grids
    of the household's own village (a split)."""
    village = household.grid.region
    return {
        "villages": Region.objects.filter(path__startswith=county_path_of(village), level=RegionLevel.VILLAGE)
        .order_by("code").only("code", "name"),
        "village_grids": Grid.objects.filter(region=village, is_active=True).order_by("code").only("code", "name"),
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


# ---- 地、物、组织 ---------------------------------------------------------------------------------

# The report form offers the places within this distance of its pin.
PLACE_NEAR_METRES = 150


def place_kind_list(*, active_only: bool = True) -> QuerySet[PlaceKind]:
    qs = PlaceKind.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def organisation_kind_list(*, active_only: bool = True) -> QuerySet[OrganisationKind]:
    qs = OrganisationKind.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def place_get_for_user(user: User, place_id: int) -> Place:
    return get_in_scope_or_404(Place.objects.select_related("grid", "grid__region", "kind"),
                               scope_of(user).q("grid__path"), pk=place_id)


def organisation_get_for_user(user: User, organisation_id: int) -> Organisation:
    return get_in_scope_or_404(Organisation.objects.select_related("grid", "grid__region", "kind"),
                               scope_of(user).q("grid__path"), pk=organisation_id)


def place_history(place: Place) -> QuerySet[PlaceChange]:
    return place.changes.select_related("actor").order_by("-at", "-id")


def organisation_history(organisation: Organisation) -> QuerySet[OrganisationChange]:
    return organisation.changes.select_related("actor").order_by("-at", "-id")


def _report_places(user: User) -> QuerySet[Place]:
    """The places a report may name: those in use on the grids the user's report map shows (for a
    villager, his own village's: a street light is no secret to the people who walk past it)."""
    return Place.objects.filter(grid__in=grid_list_for_report_map(user).values("id"), is_active=True)


@dataclass(frozen=True)
class NearPlace:
    place: Place
    metres: int

    @property
    def text(self) -> str:
        return f"{self.place.title}（{self.metres}米）"


def place_near_list(user: User, *, lon: float, lat: float, metres: int = PLACE_NEAR_METRES,
                    limit: int = 8) -> list[NearPlace]:
    """Places within ``metres`` of a point that the user's report may name, nearest first. A box
    on the (lat, lon) index narrows the rows; the distance decides."""
    dlat = metres / geo_distance.METRES_PER_DEGREE
    dlon = dlat / max(0.01, cos(radians(lat)))
    rows = (_report_places(user).filter(lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))
            .select_related("kind")[:500])
    near = [NearPlace(p, round(geo_distance.haversine_m(lon, lat, p.lon, p.lat))) for p in rows]
    near = [n for n in near if n.metres <= metres]
    near.sort(key=lambda n: (n.metres, n.place.pk))
    return near[:limit]


def place_get_for_report(user: User, place_id: int) -> Place:
    """The place a report names: one the user's report could offer; 404 otherwise."""
    return get_in_scope_or_404(_report_places(user).select_related("kind"), Q(), pk=place_id)


def register_import_get_for_user(user: User, import_id: int) -> RegisterImport:
    """A compared household file waiting for a decision is its importer's alone: anyone else gets the
    same 404 as for one that does not exist."""
    found = RegisterImport.objects.filter(pk=import_id, importer_id=user.pk).first()
    if found is None:
        raise NotFound()
    return found


# --- 党员联系户 ----------------------------------------------------------------------------------


def member_link_list_for_user(
    user: User, *, region: Region | None = None, active: bool | None = True,
) -> QuerySet[MemberHouseholdLink]:
    """Links to households the user sees (below ``region`` if given); in post only by default, ended
    only with ``active=False``, both with ``active=None``."""
    qs = MemberHouseholdLink.objects.filter(scope_of(user).q("household__grid__path")).select_related(
        "member", "household", "household__grid", "ended_by").defer("household__grid__boundary")
    if region is not None:
        qs = qs.filter(household__grid__path__startswith=region.path)
    if active is not None:
        qs = qs.filter(ended_on__isnull=active)
    return qs.order_by("member_id", F("ended_on").desc(nulls_first=True), "household_id", "id")


def member_link_get_for_user(user: User, link_id: int) -> MemberHouseholdLink:
    return get_in_scope_or_404(
        MemberHouseholdLink.objects.select_related("member", "household"), scope_of(user).q("household__grid__path"),
        pk=link_id,
    )


def party_members_of_village(village: Region) -> QuerySet[Resident]:
    """The village's living party members, each with ``links_in_post`` (their households in post, one
    query for all)."""
    return (
        Resident.objects.filter(household__grid__region=village, tags__contains=Tag.PARTY_MEMBER, is_deceased=False)
        .select_related("household")
        .prefetch_related(Prefetch(
            "linked_households", to_attr="links_in_post",
            queryset=MemberHouseholdLink.objects.filter(ended_on__isnull=True).select_related("household")
            .order_by("household__number"),
        ))
        .order_by("name", "id")
    )


def households_without_member(village: Region) -> QuerySet[Household]:
    """The village's households no party member answers for."""
    linked = MemberHouseholdLink.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    return (Household.objects.filter(grid__region=village).exclude(Exists(linked)).select_related("grid")
            .defer(*NO_GRID_BOUNDARY).order_by("grid__code", "number"))


def member_link_of_household(household: Household) -> MemberHouseholdLink | None:
    """The party member in post for a household, if any."""
    return (MemberHouseholdLink.objects.filter(household=household, ended_on__isnull=True)
            .select_related("member").first())


# --- 需要调整网格的户 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GridMismatch:
    """A household whose house now lies in another grid of its village than the one it is registered in."""

    household: Household
    located: Grid


def households_to_regrid(village: Region) -> list[GridMismatch]:
    """The village's households whose location falls in another active grid of the same village (after
    a boundary was redrawn), by household number; the village moves them, nothing moves by itself.
    Two queries whatever the village's size: its households, and the grids they now fall in."""
    households = list(
        Household.objects.filter(grid__region=village, lon__isnull=False, lat__isnull=False)
        .select_related("grid").defer(*NO_GRID_BOUNDARY).order_by("number")
    )
    index = grid_index()
    found = [(h, index.locate(h.lon, h.lat)) for h in households]  # type: ignore[arg-type]  # filtered non-null
    wanted = {gid for h, gid in found if gid is not None and gid != h.grid_id}
    grids = Grid.objects.filter(pk__in=wanted, region=village).defer("boundary").in_bulk()
    return [GridMismatch(h, grids[gid]) for h, gid in found if gid in grids and gid != h.grid_id]


# --- 一键可知: the register's counts per grid, now and at a moment before --------------------------
#
# The command centre's area profile shows each count with its change since the end of last month,
# read from the register's own dates. Each function groups by the household's grid (the grid it is in
# now: the register keeps a household's moves between grids of its village as names, not keys).

class _Unindexed(Func):
    """A column's value, which SQLite's planner may not look up by the column's index (``+col``, as the
    command centre's ``NoIndex``); PostgreSQL gets the bare column and plans as it sees fit."""

    arity = 1
    template = "%(expressions)s"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, template="(+%(expressions)s)", **extra_context)


RESIDENT_ARRIVALS = (HouseholdChange.Kind.BIRTH, HouseholdChange.Kind.MARRY_IN, HouseholdChange.Kind.MOVE_IN)
RESIDENT_DEPARTURES = (HouseholdChange.Kind.DEATH, HouseholdChange.Kind.MARRY_OUT, HouseholdChange.Kind.MOVE_OUT)


def household_counts_by_grid(grid_ids: QuerySet[Grid, Any], since: dt.datetime) -> dict[int, tuple[int, int]]:
    """grid id → (households on the register now, households on it at ``since``): registered before
    ``since`` (``created_at``) and not closed before its day (``closed_on``). One grouped query."""
    day = timezone.localtime(since).date()
    then = Q(created_at__lt=since) & (Q(closed_on__isnull=True) | Q(closed_on__gte=day))
    rows = (Household.objects.filter(grid_id__in=grid_ids).values("grid_id").order_by()
            .annotate(now=Count("id", filter=Q(closed_on__isnull=True)), then=Count("id", filter=then)))
    return {r["grid_id"]: (r["now"], r["then"]) for r in rows}


def resident_counts_by_grid(grid_ids: QuerySet[Grid, Any], since: dt.datetime) -> dict[int, tuple[int, int]]:
    """grid id → (residents on the register now, the net change since ``since``).

    Residents carry no date of their own, so the change is the register's flow since then: the
    confirmed 出生, 婚入 and 迁入 (+1 each) and 死亡, 婚出 and 迁出 (−1 each) on the grid's households, by
    the time the village confirmed them; a move within the county is a 迁出 on one household and a 迁入 on
    the other, which cancel wherever both lie. Plus the people registered with a household created
    since (the household file's import, 新建户) who did not arrive through one of those changes. A
    household made by a register change (分户, a move into a new household) is told by that change: it
    was decided no later than the household was created, in the same transaction. Three grouped
    queries; the last reads only the households created since."""
    now = dict(Resident.objects.filter(counted(), household__grid_id__in=grid_ids)
               .values("household__grid_id").order_by().annotate(n=Count("id"))
               .values_list("household__grid_id", "n"))
    change: dict[int, int] = {}
    flows = (HouseholdChange.objects.filter(state=HouseholdChange.State.CONFIRMED, decided_at__gte=since,
                                            kind__in=[*RESIDENT_ARRIVALS, *RESIDENT_DEPARTURES],
                                            household__grid_id__in=grid_ids)
             .values("household__grid_id", "kind").order_by().annotate(n=Count("id"))
             .values_list("household__grid_id", "kind", "n"))
    for grid_id, kind, n in flows:
        change[grid_id] = change.get(grid_id, 0) + (n if kind in RESIDENT_ARRIVALS else -n)
    made_by_change = HouseholdChange.objects.filter(household=OuterRef("household_id"),
                                                    decided_at__lte=OuterRef("household__created_at"))
    arrived = HouseholdChange.objects.filter(household=OuterRef("household_id"), resident=OuterRef("pk"),
                                             state=HouseholdChange.State.CONFIRMED, kind__in=RESIDENT_ARRIVALS)
    registered = (Resident.objects.filter(household__grid_id__in=grid_ids, household__created_at__gte=since)
                  .exclude(Exists(made_by_change)).exclude(Exists(arrived))
                  .values("household__grid_id").order_by().annotate(n=Count("id"))
                  .values_list("household__grid_id", "n"))
    for grid_id, n in registered:
        change[grid_id] = change.get(grid_id, 0) + n
    return {grid_id: (now.get(grid_id, 0), change.get(grid_id, 0)) for grid_id in set(now) | set(change)}


def key_person_counts_by_grid(grid_ids: QuerySet[Grid, Any], on: dt.date) -> dict[tuple[int, int], tuple[int, int]]:
    """(grid id, category id) → (key people in the register now, key people as registered on ``on``).
    An entry counts on a day when registered on or before it and not ended by then (``registered_on``,
    ``ended_on``); one re-categorised later counts in the category it had then (its first later
    change's "before", by the category's name), as the grid assessment reads it."""
    by_grid = "resident__household__grid_id"
    as_of = Q(registered_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))
    out: dict[tuple[int, int], list[int]] = {}
    # On the bare column SQLite walks every household of the grids and every resident of those to find
    # the few key people; kept off its index it reads the key people and looks up each one's resident
    # and household.
    grid_key = _Unindexed(F(by_grid))
    for grid_id, category_id, now, then in (KeyPerson.objects.annotate(grid_key=grid_key)
                                            .filter(grid_key__in=grid_ids).values("grid_key", "category_id")
                                            .order_by().annotate(now=Count("id", filter=Q(is_active=True)),
                                                                 then=Count("id", filter=as_of))
                                            .values_list("grid_key", "category_id", "now", "then")):
        out[(grid_id, category_id)] = [now, then]
    start = timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min))
    by_name = {name: pk for pk, name in KeyCategory.objects.values_list("id", "name")}
    seen: set[int] = set()
    changed_key = _Unindexed(F(f"key_person__{by_grid}"))
    for kp_id, grid_id, category_id, registered_on, ended_on, before in (
            KeyPersonChange.objects.filter(kind=KeyPersonChange.Kind.CATEGORY, at__gte=start)
            .annotate(grid_key=changed_key).filter(grid_key__in=grid_ids)
            .order_by("key_person_id", "at", "id")
            .values_list("key_person_id", "grid_key", "key_person__category_id", "key_person__registered_on",
                         "key_person__ended_on", "before")):
        if kp_id in seen:
            continue
        seen.add(kp_id)
        if registered_on > on or (ended_on is not None and ended_on <= on):
            continue  # not in the register that day: counted in no category then
        earlier = by_name.get(str((before or {}).get("类别", "")))
        if earlier is None or earlier == category_id:
            continue
        out.setdefault((grid_id, category_id), [0, 0])[1] -= 1
        out.setdefault((grid_id, earlier), [0, 0])[1] += 1
    return {key: (now, then) for key, (now, then) in out.items()}
