"""Every read of volunteer activities, scoped: villagers see their own village's activities, staff
the villages they stand on (a region role: the villages under its region; a grid role: the villages
its grids lie in). The same 404 answers "does not exist" and "not yours"."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.activities.models import Activity, ActivitySignup, ActivityState
from xiangzhi.activities.rules import can_view
from xiangzhi.core.errors import NotFound
from xiangzhi.people.models import Household
from xiangzhi.points.models import Direction
from xiangzhi.points.selectors import (
    EffectiveRule,
    VillageParticipation,
    household_choice_list_for_user,
    rule_list_for_village,
    village_household_list,
)
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

ACTIVE = Q(withdrawn_at__isnull=True)


def _home_village_id(user: User) -> int | None:
    if not user.household_id:
        return None
    return Household.objects.filter(pk=user.household_id).values_list("grid__region_id", flat=True).first()


def _staff_q(user: User, prefix: str = "") -> Q:
    """Regions the user stands on as staff or lies under, as a filter (``prefix``: the way to the region).
    A grid path's ancestors include its village, so a grid role reaches the villages its grids lie in."""
    scope = scope_of(user)
    if scope.everything:
        return Q()
    q = Q(pk__in=[])
    for p in scope.paths:
        q |= Q(**{f"{prefix}path__startswith": p}) | Q(**{f"{prefix}path__in": ancestor_paths(p)})
    return q


def _visible_q(user: User) -> Q:
    if not can_view(user):
        return Q(pk__in=[])
    q = _staff_q(user, "village__")
    if home := _home_village_id(user):
        q |= Q(village_id=home)
    return q


def covers_village(user: User, village: Region) -> bool:
    """Whether the user stands on the village as staff (not merely lives there)."""
    scope = scope_of(user)
    return scope.covers_path(village.path) or any(p.startswith(village.path) for p in scope.paths)


def _annotated(qs: QuerySet[Activity], user: User) -> QuerySet[Activity]:
    """Counts of sign-ups and check-ins, and ``my_signup_id``: the user's household's sign-up, if any."""
    mine = ActivitySignup.objects.filter(ACTIVE, activity=OuterRef("pk"), household_id=user.household_id or 0)
    return qs.select_related("village", "rule", "rule__category").defer("village__boundary").annotate(
        my_signup_id=Subquery(mine.values("pk")[:1]),
        signed_up_households=Count("signups", filter=Q(signups__withdrawn_at__isnull=True)),
        signed_up_people=Coalesce(Sum("signups__people", filter=Q(signups__withdrawn_at__isnull=True)), 0),
        checked_in_households=Count("signups", filter=Q(signups__checked_in_at__isnull=False)),
        checked_in_people=Coalesce(Sum("signups__people", filter=Q(signups__checked_in_at__isnull=False)), 0),
    )


