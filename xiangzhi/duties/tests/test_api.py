"""/api/v1/duties: reading the lists and versions as the pages do, the county's writes through the same
services, and refusals as structured errors in Chinese."""

from django.test import TestCase

from tests.factories import RegionFactory, build_small_county
from tests.spreadsheets import workbook_upload
from xiangzhi.cases import routing
from xiangzhi.cases.models import Category, HandlingLevel
from xiangzhi.duties import services
from xiangzhi.duties.models import ListKind, ListVersion, VersionState
from xiangzhi.duties.tests.helpers import duty, make_list


class ApiTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]
        cls.v1 = make_list(cls.c.county, cls.admin, [
            duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保", level="村"),
            duty("ZZ-2", "消防安全隐患排查整治", "综合执法", "safety_fire")])

    def test_a_reader_reads_the_lists_in_force_and_no_draft(self):
        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        self.client.force_login(self.c.users["village_cadre"])
        lists = self.client.get("/api/v1/duties/lists").json()
        self.assertEqual([entry["kind"] for entry in lists], ListKind.values)
        self.assertEqual((lists[1]["active"]["number"], lists[1]["active"]["item_count"], lists[1]["draft"]),
                         (1, 2, None))
        self.assertEqual([v["number"] for v in self.client.get("/api/v1/duties/versions?kind=duty_list").json()], [1])
        self.assertEqual(self.client.get(f"/api/v1/duties/versions/{draft.pk}").status_code, 404)
        version = self.client.get(f"/api/v1/duties/versions/{self.v1.pk}").json()
        sewage = version["items"][0]
        self.assertEqual((sewage["organisation_name"], sewage["routes_to"], sewage["category_codes"]),
                         ("水务", "村（社区）", ["env_sewage"]))
        item = {"code": "ZZ-9", "field": "平安建设", "title": "交通劝导", "organisation": "派出所"}
        response = self.client.post(f"/api/v1/duties/versions/{draft.pk}/items", item, content_type="application/json")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"]["code"], "forbidden")

    def test_the_county_writes_a_version_that_routes_the_next_case(self):
        self.client.force_login(self.admin)
        response = self.client.post("/api/v1/duties/lists/duty_list/drafts", {"note": "污水改由水务站"},
                                    content_type="application/json")
        self.assertEqual(response.status_code, 201)
        draft = response.json()
        self.assertEqual((draft["number"], draft["state"], len(draft["items"])), (2, "draft", 2))
        sewage = next(i for i in draft["items"] if i["code"] == "ZZ-1")
        bad = {"code": "ZZ-1", "field": "生态环保", "title": "污水", "organisation": "消防大队"}
        response = self.client.put(f"/api/v1/duties/versions/{draft['id']}/items/{sewage['id']}", bad,
                                   content_type="application/json")
        self.assertEqual(response.status_code, 422)
        error = response.json()["error"]
        self.assertEqual(error["fields"], [{"field": "organisation", "message": error["message"]}])
        good = {**bad, "title": "农村生活污水收集处理", "organisation": "水务", "category_codes": ["env_sewage"]}
        changed = self.client.put(f"/api/v1/duties/versions/{draft['id']}/items/{sewage['id']}", good,
                                  content_type="application/json").json()
        self.assertEqual(changed["routes_to"], "职能部门")
        added = self.client.post(f"/api/v1/duties/versions/{draft['id']}/items",
                                 {"code": "ZZ-3", "field": "基层党建", "title": "发展党员", "organisation": "乡镇"},
                                 content_type="application/json")
        self.assertEqual(added.status_code, 201)
        removed = self.client.delete(f"/api/v1/duties/versions/{draft['id']}/items/{added.json()['id']}")
        self.assertEqual((removed.status_code, removed.json()["code"]), (200, "ZZ-3"))
        diff = self.client.get(f"/api/v1/duties/versions/{self.v1.pk}/diff/{draft['id']}").json()
        self.assertEqual(diff["changed"][0]["changes"], [
            {"column": "处置层级", "before": "村（社区）", "after": "（随承担机构）"},
            {"column": "事件派往", "before": "村（社区）", "after": "职能部门（水务）"}])
        active = self.client.post(f"/api/v1/duties/versions/{draft['id']}/activate").json()
        self.assertEqual(active["state"], "active")
        route = routing.route(category=Category.objects.get(code="env_sewage"), lon=118.015, lat=37.715,
                              fallback_region=None)
        self.assertEqual((route.level, route.list_version_id),
                         (HandlingLevel.TOWNSHIP, draft["id"]))  # no 水务站 in town a
        again = self.client.post(f"/api/v1/duties/versions/{draft['id']}/activate")
        self.assertEqual((again.status_code, again.json()["error"]["code"]), (409, "conflict"))
        another = self.client.post("/api/v1/duties/lists/duty_list/drafts", {}, content_type="application/json").json()
        thrown = self.client.post(f"/api/v1/duties/versions/{another['id']}/discard")
        self.assertEqual((thrown.status_code, thrown.json()["number"]), (200, 3))
        self.assertFalse(ListVersion.objects.filter(pk=another["id"]).exists())

    def test_an_import_over_the_api_answers_a_per_row_report(self):
        self.client.force_login(self.c.users["township_staff"])
        refused = self.client.post("/api/v1/duties/lists/duty_list/import",
                                   {"file": workbook_upload("t.xlsx", ["编号"], [["x"]])})
        self.assertEqual(refused.status_code, 403)
        self.client.force_login(self.admin)
        header = ["编号", "领域", "事项", "乡镇责任", "主管部门", "主管单位", "事件类别"]
        rows = [["SD-1", "城乡建设", "违法建设", "配合", "住建局", "", "illegal_construction"]]
        response = self.client.post("/api/v1/duties/lists/territorial_duty_list/import",
                                    {"file": workbook_upload("t.xlsx", header, rows)})
        self.assertEqual(response.status_code, 422)
        body = response.json()
        self.assertEqual(body["error"]["code"], "invalid_rows")
        self.assertEqual([(e["row"], e["column"]) for e in body["errors"]], [(2, "主管部门")])
        self.assertFalse(ListVersion.objects.filter(kind=ListKind.TERRITORIAL).exists())
        rows[0][4] = "综合执法"
        response = self.client.post("/api/v1/duties/lists/territorial_duty_list/import",
                                    {"file": workbook_upload("t.xlsx", header, rows), "activate": "true"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual((response.json()["items"], response.json()["version"]["state"]), (1, VersionState.ACTIVE))

    def test_another_countys_version_and_an_unknown_list_are_not_found(self):
        other = RegionFactory(code="371602", name="滨城区", level="county")
        theirs = make_list(other, None, [duty("ZZ-1", "消防", "综合执法")])
        self.client.force_login(self.admin)
        self.assertEqual(self.client.get(f"/api/v1/duties/versions/{theirs.pk}").status_code, 404)
        self.assertEqual(self.client.get(f"/api/v1/duties/versions/{self.v1.pk}/diff/{theirs.pk}").status_code, 404)
        response = self.client.post("/api/v1/duties/lists/budget_list/drafts", {}, content_type="application/json")
        self.assertEqual(response.status_code, 404)
        export = self.client.get(f"/api/v1/duties/versions/{self.v1.pk}/export")
        self.assertTrue(export["Content-Type"].startswith("application/vnd.openxmlformats"))
