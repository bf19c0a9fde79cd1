"""Scoped reads of accounts and tokens."""

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from xiangzhi.accounts.models import AnyUser, ApiToken, User
from xiangzhi.accounts.scope import Scope, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.regions.models import GridAssignment

TOKEN_LIST_LIMIT = 50


def account_scope_q(scope: Scope) -> Q:
    """Accounts that stand inside ``scope``: a region under it, a grid assignment (current or past)
    under it, a household in a grid under it, or a department whose region is under it."""
    if scope.everything:
        return Q()
    if not scope.paths:
        return Q(pk__in=[])
    parts = []
    for p in scope.paths:
        parts += [
            Q(region__path__startswith=p),
            Q(department__region__path__startswith=p),
            Q(household__grid__path__startswith=p),
            Q(pk__in=GridAssignment.objects.filter(grid__path__startswith=p).values("user_id")),
        ]
    return reduce(or_, parts)


def account_q_for(user: AnyUser) -> Q:
    """The accounts ``user`` may manage: those in scope; superuser accounts only for a superuser."""
    q = account_scope_q(scope_of(user))
    return q if user.is_superuser else q & Q(is_superuser=False)


def account_list_for(user: AnyUser) -> QuerySet[User]:
    return User.objects.filter(account_q_for(user))


def api_token_list_for_owner(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[:TOKEN_LIST_LIMIT]


def api_token_get_for_owner(user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound()
    return token
