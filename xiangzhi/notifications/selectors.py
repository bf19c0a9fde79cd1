"""Every read of notifications is by recipient = the user asking: an inbox has no wider scope."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from xiangzhi.accounts.models import AnyUser, User
from xiangzhi.accounts.scope import get_in_scope_or_404
from xiangzhi.notifications.models import Notification


def _own(user: AnyUser) -> Q:
    return Q(recipient=user) if user.is_authenticated else Q(pk__in=[])


def notification_list_for_user(user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """Unread first, newest first within each."""
    qs = Notification.objects.filter(_own(user))
    if unread_only:
        return qs.filter(read_at__isnull=True).order_by("-created_at", "-id")
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(unread_first, "-created_at", "-id")


def notification_get_for_user(user: User, notification_id: int) -> Notification:
    return get_in_scope_or_404(Notification.objects.all(), _own(user), pk=notification_id)


def notification_unread_count(user: AnyUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
