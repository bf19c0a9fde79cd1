"""A quicker way back to the migrated database after a test that commits (live server, threads), on
PostgreSQL.

Django empties the database after such a test with one ``TRUNCATE`` of every table, then recreates
content types and permissions, and the root conftest puts the migration-seeded catalogs back before
the next database test. On PostgreSQL, ``TRUNCATE`` gives every table and index a new file: about
4 s for the project's eighty tables, however few rows they hold, and the catalogs cost another
second. Here the tables are emptied with ``DELETE`` (the foreign keys are deferred, so the order does
not matter; the ledgers' append-only triggers are switched off for the moment) and the rows the
migrations left are copied back from a snapshot taken right after the test database was built: the
database is then exactly as migrated, content types and catalogs with their original ids. Under a
second in all.

SQLite keeps Django's own flush (``DELETE`` there already). So does any test that asks for
``reset_sequences``, ``serialized_rollback`` or ``available_apps``.
"""

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import TransactionTestCase

SCHEMA = "xz_test_seed"  # outside the search path: Django's introspection never lists it
# The statements below name tables from Django's own list of them, quoted: no input reaches them.


def _quote(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


class _Snapshot:
    def __init__(self) -> None:
        self.tables: list[str] = []
        self.seeded: list[str] = []
        self.triggered: list[str] = []

    def take(self) -> None:
        """Copy every non-empty table of the freshly migrated database into ``SCHEMA``."""
        connection = connections[DEFAULT_DB_ALIAS]
        self.tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            cursor.execute(f"CREATE SCHEMA {SCHEMA}")
            for table in self.tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(table)})")  # noqa: S608
                if cursor.fetchone()[0]:
                    cursor.execute(f"CREATE TABLE {SCHEMA}.{_quote(table)} AS TABLE {_quote(table)}")
                    self.seeded.append(table)
            # Triggers of our own (the append-only ledgers), not the foreign keys' internal ones.
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace"
            )
            self.triggered = sorted(row[0] for row in cursor.fetchall() if row[0] in self.tables)

    def restore(self) -> None:
        """Empty every table and put the snapshot back, in one transaction."""
        connection = connections[DEFAULT_DB_ALIAS]
        with transaction.atomic(), connection.cursor() as cursor:
            for table in self.triggered:
                cursor.execute(f"ALTER TABLE {_quote(table)} DISABLE TRIGGER USER")
            for table in self.tables:
                cursor.execute(f"DELETE FROM {_quote(table)}")  # noqa: S608
            for table in self.seeded:
                cursor.execute(f"INSERT INTO {_quote(table)} SELECT * FROM {SCHEMA}.{_quote(table)}")  # noqa: S608
            # The deferred foreign-key checks run now, before the triggers are switched back on.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in self.triggered:
                cursor.execute(f"ALTER TABLE {_quote(table)} ENABLE TRIGGER USER")


_original_teardown = TransactionTestCase._fixture_teardown
_snapshot = _Snapshot()


def _fixture_teardown(self: TransactionTestCase) -> None:
    plain = (not self.reset_sequences and not self.serialized_rollback and self.available_apps is None
             and set(self._databases_names(include_mirrors=False)) == {DEFAULT_DB_ALIAS})
    if not plain:
        _original_teardown(self)
        return
    _snapshot.restore()


def install() -> bool:
    """Take the snapshot and use it after every transactional test; on PostgreSQL only."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return False
    _snapshot.take()
    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    TransactionTestCase._fixture_teardown = _original_teardown  # type: ignore[method-assign]
