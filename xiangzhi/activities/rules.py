"""Who may do what with volunteer activities. Scope (which villages) is the selectors' business;
these are the role predicates."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role

# Who organises an activity: creates it, closes sign-up, cancels it, checks people in.
ORGANISER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.POINTS_RECORDER,
                             Role.GRID_CHIEF})
# 一键记分 posts points for households anywhere in the village, so only roles that stand on the whole
# village (not a grid chief, who stands on grids) award.
AWARD_ROLES = ORGANISER_ROLES - {Role.GRID_CHIEF}
# Staff who may sign a household of their scope up (a grid worker does so going door to door).
SIGNUP_ROLES = ORGANISER_ROLES | {Role.GRID_WORKER}
# Staff who may see the activities of their villages (read-only for those not organising).
VIEWER_ROLES = SIGNUP_ROLES | {Role.POINTS_SUPERVISOR, Role.GRID_GUIDE}
# Comparing villages' volunteer work: staff who stand on a region (as for the points rankings).
COMPARE_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.POINTS_RECORDER,
                           Role.POINTS_SUPERVISOR})

can_organise = has_role(*ORGANISER_ROLES)
can_award = has_role(*AWARD_ROLES)
can_sign_up_others = has_role(*SIGNUP_ROLES)
can_compare = has_role(*COMPARE_ROLES)


def can_view(user: AnyUser) -> bool:
    """Staff of a village, and villagers (their own village's activities)."""
    return user.is_authenticated and (user.is_superuser or user.role in VIEWER_ROLES or bool(user.household_id))
