"""Who may see and keep a village's party organisation."""

from xiangzhi.accounts.models import AnyUser, Role
from xiangzhi.accounts.rules import can_read_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.regions.models import Region

# Village cadres keep their village's branch, groups, members and posts; township staff their villages'.
PARTY_KEEPERS = frozenset({Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF})
# A group's activities are recorded by its village's cadres and the township and county staff above.
ACTIVITY_RECORDERS = PARTY_KEEPERS | {Role.COUNTY_ADMIN}


def can_keep_party(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in PARTY_KEEPERS)


def can_keep_party_in(user: AnyUser, village: Region) -> bool:
    return can_keep_party(user) and scope_of(user).covers_path(village.path)


def can_view_party(user: AnyUser) -> bool:
    """The 党组织 pages: those who read the register (staff of every level); never a villager."""
    return bool(can_read_register(user))


def can_record_activities(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in ACTIVITY_RECORDERS)


def can_record_activity_in(user: AnyUser, village: Region) -> bool:
    return can_record_activities(user) and scope_of(user).covers_path(village.path)
