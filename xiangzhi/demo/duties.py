"""The three lists (三张清单, seed 003) for every county of the demo: the village small-power list (48 正面
and 32 负面 items, each with its process), the duty list (178 duties in 7 fields, each with its
organisation and post) and the territorial duty list (165 items in 14 fields: the township leads 8 and
cooperates on 157). Between them the two duty lists govern every case category of the catalog, each as
the catalog routes it, so the cases go where they went before; then a second version of the duty list
hands 污水外溢 from the village to the township's 水务站, and routing follows it.

Items are checked by the lists' own ``item_build`` and written in bulk through ``version_items_replace``;
the second version is a draft copied from the first, one item changed and activated, as the county would.
A villager of the first village reports 污水外溢 under each version, so the two cases show the change:
the first went to the village by version 1, the second to the 水务站 by version 2.
Deterministic for a seed: posts, organisations and wording draw from ``random.Random(f"{seed}:duties")``."""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.models import Category
from xiangzhi.cases.services import case_report
from xiangzhi.duties import services
from xiangzhi.duties.models import ListItem, ListKind, ListVersion, VersionState
from xiangzhi.duties.services import DEFAULT_FIELDS, ItemInput
from xiangzhi.regions.models import Region, RegionLevel

# --- 小微权力清单 ------------------------------------------------------------------------------------

# field → (who exercises it, basis, process steps, 正面 items, 负面 items)
POWERS = {
    "重大事项决策": ("村党组织、村民委员会", "《中华人民共和国村民委员会组织法》、“四议两公开”工作法",
               ["村党组织提议", "村两委会议商议", "党员大会审议", "村民代表会议或村民会议决议", "决议公开",
                "实施结果公开"],
               ["村级重大事项决策", "村集体经济发展规划制定", "村规民约制定和修订", "村级年度财务预决算",
                "集体土地承包方案", "宅基地分配方案", "村级公益事业一事一议筹资筹劳", "集体经济组织收益分配方案"],
               ["严禁个人或少数人决定村级重大事项", "严禁未经“四议两公开”擅自作出决策", "严禁违规举债",
                "严禁为他人违规提供担保", "严禁擅自改变集体土地用途", "严禁干预村民委员会依法选举"]),
    "村级工程项目": ("村民委员会", "《山东省村级小型工程项目管理办法》",
               ["村两委提出项目", "村民代表会议决议", "报乡镇审核", "公开招标或比选", "签订合同并公示",
                "村务监督委员会全程监督", "竣工验收", "结果公开"],
               ["村级小型工程项目立项", "村级工程项目招标", "五万元以下工程比选", "工程变更和增加工程量",
                "工程质量监督", "工程竣工验收", "工程款拨付", "以工代赈项目实施"],
               ["严禁将工程项目化整为零规避招标", "严禁村干部及其亲属承揽本村工程", "严禁违规指定施工单位",
                "严禁虚报工程量套取资金", "严禁未验收即拨付工程款", "严禁收受施工方好处费"]),
    "集体资金管理": ("村报账员、村党组织书记", "《农村集体经济组织财务制度》、村级财务“村账乡代管”规定",
               ["经办人提出用款申请", "村务监督委员会审核", "村党组织书记审批", "乡镇农村经营管理站复核",
                "银行转账支付", "月度财务公开"],
               ["五千元以下小额资金支出", "大额资金支出", "村级非生产性开支", "村干部误工补贴发放", "集体资金出借",
                "上级补助资金使用", "村级债权债务处置", "村级报刊订阅和接待费用"],
               ["严禁私设“小金库”", "严禁坐收坐支集体资金", "严禁挪用、截留、侵占惠农资金", "严禁白条入账",
                "严禁公款吃喝和违规发放补贴"]),
    "集体资产资源": ("村集体经济组织", "《农村集体资产管理办法》、农村产权交易规则",
               ["村两委提出方案", "资产评估", "村民代表会议决议", "进入农村产权交易平台", "签订合同", "结果公开"],
               ["集体资产出租出借", "集体资源发包", "集体资产处置", "集体建设用地使用", "机动地发包",
                "集体坑塘、林地发包", "集体经营性资产入股", "闲置宅基地盘活利用"],
               ["严禁低价出租、发包集体资产资源", "严禁私自处置集体资产", "严禁以租代征违规占用耕地",
                "严禁暗箱操作资产交易", "严禁延长发包期限损害集体利益"]),
    "便民服务": ("村便民服务站", "《山东省最低生活保障办法》、乡镇便民服务事项清单",
             ["村民提出申请", "村便民服务站受理", "村两委入户核查", "村内公示", "报乡镇（街道）审批", "结果告知申请人"],
             ["低保、特困供养申请初审", "临时救助申请", "宅基地申请初审", "农房建设审批初审", "惠农补贴申报",
              "残疾人两项补贴申请初审", "各类证明出具", "就业创业补贴申请"],
             ["严禁对符合条件的申请拖延不办", "严禁优亲厚友评定低保", "严禁向群众索要财物", "严禁违规出具证明",
              "严禁截留群众补贴"]),
    "村务管理": ("村两委", "《中国共产党农村基层组织工作条例》、村务公开民主管理制度",
             ["村两委提出", "征求党员群众意见", "村民代表会议讨论", "村内公示", "报乡镇（街道）备案"],
             ["村级组织印章使用", "村民小组长推选", "发展党员", "公益性岗位人员选聘", "村级档案管理",
              "户积分评定", "民兵整组", "村级后备干部选拔"],
             ["严禁违规使用村级印章", "严禁隐瞒、拒绝村务公开", "严禁打击报复举报人", "严禁违规发展党员",
              "严禁优亲厚友安排公益性岗位"]),
}
FORBIDDEN_STEPS = ["群众举报或日常监督发现", "村务监督委员会核实", "报告乡镇（街道）纪（工）委", "依规依纪依法处理",
                   "处理结果公开"]


