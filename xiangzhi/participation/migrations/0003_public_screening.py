"""Announcements and polls marked public wait for the township's screening before the village's public
page shows them; the decisions are kept and, on PostgreSQL, refuse UPDATE and DELETE. Those marked
public before screening existed wait for it too."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from xiangzhi.core.migration_ops import append_only


def public_items_wait(apps, schema_editor):
    for name in ("Announcement", "Poll"):
        apps.get_model("participation", name).objects.filter(is_public=True).update(public_state="waiting")


class Migration(migrations.Migration):

    dependencies = [
        ('participation', '0002_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='announcement',
            name='public_state',
            field=models.CharField(blank=True, choices=[('waiting', '待审核'), ('passed', '已通过'), ('returned', '已退回')], default='', max_length=8, verbose_name='公开审核'),
        ),
        migrations.AddField(
            model_name='poll',
            name='public_state',
            field=models.CharField(blank=True, choices=[('waiting', '待审核'), ('passed', '已通过'), ('returned', '已退回')], default='', max_length=8, verbose_name='公开审核'),
        ),
        migrations.CreateModel(
            name='PublicScreening',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decision', models.CharField(choices=[('pass', '通过'), ('return', '退回')], max_length=8, verbose_name='审核结果')),
                ('reason', models.CharField(blank=True, default='', max_length=200, verbose_name='审核意见')),
                ('at', models.DateTimeField(verbose_name='审核时间')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='审核人')),
                ('announcement', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='screenings', to='participation.announcement', verbose_name='通知公告')),
                ('poll', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='screenings', to='participation.poll', verbose_name='调查')),
            ],
            options={
                'verbose_name': '公开审核',
                'verbose_name_plural': '公开审核',
                'ordering': ['at', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('announcement__isnull', True), ('poll__isnull', False)), models.Q(('announcement__isnull', False), ('poll__isnull', True)), _connector='OR'), name='participation_screening_one_target'), models.CheckConstraint(condition=models.Q(('decision', 'pass'), models.Q(('reason', ''), _negated=True), _connector='OR'), name='participation_screening_return_has_reason')],
            },
        ),
        migrations.RunPython(public_items_wait, migrations.RunPython.noop),
        append_only("participation_screening", ["participation_publicscreening"],
                    "公开审核记录只能追加，不能修改或删除"),
    ]
