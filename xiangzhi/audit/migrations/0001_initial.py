import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='时间')),
                ('actor_name', models.CharField(blank=True, max_length=100, verbose_name='操作人姓名')),
                ('action', models.CharField(choices=[('reveal', '查看敏感信息'), ('export', '导出'), ('import', '导入'), ('publish', '发布/公示'), ('config', '配置变更'), ('admin', '后台操作'), ('login_failed', '登录失败'), ('locked', '账号锁定')], max_length=16, verbose_name='类别')),
                ('summary', models.CharField(max_length=300, verbose_name='摘要')),
                ('subject', models.CharField(blank=True, max_length=120, verbose_name='对象')),
                ('scope_path', models.CharField(blank=True, max_length=255, verbose_name='所属区域路径')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP 地址')),
                ('detail', models.JSONField(blank=True, default=dict, verbose_name='详情')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
            ],
            options={
                'verbose_name': '审计日志',
                'verbose_name_plural': '审计日志',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['scope_path', 'at'], name='audit_scope_at'), models.Index(fields=['at'], name='audit_at')],
            },
        ),
    ]