def power_items() -> list[ItemInput]:
    allowed, forbidden = [], []
    for field_name, (subject, basis, steps, yes, no) in POWERS.items():
        for title in yes:
            allowed.append(ItemInput(code="", field=field_name, title=title, side="allowed", subject=subject,
                                     basis=basis, steps=list(steps)))
        for title in no:
            forbidden.append(ItemInput(code="", field=field_name, title=title, side="forbidden", subject="村干部",
                                       basis=basis, steps=list(FORBIDDEN_STEPS)))
    for n, item in enumerate(allowed, start=1):
        item.code = f"ZM-{n:02d}"
    for n, item in enumerate(forbidden, start=1):
        item.code = f"FM-{n:02d}"
    return allowed + forbidden


# --- 职责任务清单 -------------------------------------------------------------------------------------

# The duties that govern case categories: (field, title, organisation, post, handling level, categories).
# Organisation and level as the catalog routes each category (a department's kind where it has one).
ROUTING_DUTIES = [
    ("社会治理", "邻里纠纷、家庭矛盾排查化解", "网格", "网格员", "", "dispute_neighbour、dispute_family"),
    ("社会治理", "土地承包纠纷调处", "村", "村人民调解委员会主任", "", "dispute_land"),
    ("社会治理", "物联网设备告警核查处置", "村", "村两委委员（网格长）", "", "device_alarm"),
    ("社会治理", "群众其他诉求受理分办", "村", "村便民服务站代办员", "", "other"),
    ("生态环保", "农村生活垃圾收集清运", "网格", "网格员", "", "env_garbage"),
    ("生态环保", "农村生活污水收集处理", "水务", "村两委委员（人居环境）", "村", "env_sewage"),
    ("生态环保", "大气污染和异味问题处置", "生态环境", "环保所所长", "", "pollution_air"),
    ("生态环保", "噪声扰民劝导处置", "村", "村委会主任", "", "pollution_noise"),
    ("民生保障", "供水故障抢修", "水务", "水务站站长", "", "livelihood_water"),
    ("民生保障", "供电故障抢修", "供电所", "供电所所长", "", "livelihood_power"),
    ("民生保障", "困难群众救助帮扶申请受理", "民政", "村民政协理员", "村", "livelihood_welfare"),
    ("民生保障", "政策咨询答复", "村", "村便民服务站代办员", "", "petition_policy"),
    ("平安建设", "消防安全隐患排查整治", "综合执法", "综合执法中队长", "", "safety_fire"),
    ("平安建设", "交通安全隐患劝导排查", "派出所", "村交通安全劝导员", "村", "safety_traffic"),
    ("平安建设", "信访投诉受理办理", "信访", "信访办主任", "乡镇", "petition_complaint"),
    ("经济发展", "食品安全监管", "市场监管", "市场监管所所长", "", "market_food"),
    ("乡村振兴", "村内路灯维护", "供电所", "网格员", "网格", "road_light"),
    ("乡村振兴", "农村公路养护", "其他", "乡镇交通管理站站长", "乡镇", "road_damage"),
    ("乡村振兴", "窨井盖等公共设施维护", "水务", "水务站站长", "乡镇", "road_manhole"),
]
# The second version's one change: 污水外溢 goes from the village straight to the township's 水务站.
CHANGED_CATEGORY = "env_sewage"
CHANGED_NOTE = "污水外溢改由乡镇水务站直接处置"

