"""The demo's 一村一码 (``xiangzhi.demo.supervision``) on the small county: a code for every village and one
re-issued, a year of questions (answered, waiting, overdue, rejected, one masked), the latest QR cases
followed by phone; the same seed draws the same."""

from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from tests.factories import build_small_county
from xiangzhi.cases.models import Channel
from xiangzhi.cases.services import case_report
from xiangzhi.demo.supervision import REISSUE_REASON, write_supervision
from xiangzhi.supervision import selectors
from xiangzhi.supervision.models import ModerationDecision, QrReport, Question, QuestionState, VillageCode


class _Undo(Exception):
    """Rolls a build back, so that the next one starts from the same county."""


def _insert(model, rows):
    return model.objects.bulk_create(rows)


class DemoSupervisionTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        for lon in (118.005, 118.055):
            case_report(channel=Channel.QR, description="路灯不亮", lon=lon, lat=37.705)

    def test_codes_questions_and_followed_reports(self):
        report = write_supervision(_insert, seed=7)
        self.assertEqual((report.codes, report.reissued), (3, "东村"))
        self.assertEqual(VillageCode.objects.filter(generation=2, reason=REISSUE_REASON).count(), 1)
        self.assertEqual(selectors.village_code_generation(self.c.village_a1), 2)
        self.assertEqual(report.example_path, f"/v/{selectors.village_code_token(self.c.village_a1)}/")
        self.assertEqual(self.client.get(report.example_path).status_code, 200)
        states = set(Question.objects.values_list("state", flat=True))
        self.assertIn(QuestionState.ANSWERED, states)
        self.assertEqual(report.questions, Question.objects.count())
        self.assertEqual(report.answered, Question.objects.filter(state=QuestionState.ANSWERED).count())
        masked = Question.objects.get(masked_kinds="id_number")
        self.assertNotIn("19680309", masked.text)
        # Every screened question has its decision, every answer its publication.
        screened = Question.objects.filter(screened_at__isnull=False).count()
        answered = Question.objects.filter(answered_at__isnull=False).count()
        self.assertEqual(ModerationDecision.objects.filter(subject="question").count(), screened)
        self.assertEqual(ModerationDecision.objects.filter(subject="answer").count(), answered)
        self.assertTrue(all(q.answered_at <= timezone.now() and q.screened_at <= q.answered_at
                            for q in Question.objects.filter(state=QuestionState.ANSWERED)))
        rows = list(QrReport.objects.select_related("case"))
        self.assertEqual(len(rows), 2)
        self.assertTrue(all(r.case.reporter_phone_masked.startswith("139") for r in rows))
        page = self.client.get(f"/c/{selectors.qr_report_follow_token(rows[0])}/")
        self.assertContains(page, rows[0].case.number)

    def test_the_same_seed_draws_the_same_questions(self):
        now = timezone.now()

        def drawn(seed):
            with self.assertRaises(_Undo), transaction.atomic():
                write_supervision(_insert, seed=seed, now=now)
                found = list(Question.objects.order_by("village__code", "submission_id")
                             .values_list("village__code", "category", "state", "asked_at", "text"))
                raise _Undo
            return found

        first = drawn(3)
        self.assertTrue(first)
        self.assertEqual(drawn(3), first)
        self.assertNotEqual(drawn(4), first)
