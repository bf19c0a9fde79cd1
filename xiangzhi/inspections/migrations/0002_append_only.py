"""A task's history refuses UPDATE and DELETE in the database itself (PostgreSQL), like the points
ledger. On SQLite the model layer refuses instead."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION inspections_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '整改记录只能追加，不能修改或删除（%，%）', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    schema_editor.execute(
        "CREATE TRIGGER inspections_taskevent_append_only BEFORE UPDATE OR DELETE ON inspections_taskevent "
        "FOR EACH ROW EXECUTE FUNCTION inspections_append_only()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS inspections_taskevent_append_only ON inspections_taskevent")
    schema_editor.execute("DROP FUNCTION IF EXISTS inspections_append_only()")


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
