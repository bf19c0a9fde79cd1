from django.db import migrations

from xiangzhi.core.migration_ops import append_only


def _drop_early_trigger(apps, schema_editor):
    """Safe to repeat: a trigger of the same name is replaced, not doubled."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS cases_categoryterms_append_only ON cases_categoryterms")


class Migration(migrations.Migration):
    # Its own migration: the table's trigger comes once the first versions are written and committed.
    dependencies = [("cases", "0009_first_category_terms")]
    operations = [
        migrations.RunPython(_drop_early_trigger, migrations.RunPython.noop),
        append_only("cases", ("cases_categoryterms",), "事件类别条款版本只能追加，不能修改或删除"),
    ]
