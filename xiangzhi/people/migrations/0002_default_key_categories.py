from django.db import migrations

# 四到四访: hardship families, elderly living alone, community corrections and drug rehabilitation
# are visited every month (seed 004); petitioners and severe mental illness likewise; disabled people
# each quarter. Townships change these as data.
DEFAULTS = [
    ("petitioner", "信访人员", 30, "重点信访人员"),
    ("mental_illness", "严重精神障碍患者", 30, "在册严重精神障碍患者"),
    ("community_correction", "社区矫正对象", 30, "四到四访"),
    ("drug_rehab", "戒毒康复人员", 30, "四到四访"),
    ("elderly_alone", "孤寡/空巢老人", 30, "四到四访"),
    ("hardship_family", "困难家庭", 30, "四到四访"),
    ("disabled", "残疾人", 90, "重度残疾人优先"),
]


def forwards(apps, schema_editor):
    KeyCategory = apps.get_model("people", "KeyCategory")
    for code, name, days, description in DEFAULTS:
        KeyCategory.objects.update_or_create(
            code=code, defaults={"name": name, "visit_cycle_days": days, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
