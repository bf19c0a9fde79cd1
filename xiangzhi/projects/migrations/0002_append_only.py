"""Spending and donations refuse UPDATE and DELETE in the database itself (PostgreSQL), like the points
ledger: rows are only ever added. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("projects_spending", "projects_donation")


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [append_only("projects", TABLES, "项目支出和捐赠记录只能追加，不能修改或删除")]
