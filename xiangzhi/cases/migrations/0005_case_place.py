import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_other_category'), ('people', '0008_place_kinds'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='place',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='people.place', verbose_name='部件与场所'),
        ),
    ]
