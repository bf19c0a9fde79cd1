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

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from xiangzhi.core.bulk import bulk_insert

M = TypeVar("M", bound=models.Model)

# Below this many households, the per-row checks cost less than dropping and re-adding ~350 keys
# (a one-village test build). A county writes ~20 rows a household.
WORTH_IT = 3_000


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
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")


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
    give their ids, auto_now(_add) fields are stamped, and ids come back on the rows. Rows that bring
    their own ids, or a date field holding a datetime, go through ``bulk_create``."""
    plain, stamped, dates = _plan(model)
    if (not plain or any(r.pk is not None for r in rows)
            or any(isinstance(r.__dict__[f.attname], dt.datetime) for r in rows for f in dates)):
        return model._default_manager.bulk_create(rows, batch_size=batch_size)
    for row in rows:
        # What bulk_create does first: a related row assigned as an object gives its id. Private to
        # Django, so the stubs leave it out.
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        for f in stamped:
            f.pre_save(row, add=True)
    return bulk_insert(model, rows)


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
