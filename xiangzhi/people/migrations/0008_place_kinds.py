"""Kinds of places and organisations become data (PlaceKind, OrganisationKind), seeded with the
choices the code had; ``kind`` columns keep their codes and become foreign keys to them. Places get
what a facility needs (a painted label, a note, in use or retired), organisations a location, an
address and a sealed contact phone; both get a history of every change."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PLACE_KINDS = [
    ("street_light", "路灯"), ("manhole", "井盖"), ("hydrant", "消防栓"), ("river", "河道"), ("road", "道路"),
    ("bridge", "桥梁"), ("school", "学校"), ("clinic", "卫生室"), ("service_centre", "党群服务中心"),
    ("shop", "商铺"), ("other", "其他"),
]
ORGANISATION_KINDS = [
    ("cooperative", "农民专业合作社"), ("family_farm", "家庭农场"), ("enterprise", "企业"),
    ("social", "社会组织"), ("other", "其他"),
]


def forwards(apps, schema_editor):
    """Also run by the demo's and the tests' reset (``demo.builder.SEEDING_MIGRATIONS``): idempotent."""
    for kind_model, row_model, kinds in (("PlaceKind", "Place", PLACE_KINDS),
                                         ("OrganisationKind", "Organisation", ORGANISATION_KINDS)):
        Kind, Row = apps.get_model("people", kind_model), apps.get_model("people", row_model)
        known = dict(kinds)
        # A code some row holds that the choices no longer list keeps its rows, named by its code.
        for code in Row.objects.values_list("kind", flat=True).distinct():
            known.setdefault(code, code)
        for i, (code, name) in enumerate(known.items()):
            Kind.objects.get_or_create(code=code, defaults={"name": name,
                                                            "sort": (i + 1) * 10 if code != "other" else 990})


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0007_key_people_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OrganisationKind',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=20, unique=True, verbose_name='代码')),
                ('name', models.CharField(max_length=50, verbose_name='名称')),
                ('is_active', models.BooleanField(default=True, verbose_name='启用')),
                ('sort', models.PositiveSmallIntegerField(default=100, verbose_name='排序')),
            ],
            options={
                'verbose_name': '组织类别',
                'verbose_name_plural': '组织类别',
                'ordering': ['sort', 'code'],
            },
        ),
        migrations.CreateModel(
            name='PlaceKind',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=20, unique=True, verbose_name='代码')),
                ('name', models.CharField(max_length=50, verbose_name='名称')),
                ('is_active', models.BooleanField(default=True, verbose_name='启用')),
                ('sort', models.PositiveSmallIntegerField(default=100, verbose_name='排序')),
            ],
            options={
                'verbose_name': '部件与场所类别',
                'verbose_name_plural': '部件与场所类别',
                'ordering': ['sort', 'code'],
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddField(
            model_name='organisation',
            name='address',
            field=models.CharField(blank=True, max_length=200, verbose_name='地址'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='contact_phone_encrypted',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='organisation',
            name='contact_phone_hash',
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name='organisation',
            name='contact_phone_masked',
            field=models.CharField(blank=True, max_length=20, verbose_name='联系电话'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='is_active',
            field=models.BooleanField(default=True, verbose_name='在册'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='lat',
            field=models.FloatField(blank=True, null=True, verbose_name='纬度'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='lon',
            field=models.FloatField(blank=True, null=True, verbose_name='经度'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='note',
            field=models.CharField(blank=True, max_length=500, verbose_name='备注'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='更新时间'),
        ),
        migrations.AddField(
            model_name='place',
            name='is_active',
            field=models.BooleanField(default=True, verbose_name='在用'),
        ),
        migrations.AddField(
            model_name='place',
            name='label',
            field=models.CharField(blank=True, max_length=50, verbose_name='编号标识'),
        ),
        migrations.AddField(
            model_name='place',
            name='note',
            field=models.CharField(blank=True, max_length=500, verbose_name='备注'),
        ),
        migrations.AddField(
            model_name='place',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='更新时间'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='grid',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='organisations', to='regions.grid', verbose_name='网格'),
        ),
        migrations.AlterField(
            model_name='place',
            name='grid',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='places', to='regions.grid', verbose_name='网格'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='kind',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='organisations', to='people.organisationkind', to_field='code', verbose_name='类别'),
        ),
        migrations.AlterField(
            model_name='place',
            name='kind',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='places', to='people.placekind', to_field='code', verbose_name='类别'),
        ),
        migrations.CreateModel(
            name='OrganisationChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('add', '登记'), ('import', '导入'), ('edit', '修改'), ('move', '移动位置'), ('retire', '停用')], max_length=10, verbose_name='操作')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('before', models.JSONField(blank=True, default=dict, verbose_name='变动前')),
                ('after', models.JSONField(blank=True, default=dict, verbose_name='变动后')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='people.organisation', verbose_name='组织')),
            ],
            options={
                'verbose_name': '组织变动记录',
                'verbose_name_plural': '组织变动记录',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PlaceChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('add', '登记'), ('import', '导入'), ('edit', '修改'), ('move', '移动位置'), ('retire', '停用')], max_length=10, verbose_name='操作')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('before', models.JSONField(blank=True, default=dict, verbose_name='变动前')),
                ('after', models.JSONField(blank=True, default=dict, verbose_name='变动后')),
                ('reason', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('place', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='people.place', verbose_name='部件与场所')),
            ],
            options={
                'verbose_name': '部件变动记录',
                'verbose_name_plural': '部件变动记录',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='place',
            index=models.Index(fields=['lat', 'lon'], name='people_place_latlon'),
        ),
    ]
