"""The lists' pages: the county edits a draft (bad input answered beside the form, nothing written), imports
and activates; township and village staff read the lists in force; a small power's process drawn as steps;
what changed between versions; one township's territorial duties; the public section of the village page.
(Who may open what is in ``tests/access_duties.py``.)"""

import re

from django.template.loader import render_to_string
from django.test import TestCase

from tests.factories import build_small_county
from tests.spreadsheets import workbook_upload
from xiangzhi.duties import selectors, services
from xiangzhi.duties.models import ListItem, ListKind, VersionState
from xiangzhi.duties.tests.helpers import duty, make_list, power, territorial


class PagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]
        cls.duties = make_list(cls.c.county, cls.admin, [
            duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保", level="村", post="村两委委员"),
            duty("ZZ-2", "消防安全隐患排查整治", "综合执法", "safety_fire", post="综合执法中队长"),
            duty("ZZ-3", "发展党员", "乡镇", field="基层党建", post="组织委员")])
        cls.powers = make_list(cls.c.county, cls.admin, [
            power("ZM-1", "村级重大事项决策", steps=("村党组织提议", "村两委会议商议", "党员大会审议",
                                              "村民代表会议决议", "决议公开", "实施结果公开")),
            power("FM-1", "严禁私设小金库", side="负面清单", field="集体资金管理")], kind=ListKind.POWER)
        cls.territorial = make_list(cls.c.county, cls.admin, [
            territorial("SD-1", "农村危房排查和改造", "牵头", "", "safety_building", unit="区住建局"),
            territorial("SD-2", "违法建设巡查发现和制止", "配合", "综合执法", "illegal_construction"),
            territorial("SD-3", "耕地保护", "配合", "其他", field="自然资源", unit="区自然资源局")],
            kind=ListKind.TERRITORIAL)

    def test_the_county_sees_its_three_lists_and_their_counts(self):
        self.client.force_login(self.admin)
        page = self.client.get("/duties/").content.decode()
        self.assertIn("现行第1版", page)
        self.assertRegex(page,
                         r"正面清单 <span class=\"xz-num\">1</span> 项，负面清单 <span class=\"xz-num\">1</span> 项")
        self.assertIn("乡镇牵头 1 项、配合 2 项", page)
        self.assertIn(f"/duties/townships/{self.c.town_a.code}/", page)
        self.assertIn("三张清单", self.client.get("/").content.decode())  # in the menu

    def test_a_version_shows_its_items_by_field_in_a_constant_number_of_queries(self):
        self.client.force_login(self.c.users["village_cadre"])
        with self.assertNumQueries(9):
            page = self.client.get(f"/duties/versions/{self.duties.pk}/")
        body = page.content.decode()
        self.assertLess(body.index("基层党建"), body.index("平安建设"))  # the version's field order
        self.assertIn("承担机构：水务 · 责任岗位：村两委委员 · 处置层级：村（社区）", body)
        self.assertIn("污水外溢", body)
        self.assertNotIn("添加事项", body)  # a reader edits nothing
        make_list(self.c.county, self.admin, [
            *(duty(f"ZZ-{n}", f"职责{n}", "村", field="社会治理") for n in range(10, 40))])
        latest = self.duties.__class__.objects.get(county=self.c.county, kind=ListKind.DUTY, state="active")
        with self.assertNumQueries(9):
            self.client.get(f"/duties/versions/{latest.pk}/")
        found = self.client.get(f"/duties/versions/{latest.pk}/?q=职责1&field=社会治理").content.decode()
        self.assertIn("筛选出 10 项", found)

    def test_a_small_powers_process_is_drawn_as_steps(self):
        self.client.force_login(self.c.users["township_staff"])
        item = self.powers.items.get(code="ZM-1")
        body = self.client.get(f"/duties/versions/{self.powers.pk}/items/{item.pk}/").content.decode()
        steps = re.search(r'data-testid="steps".*?</ol>', body, re.S).group(0)
        self.assertEqual(steps.count("<li>"), 6)
        self.assertLess(steps.index("村党组织提议"), steps.index("实施结果公开"))
        self.assertIn("正面清单", body)

    def test_the_county_edits_a_draft_and_bad_input_is_answered_beside_the_form(self):
        self.client.force_login(self.admin)
        response = self.client.post(f"/duties/lists/{ListKind.DUTY}/drafts/", {"note": "调整污水"})
        draft = self.duties.__class__.objects.get(county=self.c.county, kind=ListKind.DUTY, state=VersionState.DRAFT)
        self.assertRedirects(response, f"/duties/versions/{draft.pk}/")
        bad = {"code": "ZZ-9", "field": "平安建设", "title": "交通劝导", "organisation": "消防大队", "sort": ""}
        response = self.client.post(f"/duties/versions/{draft.pk}/items/", bad)
        self.assertEqual(response.status_code, 422)
        body = response.content.decode()
        self.assertIn("未知的承担机构“消防大队”", body)
        self.assertIn('value="交通劝导"', body)  # the form keeps what was typed
        self.assertFalse(draft.items.filter(code="ZZ-9").exists())
        good = {**bad, "organisation": "police", "handling_level": "village", "category_codes": ["safety_traffic"]}
        self.assertEqual(self.client.post(f"/duties/versions/{draft.pk}/items/", good).status_code, 302)
        sewage = draft.items.get(code="ZZ-1")
        form = {"code": "ZZ-1", "field": "生态环保", "title": "农村生活污水收集处理", "organisation": "water",
                "handling_level": "", "post": "水务站站长", "category_codes": ["env_sewage"], "sort": "1"}
        self.client.post(f"/duties/versions/{draft.pk}/items/{sewage.pk}/", form)
        self.client.post(f"/duties/versions/{draft.pk}/items/{draft.items.get(code='ZZ-3').pk}/remove/")
        self.client.post(f"/duties/versions/{draft.pk}/activate/")
        draft.refresh_from_db()
        self.assertEqual(draft.state, VersionState.ACTIVE)
        compare = self.client.get(f"/duties/compare/{self.duties.pk}/{draft.pk}/").content.decode()
        self.assertIn("新增 1 项，删除 1 项，修改 1 项", compare)
        self.assertIn("处置层级：<del class=\"text-danger\">村（社区）</del>", compare)
        history = self.client.get(f"/duties/lists/{ListKind.DUTY}/").content.decode()
        self.assertIn(f"/duties/compare/{self.duties.pk}/{draft.pk}/", history)
        # The version in force is read only, even to the county.
        response = self.client.post(f"/duties/versions/{draft.pk}/items/", good)
        self.assertContains(response, "不能修改", status_code=422)

    def test_an_import_with_an_unknown_department_imports_nothing_and_shows_the_rows(self):
        self.client.force_login(self.admin)
        header = ["编号", "领域", "事项", "承担机构", "责任岗位", "处置层级", "事件类别"]
        rows = [["ZZ-1", "平安建设", "消防", "综合执法", "", "", "safety_fire"],
                ["ZZ-2", "平安建设", "检查", "消防大队", "", "", ""]]
        response = self.client.post(f"/duties/lists/{ListKind.DUTY}/import/",
                                    {"file": workbook_upload("d.xlsx", header, rows)})
        self.assertEqual(response.status_code, 422)
        table = re.search(r'data-testid="import-errors".*?</table>', response.content.decode(), re.S).group(0)
        self.assertIn("<td>3</td><td>承担机构</td>", table)
        self.assertFalse(self.duties.__class__.objects.filter(state=VersionState.DRAFT).exists())
        response = self.client.post(f"/duties/lists/{ListKind.DUTY}/import/",
                                    {"file": workbook_upload("d.xlsx", header, rows[:1]), "activate": "1"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(selectors.active_version(self.c.county, ListKind.DUTY).items.count(), 1)

    def test_an_export_downloads_as_xlsx(self):
        self.client.force_login(self.c.users["village_cadre"])
        response = self.client.get(f"/duties/versions/{self.powers.pk}/export.xlsx")
        self.assertEqual(response["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertIn(f"power_list-{self.c.county.code}-v1.xlsx", response["Content-Disposition"])

    def test_a_township_sees_what_it_leads_and_cooperates_on(self):
        self.client.force_login(self.c.users["township_staff"])
        body = self.client.get(f"/duties/townships/{self.c.town_a.code}/").content.decode()
        self.assertIn('data-testid="lead-count">1<', body)
        self.assertIn('data-testid="cooperate-count">2<', body)
        self.assertIn("区自然资源局", body)

    def test_the_public_section_holds_the_three_lists_and_nothing_personal(self):
        lists = selectors.public_lists(self.c.village_a1)
        html = render_to_string("duties/_public_section.html", {"duty_lists": lists})
        for kind in ListKind.values:
            self.assertIn(f'data-testid="public-{kind}"', html)
        self.assertIn("正面清单 1 项、负面清单 1 项", html)
        self.assertIn("乡镇牵头 1 项、配合 2 项", html)
        self.assertEqual(html.count('data-testid="steps"'), 2)
        self.assertIn("实施结果公开", html)
        self.assertNotIn(self.admin.full_name, html)
        empty = render_to_string("duties/_public_section.html", {"duty_lists": []})
        self.assertIn("尚未公布三张清单", empty)

    def test_a_draft_is_thrown_away_from_its_page(self):
        self.client.force_login(self.admin)
        draft = services.version_draft(county=self.c.county, kind=ListKind.POWER, actor=self.admin)
        response = self.client.post(f"/duties/versions/{draft.pk}/discard/")
        self.assertRedirects(response, f"/duties/lists/{ListKind.POWER}/")
        self.assertFalse(ListItem.objects.filter(version_id=draft.pk).exists())
