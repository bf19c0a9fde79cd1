"""Who sees how the platform runs."""

from xiangzhi.accounts.models import Role


def can_see_status(user) -> bool:
    """The county admin (the one IT person) and superusers: the status page is about the whole installation."""
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.COUNTY_ADMIN))
