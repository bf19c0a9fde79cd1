"""码上办: a villager without an account reports from the village page with a phone confirmed by SMS
code; the case goes through the one intake, its follow link goes to that phone, he follows it and
rates it once closed. A double tap makes one case; a flood from one phone or address is refused."""

from django.test import TestCase, override_settings

from tests.factories import build_small_county, jpeg_photo
from xiangzhi.accounts.models import SmsCode
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Case, Category, Channel, Status
from xiangzhi.core import sms
from xiangzhi.core.errors import Forbidden, Invalid, RateLimited
from xiangzhi.lib import crypto
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.errors import SupervisionError
from xiangzhi.supervision.models import QrReport
from xiangzhi.supervision.tests.helpers import MOBILE, SITE, last_sms, link_in, sms_code, submission


def close(county, case):
    u = county.users
    cases.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    cases.case_handle(case=case, actor=u["grid_worker"], note="灯泡已更换", photos=[jpeg_photo()])
    cases.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)


@override_settings(SMS_BACKEND=sms.CONSOLE, SMS_CODE_INTERVAL_SECONDS=0)
class QrReportTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def setUp(self):
        sms.outbox.clear()

    def report(self, phone=MOBILE, address="10.0.0.1", send=True, **kw):
        if send:
            services.qr_report_code_send(phone=phone, address=address)
        kw.setdefault("description", "村口路灯三天没亮了")
        kw.setdefault("submission_id", submission())
        kw.setdefault("village", self.c.village_a1)
        kw.setdefault("category", None)
        with self.captureOnCommitCallbacks(execute=True):
            return services.qr_report_submit(phone=phone, code=kw.pop("code", None) or sms_code(phone),
                                             address=address, site=SITE, **kw)

    def test_a_report_becomes_a_case_of_the_village_and_its_link_goes_to_the_phone(self):
        result = self.report(lon=118.005, lat=37.705, photos=[jpeg_photo()], place="村委会东")
        case = result.report.case
        self.assertTrue(result.created)
        self.assertEqual((case.channel, case.reporter, case.region, case.grid), (Channel.QR, None, self.c.village_a1,
                                                                                 self.c.grid_a1_micro))
        self.assertEqual(crypto.decrypt(case.reporter_phone_encrypted), MOBILE)
        self.assertEqual(case.photos.count(), 1)
        self.assertIn("东村（扫码反映） 村委会东", case.address)
        message = last_sms()
        self.assertIn(case.number, message)
        follow = link_in(message)
        self.assertEqual(follow, f"/c/{selectors.qr_report_follow_token(result.report)}/")
        result.report.refresh_from_db()
        self.assertIsNotNone(result.report.link_sent_at)
        page = self.client.get(follow).content.decode()
        self.assertIn("已受理", page)
        self.assertIn("您", page)  # his own step, though he has no account
        self.assertNotIn(MOBILE, page)

    def test_without_a_position_in_the_village_the_case_is_the_villages(self):
        elsewhere = self.report(lon=118.105, lat=37.705)  # 南村's grid: not where the code hangs
        none = self.report()
        for result in (elsewhere, none):
            case = result.report.case
            self.assertEqual((case.lon, case.lat, case.grid), (None, None, None))
            self.assertEqual(case.region, self.c.town_a)  # 东村's township places it
            self.assertIn("东村（扫码反映）", case.address)

    def test_the_reporter_follows_his_case_to_the_end_and_rates_it_once(self):
        result = self.report(lon=118.005, lat=37.705, category=Category.objects.get(code="road_light"))
        token = selectors.qr_report_follow_token(result.report)
        case = result.report.case
        with self.assertRaises(Invalid):  # not closed yet
            services.qr_report_evaluate(report=result.report, evaluation="satisfied")
        self.assertNotContains(self.client.get(f"/c/{token}/"), 'data-testid="evaluate-form"')
        close(self.c, case)
        page = self.client.get(f"/c/{token}/").content.decode()
        self.assertIn('data-testid="evaluate-form"', page)
        self.assertIn("待评价", page)
        photo = case.photos.get()
        self.assertIn(f"/c/{token}/photos/{photo.pk}/thumb/", page)
        self.assertEqual(self.client.get(f"/c/{token}/photos/{photo.pk}/thumb/").status_code, 200)
        done = self.client.post(f"/c/{token}/evaluate/", {"evaluation": "satisfied", "note": "修得快"})
        self.assertEqual(done.status_code, 302)
        case.refresh_from_db()
        self.assertEqual((case.status, case.evaluation, case.evaluation_comment), (Status.EVALUATED, "satisfied",
                                                                                   "修得快"))
        again = self.client.post(f"/c/{token}/evaluate/", {"evaluation": "dissatisfied"}, follow=True)
        self.assertNotContains(again, 'data-testid="evaluate-form"')
        case.refresh_from_db()
        self.assertEqual(case.evaluation, "satisfied")
        self.assertContains(self.client.get(f"/c/{token}/"), "您的评价：满意")

    def test_a_case_with_a_reporters_account_is_not_rated_by_link(self):
        case = cases.case_report(channel=Channel.RESIDENT, title="路灯", lon=118.005, lat=37.705,
                                 reporter=self.c.users["resident"]).case
        with self.assertRaises(Forbidden):
            cases.case_evaluate_by_link(case=case, evaluation="satisfied")

    def test_a_wrong_code_makes_nothing_and_counts_against_the_code(self):
        services.qr_report_code_send(phone=MOBILE, address="10.0.0.1")
        with self.assertRaisesMessage(Invalid, "验证码不正确"):
            self.report(send=False, code="000000" if sms_code() != "000000" else "111111")
        self.assertFalse(Case.objects.exists())
        self.assertEqual(SmsCode.objects.get(used_at__isnull=True).attempts, 1)
        self.report(send=False)  # the right code still works
        self.assertEqual(Case.objects.count(), 1)

    def test_a_refusal_before_the_code_never_costs_the_code(self):
        services.qr_report_code_send(phone=MOBILE, address="10.0.0.1")
        for kwargs, words in (({"description": ""}, "请拍一张照片"),
                              ({"description": "字" * 501}, "不能超过 500 个字"),
                              ({"photos": [jpeg_photo()] * 7}, "最多上传 6 张照片"),
                              ({"submission_id": ""}, "页面已过期")):
            with self.subTest(kwargs=kwargs), self.assertRaisesMessage(SupervisionError, words):
                self.report(send=False, **kwargs)
        self.assertEqual(SmsCode.objects.get(used_at__isnull=True).attempts, 0)
        with self.assertRaisesMessage(Invalid, "11位手机号"):
            services.qr_report_code_send(phone="1391234", address="10.0.0.1")
        self.assertFalse(Case.objects.exists())

    def test_a_double_tap_makes_one_case(self):
        first = self.report(submission_id="double-tap-0001")
        second = self.report(send=False, code="999999", submission_id="double-tap-0001")  # the code is used up
        self.assertEqual((second.report, second.created), (first.report, False))
        self.assertEqual((Case.objects.count(), QrReport.objects.count()), (1, 1))
        self.assertEqual(len([m for m in sms.outbox if "办理进度" in m.text]), 1)

    @override_settings(SUPERVISION_REPORTS_PER_PHONE_HOUR=3, SUPERVISION_REPORTS_PER_ADDRESS_HOUR=5)
    def test_a_flood_from_one_phone_or_address_is_refused_and_the_honest_are_not(self):
        for i in range(3):
            self.report(address=f"10.0.2.{i}")
        services.qr_report_code_send(phone=MOBILE, address="10.0.2.9")
        with self.assertRaisesMessage(RateLimited, "这个手机号一小时内反映问题已达 3 次"):
            self.report(send=False, address="10.0.2.9")
        self.assertEqual(SmsCode.objects.get(used_at__isnull=True).attempts, 0)  # the code is kept
        phones = [f"1391234{n:04d}" for n in range(6)]
        for phone in phones[:5]:
            self.report(phone=phone, address="10.0.2.100")
        services.qr_report_code_send(phone=phones[5], address="10.0.2.100")
        with self.assertRaisesMessage(RateLimited, "当前网络一小时内反映问题已达 5 次"):
            self.report(phone=phones[5], address="10.0.2.100", send=False)
        self.report(phone=phones[5], address="10.0.2.101", send=False)  # from another address: the same code
        self.assertEqual(Case.objects.count(), 3 + 5 + 1)

    def test_the_page_sends_the_code_and_files_the_report(self):
        token = selectors.village_code_token(self.c.village_a1)
        form = self.client.get(f"/v/{token}/report/")
        sid = form.context["submission_id"]
        sent = self.client.post(f"/v/{token}/report/", {"action": "send_code", "phone": MOBILE, "submission_id": sid,
                                                        "description": "路灯不亮"})
        self.assertContains(sent, "验证码已发送")
        self.assertContains(sent, "路灯不亮")  # what he wrote stays in the form
        wrong_category = self.client.post(f"/v/{token}/report/", {
            "phone": MOBILE, "code": sms_code(), "category": "nope", "description": "路灯不亮", "submission_id": sid})
        self.assertContains(wrong_category, "请选择列表中的问题类别", status_code=400)
        with self.captureOnCommitCallbacks(execute=True):
            done = self.client.post(f"/v/{token}/report/", {
                "phone": MOBILE, "code": sms_code(), "category": "road_light", "description": "路灯不亮",
                "lon": "118.005", "lat": "37.705", "submission_id": sid})
        self.assertEqual(done.status_code, 302)
        case = Case.objects.get()
        self.assertEqual((case.category.code, case.grid), ("road_light", self.c.grid_a1_micro))
        self.assertEqual(done["Location"], link_in(last_sms()))
        self.assertContains(self.client.get(done["Location"]), case.number)

    def test_a_follow_link_opens_only_its_own_case_and_photos(self):
        mine = self.report(photos=[jpeg_photo()])
        other = self.report(phone="13912340000", photos=[jpeg_photo()])
        token = selectors.qr_report_follow_token(mine.report)
        theirs = other.report.case.photos.get()
        self.assertEqual(self.client.get(f"/c/{token}/photos/{theirs.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/c/{token[:-3]}xyz/").status_code, 404)
        question_like = selectors.village_code_token(self.c.village_a1)
        self.assertEqual(self.client.get(f"/c/{question_like}/").status_code, 404)
        # The staff's photo address still wants a login.
        self.assertEqual(self.client.get(f"/cases/photos/{theirs.pk}/").status_code, 302)
