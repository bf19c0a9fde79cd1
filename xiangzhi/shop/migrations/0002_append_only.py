"""Stock moves and order events refuse UPDATE and DELETE in the database itself (PostgreSQL), like
the points ledger: rows are only ever added. TRUNCATE (tests, the demo's reset) stays possible for
the database owner. On SQLite the model layer refuses instead."""

from django.db import migrations

TABLES = ("shop_shopstockmove", "shop_shoporderevent")

CREATE = """
CREATE OR REPLACE FUNCTION shop_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '积分超市流水只能追加，不能修改或删除（%，%）', TG_TABLE_NAME, TG_OP;
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
            f"FOR EACH ROW EXECUTE FUNCTION shop_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS shop_append_only()")


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
