import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0009_member_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RegisterImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='上传时间')),
                ('state', models.CharField(choices=[('pending', '待确认'), ('applied', '已导入'), ('discarded', '已放弃')], default='pending', max_length=16, verbose_name='状态')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                ('households_new', models.PositiveIntegerField(default=0, verbose_name='新增户数')),
                ('residents_new', models.PositiveIntegerField(default=0, verbose_name='新增人数')),
                ('corrections', models.PositiveIntegerField(default=0, verbose_name='更正条数')),
                ('unchanged', models.PositiveIntegerField(default=0, verbose_name='未变人数')),
                ('plan', models.JSONField(blank=True, default=dict)),
                ('importer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='导入人')),
            ],
            options={
                'verbose_name': '户籍导入',
                'verbose_name_plural': '户籍导入',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['state', 'created_at'], name='people_import_state_created')],
            },
        ),
    ]
