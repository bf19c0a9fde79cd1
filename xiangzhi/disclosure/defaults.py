"""The default template of due items: 36, as seed 003's 沾化 counts them ("围绕36项村务公开内容"). The
seed names the number and the six groups (三务三资: 党务、村务、财务，资金、资产、资源), not the items; these
follow common county 三务三资 catalogues (村务公开目录). A county edits its copy in the template editor.

Each: code, group, title, guidance, cadence, attachment required, money lines (元), days after the
period's end by which it is due."""

from typing import NamedTuple


class DefaultItem(NamedTuple):
    code: str
    group: str
    title: str
    guidance: str
    cadence: str = "quarter"
    attachment_required: bool = False
    figures: tuple[str, ...] = ()
    due_days: int = 10


DEFAULT_ITEMS: list[DefaultItem] = [
    # 党务 (6)
    DefaultItem("party_organisation", "party", "党组织设置和班子成员分工",
                "党支部、党小组设置，支部委员姓名、职务、分工；有调整时写明调整情况", "year", due_days=31),
    DefaultItem("party_recruitment", "party", "发展党员情况",
                "入党申请人、积极分子、发展对象的人数和培养考察进度；按程序需公示的写明公示期"),
    DefaultItem("party_dues", "party", "党费收缴情况", "本季度应缴、实缴党费，上缴乡镇党委情况",
                figures=("应缴党费", "实缴党费")),
    DefaultItem("party_meetings", "party", "“三会一课”和主题党日开展情况",
                "支部党员大会、支委会、党小组会、党课的次数和主题", attachment_required=True),
    DefaultItem("party_commitments", "party", "党员承诺践诺和民主评议党员结果",
                "党员公开承诺事项、践诺情况，年度民主评议结果（只写等次人数）", "year", due_days=31),
    DefaultItem("party_volunteering", "party", "党员志愿服务和联系户情况",
                "党员志愿服务次数、内容，党员联系户走访情况"),
    # 村务 (8)
    DefaultItem("village_work", "village", "村级重点工作和年度目标完成情况", "本季度重点工作进展，年度目标完成进度"),
    DefaultItem("deliberations", "village", "“四议两公开”决策事项及实施结果",
                "本季度经“四议两公开”决定的事项：提议、商议、审议、决议的日期和结果，实施进展",
                attachment_required=True),
    DefaultItem("social_assistance", "village", "低保、特困供养和临时救助审批情况",
                "新增、退出、调整的户数和金额；名单按民政部门要求公示，不写身份证号和电话",
                attachment_required=True, figures=("本季度发放金额",)),
    DefaultItem("farm_subsidies", "village", "惠农补贴发放情况",
                "耕地地力保护补贴、农机购置补贴等的发放标准、户数和金额", figures=("发放金额",)),
    DefaultItem("homestead", "village", "宅基地申请和审批情况", "申请户数、审批结果、面积和位置（不写身份证号）"),
    DefaultItem("housing_repair", "village", "农村危房改造和适老化改造情况", "改造户数、补助标准和进度",
                figures=("补助金额",)),
    DefaultItem("insurance", "village", "城乡居民医保、养老保险参保缴费情况", "参保人数、缴费标准，代缴困难群体情况",
                "year", due_days=31),
    DefaultItem("village_rules", "village", "村规民约和户积分制执行情况",
                "村规民约修订情况，户积分评定、公示和积分超市兑换情况"),
    # 财务 (6)
    DefaultItem("monthly_accounts", "finance", "村级财务月度收支", "本月收入、支出合计和月末余额，大额收支逐笔说明",
                "month", attachment_required=True, figures=("本月收入", "本月支出", "月末余额")),
    DefaultItem("income", "finance", "村集体经济收入明细", "经营收入、发包及上交收入、补助收入、其他收入，逐项说明",
                attachment_required=True, figures=("经营收入", "发包及上交收入", "补助收入", "其他收入")),
    DefaultItem("spending", "finance", "村级财务支出明细", "管理费用、公益事业支出、其他支出，大额支出逐笔说明",
                attachment_required=True, figures=("管理费用", "公益事业支出", "其他支出")),
    DefaultItem("cadre_pay", "finance", "村干部报酬和误工补贴", "发放标准、人数和金额",
                figures=("报酬和补贴合计",)),
    DefaultItem("non_productive", "finance", "非生产性开支", "招待费、差旅费、会议费等，逐项写明",
                figures=("招待费", "差旅费", "会议费")),
    DefaultItem("debts", "finance", "村级债权债务情况", "期末债权、债务余额，新增和化解情况",
                figures=("债权余额", "债务余额")),
    # 资金 (6)
    DefaultItem("transfer_funds", "funds", "上级转移支付和专项资金到账及使用",
                "资金名称、来源、到账金额、用途和使用进度", attachment_required=True, figures=("到账金额", "已使用")),
    DefaultItem("one_matter", "funds", "“一事一议”筹资筹劳", "议定事项、筹资标准、筹资筹劳数额和使用情况",
                figures=("筹资金额",)),
    DefaultItem("project_funds", "funds", "村级工程项目资金使用", "项目名称、预算、招标、施工进度和已支付金额",
                attachment_required=True, figures=("项目预算", "已支付")),
    DefaultItem("award_funds", "funds", "积分换项目等奖补资金", "奖补来源、金额和承接项目", figures=("奖补金额",)),
    DefaultItem("donations", "funds", "社会捐赠资金和物资", "捐赠来源（本人要求匿名的写“匿名”）、金额、物资和使用去向",
                figures=("收到捐款", "已使用")),
    DefaultItem("relief", "funds", "救灾救济款物发放", "款物来源、发放标准、户数和金额", figures=("发放金额",)),
    # 资产 (5)
    DefaultItem("asset_register", "assets", "村集体资产台账", "经营性、非经营性资产的名称、数量、原值和净值",
                "year", attachment_required=True, figures=("资产总额",), due_days=31),
    DefaultItem("asset_leases", "assets", "集体资产出租出借情况", "资产名称、承租人（单位名称）、期限、租金和收缴情况",
                figures=("应收租金", "实收租金")),
    DefaultItem("asset_changes", "assets", "资产购置、处置和报废", "资产名称、数量、金额和“四议两公开”决议情况",
                figures=("购置金额", "处置收入")),
    DefaultItem("investments", "assets", "集体对外投资和股份分红", "投资项目、金额、收益和成员分红情况", "year",
                figures=("投资收益",), due_days=31),
    DefaultItem("facilities", "assets", "公益设施管护情况", "道路、路灯、饮水、文化广场等设施的管护人和维修情况"),
    # 资源 (5)
    DefaultItem("land_contracts", "resources", "集体土地发包和流转", "地块、面积、承包方、期限、价款和收缴情况",
                attachment_required=True, figures=("发包收入",)),
    DefaultItem("resource_register", "resources", "集体资源台账", "耕地、林地、坑塘、荒地等的面积、位置和经营方式",
                "year", due_days=31),
    DefaultItem("land_compensation", "resources", "土地征收补偿费分配", "征收项目、面积、补偿标准、到账和分配情况",
                figures=("补偿款到账", "已分配")),
    DefaultItem("reserve_land", "resources", "机动地、“四荒”地发包", "地块、面积、承包方、价款"),
    DefaultItem("construction_land", "resources", "集体经营性建设用地入市和收益", "地块、面积、方式和收益分配", "year",
                figures=("入市收益",), due_days=31),
]