# field → (organisation, post) pairs the field's other duties draw from, and its duties.
DUTIES = {
    "基层党建": (
        [("乡镇", "乡镇党委组织委员"), ("乡镇", "党建工作办公室主任"), ("村", "村党组织书记"),
         ("村", "村党组织委员")],
        ["村党组织班子建设", "“三会一课”制度落实", "主题党日活动组织", "发展党员", "党员教育培训", "党员积分管理",
         "流动党员管理", "党费收缴和使用", "软弱涣散村党组织整顿", "村级后备力量培养", "村党群服务中心运行",
         "党务公开", "党员设岗定责", "党员联系户", "村干部坐班值班", "村党组织书记抓党建述职",
         "村干部报酬和绩效考核", "农村党员冬春训", "老党员关爱慰问", "村级组织换届", "党风廉政建设",
         "村务监督委员会运行", "基层党组织标准化建设"],
    ),
    "经济发展": (
        [("乡镇", "经济发展办公室主任"), ("乡镇", "招商服务中心主任"), ("村", "村委会主任"),
         ("市场监管", "市场监管所所长")],
        ["村集体经济发展", "招商引资项目服务", "企业帮办代办", "农民专业合作社培育", "家庭农场发展",
         "冬枣产业提质增效", "特色种养业发展", "农村电商发展", "乡村旅游发展", "农产品品牌建设", "劳动力转移就业",
         "返乡创业服务", "统计调查", "集体经营性资产经营", "土地流转服务", "农业社会化服务", "财政涉农资金项目实施",
         "村级债务化解", "税源培植", "优化营商环境", "农产品产销对接", "村级光伏收益管理"],
    ),
    "乡村振兴": (
        [("乡镇", "农业综合服务中心主任"), ("乡镇", "乡村振兴办公室主任"), ("村", "村委会主任"),
         ("村", "村两委委员（农业）")],
        ["高标准农田建设", "耕地保护和粮食生产", "农田水利设施管护", "农村道路建设", "美丽乡村建设", "农村改厕",
         "农村清洁取暖改造", "农村危房改造", "农村宅基地管理", "村庄规划编制", "防止返贫动态监测",
         "帮扶项目资产管理", "乡风文明建设", "移风易俗", "新时代文明实践站运行", "农村实用人才培养", "农业技术推广",
         "动物防疫", "农作物病虫害防治", "农机安全管理", "农业保险推广", "农村集体产权制度改革",
         "农村公益事业一事一议"],
    ),
    "民生保障": (
        [("民政", "民政办主任"), ("乡镇", "社会事务办公室主任"), ("村", "村民政协理员"),
         ("村", "村便民服务站代办员")],
        ["城乡低保动态管理", "特困人员供养", "残疾人两项补贴", "高龄津贴发放", "居家养老服务", "农村幸福院运行",
         "留守儿童关爱", "困境儿童保障", "城乡居民医保参保", "城乡居民养老保险参保", "退役军人服务", "优抚对象抚恤",
         "就业援助", "公益性岗位管理", "殡葬改革", "慈善救助", "残疾人康复服务", "家庭医生签约服务",
         "基本公共卫生服务", "计划生育家庭扶助", "学生资助", "控辍保学", "住房保障"],
    ),
    "平安建设": (
        [("派出所", "派出所所长"), ("乡镇", "综治中心主任"), ("乡镇", "应急管理办公室主任"),
         ("综合执法", "综合执法中队长"), ("村", "村治保主任")],
        ["社会治安巡逻防控", "重点人员服务管理", "禁毒宣传教育", "反电信网络诈骗宣传", "流动人口和出租房屋管理",
         "安全生产隐患排查", "危险化学品安全管理", "燃气安全检查", "防汛抗旱", "农村消防", "道路交通安全劝导",
         "校园及周边安全", "寄递物流安全", "民兵预备役工作", "国家安全人民防线", "普法宣传", "法律援助", "人民调解",
         "社区矫正对象管理", "刑满释放人员安置帮教", "防范邪教", "应急值守", "消防安全宣传"],
    ),
    "生态环保": (
        [("生态环境", "环保所所长"), ("乡镇", "生态环境办公室主任"), ("村", "村两委委员（人居环境）"),
         ("网格", "网格员")],
        ["河湖长制落实", "林长制落实", "秸秆综合利用", "畜禽养殖污染治理", "农业面源污染防治", "农药包装废弃物回收",
         "废旧地膜回收", "扬尘管控", "散乱污企业整治", "饮用水水源地保护", "村庄绿化", "村庄清洁行动", "垃圾分类",
         "黑臭水体治理", "盐碱地综合利用", "湿地保护", "野生动物保护", "环境信访办理", "清洁取暖",
         "环保督察问题整改", "土壤污染防治", "农村厕所粪污治理", "农村河道保洁"],
    ),
    "社会治理": (
        [("乡镇", "综治中心主任"), ("乡镇", "网格化服务管理中心主任"), ("村", "村党组织书记"), ("网格", "网格长")],
        ["网格化服务管理", "网格员队伍管理", "矛盾纠纷多元化解", "信访矛盾排查", "“百姓夜话”组织", "村民议事会运行",
         "村规民约执行", "道德评议会运行", "红白理事会运行", "志愿服务", "户积分管理", "积分超市运行", "村务公开",
         "“三务三资”阳光报告会", "一村一码监督", "“四议两公开”执行", "网格事项准入", "12345热线工单办理",
         "民意调查", "帮办代办", "社会组织培育", "村（居）民自治"],
    ),
}


