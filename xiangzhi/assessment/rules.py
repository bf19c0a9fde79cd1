"""Who may do what with assessment schemes and periods. Which villages and grids a person sees is the
selectors' business (their scope); these are the role predicates, and for appeals the unit's."""

from xiangzhi.accounts.models import GRID_ROLES, AnyUser, Role
from xiangzhi.accounts.rules import has_role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.assessment.models import SchemeKind
from xiangzhi.regions.models import Grid, Region

# The county edits its schemes, opens, runs, publishes and closes periods, scores by hand and corrects.
MANAGER_ROLES = frozenset({Role.COUNTY_ADMIN})
# Township and village staff see published rankings and their own villages' scores.
VIEWER_ROLES = MANAGER_ROLES | {Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE}
# The grid assessment is seen also by the grids' own people (网格长, 网格员, 网格指导员): the published
# quarters and their own grids' scores; township staff see their township's grids, the village its own.
GRID_VIEWER_ROLES = VIEWER_ROLES | GRID_ROLES
# 申诉: a grid's chief (assigned to it as 网格长) or the village cadre over it files; the township staff
# over the grid or the county decide.
APPEAL_FILER_ROLES = frozenset({Role.GRID_CHIEF, Role.VILLAGE_CADRE})
APPEAL_DECIDER_ROLES = frozenset({Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})

can_manage = has_role(*MANAGER_ROLES)
can_view = has_role(*VIEWER_ROLES)
can_view_grids = has_role(*GRID_VIEWER_ROLES)
can_view_any = can_view_grids  # the index and the menu: either kind of period
can_file_appeals = has_role(*APPEAL_FILER_ROLES)
can_decide_appeals = has_role(*APPEAL_DECIDER_ROLES)


def can_view_kind(user: AnyUser, kind: str) -> bool:
    """Grid periods for the grid viewers, the village scorecard for the village viewers."""
    return can_view_grids(user) if kind == SchemeKind.GRID else can_view(user)


def can_appeal(user: AnyUser, grid: Grid | Region, chief_of: frozenset[int] = frozenset()) -> bool:
    """The grid's chief (``chief_of``: the grids the user is assigned to as 网格长 now) or a village cadre
    whose village holds the grid. For a village's score (the 六零 scorecard, ``grid`` a village) the
    village's cadre only."""
    if not can_file_appeals(user):
        return False
    if user.is_superuser or getattr(user, "role", None) == Role.VILLAGE_CADRE:
        return scope_of(user).covers_path(grid.path)
    return isinstance(grid, Grid) and grid.pk in chief_of


def can_decide_appeal(user: AnyUser, grid: Grid | Region | None) -> bool:
    """Township staff whose township holds the grid (or the village, for a village's score), or the county."""
    return grid is not None and can_decide_appeals(user) and scope_of(user).covers_path(grid.path)
