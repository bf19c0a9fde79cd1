from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_place")]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="channel",
            field=models.CharField(
                choices=[("resident", "居民随手拍"), ("worker", "网格员巡查"), ("hotline", "12345热线"), ("api", "接口"),
                         ("device", "设备告警"), ("qr", "码上办"), ("open311", "Open311"), ("meeting", "民情恳谈")],
                max_length=12, verbose_name="来源"),
        ),
    ]
