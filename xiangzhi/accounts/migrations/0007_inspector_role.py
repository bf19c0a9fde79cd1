# The 督查员 role (issue 14): the monthly inspection of villages (xiangzhi.inspections).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_signup_sms_wechat'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='role',
            field=models.CharField(choices=[('county_admin', '县级管理员'), ('township_staff', '乡镇/街道综治中心'), ('department_staff', '职能部门'), ('village_cadre', '村两委'), ('grid_chief', '网格长'), ('grid_worker', '网格员'), ('grid_guide', '网格指导员'), ('points_recorder', '积分管理员'), ('points_supervisor', '积分监督员'), ('resident', '村民'), ('inspector', '督查员')], default='resident', max_length=24, verbose_name='角色'),
        ),
    ]