def duty_items(rng: random.Random) -> list[ItemInput]:
    out = []
    for field_name, title, organisation, post, level, categories in ROUTING_DUTIES:
        out.append(ItemInput(code="", field=field_name, title=title, organisation=organisation, post=post,
                             handling_level=level, category_codes=categories))
    for field_name, (pairs, titles) in DUTIES.items():
        for title in titles:
            organisation, post = rng.choice(pairs)
            out.append(ItemInput(code="", field=field_name, title=title, organisation=organisation, post=post))
    order = {name: n for n, name in enumerate(DEFAULT_FIELDS[ListKind.DUTY])}
    out.sort(key=lambda i: order[i.field])  # stable: a field's routing duties first
    for n, item in enumerate(out, start=1):
        item.code = f"ZZ-{n:03d}"
    return out


# --- 属地责任清单 -------------------------------------------------------------------------------------

# The items the township leads (主体责任): (field, title, department kind, unit, categories).
TOWNSHIP_LEADS = [
    ("城乡建设", "农村危房排查和改造", "", "{county}住房和城乡建设局", "safety_building"),
    ("生态环境", "秸秆禁烧", "生态环境", "{county}生态环境分局", "env_straw_burning"),
    ("卫生健康", "疫情线索发现报告和先期处置", "", "{county}卫生健康局", "epidemic_clue"),
    ("农业农村", "农村人居环境整治", "", "{county}农业农村局", ""),
    ("水利水务", "防汛抗旱属地责任", "水务", "{county}水利局", ""),
    ("安全生产", "农村消防安全", "综合执法", "{county}应急管理局", ""),
    ("社会治安", "网格化服务管理", "", "{county}委政法委", ""),
    ("信访维稳", "矛盾纠纷排查化解", "信访", "{county}信访局", ""),
]
# Those it cooperates on that govern case categories.
ROUTING_COOPERATION = [
    ("城乡建设", "违法建设巡查发现和制止", "综合执法", "{county}综合行政执法局", "illegal_construction"),
    ("自然资源", "乱占耕地建房问题发现和制止", "综合执法", "{county}自然资源局", "illegal_land"),
    ("生态环境", "水体污染问题排查报告", "生态环境", "{county}生态环境分局", "pollution_water"),
    ("农业农村", "动物疫病防控", "其他", "{county}农业农村局", "epidemic_animal"),
    ("社会治安", "盗窃诈骗赌博等治安线索发现报告", "派出所", "{county}公安分局", "public_order"),
]
# field → (department kind in charge, its unit, the subjects the township cooperates on)
COOPERATION = {
    "民生保障": ("民政", "{county}民政局", [
        "城乡低保审核确认", "特困人员供养", "临时救助", "残疾人两项补贴发放", "高龄津贴发放", "养老服务设施建设",
        "困境儿童保障", "殡葬管理", "退役军人服务保障", "城乡居民养老保险参保", "医疗保障参保缴费", "就业创业服务",
    ]),
    "安全生产": ("其他", "{county}应急管理局", [
        "企业安全生产隐患排查", "危险化学品安全监管", "烟花爆竹安全管理", "建筑施工安全", "燃气安全检查",
        "有限空间作业安全", "渔船安全生产", "自然灾害风险普查", "应急物资储备", "安全生产宣传教育",
        "生产安全事故调查处理",
    ]),
    "生态环境": ("生态环境", "{county}生态环境分局", [
        "工业企业污染源排查", "散乱污企业整治", "畜禽养殖污染防治", "扬尘污染管控", "农村饮用水水源地保护",
        "危险废物排查", "环境信访问题办理", "环保督察问题整改", "土壤污染防治", "农业面源污染治理",
    ]),
    "自然资源": ("其他", "{county}自然资源局", [
        "耕地保护", "永久基本农田保护", "土地卫片执法", "矿产资源保护", "地质灾害防治", "国土空间规划实施",
        "土地征收", "不动产登记", "林地保护", "海域海岛管理", "盐田资源保护",
    ]),
    "农业农村": ("其他", "{county}农业农村局", [
        "农作物病虫害防治", "高标准农田建设", "农产品质量安全监管", "农机安全监管", "农村集体产权制度改革",
        "农民合作社规范提升", "冬枣产业发展", "农业保险推广", "种子市场监管", "渔业资源保护", "耕地撂荒整治",
    ]),
    "市场监管": ("市场监管", "{county}市场监督管理局", [
        "食品生产经营监管", "药品零售监管", "特种设备安全", "产品质量监督抽查", "价格监督检查", "农村集贸市场管理",
        "校园周边食品安全", "农村假冒伪劣商品整治", "计量器具检定", "消费者投诉处理", "广告监管",
    ]),
    "城乡建设": ("综合执法", "{county}综合行政执法局", [
        "农村自建房安全管理", "城乡建设规划管理", "建筑市场监管", "农村生活垃圾治理", "城乡环境卫生整治",
        "户外广告设置管理", "市政设施维护", "违法占道经营整治", "住房保障", "物业管理", "房屋征收",
    ]),
    "交通运输": ("其他", "{county}交通运输局", [
        "农村公路建设养护", "公路路政管理", "道路运输安全监管", "超限超载治理", "农村客运管理", "公路沿线环境整治",
        "桥梁安全监测", "校车安全管理", "水路运输安全", "交通运输行业稳定", "网约车管理",
    ]),
    "水利水务": ("水务", "{county}水利局", [
        "河湖长制落实", "河道采砂管理", "农村饮水安全", "水利工程运行管理", "防汛物资储备", "水土保持",
        "取水许可管理", "节约用水", "农田水利设施管护", "河道“清四乱”整治", "水库安全度汛",
    ]),
    "卫生健康": ("其他", "{county}卫生健康局", [
        "基本公共卫生服务", "家庭医生签约", "传染病防控", "爱国卫生运动", "职业病防治", "村卫生室建设",
        "计划生育服务", "老年健康服务", "食品安全风险监测", "院前急救", "卫生监督执法",
    ]),
    "教育文化": ("其他", "{county}教育和体育局", [
        "控辍保学", "校园安全", "学生资助", "学前教育管理", "农村文化活动", "文物保护", "非法出版物查处", "网吧管理",
        "体育设施管护", "农家书屋管理", "广播电视公共服务",
    ]),
    "社会治安": ("派出所", "{county}公安分局", [
        "社会治安防控", "重点人员管控", "禁毒宣传", "反电信诈骗宣传", "流动人口管理", "出租房屋管理",
        "道路交通安全管理", "校园周边治安", "寄递物流安全", "扫黑除恶常态化", "涉枪涉爆隐患排查",
    ]),
    "信访维稳": ("信访", "{county}信访局", [
        "信访矛盾化解", "重复信访治理", "初信初访办理", "网上信访办理", "信访积案攻坚", "重大节点维稳",
        "社会稳定风险评估", "涉众型经济案件处置", "劳资纠纷化解", "领导干部接访下访", "信访信息报送",
    ]),
    "电力能源": ("供电所", "{county}供电公司", [
        "电力设施保护", "农村电网改造", "安全用电宣传", "光伏发电项目管理", "电动车充电设施建设", "清洁取暖改造",
        "电力线路通道清理", "有序用电", "燃气管道保护", "成品油市场整治", "新能源推广",
    ]),
}
COOPERATE_WORDS = ["配合做好{}", "协助开展{}", "配合开展{}", "{}属地配合"]
TERRITORIAL_COUNT = 165


