"""Who may do what with village projects. Scope (which villages) is the selectors' business; these
are the role predicates."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role

# Who keeps a village's requests, plan, projects, milestones, spending and donations: its cadres and
# the township and county above (the township sees and follows its villages' projects).
KEEPER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE})

can_keep = has_role(*KEEPER_ROLES)


def can_submit(user: AnyUser) -> bool:
    """A villager for his own village (his household's), a keeper for a village he stands on."""
    return can_keep(user) or (user.is_authenticated and user.role == Role.RESIDENT and bool(user.household_id))
