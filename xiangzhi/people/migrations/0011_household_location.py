from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0010_register_imports'),
    ]

    operations = [
        migrations.AddField(
            model_name='household',
            name='lon',
            field=models.FloatField(blank=True, null=True, verbose_name='经度'),
        ),
        migrations.AddField(
            model_name='household',
            name='lat',
            field=models.FloatField(blank=True, null=True, verbose_name='纬度'),
        ),
    ]
