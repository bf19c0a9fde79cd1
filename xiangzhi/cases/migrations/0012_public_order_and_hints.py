"""社会治安 joins the catalog (theft, fraud, gambling, fights and drunken trouble are a desk of their own in
these counties: the police station's), and every category of the default catalog gets the words for what
belongs to it (``Category.hint``), which the category suggester reads for a category it has no cases of
yet. A county edits both in its catalog page. Written to run again safely (the demo and the tests re-seed
the catalog without a schema editor): a hint is written only where none is, the category only made once,
with its first version of terms."""

import datetime as dt

from django.db import migrations

HINTS = {
    "env_garbage": "垃圾成堆没人清、垃圾桶满了不倒、沟渠路边乱倒垃圾和建筑垃圾、死猫死狗、柴草乱堆",
    "env_sewage": "下水道堵了、化粪池和旱厕粪水漫出来、污水流到路上、排水沟臭水外溢",
    "env_straw_burning": "地里烧秸秆、烧麦茬玉米秆、田边烧树叶杂草冒浓烟",
    "road_light": "路灯不亮、一闪一闪、白天亮着、灯杆倒了、太阳能灯坏了、晚上路上黑",
    "road_damage": "路上坑洼、路面裂了塌了、路基下沉、桥面坏了、下雨后泥路走不了车",
    "road_manhole": "井盖没了、井盖碎了、井盖塌下去、井盖松动响、路上有敞口的坑井",
    "dispute_neighbour": "邻居吵架打架、院墙滴水檐、树挡光、堵了过道、牲口吃了庄稼、宅基地边界、互相骂",
    "dispute_family": "两口子打架、家暴、子女不赡养老人、分家争财产、闹离婚、婆媳矛盾",
    "dispute_land": "承包地边界不清、土地流转租金不给、地被收回、承包地被占、征地补偿争议",
    "safety_fire": "电线乱拉、飞线给电动车充电、消防通道堵了、煤气罐、柴草堆在灶边、灭火器过期",
    "safety_building": "墙裂缝、房子歪了、房顶要塌、老人住危房、下雨后墙倒了",
    "safety_traffic": "急弯没护栏、缺警示牌、三轮车拖拉机拉人、大货车超速穿村、学校门口过马路危险",
    "petition_policy": "问养老保险医保怎么交、种粮补贴、低保条件、宅基地怎么申请、户口怎么办",
    "petition_complaint": "反映干部不公、优亲厚友、怀疑贪占、答应的补偿没给、拖欠农民工工资、干部态度差",
    "livelihood_water": "自来水停了、水压小、水发黄发浑、水管爆了",
    "livelihood_power": "停电、电压低、变压器坏了、电线断了、老跳闸",
    "livelihood_welfare": "家里困难、看病没钱、残疾、申请低保五保、孤寡老人没人照顾、留守儿童、受灾求助",
    "illegal_construction": "没审批盖房、私自加层、占路搭棚、河道边乱建",
    "illegal_land": "在耕地上盖房建厂、占地修坟、挖塘、往基本农田倒土、挖沙取土",
    "pollution_water": "河里沟里塘里水变黑发臭、工厂排污、养猪场粪水进河、死鱼、井水被污染",
    "pollution_air": "工厂冒黑烟、粉尘、养殖场臭味、砖窑沥青站、烧塑料烧电缆",
    "pollution_noise": "广场舞音响太吵、夜里机器响、施工噪音、店铺喇叭、放鞭炮",
    "epidemic_clue": "好几个人发烧、从疫区回来、疑似传染病",
    "epidemic_animal": "猪鸡牛羊突然死了、病死畜禽乱扔、疑似猪瘟禽流感、疯狗",
    "market_food": "小卖部卖过期食品、假货、酒席吃了食物中毒、无证摊点、农药残留",
    "device_alarm": "烟感报警、水位告警、摄像头离线、监测设备故障",
    "public_order": "偷盗（电动车、牛羊、庄稼、电缆被偷）、电话诈骗、向老人卖假保健品、赌博、打架斗殴、醉酒滋事、"
                    "陌生人可疑、黑恶线索",
    "other": "流浪狗、意见建议、表扬、失物招领、别处都不管的事",
}

PUBLIC_ORDER = {
    "name": "社会治安", "group": "社会治安", "kind": "event", "split_class": "major", "default_level": "department",
    "department_kind": "police", "accept_hours": 1, "dispatch_hours": 1, "handle_hours": 24, "verify_hours": 24,
    "warn_before_hours": 4, "overdue_action": "escalate", "sort": 0,
}
TERMS_FIELDS = ("default_level", "department_kind", "split_class", "accept_hours", "dispatch_hours",
                "handle_hours", "verify_hours", "warn_before_hours", "overdue_action")


def forwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    CategoryTerms = apps.get_model("cases", "CategoryTerms")
    category, made = Category.objects.get_or_create(code="public_order", defaults=PUBLIC_ORDER)
    if made or not CategoryTerms.objects.filter(category=category).exists():
        now = dt.datetime.now(dt.UTC)
        if schema_editor is None:  # re-seeded (demo, tests): dated before any history they write
            now -= dt.timedelta(days=730)
        CategoryTerms.objects.create(category=category, version=1, reason="初始版本", created_at=now,
                                     **{name: getattr(category, name) for name in TERMS_FIELDS})
    for code, hint in HINTS.items():
        Category.objects.filter(code=code, hint="").update(hint=hint)


def backwards(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    CategoryTerms = apps.get_model("cases", "CategoryTerms")
    if not Category.objects.filter(code="public_order", cases__isnull=False).exists():
        CategoryTerms.objects.filter(category__code="public_order").delete()
        Category.objects.filter(code="public_order").delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_triage_fields")]
    operations = [migrations.RunPython(forwards, backwards)]
