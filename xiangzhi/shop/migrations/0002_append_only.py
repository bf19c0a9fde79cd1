"""Stock moves and order events refuse UPDATE and DELETE in the database itself (PostgreSQL), like
the points ledger: rows are only ever added. TRUNCATE (tests, the demo's reset) stays possible for
the database owner. On SQLite the model layer refuses instead."""

from django.db import migrations

from xiangzhi.core.migration_ops import append_only

TABLES = ("shop_shopstockmove", "shop_shoporderevent")


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [append_only("shop", TABLES, "积分超市流水只能追加，不能修改或删除")]
