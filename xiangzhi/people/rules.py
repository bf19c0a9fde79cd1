"""Who may change the household register from the field."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.people.models import Household, HouseholdChange

CHANGE_PROPOSERS = frozenset({Role.GRID_CHIEF, Role.GRID_WORKER, Role.VILLAGE_CADRE})


def can_propose_changes(user: AnyUser) -> bool:
    return user.is_authenticated and user.role in CHANGE_PROPOSERS


def can_propose_change(user: AnyUser, household: Household) -> bool:
    """Grid workers and chiefs for the households of their grids, the village cadre for his village's."""
    return can_propose_changes(user) and scope_of(user).covers_path(household.grid.path)


def can_decide_changes(user: AnyUser) -> bool:
    return user.is_authenticated and user.role == Role.VILLAGE_CADRE


def can_decide_change(user: AnyUser, change: HouseholdChange) -> bool:
    return can_decide_changes(user) and scope_of(user).covers_path(change.household.grid.path)


def sees_change_drafts(user: AnyUser) -> bool:
    """Waiting and refused proposals, and their evidence photos, are the staff's working papers; a
    villager sees only what was confirmed about his own household."""
    return user.is_authenticated and user.role != Role.RESIDENT
