from xiangzhi.accounts.models import Role, User


def can_see_backups(user: User) -> bool:
    """Backups concern the whole county's data: its admin is told when one failed or is missing."""
    return bool(user.is_active and (user.role == Role.COUNTY_ADMIN or user.is_superuser))