def territorial_items(rng: random.Random, county_name: str) -> list[ItemInput]:
    out = [ItemInput(code="", field=f, title=t, township_role="lead", department_kind=d,
                     unit=u.format(county=county_name), category_codes=c) for f, t, d, u, c in TOWNSHIP_LEADS]
    out += [ItemInput(code="", field=f, title=t, township_role="cooperate", department_kind=d,
                      unit=u.format(county=county_name), category_codes=c) for f, t, d, u, c in ROUTING_COOPERATION]
    # The cooperation items round-robin over the fields until the list holds its 165.
    queues = {f: list(subjects) for f, (_, _, subjects) in COOPERATION.items()}
    while len(out) < TERRITORIAL_COUNT and any(queues.values()):
        for f, (department, unit, _) in COOPERATION.items():
            if queues[f] and len(out) < TERRITORIAL_COUNT:
                title = rng.choice(COOPERATE_WORDS).format(queues[f].pop(0))
                out.append(ItemInput(code="", field=f, title=title, township_role="cooperate",
                                     department_kind=department, unit=unit.format(county=county_name)))
    order = {name: n for n, name in enumerate(DEFAULT_FIELDS[ListKind.TERRITORIAL])}
    out.sort(key=lambda i: order[i.field])
    for n, item in enumerate(out, start=1):
        item.code = f"SD-{n:03d}"
    return out


