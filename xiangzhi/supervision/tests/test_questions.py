"""码上问 through its services and pages: personal numbers masked before anyone screens the text,
nothing public before screening, answers under the answering office, deadlines on working days and
overdue lists, and the limits per phone and per address that leave honest askers alone."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.test import TestCase, override_settings

from tests.factories import build_small_county
from xiangzhi.core import sms
from xiangzhi.core.errors import Forbidden, Invalid, NotFound, RateLimited
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.lib import crypto
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.errors import FollowLinkInvalid, SupervisionConflict, SupervisionError
from xiangzhi.supervision.models import ModerationDecision, Question, QuestionState
from xiangzhi.supervision.tests.helpers import SITE, answered, ask, at, last_sms, link_in, page_of, submission

ID_NUMBER = "370321198805121234"


@override_settings(SMS_BACKEND=sms.CONSOLE)
class AskAndScreenTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.cadre = cls.c.users["village_cadre"]

    def setUp(self):
        sms.outbox.clear()

    def test_personal_numbers_are_masked_before_the_question_is_stored(self):
        q = ask(self.c.village_a1, f"我叫张三，身份证{ID_NUMBER}，电话 138 1234 5678，低保为什么停了？",
                phone="13912345678")
        stored = Question.objects.filter(pk=q.pk).values_list("text", "masked_kinds", "phone_encrypted", "phone_hash")
        text_, kinds, encrypted, phone_hash = stored.get()
        self.assertNotIn(ID_NUMBER, text_)
        self.assertNotIn("5678", text_.replace("138****5678", ""))
        self.assertIn("138****5678", text_)
        self.assertEqual(kinds, "id_number,phone")
        self.assertEqual(crypto.decrypt(encrypted), "13912345678")  # the reply phone, kept encrypted
        self.assertNotIn("13912345678", phone_hash)
        self.assertEqual(q.state, QuestionState.SCREENING)
        # The screener reads the masked text and is told what was hidden.
        self.client.force_login(self.cadre)
        page = self.client.get(f"/supervision/questions/{q.pk}/").content.decode()
        self.assertNotIn(ID_NUMBER, page)
        self.assertNotIn("13912345678", page)
        self.assertIn("已在审核前自动隐去：身份证号、电话号码", page)

    def test_nothing_is_public_before_screening_and_the_asker_is_never_shown(self):
        q = ask(self.c.village_a1, "村里修路的钱花了多少？")
        self.assertFalse(selectors.question_list_public(self.c.village_a1).exists())
        with self.assertRaises(SupervisionConflict):  # answering needs a screened question
            services.question_answer(question=q, actor=self.cadre, answer="12万元")
        services.question_screen(question=q, actor=self.cadre, passed=True)
        self.assertFalse(selectors.question_list_public(self.c.village_a1).exists())  # screened, not answered
        self.assertNotIn("村里修路的钱", self.client.get(page_of(self.c.village_a1)).content.decode())
        services.question_answer(question=q, actor=self.cadre, answer="共花费12万元，明细已公示。")
        page = self.client.get(page_of(self.c.village_a1)).content.decode()
        self.assertIn("村里修路的钱花了多少", page)
        self.assertIn("东村村委会", page)
        self.assertIn("村民", page)
        self.assertNotIn(self.cadre.full_name, page)
        self.assertNotIn(self.cadre.username, page)
        # Another village's page shows none of it.
        self.assertNotIn("村里修路的钱", self.client.get(page_of(self.c.village_a2)).content.decode())

    def test_a_rejection_needs_a_reason_the_asker_reads_on_his_link_and_by_sms(self):
        q = ask(self.c.village_a1, "隔壁老王家的事", phone="13912345678")
        with self.assertRaises(SupervisionError):
            services.question_screen(question=q, actor=self.cadre, passed=False, reason=" ")
        with self.captureOnCommitCallbacks(execute=True):
            services.question_screen(question=q, actor=self.cadre, passed=False,
                                     reason="涉及他人隐私，请当面向村委会反映", site=SITE)
        q.refresh_from_db()
        self.assertEqual((q.state, q.reject_reason), (QuestionState.REJECTED, "涉及他人隐私，请当面向村委会反映"))
        message = last_sms("13912345678")
        self.assertIn("未通过审核", message)
        follow = self.client.get(link_in(message)).content.decode()
        self.assertIn("涉及他人隐私，请当面向村委会反映", follow)
        with self.assertRaises(SupervisionConflict):  # screened once
            services.question_screen(question=q, actor=self.c.users["township_staff"], passed=True)
        decision = ModerationDecision.objects.get(question=q)
        self.assertEqual((decision.outcome, decision.actor, decision.reason), ("reject", self.cadre,
                                                                                "涉及他人隐私，请当面向村委会反映"))
        with self.assertRaises(AppendOnlyError):
            decision.delete()

    def test_every_decision_is_recorded_and_the_answer_is_masked_too(self):
        q = ask(self.c.village_a1)
        town = self.c.users["township_staff"]
        services.question_screen(question=q, actor=town, passed=True, reason="属实")
        services.question_answer(question=q, actor=town, answer="请拨打 0543-3321234 咨询")
        services.question_withdraw(question=q, actor=town, reason="内容已过时")
        q.refresh_from_db()
        self.assertEqual((q.state, q.answer_post), (QuestionState.WITHDRAWN, "下洼镇人民政府"))
        self.assertNotIn("3321234", q.answer)
        rows = list(q.decisions.values_list("subject", "outcome", "actor", "reason"))
        self.assertEqual(rows, [("question", "pass", town.pk, "属实"),
                                ("answer", "publish", town.pk, "已隐去：电话号码"),
                                ("question", "withdraw", town.pk, "内容已过时")])
        self.assertFalse(selectors.question_list_public(self.c.village_a1).exists())

    def test_the_answer_reaches_the_asker_who_left_a_phone(self):
        q = ask(self.c.village_a1, phone="139 1234 5678")
        services.question_screen(question=q, actor=self.cadre, passed=True)
        with self.captureOnCommitCallbacks(execute=True):
            services.question_answer(question=q, actor=self.cadre, answer="共12万元", site=SITE)
        message = last_sms()
        self.assertIn("已由东村村委会答复", message)
        follow = self.client.get(link_in(message))
        self.assertContains(follow, "共12万元")
        self.assertContains(follow, "已答复")

    def test_moderators_reach_only_their_villages(self):
        q = ask(self.c.village_a1)
        for role in ("township_staff_b", "grid_worker", "resident", "department_staff", "points_recorder"):
            user = self.c.users[role]
            with self.subTest(role=role):
                with self.assertRaises(NotFound):
                    selectors.question_get_for_user(user, q.pk)
                with self.assertRaises(Forbidden):
                    services.question_screen(question=q, actor=user, passed=True)
        for role in ("county_admin", "township_staff", "village_cadre"):
            self.assertEqual(selectors.question_get_for_user(self.c.users[role], q.pk), q)

    def test_bad_input_is_refused_in_chinese_and_writes_nothing(self):
        a1 = self.c.village_a1
        for kwargs, words in (({"text_": ""}, "请填写问题"), ({"text_": "问" * 501}, "不能超过 500 个字"),
                              ({"category": "bribes"}, "问题类别不正确"), ({"phone": "12345"}, "11位手机号"),
                              ({"submission_id": "x"}, "页面已过期")):
            with self.subTest(kwargs=kwargs), self.assertRaisesMessage(Invalid, words):
                ask(a1, **{"text_": "修路的钱", **kwargs})
        self.assertFalse(Question.objects.exists())

    def test_the_same_submission_twice_is_one_question(self):
        sid = submission()
        first = ask(self.c.village_a1, submission_id=sid)
        again = services.question_ask(village=self.c.village_a1, text_="村里修路的钱花了多少？", submission_id=sid,
                                      address="10.0.0.1")
        self.assertEqual((again.question, again.created), (first, False))
        self.assertEqual(Question.objects.count(), 1)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Question.objects.create(village=self.c.village_a1, text="x", submission_id=sid, asked_at=first.asked_at,
                                    screen_due_at=first.asked_at, answer_due_at=first.asked_at)

    def test_the_sunshine_meeting_reads_the_quarters_screened_questions(self):
        a1 = self.c.village_a1
        waiting = ask(a1, "问一", now=at(2026, 4, 2))
        services.question_screen(question=waiting, actor=self.cadre, passed=True)
        rejected = ask(a1, "问二", now=at(2026, 5, 2))
        services.question_screen(question=rejected, actor=self.cadre, passed=False, reason="无关")
        ask(a1, "问三", now=at(2026, 6, 2))  # not screened yet
        later = ask(a1, "问四", now=at(2026, 7, 2))
        services.question_screen(question=later, actor=self.cadre, passed=True)
        self.assertEqual(list(selectors.question_list_for_quarter(a1, 2026, 2)), [waiting])
        self.assertEqual(list(selectors.question_list_for_quarter(a1, 2026, 3)), [later])
        self.assertEqual(list(selectors.question_list_for_quarter(self.c.village_a2, 2026, 2)), [])


class DeadlinesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_deadlines_run_on_working_days_and_late_ones_are_listed_for_the_township(self):
        # Asked on a Friday at 10:00: screened within 2 working days (Tuesday 10:00), answered within 5
        # (the next Friday 10:00); the weekend does not count.
        q = ask(self.c.village_a1, now=at(2026, 12, 4))
        self.assertEqual((q.screen_due_at, q.answer_due_at), (at(2026, 12, 8), at(2026, 12, 11)))
        town, town_b = self.c.users["township_staff"], self.c.users["township_staff_b"]
        before, after = at(2026, 12, 8, 9), at(2026, 12, 8, 11)
        self.assertFalse(selectors.question_list_for_user(town, state="overdue", now=before).exists())
        self.assertEqual(list(selectors.question_list_for_user(town, state="overdue", now=after)), [q])
        self.assertFalse(selectors.question_list_for_user(town_b, state="overdue", now=after).exists())
        self.assertEqual(selectors.question_counts_for_user(town, after),
                         selectors.QuestionCounts(to_screen=1, to_answer=0, overdue=1))
        services.question_screen(question=q, actor=town, passed=True, now=after)
        q.refresh_from_db()
        self.assertFalse(selectors.question_is_overdue(q, at(2026, 12, 11, 9)))
        self.assertTrue(selectors.question_is_overdue(q, at(2026, 12, 11, 11)))
        self.assertEqual(selectors.question_counts_for_user(town, at(2026, 12, 11, 11)),
                         selectors.QuestionCounts(to_screen=0, to_answer=1, overdue=1))
        services.question_answer(question=q, actor=town, answer="已答复", now=at(2026, 12, 14))
        self.assertEqual(selectors.question_counts_for_user(town, at(2026, 12, 14, 11)), selectors.QuestionCounts())

    def test_the_staff_day_and_the_overdue_list_show_the_late_questions(self):
        q = ask(self.c.village_a1, now=at(2026, 1, 5))
        self.client.force_login(self.c.users["township_staff"])
        home = self.client.get("/").content.decode()
        self.assertIn('data-testid="task-questions"', home)
        self.assertIn('data-testid="task-questions-overdue"', home)
        listing = self.client.get("/supervision/?state=overdue").content.decode()
        self.assertIn(f"/supervision/questions/{q.pk}/", listing)
        self.assertIn('data-testid="question-overdue"', listing)
        self.client.force_login(self.c.users["township_staff_b"])
        self.assertNotIn("task-questions", self.client.get("/").content.decode())
        self.assertNotIn(f"/supervision/questions/{q.pk}/", self.client.get("/supervision/?state=overdue")
                         .content.decode())


@override_settings(SUPERVISION_QUESTIONS_PER_PHONE_HOUR=3, SUPERVISION_QUESTIONS_PER_ADDRESS_HOUR=5)
class QuestionLimitsTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_a_flood_from_one_address_is_refused_and_other_askers_are_not(self):
        a1 = self.c.village_a1
        asked = [ask(a1, f"问题{i}", address="10.0.0.9") for i in range(5)]
        with self.assertRaisesMessage(RateLimited, "当前网络一小时内提问已达 5 次"):
            ask(a1, "第六个", address="10.0.0.9")
        # A retry of an earlier question is that question, not one more.
        again = services.question_ask(village=a1, text_="问题0", submission_id=asked[0].submission_id,
                                      address="10.0.0.9")
        self.assertFalse(again.created)
        # Others are not held back, and the same address may ask again an hour later.
        ask(a1, "另一个人", address="10.0.0.10")
        ask(self.c.village_a2, "西村的人", address="10.0.0.11")
        later = asked[0].asked_at + dt.timedelta(hours=1, minutes=1)
        ask(a1, "一小时后", address="10.0.0.9", now=later)
        self.assertEqual(Question.objects.count(), 8)

    def test_a_flood_from_one_phone_is_refused_whatever_the_address(self):
        a1 = self.c.village_a1
        for i in range(3):
            ask(a1, f"问题{i}", phone="13912345678", address=f"10.0.1.{i}")
        with self.assertRaisesMessage(RateLimited, "这个手机号一小时内提问已达 3 次"):
            ask(a1, "第四个", phone="139-1234-5678", address="10.0.1.99")
        ask(a1, "别人的", phone="13912345679", address="10.0.1.99")
        ask(a1, "不留电话", address="10.0.1.99")

    def test_the_page_keeps_the_words_of_a_refused_question(self):
        token = selectors.village_code_token(self.c.village_a1)
        for i in range(5):
            self.client.post(f"/v/{token}/ask/", {"text": f"问题{i}", "submission_id": submission()})
        refused = self.client.post(f"/v/{token}/ask/", {"text": "我的问题没丢", "submission_id": submission()})
        self.assertEqual(refused.status_code, 429)
        body = refused.content.decode()
        self.assertIn("我的问题没丢", body)
        self.assertIn("请稍后再试", body)


class AskPagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_asking_from_the_village_page_and_following_the_question(self):
        token = selectors.village_code_token(self.c.village_a1)
        form = self.client.get(f"/v/{token}/ask/")
        self.assertContains(form, "码上问")
        sid = form.context["submission_id"]
        done = self.client.post(f"/v/{token}/ask/", {"text": f"身份证{ID_NUMBER}的低保怎么停了",
                                                      "category": "livelihood", "submission_id": sid})
        self.assertEqual(done.status_code, 302)
        q = Question.objects.get()
        self.assertEqual((q.village, q.category), (self.c.village_a1, "livelihood"))
        follow = self.client.get(done["Location"]).content.decode()
        self.assertIn("待审核", follow)
        self.assertNotIn(ID_NUMBER, follow)
        # A double tap sends the same submission: still one question, the same follow page.
        again = self.client.post(f"/v/{token}/ask/", {"text": "x", "submission_id": sid})
        self.assertEqual((again["Location"], Question.objects.count()), (done["Location"], 1))
        bad = self.client.post(f"/v/{token}/ask/", {"text": "", "submission_id": submission()})
        self.assertEqual(bad.status_code, 400)
        self.assertContains(bad, "请填写问题", status_code=400)

    def test_a_forged_follow_link_opens_nothing(self):
        q = ask(self.c.village_a1)
        token = selectors.question_follow_token(q)
        with self.assertRaises(FollowLinkInvalid):
            selectors.question_by_follow_token(token.replace(str(q.pk), str(q.pk + 1), 1))
        self.assertEqual(self.client.get(f"/q/{token[:-2]}/").status_code, 404)
        self.assertEqual(self.client.get(f"/q/{selectors.village_code_token(self.c.village_a1)}/").status_code, 404)
        self.assertEqual(self.client.get(f"/q/{token}/").status_code, 200)

    def test_the_public_list_pages_the_answered_questions(self):
        for i in range(3):
            answered(self.c, text_=f"问题{i}", answer=f"答复{i}")
        ask(self.c.village_a1, "还在审核")
        token = selectors.village_code_token(self.c.village_a1)
        with self.assertNumQueries(5):  # the code, its generation, the township, the count, the page
            body = self.client.get(f"/v/{token}/questions/").content.decode()
        self.assertEqual(body.count('data-testid="public-question"'), 3)
        self.assertNotIn("还在审核", body)
