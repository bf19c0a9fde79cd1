"""Loading a whole county in one transaction: rows made without Django's per-instance work
(``row_maker``), written with COPY where Django has nothing to adapt (``insert_rows``), and the
foreign keys checked once per key at the end instead of once per row.

Django makes every foreign key ``DEFERRABLE INITIALLY DEFERRED``. PostgreSQL then queues one check
per inserted row and runs them one by one at ``COMMIT``: for the county's 2.7 million rows that was
~100 s of the build, longer than any step. Adding a key to a filled table checks all its rows in
one join instead. So the build drops the schema's foreign keys inside its transaction and adds
the same keys back (same names, same definitions) before it commits: a row that breaks a key still
fails the build and nothing of it is kept, exactly as the commit would have failed. SQLite checks a
row against its parent's index as it is inserted, which costs little; it keeps its keys.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from xiangzhi.core.bulk import bulk_insert

M = TypeVar("M", bound=models.Model)

# Below this many households, the per-row checks cost less than dropping and re-adding ~350 keys
# (a one-village test build). A county writes ~20 rows a household.
WORTH_IT = 3_000
# Whether the build runs with its foreign keys set aside (``indexes_built_after`` waits for it).
_keys_set_aside = False


@contextmanager
def foreign_keys_checked_at_end(households: int) -> Iterator[None]:
    """Around the build's work, inside its ``transaction.atomic()``."""
    if connection.vendor != "postgresql" or households < WORTH_IT:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("foreign keys may only be dropped inside the transaction that adds them back")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE c.contype = 'f' AND n.nspname = current_schema() ORDER BY 1, 2"
        )
        keys = cursor.fetchall()
        # Rows already written in this transaction (the flush's catalogs) are checked now: a table
        # with checks still queued cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # For this transaction: the keys' checks and the index builds (``indexes_built_after``) sort
        # and hash hundreds of thousands of rows, which spill to disk within the server's defaults;
        # and the commit need not wait for its WAL to reach the disk (a crash loses a demo, not data).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
    global _keys_set_aside
    _keys_set_aside = True
    try:
        yield
    finally:
        _keys_set_aside = False
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


@contextmanager
def indexes_built_after(*models: type[models.Model]) -> Iterator[None]:
    """Around a step that writes most of these tables' rows, inside the build's transaction: their
    plain indexes (neither unique nor a constraint's, which still check every row) are dropped and
    built again, same names and definitions, over the filled tables when the step is done. PostgreSQL
    otherwise updates each index row by row, page by page (the county's residents: 8 s with their
    indexes, 4 s without them and 1 s to build them after). Queries inside the step find no such
    index; later steps find them all. On an error the savepoint puts the indexes back. Only while the
    build's foreign keys are set aside (``foreign_keys_checked_at_end``): a table with key checks
    still queued cannot be indexed, and a small build gains nothing. SQLite keeps its indexes (they
    cost it little)."""
    if connection.vendor != "postgresql" or not _keys_set_aside:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexes may only be dropped inside the transaction that builds them again")
    quote = connection.ops.quote_name
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = current_schema() AND t.relname = ANY(%s) AND NOT x.indisunique"
                " AND NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
                " ORDER BY 1",
                [[m._meta.db_table for m in models]],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        yield
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)


# Field types whose Python values the drivers write as Django would (core.bulk.bulk_insert reads
# them straight off the instance). Anything else (JSON, files, custom fields) is Django's to adapt.
PLAIN_TYPES = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "CharField", "TextField", "SlugField", "EmailField",
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField", "BooleanField", "FloatField", "ForeignKey", "OneToOneField", "DateField",
    "DateTimeField",
})


@cache
def _plan(model: type[models.Model]) -> tuple[bool, list["models.Field[Any, Any]"], list["models.Field[Any, Any]"]]:
    """Whether ``model`` can go through ``bulk_insert``; its auto_now(_add) fields; its date fields."""
    fields = model._meta.concrete_fields
    plain = all(f.get_internal_type() in PLAIN_TYPES and type(f).__module__.startswith("django.") for f in fields)
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    dates = [f for f in fields if f.get_internal_type() == "DateField"]
    return plain, stamped, dates


def insert_rows(model: type[M], rows: list[M], batch_size: int) -> list[M]:
    """What ``bulk_create`` writes, through ``bulk_insert`` (one COPY on PostgreSQL, ``executemany``
    on SQLite) where the values need no adapting: Django's per-row SQL building and psycopg's quoting
    of every value into the statement cost more than the inserts themselves (about half of the
    county's households and residents step). Like ``bulk_create``: related rows assigned as objects
    give their ids, auto_now(_add) fields are stamped, and ids come back on the rows. Ids are taken
    from the sequence a block at a time (the build holds every table it flushed); rows that all bring
    their own ids keep them (the caller resets the sequence). Rows of which only some bring ids, or
    with a date field holding a datetime, go through ``bulk_create``."""
    plain, stamped, dates = _plan(model)
    given = sum(r.pk is not None for r in rows)
    if (not plain or 0 < given < len(rows)
            or any(isinstance(r.__dict__[f.attname], dt.datetime) for r in rows for f in dates)):
        return model._default_manager.bulk_create(rows, batch_size=batch_size)
    for row in rows:
        # What bulk_create does first: a related row assigned as an object gives its id. Private to
        # Django, so the stubs leave it out.
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        for f in stamped:
            f.pre_save(row, add=True)
    return bulk_insert(model, rows, ids="given" if given else "block")


def row_maker(model: type[M]) -> Callable[..., M]:
    """``model(**fields)`` for rows made by the hundred thousand (residents, visits, ledger entries):
    Django's ``Model.__init__`` walks every field, pops each keyword and sends two signals, ~30 µs a
    row, more than generating the row. This fills the same ``__dict__`` (every field's default, then
    the values given, by attribute name: ``grid_id=``, not ``grid=``) in a few µs. A model that
    something listens to at init goes through Django."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model
    fields = model._meta.concrete_fields
    fixed = {f.attname: f.get_default() for f in fields if not (f.has_default() and callable(f.default))}
    made_each_time = [f for f in fields if f.has_default() and callable(f.default)]
    allowed = frozenset(f.attname for f in fields)
    new = model.__new__

    def make(**values: Any) -> M:
        if not allowed.issuperset(values):
            raise TypeError(f"{model.__name__}: not attribute names of its fields: {sorted(values.keys() - allowed)}")
        obj = new(model)
        row = obj.__dict__
        row.update(fixed)
        for f in made_each_time:
            row[f.attname] = f.get_default()
        row.update(values)
        row["_state"] = ModelState()
        return obj

    return make
