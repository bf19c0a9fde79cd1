"""The audit trail refuses UPDATE and DELETE in the database itself (PostgreSQL), like the points ledger:
rows are only ever added. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [append_only("audit", ("audit_auditevent",), "审计日志只能追加，不能修改或删除")]
