"""Who may do what with sunshine meetings and deliberations. Scope (which villages) is the selectors'
business; these are the role predicates."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role

# The village's cadres record its meetings, commitments and deliberations.
can_record = has_role(Role.VILLAGE_CADRE)
# The township's comprehensive centre (or the county) screens what goes public and follows the villages.
can_screen = has_role(Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)
# Meetings, commitments and deliberations are read by the village and those above it.
can_read = has_role(Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)


def can_follow_commitments(user: AnyUser) -> bool:
    """Anyone signed in may own a commitment (a grid worker of the village); the selectors decide which."""
    return user.is_authenticated and user.role != Role.RESIDENT
