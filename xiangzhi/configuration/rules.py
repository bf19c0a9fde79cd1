"""Who configures what. The county admin sets the county's values and any township's overrides; township
综治中心 staff set their own township's overrides and read the rest; every other role has no business in
the configuration."""

from xiangzhi.accounts.models import AnyUser, Role, User
from xiangzhi.regions.models import Region, RegionLevel

READERS = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})


def can_read(user: AnyUser) -> bool:
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.is_superuser or (user.role in READERS and user.region_id is not None)


def can_edit_county(user: AnyUser) -> bool:
    """The county's own values and its catalogues (categories, holidays, key-population categories, tags,
    place kinds)."""
    if not isinstance(user, User) or not can_read(user):
        return False
    return user.is_superuser or user.role == Role.COUNTY_ADMIN


def can_edit_region(user: AnyUser, region: Region) -> bool:
    """A value for ``region``: the county's (county admin over it), or a township's override (the county
    admin over it, or that township's own staff)."""
    if not isinstance(user, User) or not can_read(user):
        return False
    if user.is_superuser:
        return True
    own = user.region
    if own is None or not region.path.startswith(own.path):
        return False
    if region.level == RegionLevel.COUNTY:
        return user.role == Role.COUNTY_ADMIN
    if region.level == RegionLevel.TOWNSHIP:
        return user.role == Role.COUNTY_ADMIN or own.pk == region.pk
    return False