def activity_list_for_user(user: User, *, village: Region | None = None, state: str | None = None,
                           upcoming: bool | None = None, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """Activities the user may see, each with its sign-up and check-in counts. ``upcoming``: not
    ended yet, soonest first; otherwise newest first."""
    qs = Activity.objects.filter(_visible_q(user))
    if village is not None:
        qs = qs.filter(village=village)
    if state:
        qs = qs.filter(state=state)
    now = now or timezone.now()
    if upcoming is True:
        qs = qs.filter(ends_at__gte=now).order_by("starts_at", "id")
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    else:
        qs = qs.order_by("-starts_at", "-id")
    return _annotated(qs, user)


def activity_get_for_user(user: User, activity_id: int) -> Activity:
    return get_in_scope_or_404(_annotated(Activity.objects.all(), user), _visible_q(user), pk=activity_id)


def _signups_for_user(user: User, activity: Activity) -> QuerySet[ActivitySignup]:
    """The activity's sign-ups the user may see: all for staff of the whole village, those of the
    households in their grids for a grid role, a villager's own otherwise."""
    qs = (activity.signups.all()
          .select_related("household", "household__grid", "resident", "signed_up_by", "checked_in_by",
                          "award_entry", "award_entry__review")
          .defer("household__grid__boundary")
          .order_by("household__grid__code", "household__number", "id"))
    scope = scope_of(user)
    if scope.covers_path(activity.village.path):
        return qs
    return qs.filter(scope.q("household__grid__path") | Q(household_id=user.household_id or 0))


def signups_in_reach(user: User, activity: Activity, household_ids: Iterable[int]) -> bool:
    """Whether every one of these households is one the user acts for in the activity's village:
    any there for staff of the whole village, only those of their grids for a grid role."""
    scope = scope_of(user)
    if scope.covers_path(activity.village.path):
        return True
    paths = Household.objects.filter(pk__in=set(household_ids)).values_list("grid__path", flat=True)
    return all(scope.covers_path(p) for p in paths)


def signup_list_for_user(user: User, activity: Activity) -> QuerySet[ActivitySignup]:
    """The sign-ups not withdrawn."""
    return _signups_for_user(user, activity).filter(ACTIVE)


def signup_get_for_user(user: User, activity: Activity, signup_id: int) -> ActivitySignup:
    """One sign-up, withdrawn or not (withdrawing twice is a conflict, not a missing page)."""
    signup = _signups_for_user(user, activity).filter(pk=signup_id).first()
    if signup is None:
        raise NotFound()
    return signup


def signup_list_for_household(household_id: int) -> QuerySet[ActivitySignup]:
    """我报名的: a household's sign-ups not withdrawn, latest activity first."""
    return (ActivitySignup.objects.filter(ACTIVE, household_id=household_id)
            .select_related("activity", "activity__village", "award_entry", "award_entry__review")
            .defer("activity__village__boundary")
            .order_by("-activity__starts_at", "-id"))


def signup_get_for_household(activity: Activity, household_id: int | None) -> ActivitySignup | None:
    if not household_id:
        return None
    return (activity.signups.filter(ACTIVE, household_id=household_id)
            .select_related("resident", "award_entry", "award_entry__review").first())


def household_list_for_signup(user: User, activity: Activity, *, search: str = "", limit: int = 200) -> list[Household]:
    """Households of the activity's village the user may sign up (those of their scope)."""
    return household_choice_list_for_user(user, search=search, village_id=activity.village_id, limit=limit)


def village_list_for_organiser(user: User) -> list[Region]:
    """Villages the user may start an activity in."""
    return list(Region.objects.filter(_staff_q(user), level=RegionLevel.VILLAGE).defer("boundary").order_by("code"))


def award_rule_list_for_village(village: Region, on: dt.date | None = None) -> list[EffectiveRule]:
    """Items an activity may award in the village: additions in force there that staff record by
    hand (not system-only) and that need no photo (the check-in is the evidence)."""
    return [r for r in rule_list_for_village(village, on)
            if r.direction == Direction.ADD and r.roles and not r.evidence_required]


# --- participation and comparisons ---------------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def household_participation(household_id: int, year: int | None = None) -> int:
    """Activities (not cancelled) of the year the household was checked in at."""
    start, end = _year_bounds(year or timezone.localdate().year)
    return (ActivitySignup.objects.filter(household_id=household_id, checked_in_at__isnull=False,
                                          activity__starts_at__gte=start, activity__starts_at__lt=end)
            .exclude(activity__state=ActivityState.CANCELLED).count())


@dataclass(frozen=True)
class VolunteerRow(VillageParticipation):
    """``participating``: households checked in at least once."""

    activities: int
    person_times: int
    household_times: int

    @property
    def per_household(self) -> float | None:
        """Person-times per household: villages of different sizes compared on one scale."""
        return round(self.person_times / self.households, 2) if self.households else None


def village_volunteer_table(region: Region, year: int | None = None) -> list[VolunteerRow]:
    """Volunteer work per village under ``region`` in the year (activities not cancelled that have
    started): activities held, person-times and household-times checked in, households taking part.
    Four grouped queries whatever the number of villages; most person-times per household first."""
    start, end = _year_bounds(year or timezone.localdate().year)
    end = min(end, timezone.now())
    villages = village_household_list(region)
    held = Activity.objects.filter(village__path__startswith=region.path, starts_at__gte=start,
                                   starts_at__lt=end).exclude(state=ActivityState.CANCELLED)
    activities = dict(held.values("village_id").order_by().annotate(n=Count("pk")).values_list("village_id", "n"))
    sums = {
        row["activity__village_id"]: row
        for row in ActivitySignup.objects.filter(activity__in=held.values("pk"), checked_in_at__isnull=False)
        .values("activity__village_id").order_by()
        .annotate(person_times=Sum("people"), household_times=Count("pk"),
                  participating=Count("household_id", distinct=True))
    }
    rows = []
    for v, households in villages:
        s = sums.get(v.pk, {})
        rows.append(VolunteerRow(village=v, households=households,
                                 participating=s.get("participating", 0), activities=activities.get(v.pk, 0),
                                 person_times=s.get("person_times") or 0, household_times=s.get("household_times", 0)))
    return sorted(rows, key=lambda r: (-(r.per_household or 0), r.village.code))


def compare_region_list_for_user(user: User) -> list[Region]:
    """The regions whose villages the user may compare: their scope nodes, widest first."""
    scope = scope_of(user)
    if scope.everything:
        return list(Region.objects.filter(level=RegionLevel.COUNTY).defer("boundary"))
    return list(Region.objects.filter(path__in=scope.paths).defer("boundary").order_by("path"))
