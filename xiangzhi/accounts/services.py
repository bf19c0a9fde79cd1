from django.utils import timezone

from xiangzhi.accounts.models import ApiToken


def api_token_issue(*, user) -> str:
    """A new bearer token; only its digest is kept, so this is the one time it is seen."""
    token = ApiToken.new_token()
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(token), prefix=token[:8])
    return token


def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
