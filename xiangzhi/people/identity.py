"""Lookups by a full ID number or phone: each one finds a person, so each is counted against an
hourly limit per user and leaves an ``IdentitySearch`` row, kept even when what asked is refused."""

import time

from django.conf import settings
from django.core.cache import cache

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import DomainError, Forbidden, RateLimited
from xiangzhi.people.models import IdentitySearch


class IdentitySearchRefused(DomainError):
    """A search by full ID number or phone refused: without the permission, or over the limit."""


class IdentitySearchForbidden(IdentitySearchRefused, Forbidden):
    code = "forbidden"


class IdentitySearchLimited(IdentitySearchRefused, RateLimited):
    code = "rate_limited"


def _identity_window_key(user: User) -> str:
    return f"people:identity-search:{user.pk}:{int(time.time() // 3600)}"


def identity_lookups_left(user: User) -> bool:
    """Whether the user may make one more lookup by full number this clock hour (nothing counted)."""
    return (cache.get(_identity_window_key(user)) or 0) < settings.IDENTITY_SEARCH_PER_HOUR


def identity_search_counted(user: User) -> bool:
    """Counts one search in this clock hour's window; False once the user is over the limit."""
    key = _identity_window_key(user)
    cache.add(key, 0, timeout=3600 + 60)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3600 + 60)
        used = 1
    return used <= settings.IDENTITY_SEARCH_PER_HOUR


def identity_lookup_for_move(*, user: User, value_hash: str, matched: int,
                             ip_address: str | None = None) -> None:
    """A move-in names the mover by ID number and the register answers where he lives: a lookup by
    full number like a search. Counted and recorded (call it outside the proposal's transaction, so
    the row stays when the proposal is refused); over the hour's limit it refuses."""
    if not identity_search_counted(user):
        IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.ID_NUMBER, value_hash=value_hash,
                                      outcome=IdentitySearch.Outcome.LIMITED, ip_address=ip_address)
        raise IdentitySearchLimited(
            f"按身份证号查找迁入人员过于频繁（每小时最多 {settings.IDENTITY_SEARCH_PER_HOUR} 次），请稍后再试")
    IdentitySearch.objects.create(user=user, kind=IdentitySearch.Kind.ID_NUMBER, value_hash=value_hash,
                                  outcome=IdentitySearch.Outcome.SEARCHED, matched=matched, ip_address=ip_address)
