"""Counts kept a minute: the command centre's figures for a scope as large as a county take longer to
count than a page may take (a county's 概况 reads every resident; its year of case figures, every case
of the year), so a count that took long is kept and served again.

``kept(name, user, …)`` counts with the function registered under ``name`` (``@keeps(name)``). A count
that took at least the name's ``slow`` seconds (``CENTRE_KEPT_SLOW_SECONDS``, 0.1 s) is kept in Django's
cache; one that took less is not kept at all, so a village's or a township's pages show what the database
says this moment. A
kept count is served as it is while under a minute old (``FRESH_SECONDS``); an older one is still
served at once while the task queue's worker counts again for the next request (``kept_recount``,
queued once at a time per count), and after ten minutes unasked it is dropped. Each count carries the
time it was made (``Kept.counted_at``), which the pages show (「统计于 14:05」).

The worker hands its count to the web processes through the cache they share (Redis, ``CACHE_URL``);
with a cache of each process's own (no ``CACHE_URL``) its count would reach none of them, so there a
thread of the asking process counts again instead.

A count is kept per account as it stands (role, region, department), per place and parameters asked
for, and per day."""

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections
from django.utils import timezone
from huey.contrib.djhuey import HUEY, db_task

from xiangzhi.accounts.models import User
from xiangzhi.regions.models import Grid, Region

logger = logging.getLogger(__name__)

T = TypeVar("T")
Params = dict[str, str | int | None]

FRESH_SECONDS = 60  # a count served as it is; older, it is served while the next one is made
KEEP_SECONDS = 10 * 60  # a count nobody asked for again in this long is dropped


@dataclass(frozen=True)
class Counter:
    count: Callable[..., Any]  # (user, *, region, grid, **params) → the figures
    slow: float | None  # seconds: a count that took this long or longer is kept (None: CENTRE_KEPT_SLOW_SECONDS)

    @property
    def slow_seconds(self) -> float:
        return settings.CENTRE_KEPT_SLOW_SECONDS if self.slow is None else self.slow


COUNTERS: dict[str, Counter] = {}


def keeps(name: str, *, slow: float | None = None) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register ``count(user, *, region, grid, **params)`` as the count kept under ``name``. ``slow``: the
    seconds a count must take to be kept (0: always kept; None: the setting ``CENTRE_KEPT_SLOW_SECONDS``)."""

    def register(count: Callable[..., T]) -> Callable[..., T]:
        COUNTERS[name] = Counter(count, slow)
        return count

    return register


@dataclass(frozen=True)
class Kept(Generic[T]):
    value: T
    counted_at: float  # time.time() when counted
    is_kept: bool = False  # slow to count: kept, and served again for up to a minute

    @property
    def at(self) -> dt.datetime:
        """When counted, for the page's 「统计于 14:05」."""
        return dt.datetime.fromtimestamp(self.counted_at, tz=dt.UTC)


def _key(name: str, user: User, region: Region | None, grid: Grid | None, params: Params) -> str:
    return ":".join(str(part) for part in (
        "xz-kept", name, user.pk, user.role, user.region_id or "", user.department_id or "",
        region.pk if region else "", grid.pk if grid else "",
        *(f"{k}={'' if v is None else v}" for k, v in sorted(params.items())),
        timezone.localdate().isoformat()))


def _count(name: str, key: str, user: User, region: Region | None, grid: Grid | None, params: Params) -> Kept[Any]:
    counter = COUNTERS[name]
    began = time.time()
    value = counter.count(user, region=region, grid=grid, **params)
    done = Kept(value, time.time(), is_kept=time.time() - began >= counter.slow_seconds)
    if done.is_kept:
        cache.set(key, done, KEEP_SECONDS)
    else:  # quick again: served live from now on
        cache.delete(key)
    return done


@db_task()  # type: ignore[untyped-decorator]  # huey ships no types
def kept_recount(name: str, key: str, user_id: int, region_id: int | None, grid_id: int | None,
                 params: Params) -> None:
    """The count kept under ``key`` made again, on the worker, for the next request to serve. Queued by
    ``kept`` once at a time per key: the key's mark is cleared here, whatever happens."""
    try:
        user = User.objects.get(pk=user_id)
        region = Region.objects.get(pk=region_id) if region_id else None
        grid = Grid.objects.get(pk=grid_id) if grid_id else None
        _count(name, key, user, region, grid, params)
    except Exception:  # the page keeps the last count; the next request asks again
        logger.exception("recount failed for %s", key)
    finally:
        cache.delete(_recount_mark(key))


def _recount_mark(key: str) -> str:
    """Set while a count of ``key`` is under way (``cache.add``: one asker wins), so each is queued once."""
    return f"{key}:recount"


def _worker_shares_cache() -> bool:
    """Whether the worker's count reaches the requests: through a cache the processes share, or from a
    queue that runs its tasks in the asking process (tests)."""
    return bool(HUEY.immediate) or not isinstance(caches["default"], LocMemCache)


def _recount_later(name: str, key: str, user: User, region: Region | None, grid: Grid | None,
                   params: Params) -> None:
    """Count again away from the request: on the worker, or in a thread of this process where the worker's
    count would not reach it. The caller holds the key's mark; whoever counts clears it."""
    if not _worker_shares_cache():
        _recount_in_thread(name, key, user, region, grid, params)
        return
    try:
        kept_recount(name, key, user.pk, region.pk if region else None, grid.pk if grid else None, params)
    except Exception:  # the queue is down: the page keeps its count, the next request asks again
        cache.delete(_recount_mark(key))
        logger.exception("recount not queued for %s", key)


def _recount_in_thread(name: str, key: str, user: User, region: Region | None, grid: Grid | None,
                       params: Params) -> None:
    def run() -> None:
        try:
            _count(name, key, user, region, grid, params)
        except Exception:  # the page keeps the last count; the next request asks again
            logger.exception("recount failed for %s", key)
        finally:
            cache.delete(_recount_mark(key))
            connections.close_all()  # this thread's own connections

    threading.Thread(target=run, name="xz-recount", daemon=True).start()


def kept(name: str, user: User, *, region: Region | None = None, grid: Grid | None = None,
         **params: str | int | None) -> Kept[Any]:
    """The count registered under ``name`` for the user and place, counted at most once a minute when it
    is slow (see the module's docstring). The caller has checked the region or grid against the user's
    scope; ``params`` are plain values (codes, ids, ISO dates)."""
    key = _key(name, user, region, grid, params)
    entry: Kept[Any] | None = cache.get(key)
    if entry is None:
        return _count(name, key, user, region, grid, params)
    if time.time() - entry.counted_at >= FRESH_SECONDS and cache.add(_recount_mark(key), 1, KEEP_SECONDS):
        _recount_later(name, key, user, region, grid, params)
        # A queue that runs its tasks at once (tests) has counted already.
        entry = cache.get(key, entry)
    return entry
