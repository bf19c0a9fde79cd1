"""The default rulebook template (积分细则模板), modelled on the reports: 文祖街道's nine fields
(信访维稳, 移风易俗, 人居环境 … seed 000), 沾化's add and deduct items covering industry and customs
(seed 003), clearing the "三大堆" (石子口村), volunteer work on rivers and roads (东田广村), and
points for a villager's report that proves real (随手拍). A township installs a copy with
``rulebook_install`` and edits its own; villages adjust items with 村规民约 overrides."""

from django.db import migrations

TEMPLATE_NAME = "户积分管理细则（默认模板）"
TEMPLATE_FROM = "2024-01-01"

CATEGORIES = [
    ("stability", "信访维稳"),
    ("customs", "移风易俗"),
    ("environment", "人居环境"),
    ("filial", "孝老爱亲"),
    ("neighbourly", "邻里和睦"),
    ("volunteer", "志愿服务"),
    ("law", "遵纪守法"),
    ("affairs", "村务参与"),
    ("industry", "产业发展"),
]

ALL = "points_recorder,village_cadre,grid_chief,grid_worker"
VILLAGE = "points_recorder,village_cadre"
SYSTEM = ""

# code, category, name, points per occurrence (negative = deduction), cap count, cap points,
# cap period, photo required, who may record.
RULES = [
    ("stability_mediate", "stability", "主动化解邻里矛盾纠纷", 5, 2, None, "month", False, ALL),
    ("stability_clue", "stability", "提供安全隐患、治安线索经核实", 3, 5, None, "month", False, ALL),
    ("stability_no_petition", "stability", "全年无越级上访、无缠访闹访", 10, 1, None, "year", False, VILLAGE),
    ("stability_illegal_petition", "stability", "越级上访、缠访闹访", -20, None, None, "", True, VILLAGE),
    ("stability_fight", "stability", "参与打架斗殴、寻衅滋事", -10, None, None, "", False, VILLAGE),
    ("customs_wedding", "customs", "红事新办、婚事简办", 10, 1, None, "year", True, VILLAGE),
    ("customs_funeral", "customs", "白事简办、文明祭扫", 10, 1, None, "year", True, VILLAGE),
    ("customs_promote", "customs", "参与移风易俗宣传、红白理事会服务", 2, 4, None, "month", False, ALL),
    ("customs_lavish", "customs", "大操大办、铺张浪费", -10, None, None, "", True, VILLAGE),
    ("customs_gambling", "customs", "参与赌博、封建迷信活动", -10, None, None, "", False, VILLAGE),
    ("customs_bride_price", "customs", "索要高额彩礼", -10, None, None, "", False, VILLAGE),
    ("env_yard", "environment", "庭院整洁、物品摆放有序（月度评比）", 5, 1, None, "month", True, ALL),
    ("env_three_piles", "environment", "主动清理门前“三大堆”（柴草堆、粪堆、垃圾堆）", 3, 2, None, "month", True, ALL),
    ("env_sorting", "environment", "垃圾分类投放到位", 1, 4, None, "month", False, ALL),
    ("env_greening", "environment", "门前屋后植树绿化、美化", 2, 2, None, "month", False, ALL),
    ("env_litter", "environment", "乱堆乱放、乱倒垃圾污水", -3, None, None, "", True, ALL),
    ("env_burning", "environment", "焚烧秸秆、垃圾", -10, None, None, "", True, ALL),
    ("env_livestock", "environment", "散养畜禽、污染环境", -3, None, None, "", False, ALL),
    ("filial_elders", "filial", "赡养老人尽心尽责（经评议）", 5, 1, None, "quarter", False, VILLAGE),
    ("filial_honour", "filial", "获评“好媳妇”“好婆婆”“文明家庭”", 20, 1, None, "year", True, VILLAGE),
    ("filial_care", "filial", "照顾孤寡老人、留守儿童", 3, 4, None, "month", False, ALL),
    ("filial_neglect", "filial", "不赡养老人、虐待家庭成员", -20, None, None, "", False, VILLAGE),
    ("neighbour_help", "neighbourly", "邻里互助、扶危济困", 3, 4, None, "month", False, ALL),
    ("neighbour_good_deed", "neighbourly", "拾金不昧、见义勇为", 10, None, None, "", True, VILLAGE),
    ("neighbour_quarrel", "neighbourly", "挑起邻里纠纷、恶语伤人", -5, None, None, "", False, ALL),
    ("volunteer_activity", "volunteer", "参加志愿服务活动（每次）", 2, 8, 16, "month", False, ALL),
    ("volunteer_emergency", "volunteer", "参加防汛抗灾、疫情防控等急难任务", 5, 4, None, "month", False, ALL),
    ("volunteer_labour", "volunteer", "义务出工（修路、整修河道等）", 3, 8, None, "month", False, ALL),
    ("volunteer_donate", "volunteer", "捐资捐物支持村内公益事业", 5, 2, None, "year", True, VILLAGE),
    ("law_learning", "law", "参加普法学习、法治宣传活动", 2, 2, None, "month", False, ALL),
    ("law_anti_fraud", "law", "安装国家反诈中心App并帮助他人安装", 1, 1, None, "year", False, ALL),
    ("law_illegal_building", "law", "违章建房、乱占耕地", -20, None, None, "", True, VILLAGE),
    ("law_crime", "law", "违法犯罪被依法处理", -30, None, None, "", False, VILLAGE),
    ("law_drunk_driving", "law", "酒驾、无证驾驶被查处", -10, None, None, "", False, VILLAGE),
    ("report_valid", "affairs", "随手拍反映问题经核实有效", 2, 5, None, "month", False, SYSTEM),
    ("affairs_meeting", "affairs", "参加村民会议、户代表会议", 2, 2, None, "month", False, ALL),
    ("affairs_insurance", "affairs", "按时缴纳医保、养老保险", 2, 1, None, "year", False, VILLAGE),
    ("affairs_obstruct", "affairs", "阻挠村内公共项目建设", -10, None, None, "", False, VILLAGE),
    ("industry_cooperative", "industry", "加入合作社、发展特色种养", 5, 1, None, "year", False, VILLAGE),
    ("industry_training", "industry", "参加农业技术、职业技能培训", 2, 4, None, "year", False, ALL),
    ("industry_employ", "industry", "带动村民就业增收", 10, 1, None, "year", True, VILLAGE),
]


def forwards(apps, schema_editor):
    Rulebook = apps.get_model("points", "PointsRulebook")
    Category = apps.get_model("points", "PointsCategory")
    Rule = apps.get_model("points", "PointsRule")
    book, _ = Rulebook.objects.get_or_create(region=None, name=TEMPLATE_NAME,
                                             defaults={"effective_from": TEMPLATE_FROM})
    categories = {}
    for sort, (code, name) in enumerate(CATEGORIES, start=1):
        categories[code], _ = Category.objects.update_or_create(rulebook=book, code=code,
                                                                defaults={"name": name, "sort": sort})
    for sort, (code, category, name, points, cap_count, cap_points, period, photo, roles) in enumerate(RULES, 1):
        Rule.objects.update_or_create(rulebook=book, code=code, defaults={
            "category": categories[category], "name": name, "points": points,
            "direction": "add" if points > 0 else "deduct", "cap_count": cap_count, "cap_points": cap_points,
            "cap_period": period, "evidence_required": photo, "recorder_roles": roles, "is_active": True,
            "sort": sort,
        })


class Migration(migrations.Migration):
    dependencies = [("points", "0002_append_only")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
