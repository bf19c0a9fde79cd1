"""Migration operations the apps share.

``append_only``: the tables of an app's history refuse UPDATE and DELETE in the database itself
(PostgreSQL), like the points ledger — rows are only ever added. One trigger function per app
(``<app>_append_only()``), one trigger per table (``<table>_append_only``), raising ``message`` with the
table and the operation. SQLite has no such triggers: the model layer (``core.models.AppendOnly``)
refuses there instead."""

from collections.abc import Sequence

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def append_only(app_label: str, tables: Sequence[str], message: str) -> migrations.RunPython:
    function = f"{app_label}_append_only"
    create = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{message}（%，%）', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

    def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(create, params=None)  # its % are PL/pgSQL placeholders, not the driver's
        for table in tables:
            schema_editor.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                                  f"FOR EACH ROW EXECUTE FUNCTION {function}()")

    def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")

    return migrations.RunPython(forwards, backwards)
