"""Village projects through their services: the plan's order, the money rules, the ledgers'
corrections, and each refusal writing nothing."""

from django.contrib.auth.models import AnonymousUser
from django.test import TestCase

from tests.factories import build_small_county, jpeg_photo
from xiangzhi.core.errors import Forbidden, NotFound, status_of
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.projects import selectors, services
from xiangzhi.projects.errors import ProjectConflict, ProjectError
from xiangzhi.projects.models import (
    Donation,
    Milestone,
    Project,
    ProjectEvent,
    ProjectRequest,
    ProjectState,
    RequestEvent,
    RequestState,
    Spending,
    Urgency,
)
from xiangzhi.projects.tests.helpers import TODAY, ago, planned_request, started_project


class RequestsAndPlanTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.cadre = cls.c.users["village_cadre"]

    def test_a_villager_asks_for_his_own_village_only(self):
        villager = self.c.users["resident"]
        row = services.request_submit(actor=villager, village=self.c.village_a1, title="修路灯", households=9,
                                      photos=[jpeg_photo()])
        self.assertEqual((row.source, row.households, row.household_id, row.state),
                         ("villager", 1, self.c.households["a1"].pk, RequestState.COLLECTED))
        self.assertEqual(row.photos.count(), 1)
        before = ProjectRequest.objects.count()
        with self.assertRaisesMessage(ProjectError, "只能为本村提需求"):
            services.request_submit(actor=villager, village=self.c.village_b1, title="修路灯")
        self.assertEqual(ProjectRequest.objects.count(), before)

    def test_wrong_role_and_wrong_scope_are_refused(self):
        with self.assertRaises(Forbidden):
            services.request_submit(actor=self.c.users["grid_worker"], village=self.c.village_a1, title="修路")
        with self.assertRaises(NotFound):
            services.request_submit(actor=self.cadre, village=self.c.village_b1, title="修路")
        row = services.request_submit(actor=self.cadre, village=self.c.village_a1, title="修路")
        with self.assertRaises(NotFound):
            services.request_plan(actor=self.c.users["township_staff_b"], request=row)
        with self.assertRaises(Forbidden):
            services.request_decline(actor=self.c.users["points_recorder"], request=row, reason="无")

    def test_the_plan_is_ordered_by_urgency_then_households_then_date(self):
        later = planned_request(self.c, "建文化广场", Urgency.NORMAL, households=80)
        few = planned_request(self.c, "修排水沟", Urgency.URGENT, households=3)
        many = planned_request(self.c, "硬化生产路", Urgency.URGENT, households=30)
        same = planned_request(self.c, "安路灯", Urgency.URGENT, households=30)  # asked after 硬化生产路
        items = list(selectors.plan_items(many.plan))
        self.assertEqual(items, [many, same, few, later])
        self.assertEqual({r.plan_id for r in items}, {many.plan_id})

    def test_decline_needs_a_reason_and_leaves_history(self):
        row = services.request_submit(actor=self.cadre, village=self.c.village_a1, title="建高尔夫球场")
        with self.assertRaises(ProjectError):
            services.request_decline(actor=self.cadre, request=row, reason=" ")
        services.request_decline(actor=self.cadre, request=row, reason="不属于村级公益项目")
        row.refresh_from_db()
        self.assertEqual((row.state, row.decline_reason), (RequestState.DECLINED, "不属于村级公益项目"))
        self.assertEqual(list(RequestEvent.objects.filter(request=row).values_list("to_state", flat=True)),
                         ["collected", "declined"])
        with self.assertRaises(ProjectConflict):
            services.request_plan(actor=self.cadre, request=row)


class ProjectTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.cadre = cls.c.users["village_cadre"]

    def test_only_a_planned_request_becomes_a_project_and_bad_money_writes_nothing(self):
        row = services.request_submit(actor=self.cadre, village=self.c.village_a1, title="修桥")
        with self.assertRaisesMessage(ProjectConflict, "只有已列入计划的需求才能立项"):
            services.project_create(actor=self.cadre, request=row, budget=1000)
        row = services.request_plan(actor=self.cadre, request=row)
        for bad in (-5, 0, 12.5, "1000", True):
            with self.assertRaises(ProjectError, msg=bad):
                services.project_create(actor=self.cadre, request=row, budget=bad)
        with self.assertRaises(ProjectError):
            services.project_create(actor=self.cadre, request=row, budget=1000, fundings=[("award", -1, "")])
        self.assertFalse(Project.objects.exists())
        project = services.project_create(actor=self.cadre, request=row, budget=1000)
        row.refresh_from_db()
        self.assertEqual((project.state, row.state), (ProjectState.PLANNING, RequestState.APPROVED))

    def test_spending_never_passes_the_budget(self):
        project = started_project(self.c, budget=100_000)
        services.spending_record(actor=self.cadre, project=project, amount=60_000, purpose="水泥", spent_on=ago(10),
                                 photos=[jpeg_photo()])
        with self.assertRaisesMessage(ProjectError, "支出合计将超过预算"):
            services.spending_record(actor=self.cadre, project=project, amount=40_001, purpose="人工",
                                     spent_on=ago(5))
        for bad in (-1, 0, 99.5):
            with self.assertRaises(ProjectError):
                services.spending_record(actor=self.cadre, project=project, amount=bad, purpose="人工",
                                         spent_on=ago(5))
        with self.assertRaisesMessage(ProjectError, "支出日期"):
            services.spending_record(actor=self.cadre, project=project, amount=1, purpose="早了", spent_on=ago(30))
        self.assertEqual(Spending.objects.count(), 1)
        services.project_budget_change(actor=self.cadre, project=project, budget=110_000, reason="追加护栏")
        services.spending_record(actor=self.cadre, project=project, amount=50_000, purpose="人工", spent_on=ago(5))
        self.assertEqual(selectors.spent_total(project), 110_000)
        with self.assertRaisesMessage(ProjectError, "预算不能低于已支出"):
            services.project_budget_change(actor=self.cadre, project=project, budget=100_000, reason="压缩")

    def test_a_correction_supersedes_the_row_and_both_stay(self):
        project = started_project(self.c)
        first = services.spending_record(actor=self.cadre, project=project, amount=5_000, purpose="砂石",
                                         spent_on=ago(3))
        fixed = services.spending_correct(actor=self.cadre, spending=first, amount=4_500, reason="发票金额为4500元")
        self.assertEqual(selectors.spent_total(project), 4_500)
        self.assertEqual(Spending.objects.filter(project=project).count(), 2)
        with self.assertRaises(ProjectConflict):
            services.spending_correct(actor=self.cadre, spending=first, amount=1, reason="再改")
        services.spending_correct(actor=self.cadre, spending=fixed, amount=0, reason="重复记账，撤销")
        self.assertEqual(selectors.spent_total(project), 0)
        with self.assertRaises(AppendOnlyError):
            first.delete()
        with self.assertRaises(AppendOnlyError):
            Spending.objects.filter(pk=first.pk).update(amount=1)

    def test_milestones_follow_the_start_and_completion_needs_them_all(self):
        project = started_project(self.c, started=20)
        first, second = Milestone.objects.filter(project=project)
        with self.assertRaisesMessage(ProjectError, "完成日期不能早于开工日期"):
            services.milestone_done(actor=self.cadre, milestone=first, done_on=ago(21))
        services.milestone_done(actor=self.cadre, milestone=first, done_on=ago(15), photos=[jpeg_photo()])
        with self.assertRaisesMessage(ProjectConflict, "还有未完成的节点"):
            services.project_advance(actor=self.cadre, project=project)
        services.milestone_done(actor=self.cadre, milestone=second, done_on=ago(2))
        services.project_advance(actor=self.cadre, project=project, on=ago(1))
        with self.assertRaisesMessage(ProjectConflict, "项目已完工，不能再记支出"):
            services.spending_record(actor=self.cadre, project=project, amount=1, purpose="尾款", spent_on=TODAY)
        services.project_advance(actor=self.cadre, project=project, note="乡镇验收合格")
        self.assertEqual(list(ProjectEvent.objects.filter(project=project).values_list("to_state", flat=True)),
                         ["planning", "in_progress", "completed", "accepted"])
        with self.assertRaises(ProjectConflict):
            services.project_advance(actor=self.cadre, project=project)

    def test_a_milestone_cannot_be_done_before_the_project_starts(self):
        cadre = self.cadre
        project = services.project_create(actor=cadre, request=planned_request(self.c), budget=1000)
        m = services.milestone_add(actor=cadre, project=project, name="开挖", planned_on=TODAY)
        with self.assertRaisesMessage(ProjectConflict, "项目还未开工"):
            services.milestone_done(actor=cadre, milestone=m, done_on=TODAY)
        m.refresh_from_db()
        self.assertIsNone(m.done_on)

    def test_donations_are_corrected_by_new_rows_and_shown_as_the_donor_chose(self):
        project = started_project(self.c)
        away = services.donation_record(actor=self.cadre, project=project, kind="money", donor_name="刘志强",
                                        donor_note="在外乡贤", amount=150_000, donated_on=ago(4))
        head = self.c.households["a1"].residents.get(relation="head")
        labour = services.donation_record(actor=self.cadre, project=project, kind="labour", resident=head,
                                          labour_days=6, donated_on=ago(3))
        with self.assertRaises(ProjectError):
            services.donation_record(actor=self.cadre, project=project, kind="money", donor_name="某人", amount=-10,
                                     donated_on=ago(1))
        with self.assertRaises(ProjectError):
            services.donation_correct(actor=self.cadre, donation=away, reason="")
        services.donation_correct(actor=self.cadre, donation=away, reason="本人要求匿名", anonymous=True)
        public = selectors.donation_list_public(project)
        self.assertEqual([(d.public_name, d.amount, d.labour_days) for d in public],
                         [("匿名", 150_000, 0), (head.name, 0, 6)])
        self.assertEqual(labour.donor_name, head.name)
        totals = selectors.totals_of([project.pk])[project.pk]
        self.assertEqual((totals.donated, totals.labour_days, totals.donors), (150_000, 6, 2))
        self.assertEqual(Donation.objects.count(), 3)

    def test_the_funder_writes_its_award_on_the_project(self):
        project = started_project(self.c)
        admin = self.c.users["county_admin"]
        services.project_award(actor=admin, project=project, funding_source="2026年上半年积分换项目",
                               awarded_amount=300_000)
        project.refresh_from_db()
        self.assertEqual((project.funding_source, project.awarded_amount), ("2026年上半年积分换项目", 300_000))
        self.assertEqual(project.events.last().note, "奖补：2026年上半年积分换项目 300000 元")
        with self.assertRaises(ProjectError) as caught:
            services.project_award(actor=admin, project=project, funding_source="x", awarded_amount=-1)
        self.assertEqual(status_of(caught.exception), 422)

    def test_private_photos_stay_private_and_milestone_photos_are_public(self):
        project = started_project(self.c)
        spending = services.spending_record(actor=self.cadre, project=project, amount=10, purpose="票据",
                                            spent_on=TODAY, photos=[jpeg_photo()])
        m = project.milestones.first()
        services.milestone_done(actor=self.cadre, milestone=m, done_on=TODAY, photos=[jpeg_photo()])
        voucher, shown = spending.photos.get(), m.photos.get()
        self.assertEqual(selectors.photo_get_for_user(AnonymousUser(), shown.pk), shown)
        with self.assertRaises(NotFound):
            selectors.photo_get_for_user(AnonymousUser(), voucher.pk)
        with self.assertRaises(NotFound):
            selectors.photo_get_for_user(self.c.users["township_staff_b"], voucher.pk)
        self.assertEqual(selectors.photo_get_for_user(self.c.users["township_staff"], voucher.pk), voucher)
