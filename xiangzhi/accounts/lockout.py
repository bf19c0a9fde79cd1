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

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record, common_path


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
        # Tries against a lock already in place are counted by axes but not recorded again in the trail.
        was_locked = request is not None and self.is_locked(request, credentials)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        if not getattr(request, "axes_locked_out", False) and not self.is_whitelisted(request, credentials) \
                and self.address_is_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
        if not was_locked:
            _audit(request, credentials, locked=getattr(request, "axes_locked_out", False))


def _audit(request, credentials: dict, *, locked: bool) -> None:
    """A failed login into the audit trail, and the lock it set off: placed where the account named
    works, when it exists."""
    username = str((credentials or {}).get("username") or "")[:50]
    account = User.objects.filter(username=username, is_active=True).first() if username else None
    path = common_path(scope_of(account).paths) if account is not None else ""
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, summary=f"账号「{username}」登录失败",
                 scope_path=path, subject=f"accounts.user:{account.pk}" if account else "", ip=ip)
    if locked:
        audit_record(actor=None, action=AuditAction.LOCKED,
                     summary=f"账号「{username}」连续登录失败，已暂时锁定（{ip or '未知地址'}）",
                     scope_path=path, subject=f"accounts.user:{account.pk}" if account else "", ip=ip)
