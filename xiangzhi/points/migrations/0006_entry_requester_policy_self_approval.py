import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("points", "0005_notice_settlement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="pointsentry",
            name="requested_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="申请人"),
        ),
        migrations.AddField(
            model_name="pointspolicy",
            name="self_approval",
            field=models.BooleanField(
                default=False, verbose_name="允许本人申请、本人批准",
                help_text="冲正、更正通常由一人申请、另一人批准；勾选后同一人可既申请又批准（记录上注明）"),
        ),
    ]
