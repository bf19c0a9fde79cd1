"""Data migrations over big tables, in batches.

A migration that rewrites a big table (residents, households, cases and their steps, points entries) must
not hold one transaction, and its locks, over the whole table while the site runs: the points ledger and
the case loop would wait behind it. Such a migration declares ``atomic = False`` and walks the table with
``batched``: each batch of rows by primary key is its own short transaction. It must be safe to run again
(skip rows already done), so an upgrade cut off half-way simply runs it again
(``tests/test_migrations.py`` holds every migration to this).
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

BATCH = 2000


def batched(queryset: Any, work: Callable[[list[Any]], object], *, fields: Sequence[str] = (),
            size: int = BATCH) -> int:
    """Call ``work(rows)`` for each batch of ``queryset``'s rows in primary-key order, each batch in its own
    transaction (rows as ``values_list("pk", *fields)`` tuples when ``fields`` is given, else model
    instances). Primary-key ranges, not a cursor: SQLite gives no isolation between a cursor and writes on its
    table. Returns how many rows were handed over."""
    last: Any = None
    seen = 0
    while True:
        page = queryset.order_by("pk") if last is None else queryset.filter(pk__gt=last).order_by("pk")
        rows = list(page.values_list("pk", *fields)[:size]) if fields else list(page[:size])
        if not rows:
            return seen
        last = rows[-1][0] if fields else rows[-1].pk
        with transaction.atomic():
            work(rows)
        seen += len(rows)
