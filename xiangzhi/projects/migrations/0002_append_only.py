"""Spending and donations refuse UPDATE and DELETE in the database itself (PostgreSQL), like the points
ledger: rows are only ever added. On SQLite the model layer refuses instead."""

from django.db import migrations

TABLES = ("projects_spending", "projects_donation")

CREATE = """
CREATE OR REPLACE FUNCTION projects_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '项目支出和捐赠记录只能追加，不能修改或删除（%，%）', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION projects_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS projects_append_only()")


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
