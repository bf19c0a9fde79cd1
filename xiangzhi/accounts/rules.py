"""Who may do what: small predicates, combined where a page or endpoint needs them."""

from collections.abc import Callable

from xiangzhi.accounts.models import AnyUser, Role, Signup
from xiangzhi.accounts.scope import scope_of

STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}
HOUSEHOLD_EDITORS = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_CHIEF,
                               Role.GRID_WORKER})
REGISTER_READERS = HOUSEHOLD_EDITORS | {Role.GRID_GUIDE, Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR}
GRID_MANAGERS = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})


def is_superuser(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_superuser


def has_role(*roles: str) -> Callable[[AnyUser], bool]:
    wanted = frozenset(roles)

    def predicate(user: AnyUser) -> bool:
        return user.is_authenticated and (user.is_superuser or user.role in wanted)

    return predicate


can_read_register = has_role(*REGISTER_READERS)
can_edit_register = has_role(*HOUSEHOLD_EDITORS)
can_manage_grids = has_role(*GRID_MANAGERS)
is_staff_member = has_role(*STAFF_ROLES)


def can_reveal_identity(user: AnyUser) -> bool:
    return user.is_authenticated and can_read_register(user) and user.has_perm("people.reveal_identity")


# The village cadre confirms or refuses the sign-ups of his own village.
can_decide_signups = has_role(Role.VILLAGE_CADRE)


def can_decide_signup(user: AnyUser, signup: Signup) -> bool:
    return can_decide_signups(user) and scope_of(user).covers_path(signup.village.path)


def can_add_family_member(user: AnyUser) -> bool:
    """A resident whose account the village confirmed (it has a household)."""
    return user.is_authenticated and user.role == Role.RESIDENT and user.household_id is not None
