"""The demo's village projects (``xiangzhi.demo.projects``) on the small county: every village with a
cadre gets requests and a plan; the first follows a project to completion; the same seed draws the same."""

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from tests.factories import build_small_county
from xiangzhi.demo.projects import write_projects
from xiangzhi.projects import selectors, services
from xiangzhi.projects.models import Project, ProjectPlan, ProjectRequest, ProjectState


class DemoProjectsTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_a_plan_and_one_project_followed_to_completion(self):
        report = write_projects(seed=7)
        self.assertEqual(report.completed, "东村·硬化村北生产路")
        self.assertTrue(ProjectPlan.objects.filter(village=self.c.village_a1).exists())
        project = Project.objects.get(state=ProjectState.ACCEPTED)
        totals = selectors.totals_of([project.pk])[project.pk]
        self.assertEqual((project.budget, totals.spent, totals.donated, totals.labour_days),
                         (380_000, 370_400, 150_000, 88))
        self.assertTrue(all(m.done_on and m.photos.count() == 1 for m in project.milestones.all()))
        self.assertEqual(list(project.events.values_list("to_state", flat=True)),
                         ["planning", "in_progress", "completed", "accepted"])
        self.assertEqual(project.events.last().actor, self.c.users["township_staff"])

    def test_the_completed_project_is_paid_by_the_award_waiting_for_its_village(self):
        for amount, budget, collective in ((180_000, 380_000, 50_000), (260_000, 440_000, 30_000)):
            award = services.award_grant(village=self.c.village_a1, source="2026年上半年积分换项目奖补",
                                         amount=amount, key=f"demo-{amount}", actor=self.c.users["county_admin"],
                                         now=timezone.now() - dt.timedelta(days=200))  # the earlier half's
            write_projects(seed=7)
            project = Project.objects.filter(state=ProjectState.ACCEPTED).latest("id")
            award.refresh_from_db()
            self.assertEqual(award.project, project)
            self.assertEqual((project.budget, project.funding_source, project.awarded_amount),
                             (budget, "2026年上半年积分换项目奖补", amount))
            self.assertEqual(list(project.fundings.values_list("kind", "amount")), [("collective", collective)])
            self.assertLessEqual(award.awarded_at, award.taken_at)

    def test_the_same_seed_draws_the_same_requests(self):
        def drawn():
            return list(ProjectRequest.objects.order_by("-id").values_list("title", "urgency", "households", "state")
                        [:n])

        write_projects(seed=3)
        n = ProjectRequest.objects.count()
        first = drawn()
        write_projects(seed=3)
        self.assertEqual(drawn(), first)
