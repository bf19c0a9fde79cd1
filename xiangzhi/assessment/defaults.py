"""The county's default 六零 scorecard (洞口县, seed 002): the six zeros broken into ten sub-items as the
townships do; weights add up to 100. The sub-items and weights are ours (the seed names the six zeros
and says "十个子项目" without listing them); a county edits them in pages. Inspection items match
the finding codes of ``inspections.models.FINDING_ITEMS``; the 零疫情 inspection items are left to a
county that wants them (an item has one source).

The grid assessment's default scheme (青草镇, seed 001), ``GRID_SCHEME``: the seed says 11 categories and
20-odd items without listing them, so the list and the weights are ours (see the comment above it)."""

# group, code, name, weight, source, case categories, points per case, inspection finding codes, and the
# household points rules (codes of the default rulebook, points migration 0003) the item cascades to: the
# household deeds that keep the village's zero, or cost it (002: 六零 targets broken down to households).
VILLAGE_SCORECARD = [
    ("零事故", "accident_hazard", "安全隐患排查整改", 10, "inspection", [], 0,
     ["accident_traffic", "accident_fire", "accident_drowning"], ["stability_clue", "law_drunk_driving"]),
    ("零事故", "accident_serious", "无较大以上安全事故", 10, "manual", [], 0, [],
     ["volunteer_emergency", "law_drunk_driving"]),
    ("零非访", "petition_irregular", "零越级非访", 12, "cases", ["petition_complaint"], 4, [],
     ["stability_no_petition", "stability_illegal_petition"]),
    ("零非访", "petition_disputes", "矛盾纠纷就地化解", 8, "inspection", [], 0, ["petition_dispute"],
     ["stability_mediate", "neighbour_quarrel"]),
    ("零发案", "crime_cases", "零刑事治安发案", 15, "inspection", [], 0, ["crime_security"],
     ["law_learning", "law_anti_fraud", "law_crime", "stability_fight", "customs_gambling"]),
    ("零违建", "construction_new", "零新增违法建设", 12, "cases", ["illegal_construction", "illegal_land"], 4, [],
     ["law_illegal_building"]),
    ("零违建", "construction_found", "违建排查整改", 8, "inspection", [], 0, ["building_illegal"],
     ["law_illegal_building"]),
    ("零污染", "pollution_living", "人居环境与秸秆禁烧", 7, "inspection", [], 0,
     ["pollution_environment", "pollution_burning"],
     ["env_yard", "env_three_piles", "env_sorting", "env_litter", "env_burning"]),
    ("零污染", "pollution_events", "零环境污染事件", 8, "cases", ["pollution_water", "pollution_air"], 4, [],
     ["env_livestock", "env_litter"]),
    ("零疫情", "epidemic", "零疫情", 10, "cases", ["epidemic_clue", "epidemic_animal"], 5, [],
     ["volunteer_emergency", "env_livestock"]),
]


# The grid assessment (青草镇, seed 001: "11项20余条「全要素」网格工作任务考评清单" covering 网格党建, 治安防范,
# 安全生产, 人居环境 and the rest, each grid scored quarterly with stars). The seed names the eleven
# categories' fields only in passing and lists no items or weights: the eleven categories, the 22 items and
# their weights below are ours, written from the seed's fields and the data the platform holds. Eight items
# are computed (``grid_sources``: cases closed on time, rework, satisfaction, visits on time, key people
# overdue, patrol hours and distance, household points participation, party group activities: 58 points);
# the other fourteen are scored by hand with a reason (42 points). Weights add up to 100; a county edits
# them in pages.
# group, code, name, weight, source, points per cause, params, household points rules it cascades to
GRID_SCHEME = [
    ("网格党建", "party_activities", "党小组活动", 6, "group_activities", 2, {"per_quarter": 3}, []),
    ("网格党建", "party_identity", "党员亮身份与联系户", 3, "manual", 0, {}, []),
    ("事件处置", "case_on_time", "事件按时办结", 10, "case_late", 2, {}, []),
    ("事件处置", "case_once", "事件一次办好（返工）", 5, "case_rework", 1, {}, []),
    ("群众满意", "satisfaction", "群众满意度", 8, "case_unsatisfied", 2, {}, []),
    ("群众满意", "mass_review", "群众评议", 2, "manual", 0, {}, []),
    ("重点人员服务管理", "visit_on_time", "重点人员按时走访", 6, "visit_late", 1, {}, []),
    ("重点人员服务管理", "key_overdue", "重点人员超期未访", 8, "key_overdue", 2, {}, []),
    ("网格巡查", "patrol", "巡查时长与里程", 9, "patrol", 3, {"hours": 20, "km": 30}, []),
    ("网格巡查", "info_collect", "基础信息采集与更新", 3, "manual", 0, {}, []),
    ("积分制管理", "participation", "户积分参与率", 6, "participation", 2, {"target_pct": 80, "step_pct": 10},
     ["volunteer_activity", "affairs_meeting", "env_sorting"]),
    ("积分制管理", "points_notice", "积分公示与兑换", 2, "manual", 0, {}, []),
    ("治安防范", "disputes", "矛盾纠纷排查化解", 4, "manual", 0, {}, ["stability_mediate", "stability_clue"]),
    ("治安防范", "safety_watch", "平安巡防与反诈宣传", 2, "manual", 0, {}, ["law_anti_fraud"]),
    ("安全生产", "hazards", "安全隐患排查上报", 4, "manual", 0, {}, []),
    ("安全生产", "fire_flood", "防火防汛", 2, "manual", 0, {}, []),
    ("人居环境", "environment", "房前屋后环境整治", 4, "manual", 0, {}, ["env_yard", "env_sorting", "env_litter"]),
    ("人居环境", "straw", "秸秆禁烧", 2, "manual", 0, {}, ["env_burning"]),
    ("控违拆违", "illegal_building", "违法建设早发现早制止", 4, "manual", 0, {}, ["law_illegal_building"]),
    ("工作作风", "on_duty", "在岗履职与例会", 4, "manual", 0, {}, []),
    ("工作作风", "records", "工作日志与台账", 3, "manual", 0, {}, []),
    ("工作作风", "conduct", "服务态度与廉洁", 3, "manual", 0, {}, []),
]
# 五星: 95 and up five stars, 90 four, 80 three, 70 two, below one.
GRID_STAR_FLOORS = [95, 90, 80, 70]
GRID_APPEAL_DAYS = 7
