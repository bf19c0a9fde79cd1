"""The access matrix's rows for the three lists (三张清单) and their API, each a (method, url, body, roles that
may) for the small county ``c``; gathered by ``tests/test_access.py``. The county keeps its lists; township
and village staff read those in force and retired, never a draft; one township's territorial duties are
its own staff's and the county's; another county's lists are nobody's here."""


def duties_cases(c):
    from tests.factories import RegionFactory
    from xiangzhi.duties import services
    from xiangzhi.duties.models import ListKind
    from xiangzhi.duties.tests.helpers import duty, make_list, power, territorial

    admin = c.users["county_admin"]
    v1 = make_list(c.county, admin, [duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保")])
    v2 = make_list(c.county, admin, [duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保",
                                          level="村"), duty("ZZ-2", "消防", "综合执法", "safety_fire"),
                                     duty("ZZ-3", "发展党员", "乡镇", field="基层党建"),
                                     duty("ZZ-4", "人民调解", "村", field="社会治理")])
    draft = services.version_draft(county=c.county, kind=ListKind.DUTY, actor=admin)  # v3
    by_page, by_api = draft.items.get(code="ZZ-1"), draft.items.get(code="ZZ-2")
    removed_page, removed_api = draft.items.get(code="ZZ-3"), draft.items.get(code="ZZ-4")
    powers = make_list(c.county, admin, [power("ZM-1", "村级重大事项决策")], kind=ListKind.POWER)
    power_draft = services.version_draft(county=c.county, kind=ListKind.POWER, actor=admin)
    make_list(c.county, admin, [territorial("SD-1", "违法建设", "配合", "综合执法", "illegal_construction")],
              kind=ListKind.TERRITORIAL)
    territorial_draft = services.version_draft(county=c.county, kind=ListKind.TERRITORIAL, actor=admin)
    other = RegionFactory(code="371602", name="滨城区", level="county")
    theirs = make_list(other, None, [duty("ZZ-1", "消防", "综合执法")])

    readers = {"county_admin", "township_staff", "township_staff_b", "village_cadre"}
    county = {"county_admin"}
    page_item = {"code": "ZZ-8", "field": "平安建设", "title": "交通劝导", "organisation": "police", "sort": ""}
    form = {"code": "ZZ-1", "field": "生态环保", "title": "农村生活污水收集处理", "organisation": "water", "sort": "1",
            "category_codes": ["env_sewage"]}
    api_item = {"code": "ZZ-9", "field": "平安建设", "title": "治安巡逻", "organisation": "派出所"}
    return [
        ("get", "/duties/", None, readers),
        ("get", f"/duties/lists/{ListKind.DUTY}/", None, readers),
        ("post", f"/duties/lists/{ListKind.DUTY}/drafts/", {"note": "修订"}, county),  # the open draft, 302
        ("get", f"/duties/lists/{ListKind.TERRITORIAL}/import/", None, county),
        ("post", f"/duties/lists/{ListKind.TERRITORIAL}/import/", {}, county),  # no file: told to choose one
        ("get", f"/duties/lists/{ListKind.POWER}/template.xlsx", None, county),
        ("get", f"/duties/versions/{v2.pk}/", None, readers),
        ("get", f"/duties/versions/{v1.pk}/", None, readers),  # retired
        ("get", f"/duties/versions/{draft.pk}/", None, county),
        ("get", f"/duties/versions/{theirs.pk}/", None, set()),
        ("get", f"/duties/versions/{v2.pk}/export.xlsx", None, readers),
        ("get", f"/duties/versions/{powers.pk}/items/{powers.items.get().pk}/", None, readers),
        ("get", f"/duties/compare/{v1.pk}/{v2.pk}/", None, readers),
        ("get", f"/duties/compare/{v1.pk}/{theirs.pk}/", None, set()),
        ("get", f"/duties/townships/{c.town_a.code}/", None, {"county_admin", "township_staff"}),
        ("get", f"/duties/townships/{c.town_b.code}/", None, {"county_admin", "township_staff_b"}),
        ("post", f"/duties/versions/{draft.pk}/items/", page_item, county),
        ("post", f"/duties/versions/{draft.pk}/items/{by_page.pk}/", form, county),
        ("post", f"/duties/versions/{draft.pk}/items/{removed_page.pk}/remove/", {}, county),
        ("post", f"/duties/versions/{draft.pk}/fields/", {"fields": "\n".join(draft.fields)}, county),
        ("post", f"/duties/versions/{territorial_draft.pk}/activate/", {}, county),
        ("post", f"/duties/versions/{power_draft.pk}/discard/", {}, county),
        ("get", "/api/v1/duties/lists", None, readers),
        ("get", "/api/v1/duties/versions", None, readers),
        ("get", f"/api/v1/duties/versions/{v2.pk}", None, readers),
        ("get", f"/api/v1/duties/versions/{draft.pk}", None, county),
        ("get", f"/api/v1/duties/versions/{theirs.pk}", None, set()),
        ("get", f"/api/v1/duties/versions/{v1.pk}/diff/{v2.pk}", None, readers),
        ("get", f"/api/v1/duties/versions/{v2.pk}/export", None, readers),
        ("post", f"/api/v1/duties/lists/{ListKind.DUTY}/drafts", {"note": ""}, county),  # the open draft, 201
        ("post", f"/api/v1/duties/versions/{draft.pk}/items", api_item, county),
        ("put", f"/api/v1/duties/versions/{draft.pk}/items/{by_api.pk}",
         {"code": "ZZ-2", "field": "平安建设", "title": "消防安全隐患排查整治", "organisation": "综合执法"}, county),
        ("delete", f"/api/v1/duties/versions/{draft.pk}/items/{removed_api.pk}", None, county),
        ("put", f"/api/v1/duties/versions/{draft.pk}/fields", {"fields": list(draft.fields)}, county),
        ("post", f"/api/v1/duties/versions/{draft.pk}/activate", {}, county),
    ]
