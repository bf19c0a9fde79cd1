"""Who reads the audit trail: the county's administrators (the whole county) and each township's
综治中心 staff (their township). The role names are ``accounts.models.Role`` values, spelled out
here because the trail stands below accounts (accounts records into it);
``tests/test_rules.py`` holds them equal."""

from typing import Any

AUDIT_ROLES = frozenset({"county_admin", "township_staff"})
COUNTY_ROLE = "county_admin"


def audit_allowed(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return getattr(user, "role", None) in AUDIT_ROLES and getattr(user, "region_id", None) is not None
