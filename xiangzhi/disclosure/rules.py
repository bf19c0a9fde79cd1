"""Who may do what with village affairs disclosures. Scope (which villages and regions) is the
selectors' business; these are the role predicates."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role

# Who fills, submits, publishes and withdraws a village's disclosures, keeps its cadres and writes
# posts: its cadres (村两委) and the township and county above.
KEEPER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE})
# Who screens what is to be published: the township's 综治中心 and the county (no village-level screener
# role exists; a village does not screen its own disclosures).
SCREENER_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})

can_keep = has_role(*KEEPER_ROLES)
can_screen = has_role(*SCREENER_ROLES)
# The county's template of due items.
can_edit_template = has_role(Role.COUNTY_ADMIN)
# Overdue disclosures of the villages: the township and county supervise; a cadre sees his own village's.
can_see_overdue = can_keep


def may_screen(user: AnyUser, submitted_by_id: int | None) -> bool:
    """A screener, and not the one who submitted it: nobody passes his own submission."""
    return can_screen(user) and user.pk != submitted_by_id
