from django.db import migrations

# code, name, group, kind (facility = 部件, event = 事件 per GB/T 30428), split class (三事分流),
# default level, responsible department kind, handle hours, overdue action. Drawn from the reports;
# counties edit them as data.
CATALOG = [
    ("env_garbage", "垃圾乱堆乱放", "人居环境", "event", "minor", "grid", "", 24, "notify"),
    ("env_sewage", "污水外溢", "人居环境", "event", "minor", "village", "water", 48, "notify"),
    ("env_straw_burning", "秸秆焚烧", "人居环境", "event", "major", "township", "environment", 4, "escalate"),
    ("road_light", "路灯损坏", "道路与照明", "facility", "minor", "grid", "power", 72, "notify"),
    ("road_damage", "道路破损", "道路与照明", "facility", "major", "township", "other", 120, "notify"),
    ("road_manhole", "井盖缺失破损", "道路与照明", "facility", "major", "township", "water", 24, "escalate"),
    ("dispute_neighbour", "邻里纠纷", "矛盾纠纷", "event", "private", "grid", "", 72, "notify"),
    ("dispute_family", "家庭矛盾", "矛盾纠纷", "event", "private", "grid", "", 72, "notify"),
    ("dispute_land", "土地承包纠纷", "矛盾纠纷", "event", "minor", "village", "", 120, "escalate"),
    ("safety_fire", "消防安全隐患", "安全隐患", "event", "major", "department", "enforcement", 24, "escalate"),
    ("safety_building", "危房隐患", "安全隐患", "event", "major", "township", "", 48, "escalate"),
    ("safety_traffic", "交通安全隐患", "安全隐患", "event", "minor", "village", "police", 72, "notify"),
    ("petition_policy", "政策咨询", "信访诉求", "event", "minor", "village", "", 48, "notify"),
    ("petition_complaint", "信访投诉", "信访诉求", "event", "major", "township", "petition", 120, "escalate"),
    ("livelihood_water", "停水断水", "民生服务", "event", "minor", "department", "water", 24, "escalate"),
    ("livelihood_power", "停电断电", "民生服务", "event", "minor", "department", "power", 24, "escalate"),
    ("livelihood_welfare", "救助帮扶申请", "民生服务", "event", "minor", "village", "civil", 120, "notify"),
    ("illegal_construction", "违法建设", "违法建设", "event", "major", "department", "enforcement", 120, "escalate"),
    ("illegal_land", "乱占耕地", "违法建设", "event", "major", "department", "enforcement", 120, "escalate"),
    ("pollution_water", "水体污染", "环境污染", "event", "major", "department", "environment", 72, "escalate"),
    ("pollution_air", "大气污染与异味", "环境污染", "event", "major", "department", "environment", 72, "notify"),
    ("pollution_noise", "噪声扰民", "环境污染", "event", "minor", "village", "", 48, "notify"),
    ("epidemic_clue", "疫情线索", "疫情防控", "event", "major", "township", "", 4, "escalate"),
    ("epidemic_animal", "动物疫病", "疫情防控", "event", "major", "department", "other", 24, "escalate"),
    ("market_food", "食品安全", "市场监管", "event", "major", "department", "market", 72, "notify"),
    ("device_alarm", "设备告警", "设备告警", "event", "minor", "village", "", 24, "escalate"),
]

# 2026 public holidays and swapped working days (国务院办公厅 2026 年部分节假日安排).
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03", "元旦"), ("2026-02-15", "2026-02-23", "春节"), ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"), ("2026-06-19", "2026-06-21", "端午节"), ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
]
WORKDAYS_2026 = [("2026-01-04", "元旦调休"), ("2026-02-14", "春节调休"), ("2026-02-28", "春节调休"),
                 ("2026-05-09", "劳动节调休"), ("2026-09-20", "国庆节调休"), ("2026-10-10", "国庆节调休")]


def forwards(apps, schema_editor):
    import datetime as dt

    Category = apps.get_model("cases", "Category")
    CalendarDay = apps.get_model("cases", "CalendarDay")
    for code, name, group, kind, split, level, dept, hours, overdue in CATALOG:
        Category.objects.update_or_create(code=code, defaults={
            "name": name, "group": group, "kind": kind, "split_class": split, "default_level": level,
            "department_kind": dept, "handle_hours": hours, "overdue_action": overdue,
            "accept_hours": 1 if hours <= 4 else 4, "dispatch_hours": 1 if hours <= 4 else 4,
            "warn_before_hours": 1 if hours <= 4 else 8,
        })
    for first, last, name in HOLIDAYS_2026:
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": False, "name": name})
            day += dt.timedelta(days=1)
    for date, name in WORKDAYS_2026:
        CalendarDay.objects.update_or_create(date=date, defaults={"is_workday": True, "name": name})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
