import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0002_assignment_end_reason'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GridBoundaryRevision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('before', models.JSONField(blank=True, null=True, verbose_name='修改前边界')),
                ('after', models.JSONField(verbose_name='修改后边界')),
                ('at', models.DateTimeField(verbose_name='修改时间')),
                ('reason', models.CharField(max_length=200, verbose_name='修改原因')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='修改人')),
                ('grid', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='boundary_revisions', to='regions.grid', verbose_name='网格')),
            ],
            options={
                'verbose_name': '网格边界修改记录',
                'verbose_name_plural': '网格边界修改记录',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['grid', '-at'], name='regions_boundary_rev_grid')],
            },
        ),
    ]
