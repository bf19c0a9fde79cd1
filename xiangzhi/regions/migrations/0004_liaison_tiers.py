import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0003_boundary_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='gridassignment',
            name='assigned_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='安排人'),
        ),
        migrations.AddField(
            model_name='gridassignment',
            name='ended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='结束人'),
        ),
        migrations.AddField(
            model_name='liaison',
            name='assigned_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='安排人'),
        ),
        migrations.AddField(
            model_name='liaison',
            name='end_reason',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='结束原因'),
        ),
        migrations.AddField(
            model_name='liaison',
            name='ended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='结束人'),
        ),
        migrations.AddField(
            model_name='liaison',
            name='ended_on',
            field=models.DateField(blank=True, null=True, verbose_name='结束日期'),
        ),
        migrations.AddIndex(
            model_name='liaison',
            index=models.Index(fields=['region', 'ended_on'], name='liaison_region_ended'),
        ),
        migrations.AddIndex(
            model_name='liaison',
            index=models.Index(fields=['user', 'ended_on'], name='liaison_user_ended'),
        ),
        migrations.AddConstraint(
            model_name='liaison',
            constraint=models.UniqueConstraint(condition=models.Q(('ended_on__isnull', True)), fields=('region', 'tier', 'group_name'), name='liaison_one_in_post_per_place'),
        ),
    ]
