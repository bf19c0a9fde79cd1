import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0006_register_moves'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='keyperson',
            name='key_person_once_per_category',
        ),
        migrations.AddField(
            model_name='keyperson',
            name='registered_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登记人'),
        ),
        migrations.AddField(
            model_name='keyperson',
            name='ended_on',
            field=models.DateField(blank=True, null=True, verbose_name='解除日期'),
        ),
        migrations.AddField(
            model_name='keyperson',
            name='end_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='解除原因'),
        ),
        migrations.AddField(
            model_name='keyperson',
            name='ended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='解除人'),
        ),
        migrations.AddConstraint(
            model_name='keyperson',
            constraint=models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('resident', 'category'), name='key_person_active_once_per_category'),
        ),
        migrations.CreateModel(
            name='KeyPersonChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('register', '登记'), ('category', '变更类别'), ('end', '解除')], max_length=16, verbose_name='变动')),
                ('before', models.JSONField(blank=True, default=dict, verbose_name='之前')),
                ('after', models.JSONField(blank=True, default=dict, verbose_name='之后')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='原因')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='经办人')),
                ('key_person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='people.keyperson')),
            ],
            options={
                'verbose_name': '重点人员变动',
                'verbose_name_plural': '重点人员变动',
                'ordering': ['-at', '-id'],
            },
        ),
    ]
