"""The county's default 六零 scorecard (洞口县, seed 002): the six zeros broken into ten sub-items as the
townships do; weights add up to 100. The sub-items and weights are ours (the seed names the six zeros
and says "十个子项目" without listing them); a county edits them in pages. Inspection items match
the finding codes of ``inspections.models.FINDING_ITEMS``; the 零疫情 inspection items are left to a
county that wants them (an item has one source)."""

# group, code, name, weight, source, case categories, points per case, inspection finding codes
VILLAGE_SCORECARD = [
    ("零事故", "accident_hazard", "安全隐患排查整改", 10, "inspection", [], 0,
     ["accident_traffic", "accident_fire", "accident_drowning"]),
    ("零事故", "accident_serious", "无较大以上安全事故", 10, "manual", [], 0, []),
    ("零非访", "petition_irregular", "零越级非访", 12, "cases", ["petition_complaint"], 4, []),
    ("零非访", "petition_disputes", "矛盾纠纷就地化解", 8, "inspection", [], 0, ["petition_dispute"]),
    ("零发案", "crime_cases", "零刑事治安发案", 15, "inspection", [], 0, ["crime_security"]),
    ("零违建", "construction_new", "零新增违法建设", 12, "cases", ["illegal_construction", "illegal_land"], 4, []),
    ("零违建", "construction_found", "违建排查整改", 8, "inspection", [], 0, ["building_illegal"]),
    ("零污染", "pollution_living", "人居环境与秸秆禁烧", 7, "inspection", [], 0,
     ["pollution_environment", "pollution_burning"]),
    ("零污染", "pollution_events", "零环境污染事件", 8, "cases", ["pollution_water", "pollution_air"], 4, []),
    ("零疫情", "epidemic", "零疫情", 10, "cases", ["epidemic_clue", "epidemic_animal"], 5, []),
]
