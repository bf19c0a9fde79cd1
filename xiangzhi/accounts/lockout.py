"""Login lockout: django-axes' username + address rule, plus one rule per address.

Axes counts failures per (username, address) against ``AXES_FAILURE_LIMIT``; one password tried on
many usernames never reaches that count for any one of them. So an address that has failed for
``AXES_IP_FAILURE_LIMIT`` different usernames within the cool-off window is locked as a whole —
every login from it, right password or not, until the window passes.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings


class LockoutHandler(AxesDatabaseHandler):
    def address_is_locked(self, request) -> bool:
        ip_address = getattr(request, "axes_ip_address", None)
        if not ip_address or settings.AXES_COOLOFF_TIME is None:
            return False
        usernames = (
            AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=get_cool_off_threshold(request))
            .values("username")
            .distinct()
            .count()
        )
        return usernames >= settings.AXES_IP_FAILURE_LIMIT

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.address_is_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if not self.is_whitelisted(request, credentials) and self.address_is_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
