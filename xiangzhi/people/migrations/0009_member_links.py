import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0008_place_kinds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # An ended link keeps its row, so the same member may link the same household again later:
        # what is unique is the one link in post per household.
        migrations.RemoveConstraint(
            model_name='memberhouseholdlink',
            name='member_household_once',
        ),
        migrations.AddField(
            model_name='memberhouseholdlink',
            name='assigned_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='安排人'),
        ),
        migrations.AddField(
            model_name='memberhouseholdlink',
            name='end_reason',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='结束原因'),
        ),
        migrations.AddField(
            model_name='memberhouseholdlink',
            name='ended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='结束人'),
        ),
        migrations.AddField(
            model_name='memberhouseholdlink',
            name='ended_on',
            field=models.DateField(blank=True, null=True, verbose_name='结束日期'),
        ),
        # Links made before dates were kept: dated to the start of 2024.
        migrations.AddField(
            model_name='memberhouseholdlink',
            name='started_on',
            field=models.DateField(default=datetime.date(2024, 1, 1), verbose_name='起始日期'),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='memberhouseholdlink',
            name='household',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='member_links', to='people.household', verbose_name='户'),
        ),
        migrations.AlterField(
            model_name='memberhouseholdlink',
            name='member',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='linked_households', to='people.resident', verbose_name='党员'),
        ),
        migrations.AddIndex(
            model_name='memberhouseholdlink',
            index=models.Index(fields=['member', 'ended_on'], name='member_link_member_ended'),
        ),
        migrations.AddConstraint(
            model_name='memberhouseholdlink',
            constraint=models.UniqueConstraint(condition=models.Q(('ended_on__isnull', True)), fields=('household',), name='member_link_one_in_post_per_household'),
        ),
    ]
