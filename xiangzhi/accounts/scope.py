"""Where a user stands: the set of region/grid paths they may see, or one household.

Every selector that reaches regions, grids, people, cases or points filters through
``scope_of(user)``; there is no other way in.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from xiangzhi.accounts.models import GRID_ROLES, REGION_ROLES, AnyUser, Role
from xiangzhi.core.errors import NotFound
from xiangzhi.regions.models import Grid, Region

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    paths: tuple[str, ...] = ()
    household_id: int | None = None
    department_id: int | None = None
    everything: bool = False
    # False for a role whose scope reaches the places but not the households in them (the 督查员: his
    # township's villages for the monthly inspection, never their register or points books). Filters that
    # name a household field (the register, residents, key people, visits, points entries) find nothing.
    households: bool = True

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.paths or self.household_id)

    def q(self, path_field: str, household_field: str | None = None) -> Q:
        """A filter on ``path_field`` (a region/grid path) — or on the household for residents."""
        if self.everything:
            return Q()
        if household_field is not None and not self.households:
            return Q(pk__in=[])
        if self.household_id is not None and household_field is not None:
            return Q(**{household_field: self.household_id})
        if not self.paths:
            return Q(pk__in=[])
        if path_field == "grid__path" or path_field.endswith("__grid__path"):
            # Big tables hang off grids: filter them by grid id (their indexed foreign key) against
            # the few hundred grids under the scope, instead of joining every row to its grid.
            grids = Grid.objects.filter(reduce(or_, (Q(path__startswith=p) for p in self.paths))).values("id")
            return Q(**{f"{path_field[: -len('__path')]}__in": grids})
        return reduce(or_, (Q(**{f"{path_field}__startswith": p}) for p in self.paths))

    def filter(self, qs: QuerySet[M], path_field: str, household_field: str | None = None) -> QuerySet[M]:
        return qs.filter(self.q(path_field, household_field))

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)


def _compute(user: AnyUser) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    role = user.role
    if role in REGION_ROLES:
        if not user.region_id:
            return Scope()
        return Scope(paths=tuple(Region.objects.filter(pk=user.region_id).values_list("path", flat=True)),
                     households=role != Role.INSPECTOR)
    if role in GRID_ROLES:
        paths = tuple(
            Grid.objects.filter(assignments__user=user, assignments__ended_on__isnull=True)
            .values_list("path", flat=True)
            .distinct()
        )
        return Scope(paths=paths)
    if role == Role.DEPARTMENT_STAFF:
        # A department handles cases sent to it; it reaches no household register.
        return Scope(department_id=user.department_id)
    if role == Role.RESIDENT and user.household_id:
        return Scope(household_id=user.household_id)
    return Scope()


def scope_of(user: AnyUser) -> Scope:
    cached: Scope | None = getattr(user, "_xiangzhi_scope", None)
    if cached is None:
        cached = _compute(user)
        if user.is_authenticated:
            user._xiangzhi_scope = cached
    return cached


def get_in_scope_or_404(qs: QuerySet[M], scope_q: Q, **lookup: object) -> M:
    """One answer for "does not exist" and "not yours", so ids cannot be probed: ``NotFound``, which
    pages and the API answer with 404."""
    obj = qs.filter(scope_q, **lookup).first()
    if obj is None:
        raise NotFound()
    return obj
