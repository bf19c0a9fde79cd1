"""The page's filters each find their rows by an index: the scope and the person as prefixes (pattern
operators on PostgreSQL), the kind, each newest first."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_scope_at',
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['scope_path', 'at'], name='audit_scope_at', opclasses=['varchar_pattern_ops', 'timestamptz_ops']),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor_name', 'at'], name='audit_actor_at', opclasses=['varchar_pattern_ops', 'timestamptz_ops']),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action', 'at'], name='audit_action_at'),
        ),
    ]
