"""The demo's village projects (``xiangzhi.demo.projects``) on the small county: every village with a
cadre gets requests and a plan; the first follows a project to completion; the same seed draws the same."""

from django.test import TestCase

from tests.factories import build_small_county
from xiangzhi.demo.projects import write_projects
from xiangzhi.projects import selectors
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

    def test_the_same_seed_draws_the_same_requests(self):
        def drawn():
            return list(ProjectRequest.objects.order_by("-id").values_list("title", "urgency", "households", "state")
                        [:n])

        write_projects(seed=3)
        n = ProjectRequest.objects.count()
        first = drawn()
        write_projects(seed=3)
        self.assertEqual(drawn(), first)
