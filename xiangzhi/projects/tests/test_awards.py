"""Awards to a village (奖补) from a funder the projects app does not know: taken at once by the most
urgent project waiting for funds, else kept waiting — shown on the village's pages — until the next
project set up takes it; recorded once per key; bad input refused and nothing written."""

from django.test import TestCase

from tests.factories import build_small_county
from xiangzhi.projects import selectors, services
from xiangzhi.projects.errors import ProjectError
from xiangzhi.projects.models import Project, ProjectEvent, Urgency, VillageAward
from xiangzhi.projects.tests.helpers import planned_request


class VillageAwardTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.cadre = cls.c.users["village_cadre"]
        cls.admin = cls.c.users["county_admin"]

    def grant(self, key="k1", amount=250_000, village=None):
        return services.award_grant(village=village or self.c.village_a1, source="2026年上半年积分换项目奖补",
                                    amount=amount, key=key, actor=self.admin)

    def create(self, title, urgency=Urgency.NORMAL, households=10, **kw):
        return services.project_create(actor=self.cadre, request=planned_request(self.c, title, urgency, households),
                                       budget=300_000, **kw)

    def test_the_plan_order_picks_the_project_among_those_waiting(self):
        normal = self.create("安装路灯", Urgency.NORMAL, households=50)
        few = self.create("修排水沟", Urgency.URGENT, households=3)
        many = self.create("硬化生产路", Urgency.URGENT, households=30)
        self.assertEqual(list(selectors.projects_waiting_for_funds(self.c.village_a1)), [many, few, normal])
        award = self.grant()
        many.refresh_from_db()
        self.assertEqual((award.project, many.awarded_amount, many.funding_source),
                         (many, 250_000, "2026年上半年积分换项目奖补"))
        self.assertEqual(ProjectEvent.objects.filter(project=many).last().actor, self.admin)
        second = self.grant(key="k2", amount=120_000)
        self.assertEqual(second.project, few)
        self.assertEqual(selectors.awards_waiting(self.c.village_a1), [])

    def test_an_award_with_nowhere_to_go_waits_for_the_next_project_set_up(self):
        award = self.grant()
        self.assertEqual(selectors.awards_waiting(self.c.village_a1), [award])
        self.assertEqual(selectors.awards_waiting(self.c.village_a2), [])
        own = self.create("改造饮水管网", funding_source="县水利局专项", awarded_amount=90_000)  # has its own
        self.assertIsNone(VillageAward.objects.get(pk=award.pk).project)
        self.assertEqual(own.awarded_amount, 90_000)
        taker = self.create("硬化生产路")
        award.refresh_from_db()
        self.assertEqual((award.project, award.taken_at is not None), (taker, True))
        self.assertEqual((taker.funding_source, taker.awarded_amount), ("2026年上半年积分换项目奖补", 250_000))
        self.assertEqual(ProjectEvent.objects.filter(project=taker).last().actor, self.cadre)

    def test_the_same_key_records_nothing_new(self):
        first = self.grant()
        again = self.grant(amount=999)
        self.assertEqual((again.pk, again.amount), (first.pk, 250_000))
        self.assertEqual(VillageAward.objects.count(), 1)

    def test_bad_input_is_refused_and_nothing_written(self):
        for kwargs, message in (({"amount": 0}, "奖补金额应为大于 0 的整数"), ({"amount": "5万"}, "奖补金额应为"),
                                ({"key": " "}, "请填写奖补编号"), ({"village": self.c.town_a}, "奖补须给一个村/社区")):
            with self.assertRaisesMessage(ProjectError, message):
                self.grant(**kwargs)
        self.assertFalse(VillageAward.objects.exists())
        self.assertFalse(Project.objects.exclude(awarded_amount=None).exists())

    def test_the_village_pages_show_what_waits_and_stop_once_it_is_taken(self):
        self.grant()
        notice = "本村有2026年上半年积分换项目奖补 <strong>250,000</strong> 元待安排项目"
        self.client.force_login(self.cadre)
        page = self.client.get(f"/projects/villages/{self.c.village_a1.code}/").content.decode()
        self.assertIn(notice + "：下一个立项的项目将承接这笔奖补", page)
        self.client.logout()
        self.assertIn(notice + "。", self.client.get(f"/projects/public/{self.c.village_a1.code}/").content.decode())
        self.assertNotIn("待安排项目", self.client.get(f"/projects/public/{self.c.village_a2.code}/").content.decode())
        self.create("硬化生产路")
        self.assertNotIn('data-testid="award-waiting"',
                         self.client.get(f"/projects/public/{self.c.village_a1.code}/").content.decode())
