"""Versions, screenings and events refuse UPDATE and DELETE in the database itself (PostgreSQL): what
was published and who decided what are only ever added to. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("disclosure_disclosureversion", "disclosure_screening", "disclosure_event")


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_initial")]
    operations = [append_only("disclosure", TABLES, "村务公开的版本、审核和办理记录只能追加，不能修改或删除")]
