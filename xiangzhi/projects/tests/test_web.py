"""Village projects through the pages and the API: the public page without login, the villager's
「我要提需求」, the cadre's forms, and bad input answered in Chinese with nothing written. (Who may open
what is in ``tests/test_access.py``.)"""

from django.test import TestCase

from tests.factories import build_small_county, jpeg_photo
from xiangzhi.projects import services
from xiangzhi.projects.models import Donation, Project, ProjectRequest, ProjectState, Spending, Urgency
from xiangzhi.projects.tests.helpers import TODAY, ago, planned_request, started_project


class ProjectPagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.cadre = cls.c.users["village_cadre"]
        cls.project = started_project(cls.c)
        services.milestone_done(actor=cls.cadre, milestone=cls.project.milestones.first(), done_on=ago(10))
        cls.spending = services.spending_record(actor=cls.cadre, project=cls.project, amount=80_000,
                                                purpose="水泥砂石", spent_on=ago(9))
        head = cls.c.households["a1"].residents.get(relation="head")
        services.donation_record(actor=cls.cadre, project=cls.project, kind="money", donor_name="刘志强",
                                 donor_note="在外乡贤", amount=150_000, donated_on=ago(8))
        services.donation_record(actor=cls.cadre, project=cls.project, kind="money", donor_name="王秀兰",
                                 amount=2_000, donated_on=ago(8), anonymous=True)
        services.donation_record(actor=cls.cadre, project=cls.project, kind="labour", resident=head, labour_days=5,
                                 donated_on=ago(7))
        cls.head = head
        planned_request(cls.c, "修排水沟", Urgency.IMPORTANT, households=40)

    def test_the_public_page_needs_no_login_and_shows_the_plan_in_order(self):
        with self.assertNumQueries(12):  # as many whatever the number of projects (and of awards waiting)
            page = self.client.get(f"/projects/public/{self.c.village_a1.code}/")
        self.assertEqual(page.status_code, 200)
        body = page.content.decode()
        self.assertLess(body.index("硬化村北生产路"), body.index("修排水沟"))  # 紧急 before 重要
        self.assertIn("80,000", body)
        self.assertIn("200,000", body)

    def test_the_public_project_shows_donors_as_they_chose_and_nothing_personal(self):
        # Photos are written here: each test has its own media folder.
        m = self.project.milestones.last()
        services.milestone_done(actor=self.cadre, milestone=m, done_on=ago(2), photos=[jpeg_photo()])
        photo = m.photos.get()
        services.spending_correct(actor=self.cadre, spending=self.spending, amount=80_000, reason="补传凭证")
        voucher = services.spending_record(actor=self.cadre, project=self.project, amount=1, purpose="凭证",
                                           spent_on=ago(1), photos=[jpeg_photo()]).photos.get()
        page = self.client.get(f"/projects/public/{self.c.village_a1.code}/{self.project.pk}/")
        body = page.content.decode()
        self.assertIn("刘志强（在外乡贤）", body)
        self.assertIn("匿名", body)
        self.assertNotIn("王秀兰", body)
        self.assertIn(f"{self.head.name} · 投工", body)
        self.assertNotIn("13800138000", body)
        self.assertNotIn(self.c.households["a1"].number, body)
        self.assertNotIn("水泥砂石", body)  # the ledger's lines stay with the cadres; the total is public
        self.assertIn(f"/projects/photos/{photo.pk}/thumb/", body)
        self.assertEqual(self.client.get(f"/projects/photos/{photo.pk}/thumb/").status_code, 200)
        self.assertEqual(self.client.get(f"/projects/photos/{voucher.pk}/").status_code, 404)

    def test_a_project_of_another_village_is_not_on_this_villages_page(self):
        self.assertEqual(self.client.get(f"/projects/public/{self.c.village_a2.code}/{self.project.pk}/").status_code,
                         404)
        self.assertEqual(self.client.get("/projects/public/999999999999/").status_code, 404)

    def test_the_public_api_reads_without_login(self):
        rows = self.client.get(f"/api/v1/projects/public/{self.c.village_a1.code}").json()
        [row] = rows
        self.assertEqual((row["budget"], row["spent"], row["donated"], row["labour_days"]),
                         (200_000, 80_000, 152_000, 5))
        self.assertEqual([d["donor"] for d in row["donations"]], ["刘志强", "匿名", self.head.name])
        self.assertNotIn("donor_note", row["donations"][0])

    def test_a_villager_asks_from_his_phone(self):
        self.client.force_login(self.c.users["resident"])
        page = self.client.get("/projects/ask/")
        self.assertContains(page, "我要提需求")
        self.assertContains(self.client.get("/"), "/projects/ask/")  # in his menu
        answer = self.client.post("/projects/ask/", {"title": "村口安装路灯", "place": "村口", "urgency": "2",
                                                     "reason": "晚上太黑"}, follow=True)
        self.assertContains(answer, "需求已提交")
        row = ProjectRequest.objects.get(title="村口安装路灯")
        self.assertEqual((row.village, row.urgency, row.household), (self.c.village_a1, 2, self.c.households["a1"]))
        self.assertContains(self.client.get("/projects/ask/"), "村口安装路灯")

    def test_the_cadre_refused_in_chinese_writes_nothing(self):
        self.client.force_login(self.cadre)
        before = Spending.objects.count()
        for amount in ("-5", "12.5", "abc", "999999"):
            page = self.client.post(f"/projects/{self.project.pk}/spending/",
                                    {"amount": amount, "purpose": "尾款", "spent_on": TODAY.isoformat()}, follow=True)
            self.assertContains(page, "alert-danger", msg_prefix=amount)
        self.assertEqual(Spending.objects.count(), before)
        page = self.client.get(f"/projects/{self.project.pk}/")
        self.assertContains(page, "刘志强")
        self.assertContains(page, "转为已完工")

    def test_the_township_sees_its_villages_projects(self):
        self.client.force_login(self.c.users["township_staff"])
        page = self.client.get("/projects/")
        self.assertContains(page, "东村")
        self.assertContains(page, "硬化村北生产路")
        self.client.force_login(self.c.users["township_staff_b"])
        self.assertNotContains(self.client.get("/projects/", follow=True), "硬化村北生产路")


class ProjectApiTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.cadre = cls.c.users["village_cadre"]

    def post(self, url, body):
        return self.client.post(url, body, content_type="application/json")

    def test_bad_input_is_refused_in_chinese_and_writes_nothing(self):
        self.client.force_login(self.cadre)
        request = planned_request(self.c)
        for budget in (-1, 0, 1.5, "一万"):
            answer = self.post("/api/v1/projects", {"request": request.pk, "budget": budget})
            self.assertEqual(answer.status_code, 422, budget)
        self.assertFalse(Project.objects.exists())
        project = self.post("/api/v1/projects", {"request": request.pk, "budget": 1000}).json()
        self.assertEqual(project["state"], ProjectState.PLANNING)
        answer = self.post(f"/api/v1/projects/{project['id']}/spending",
                           {"amount": 10, "purpose": "水泥", "spent_on": TODAY.isoformat()})
        self.assertEqual((answer.status_code, answer.json()["error"]["message"]), (409, "项目还未开工，不能记支出"))
        started = self.post(f"/api/v1/projects/{project['id']}/advance", {"on": ago(5).isoformat()}).json()
        self.assertEqual(started["state"], "in_progress")
        milestone = self.post(f"/api/v1/projects/{project['id']}/milestones",
                              {"name": "开挖", "planned_on": TODAY.isoformat()}).json()
        answer = self.post(f"/api/v1/projects/{project['id']}/milestones/{milestone['id']}/done",
                           {"done_on": ago(6).isoformat()})
        self.assertEqual(answer.status_code, 422)
        self.assertIn("不能早于开工日期", answer.json()["error"]["message"])
        answer = self.post(f"/api/v1/projects/{project['id']}/donations",
                           {"kind": "money", "donor_name": "刘志强", "amount": -100, "donated_on": TODAY.isoformat()})
        self.assertEqual((answer.status_code, answer.json()["error"]["message"]),
                         (422, "捐款金额应为大于 0 的整数（元）"))
        self.assertFalse(Donation.objects.exists())

    def test_a_villager_asks_only_for_his_own_village(self):
        self.client.force_login(self.c.users["resident"])
        answer = self.post("/api/v1/projects/requests", {"village": self.c.village_b1.code, "title": "修路"})
        self.assertEqual((answer.status_code, answer.json()["error"]["message"]), (422, "只能为本村提需求"))
        self.assertFalse(ProjectRequest.objects.exists())
        answer = self.post("/api/v1/projects/requests", {"village": self.c.village_a1.code, "title": "修路"})
        self.assertEqual((answer.status_code, answer.json()["source"]), (201, "villager"))
        self.assertEqual([r["title"] for r in self.client.get("/api/v1/projects/requests").json()], ["修路"])

    def test_the_plan_reads_in_its_order(self):
        self.client.force_login(self.cadre)
        later = planned_request(self.c, "建广场", Urgency.LATER, households=90)
        first = planned_request(self.c, "修桥", Urgency.URGENT, households=2)
        plan = self.client.get(f"/api/v1/projects/plans?village={self.c.village_a1.code}").json()
        self.assertEqual([i["id"] for i in plan["items"]], [first.pk, later.pk])
        self.client.force_login(self.c.users["township_staff_b"])
        self.assertEqual(self.client.get(f"/api/v1/projects/plans?village={self.c.village_a1.code}").status_code,
                         404)
