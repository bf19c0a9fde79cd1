import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0005_household_changes'),
    ]

    operations = [
        migrations.AddField(
            model_name='household',
            name='closed_on',
            field=models.DateField(blank=True, null=True, verbose_name='注销日期'),
        ),
        migrations.AddField(
            model_name='household',
            name='closed_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='注销原因'),
        ),
        migrations.AddField(
            model_name='household',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='people.household', verbose_name='并入户'),
        ),
        migrations.AddField(
            model_name='resident',
            name='left_on',
            field=models.DateField(blank=True, null=True, verbose_name='迁出日期'),
        ),
        migrations.AddField(
            model_name='resident',
            name='left_to',
            field=models.CharField(blank=True, max_length=100, verbose_name='迁往'),
        ),
        migrations.AlterField(
            model_name='householdchange',
            name='kind',
            field=models.CharField(choices=[('birth', '出生'), ('death', '死亡'), ('away', '外出'), ('return', '返回'), ('phone', '手机号变更'), ('head', '户主变更'), ('marry_in', '婚入'), ('marry_out', '婚出'), ('move_in', '迁入'), ('move_out', '迁出'), ('split', '分户'), ('merge', '合户'), ('correction', '信息更正'), ('grid', '调整网格')], max_length=16, verbose_name='变动'),
        ),
    ]
