"""Who may assign and end 四级包保 liaisons: each tier by the level above it, inside its own scope."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.regions.models import Grid, Liaison, Region, RegionLevel

Tier = Liaison.Tier

# County staff put county leaders on townships and township cadres on villages; township staff put
# township cadres on the villages of their township; a village cadre puts village cadres on the groups
# of his village.
LIAISON_ASSIGNERS: dict[str, frozenset[str]] = {
    Tier.COUNTY_LEADER: frozenset({Role.COUNTY_ADMIN}),
    Tier.TOWNSHIP_CADRE: frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF}),
    Tier.VILLAGE_CADRE: frozenset({Role.VILLAGE_CADRE}),
}
# The level of the region each tier answers for.
TIER_LEVEL: dict[str, str] = {
    Tier.COUNTY_LEADER: RegionLevel.TOWNSHIP,
    Tier.TOWNSHIP_CADRE: RegionLevel.VILLAGE,
    Tier.VILLAGE_CADRE: RegionLevel.VILLAGE,
}


def can_assign_tier(user: AnyUser, tier: str) -> bool:
    roles = LIAISON_ASSIGNERS.get(tier)
    return roles is not None and has_role(*roles)(user)


def can_manage_liaison(user: AnyUser, tier: str, region: Region) -> bool:
    """May assign or end a liaison of ``tier`` on ``region`` (the region lies in the user's scope)."""
    return can_assign_tier(user, tier) and scope_of(user).covers_path(region.path)


def can_manage_any_liaison(user: AnyUser) -> bool:
    return any(can_assign_tier(user, tier) for tier in Tier.values)


def tiers_managed_on(user: AnyUser, region: Region) -> list[str]:
    """The tiers the user may assign on ``region``: those whose level is the region's, in scope."""
    return [t for t in Tier.values if TIER_LEVEL[t] == region.level and can_manage_liaison(user, t, region)]


# --- 网格边界 ------------------------------------------------------------------------------------

# A village cadre redraws the grids of his village; township and county staff those below them. Grid
# staff and villagers do not.
BOUNDARY_EDITORS = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE})
can_edit_boundaries = has_role(*BOUNDARY_EDITORS)


def can_edit_boundary(user: AnyUser, grid: Grid) -> bool:
    return can_edit_boundaries(user) and scope_of(user).covers_path(grid.path)
