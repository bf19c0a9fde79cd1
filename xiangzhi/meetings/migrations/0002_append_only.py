"""The history of meetings, commitments, matters, screenings and donations refuses UPDATE and DELETE in the
database itself (PostgreSQL), like the other ledgers: rows are only ever added. On SQLite the model
layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("meetings_meetingevent", "meetings_commitmentevent", "meetings_deliberationstep",
          "meetings_deliberationdonation", "meetings_screening")


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [append_only("meetings", TABLES, "阳光报告会和四议两公开的记录只能追加，不能修改或删除")]
