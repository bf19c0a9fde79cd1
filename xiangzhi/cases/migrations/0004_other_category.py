from django.db import migrations

# 其他: what a report files under when its reporter chose no category (随手拍 in three taps). Like the
# catalog's general items (政策咨询, 设备告警) it goes to the village of the grid it falls in, with no
# department: the village committee looks at it and dispatches, escalates or handles it ("一般问题不出村").
# It sorts after every other category on every list.
OTHER = {
    "name": "其他", "group": "其他", "kind": "event", "split_class": "minor", "default_level": "village",
    "department_kind": "", "accept_hours": 4, "dispatch_hours": 4, "handle_hours": 72, "verify_hours": 24,
    "warn_before_hours": 8, "overdue_action": "notify", "sort": 100,
}


def forwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.get_or_create(code="other", defaults=OTHER)


def backwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    Category.objects.filter(code="other", cases__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_category_sort")]
    operations = [migrations.RunPython(forwards, backwards)]
