"""Who may do what in the supermarket. The counter (shelf, stock, hand-over, ordering for a
household) is the village's cadres and points recorder, and township and county staff above them;
a villager orders for their own household and may cancel its orders while they wait. Redemption
windows belong to the points cycle: points administrators arrange them
(``points.rules.can_administer_points``)."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import has_role

SHOP_STAFF_ROLES = frozenset({Role.VILLAGE_CADRE, Role.POINTS_RECORDER, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})

can_run_shop = has_role(*SHOP_STAFF_ROLES)


def has_household(user: AnyUser) -> bool:
    return user.is_authenticated and bool(user.household_id)


def can_use_shop(user: AnyUser) -> bool:
    """Sees a shelf at all: staff at a counter, or anyone with a household."""
    return can_run_shop(user) or has_household(user)
