"""Who may do what with the village code, questions and their screening. Scope (which villages) is
the selectors' business; these are the role predicates."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.regions.models import Region

# Screen questions and answer them in public: the village's cadres and the township and county above.
MODERATOR_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE})
# Re-issue a village's code (a lost or defaced poster): the township and the county.
CODE_ISSUER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})

can_moderate = has_role(*MODERATOR_ROLES)
can_reissue_codes = has_role(*CODE_ISSUER_ROLES)
# The poster is printed by whoever keeps the village's public board: the moderators.
can_print_posters = can_moderate


def can_moderate_village(user: AnyUser, village: Region) -> bool:
    return can_moderate(user) and scope_of(user).covers_path(village.path)


def can_reissue_code(user: AnyUser, village: Region) -> bool:
    return can_reissue_codes(user) and scope_of(user).covers_path(village.path)
