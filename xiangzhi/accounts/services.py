import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.models import ApiToken, User

# No 0/O, 1/l/I: a temporary password is read out over the phone.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def api_token_issue(*, user: User) -> str:
    """A new bearer token, valid for API_TOKEN_DAYS; only its digest is kept, so this is the one time it is seen."""
    token = ApiToken.new_token()
    now = timezone.now()
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(token), prefix=token[:8],
                            expires_at=now + dt.timedelta(days=settings.API_TOKEN_DAYS))
    return token


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_tokens_revoke_all(*, user: User) -> int:
    """Ends every live token of ``user`` (logout, password change or reset, an admin's action)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def account_password_change(*, user: User, new_password: str) -> None:
    """The account holder's own change: the new password stands, the reset flag clears, tokens end."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    api_tokens_revoke_all(user=user)


@transaction.atomic
def account_password_reset(*, user: User) -> str:
    """An administrator's reset: a random temporary password (returned, shown once), every token
    revoked, and the holder must choose a new password at the next login."""
    temporary = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
    user.set_password(temporary)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    api_tokens_revoke_all(user=user)
    return temporary


@transaction.atomic
def account_password_set_by_admin(*, user: User, actor: User) -> None:
    """After an administrator typed a new password for someone else in the admin: that person's tokens
    end and they choose their own password at the next login."""
    api_tokens_revoke_all(user=user)
    if user.pk != actor.pk:
        User.objects.filter(pk=user.pk).update(must_change_password=True)
