"""The village's public page (``front/village_page.py``) behind its code: the points notice with its
核验码, the projects with their money, the answered questions, the two actions; nothing personal, and
as many queries however much the village has published."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import build_small_county, install_points_rulebooks
from xiangzhi.lib.periods import period_bounds
from xiangzhi.points import services as points
from xiangzhi.projects.tests.helpers import started_project
from xiangzhi.supervision import selectors
from xiangzhi.supervision.tests.helpers import answered, ask, page_of


class VillagePageTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        rules = install_points_rulebooks(cls.c.town_a)[cls.c.town_a.code]
        for household in ("a1", "a1_micro"):
            e = points.entry_record(actor=cls.c.users["points_recorder"], household=cls.c.households[household],
                                    rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
            points.entry_review(actor=cls.c.users["points_supervisor"], entry=e, approve=True)
        start, end = period_bounds("quarter", timezone.localdate())
        cls.notice = points.notice_publish(village=cls.c.village_a1, period_start=start, period_end=end,
                                           objection_days=7)
        cls.project = started_project(cls.c, budget=200_000)

    def test_the_page_shows_what_the_village_publishes_and_nobody_personally(self):
        answered(self.c, text_="身份证370321198805121234的低保怎么停了", answer="已恢复发放")
        ask(self.c.village_a1, "还没审核的问题")
        body = self.client.get(page_of(self.c.village_a1)).content.decode()
        for shown in ('data-testid="notice-verified"', "核验码", "张*", "硬化村北生产路", "200,000",
                      "已恢复发放", "东村村委会", "村民", "下洼镇", "/ask/", "/report/"):
            self.assertIn(shown, body)
        head = self.c.households["a1"].residents.get(relation="head")
        for hidden in ("370321198805121234", "还没审核的问题", head.name, "13800138000",
                       self.c.users["village_cadre"].full_name, self.c.households["a1"].number):
            self.assertNotIn(hidden, body)
        # The other village's page is its own: none of 东村's.
        other = self.client.get(page_of(self.c.village_a2)).content.decode()
        self.assertNotIn("硬化村北生产路", other)
        self.assertNotIn("已恢复发放", other)
        self.assertIn("西村", other)

    def test_as_many_queries_whatever_the_village_published(self):
        url = page_of(self.c.village_a1)
        self.client.get(url)  # the notice's chain walk is cached for a while: count the page, not the walk

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(url).status_code, 200)
            return len(queries)

        before = count()
        for i in range(4):
            answered(self.c, text_=f"问题{i}")
        started_project(self.c, title="村内主街路灯")
        self.assertEqual(count(), before)
        self.assertLessEqual(before, 40)  # every section: notice, projects, questions, 三务三资, meetings, lists, polls

    def test_the_staff_menu_leads_to_the_questions(self):
        self.client.force_login(self.c.users["village_cadre"])
        self.assertIn('href="/supervision/"', self.client.get("/").content.decode())
        self.client.force_login(self.c.users["grid_worker"])
        self.assertNotIn('href="/supervision/"', self.client.get("/work/").content.decode())
        self.assertEqual(selectors.village_code_resolve(page_of(self.c.village_a1).split("/")[2]), self.c.village_a1)
