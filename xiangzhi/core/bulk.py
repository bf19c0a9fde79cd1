"""Bulk insert for the places that write rows by the thousand."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


def bulk_insert(model: type[M], rows: list[M], *, ids: str = "reserve") -> list[M]:
    """Insert rows many thousand at a time (the points ledger's yearly settlement, the demo, the
    benchmarks): one ``COPY`` on PostgreSQL, ``executemany`` in chunks on
    SQLite (Django's ``bulk_create`` is held to 999 parameters a statement there). Ids are reserved
    first: from the table's sequence on PostgreSQL; on SQLite the transaction already holds the
    database's write lock (IMMEDIATE), so the ids after the largest are free. Values are read from
    each row as they are; only files (their name) and, for SQLite, dates and times are adapted.

    ``ids``: ``"reserve"`` takes one ``nextval`` a row, safe beside other writers; ``"block"`` moves
    the sequence past the whole batch in one statement, for a caller that holds the table alone (the
    demo, whose flush truncated every table in its transaction: ~10 µs a row saved);
    ``"given"`` keeps the ids the rows bring (the caller sets the sequence afterwards)."""
    if not rows:
        return rows
    alias = model._default_manager.db
    conn = connections[alias]
    meta = model._meta
    quote = conn.ops.quote_name
    table = quote(meta.db_table)
    if ids not in ("reserve", "block", "given"):
        raise ValueError(f"ids must be reserve, block or given, not {ids!r}")
    taken: Sequence[int]
    if ids != "given" and meta.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"):
        with conn.cursor() as cursor:
            if conn.vendor == "postgresql" and ids == "block":
                # setval returns the block's last id; nextval inside it the first.
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s),"
                               " nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                               [meta.db_table, meta.pk.column, meta.db_table, meta.pk.column, len(rows)])
                last = cursor.fetchone()[0]
                taken = range(last - len(rows) + 1, last + 1)
            elif conn.vendor == "postgresql":
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                               [meta.db_table, meta.pk.column, len(rows)])
                taken = [r[0] for r in cursor.fetchall()]
            else:
                cursor.execute(f"SELECT COALESCE(MAX({quote(meta.pk.column)}), 0) FROM {table}")  # noqa: S608
                first = cursor.fetchone()[0] + 1
                taken = range(first, first + len(rows))
        for obj, pk in zip(rows, taken, strict=True):
            obj.pk = pk
    fields = meta.concrete_fields
    adapt: list[tuple[int, Callable[[Any], Any]]] = []
    for i, f in enumerate(fields):
        kind = f.get_internal_type()
        if kind in ("FileField", "ImageField"):
            adapt.append((i, lambda v: getattr(v, "name", v) or ""))
        elif conn.vendor == "sqlite" and kind == "DateTimeField":
            adapt.append((i, conn.ops.adapt_datetimefield_value))
        elif conn.vendor == "sqlite" and kind == "DateField":
            adapt.append((i, conn.ops.adapt_datefield_value))
    names = [f.attname for f in fields]

    def values(chunk: Iterable[M]) -> Iterator[list[Any]]:
        for obj in chunk:
            row = [obj.__dict__[name] for name in names]
            for i, fn in adapt:
                row[i] = fn(row[i])
            yield row

    columns = ", ".join(quote(f.column) for f in fields)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values(rows):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, list(values(rows[start:start + 5000])))
    for obj in rows:
        obj._state.adding, obj._state.db = False, alias
    return rows
