"""Votes and reminders refuse UPDATE and DELETE in the database itself (PostgreSQL), like the points
ledger: a ballot once cast is never changed. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("participation_pollballot", "participation_pollanswer", "participation_announcementreminder")


class Migration(migrations.Migration):
    dependencies = [("participation", "0001_initial")]
    operations = [append_only("participation", TABLES, "投票和提醒记录只能追加，不能修改或删除")]
