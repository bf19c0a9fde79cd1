from django.db import migrations

from xiangzhi.core.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("configuration", "0001_initial")]
    operations = [append_only("configuration", ("configuration_setting", "configuration_configchange"),
                              "配置及其变更记录只能追加，不能修改或删除")]
