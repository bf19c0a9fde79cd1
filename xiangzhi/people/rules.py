"""Who may change the household register from the field."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import can_read_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.people.models import Household, HouseholdChange
from xiangzhi.regions.models import Grid, Region

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
    """Waiting and refused proposals, and their evidence photos, are the working papers of the staff who
    read the register; a villager sees only what was confirmed about his own household (a 督查员 nothing)."""
    return user.is_authenticated and user.role != Role.RESIDENT and can_read_register(user)


# Key people (重点人员) are registered, re-categorised and ended by those who visit them: grid workers
# and chiefs in their grids, the village cadre in his village. Villagers never see the registry.
KEY_PEOPLE_KEEPERS = frozenset({Role.GRID_CHIEF, Role.GRID_WORKER, Role.VILLAGE_CADRE})


def can_keep_key_people(user: AnyUser) -> bool:
    return user.is_authenticated and user.role in KEY_PEOPLE_KEEPERS


def can_keep_key_person(user: AnyUser, household: Household) -> bool:
    """For a resident of ``household``: the household lies in the keeper's grids or village."""
    return can_keep_key_people(user) and scope_of(user).covers_path(household.grid.path)


# 地、物、组织: grid workers and chiefs keep those of their grids, the village cadre his village's.
SITE_KEEPERS = frozenset({Role.GRID_CHIEF, Role.GRID_WORKER, Role.VILLAGE_CADRE})


def can_keep_sites(user: AnyUser) -> bool:
    return user.is_authenticated and user.role in SITE_KEEPERS


def can_keep_sites_in(user: AnyUser, grid: Grid) -> bool:
    """Add, edit, move or retire a place or organisation on ``grid``."""
    return can_keep_sites(user) and scope_of(user).covers_path(grid.path)


# 党员联系户: the village cadre links his village's party members to its households and ends the links.
MEMBER_LINK_KEEPERS = frozenset({Role.VILLAGE_CADRE})


def can_keep_member_links(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in MEMBER_LINK_KEEPERS)


def can_keep_member_links_in(user: AnyUser, village: Region) -> bool:
    return can_keep_member_links(user) and scope_of(user).covers_path(village.path)
