"""The ledger tables refuse UPDATE and DELETE in the database itself (PostgreSQL): rows are only
ever added, whoever connects. TRUNCATE (tests, the demo's reset) is a statement on the whole table
and stays possible for the database owner. On SQLite the model layer refuses instead."""

from django.db import migrations

TABLES = ("points_pointsentry", "points_pointsreview")

CREATE = """
CREATE OR REPLACE FUNCTION points_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '积分台账只能追加，不能修改或删除（%，%）', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)  # its % are PL/pgSQL placeholders, not the driver's
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION points_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS points_append_only()")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
