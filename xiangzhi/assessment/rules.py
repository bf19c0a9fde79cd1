"""Who may do what with assessment schemes and periods. Which villages a person sees is the selectors'
business (their scope); these are the role predicates."""

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import has_role

# The county edits its schemes, opens, runs, publishes and closes periods, scores by hand and corrects.
MANAGER_ROLES = frozenset({Role.COUNTY_ADMIN})
# Township and village staff see published rankings and their own villages' scores.
VIEWER_ROLES = MANAGER_ROLES | {Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE}

can_manage = has_role(*MANAGER_ROLES)
can_view = has_role(*VIEWER_ROLES)
