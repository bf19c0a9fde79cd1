"""A task's history refuses UPDATE and DELETE in the database itself (PostgreSQL), like the points
ledger. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("inspections_taskevent",)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]
    operations = [append_only("inspections", TABLES, "整改记录只能追加，不能修改或删除")]
