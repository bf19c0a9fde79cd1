"""Screening decisions refuse UPDATE and DELETE in the database itself (PostgreSQL): rows are only ever
added. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("supervision_moderationdecision",)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [append_only("supervision", TABLES, "审核记录只能追加，不能修改或删除")]