# --- writing -----------------------------------------------------------------------------------------


@dataclass
class DutiesReport:
    counties: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # list kind → items in force
    allowed: int = 0
    forbidden: int = 0
    lead: int = 0
    cooperate: int = 0
    changed: str = ""  # what the duty list's second version changed
    cases: list[str] = field(default_factory=list)  # the two 污水外溢 reports, under version 1 and 2


def _built(kind: str, inputs: list[ItemInput]) -> list[ListItem]:
    fields = DEFAULT_FIELDS[kind]
    return [services.item_build(kind=kind, data=data, fields=fields) for data in inputs]


def _sewage_report(county: Region, at: dt.datetime) -> str:
    """A villager of the county's first village with an account reports sewage at his grid's centre."""
    villager = (User.objects.filter(role=Role.RESIDENT, is_active=True, household__isnull=False,
                                    household__grid__path__startswith=county.path)
                .select_related("household__grid").order_by("household__grid__path", "id").first())
    category = Category.objects.filter(code=CHANGED_CATEGORY, is_active=True).first()
    if villager is None or category is None:
        return ""
    grid = villager.household.grid
    return case_report(channel="resident", category=category, title="村东排水沟污水外溢",
                       description="下雨后排水沟的污水漫到路上，气味很大", lon=grid.center_lon, lat=grid.center_lat,
                       reporter=villager, now=at).case.number


