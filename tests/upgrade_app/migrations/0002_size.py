import os

from django.db import migrations, models


def forwards(apps, schema_editor):
    if os.environ.get("XIANGZHI_TEST_MIGRATION_FAILS"):
        raise RuntimeError("新版本的迁移出错了")
    apps.get_model("upgrade_app", "Thing").objects.create(name="迁移写入", size=1)


class Migration(migrations.Migration):
    dependencies = [("upgrade_app", "0001_initial")]
    operations = [
        migrations.AddField("thing", "size", models.IntegerField(default=0)),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
