"""Who may do what with the three lists. Which county's lists a person reads is the selectors' business
(their scope); these are the role predicates."""

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import has_role

# The county keeps its lists: drafts, items, imports, activation.
EDITOR_ROLES = frozenset({Role.COUNTY_ADMIN})
# Township and village staff read the lists in force and those retired (never a draft).
READER_ROLES = EDITOR_ROLES | {Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE}
# The territorial list as one township's duties (牵头 / 配合): the county and the township's own staff.
TOWNSHIP_VIEW_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})

can_edit = has_role(*EDITOR_ROLES)
can_read = has_role(*READER_ROLES)
can_view_township = has_role(*TOWNSHIP_VIEW_ROLES)
