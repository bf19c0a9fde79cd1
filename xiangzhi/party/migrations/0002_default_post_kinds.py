from django.db import migrations

# 设岗定责's usual posts (001); the county adds or retires kinds in the admin.
KINDS = [("policy", "政策宣传岗", 10), ("sanitation", "环境卫生监督岗", 20), ("mediation", "矛盾调解岗", 30),
         ("contact", "联系群众岗", 40), ("safety", "安全稳定岗", 50)]


def forwards(apps, schema_editor):
    Kind = apps.get_model("party", "DutyPostKind")
    for code, name, sort in KINDS:
        Kind.objects.get_or_create(code=code, defaults={"name": name, "sort": sort})


class Migration(migrations.Migration):
    dependencies = [("party", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