def write_duties(*, seed: int = 0, now: dt.datetime | None = None) -> DutiesReport:
    """Every county's three lists: version 1 in force an hour before ``now``; the duty list's version 2
    (污水外溢 to the township's 水务站) in force ten minutes before ``now``; in the first county a 污水外溢
    report under each."""
    now = (now or timezone.now()).replace(microsecond=0)
    report = DutiesReport()
    for county in Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").defer("boundary"):
        rng = random.Random(f"{seed}:duties:{county.code}")
        admin = User.objects.filter(role=Role.COUNTY_ADMIN, region=county, is_active=True).order_by("id").first()
        first = now - dt.timedelta(hours=1)
        lists = {ListKind.POWER: power_items(), ListKind.DUTY: duty_items(rng),
                 ListKind.TERRITORIAL: territorial_items(rng, county.name)}
        for kind, inputs in lists.items():
            services.version_items_replace(county=county, kind=kind, actor=admin, items=_built(kind, inputs),
                                           note="首次编制", activate=True, now=first)
        if not report.counties:
            report.cases.append(_sewage_report(county, now - dt.timedelta(minutes=50)))
        draft = services.version_draft(county=county, kind=ListKind.DUTY, actor=admin, note=CHANGED_NOTE,
                                       now=now - dt.timedelta(minutes=30))
        item = next(i for i in draft.items.all() if CHANGED_CATEGORY in i.category_codes)
        services.item_save(version=draft, actor=admin, item=item, data=ItemInput(
            code=item.code, field=item.field, title=item.title, sort=item.sort, organisation="水务", post="水务站站长",
            handling_level="", category_codes=list(item.category_codes)))
        services.version_activate(version=draft, actor=admin, now=now - dt.timedelta(minutes=10))
        if not report.counties:
            report.cases.append(_sewage_report(county, now - dt.timedelta(minutes=5)))
        report.counties += 1
        report.changed = f"{item.title}：村（社区）→ 乡镇水务站"
    for version in ListVersion.objects.filter(state=VersionState.ACTIVE):
        items = list(version.items.all())
        report.counts[version.kind] = report.counts.get(version.kind, 0) + len(items)
        report.allowed += sum(1 for i in items if i.side == "allowed")
        report.forbidden += sum(1 for i in items if i.side == "forbidden")
        report.lead += sum(1 for i in items if i.township_role == "lead")
        report.cooperate += sum(1 for i in items if i.township_role == "cooperate")
    return report
