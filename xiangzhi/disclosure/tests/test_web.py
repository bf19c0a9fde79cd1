"""村务公开 through the pages and the API: the cadre's phone flow, the township's screening and overdue
pages, the county's template editor, the public section without login (corrections, what changed,
nothing personal), attachments public only once published, and bad input answered in Chinese with
nothing written. (Who may open what is in ``tests/access_disclosure.py``.)"""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from tests.factories import build_small_county
from xiangzhi.disclosure import services
from xiangzhi.disclosure.models import Attachment, Disclosure, Post, State
from xiangzhi.disclosure.tests.helpers import DUE_QUARTER, filled, install, pdf, published


def upload(name="记录.pdf", data=None, content_type="application/pdf"):
    return SimpleUploadedFile(name, data if data is not None else pdf().data, content_type=content_type)


class CadrePagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.items = install(cls.c)
        cls.cadre, cls.town = cls.c.users["village_cadre"], cls.c.users["township_staff"]

    def test_the_cadre_fills_an_item_on_his_phone_and_the_township_screens_it(self):
        self.client.force_login(self.cadre)
        self.assertRedirects(self.client.get("/disclosure/"), f"/disclosure/villages/{self.c.village_a1.code}/",
                             fetch_redirect_response=False)
        page = self.client.get(f"/disclosure/villages/{self.c.village_a1.code}/?quarter={DUE_QUARTER.key}")
        self.assertContains(page, "村级财务支出明细")
        self.assertContains(page, "已逾期")
        item = self.items["spending"]
        url = f"/disclosure/villages/{self.c.village_a1.code}/items/{item.pk}/{DUE_QUARTER.start.isoformat()}/"
        form = self.client.get(url)
        self.assertContains(form, "公益事业支出（元）")
        self.assertFalse(Disclosure.objects.exists())  # opening the form writes nothing
        answer = self.client.post(url, {"content": "支付村内道路维修款", "figure_0": "1,200.5", "figure_1": "30000",
                                        "figure_2": "0", "attachments": [upload("凭证.pdf")], "submit": "1"})
        d = Disclosure.objects.get()
        self.assertRedirects(answer, f"/disclosure/entries/{d.pk}/", fetch_redirect_response=False)
        self.assertEqual((d.state, d.figures[0], d.attachments.count()), (State.SUBMITTED, ["管理费用", 120050], 1))
        self.client.force_login(self.town)
        self.assertContains(self.client.get("/disclosure/screening/"), "村级财务支出明细")
        entry = f"/disclosure/entries/{d.pk}/"
        answer = self.client.post(f"{entry}screen/", {"decision": "return", "reason": ""}, follow=True)
        self.assertContains(answer, "请填写退回原因")
        self.client.post(f"{entry}screen/", {"decision": "pass"})
        self.client.force_login(self.cadre)
        self.assertContains(self.client.get(entry), "data-testid=\"publish-form\"")
        self.client.post(f"{entry}publish/")
        d.refresh_from_db()
        self.assertEqual((d.state, d.versions.count()), (State.PUBLISHED, 1))

    def test_bad_input_is_refused_on_the_page_and_nothing_is_written(self):
        self.client.force_login(self.cadre)
        d = filled(self.c, self.items["income"], attach=False)
        entry = f"/disclosure/entries/{d.pk}/"
        page = self.client.post(f"{entry}save/", {"content": "户主手机 13912345678", "submit": "1"}, follow=True)
        self.assertContains(page, "手机号")
        page = self.client.post(f"{entry}save/", {"content": d.content, "figure_0": "12.345"}, follow=True)
        self.assertContains(page, "最多两位小数")
        page = self.client.post(f"{entry}submit/", follow=True)
        self.assertContains(page, "须附上附件")
        too_many = [upload(f"{i}.pdf") for i in range(services.ATTACHMENT_MAX_COUNT + 1)]
        page = self.client.post(f"{entry}save/", {"content": d.content, "attachments": too_many}, follow=True)
        self.assertContains(page, "附件最多 6 个")
        page = self.client.post(f"{entry}save/", {"content": d.content, "attachments": [
            upload("表.xlsx", b"PK\x03\x04xlsx", "application/vnd.ms-excel")]}, follow=True)
        self.assertContains(page, "只能是 PDF 文件或图片")
        d.refresh_from_db()
        self.assertEqual((d.state, d.attachments.count(), d.content),
                         (State.DRAFT, 0, "本季度召开党员大会1次，支委会3次。"))

    def test_the_template_editor_and_the_overdue_list(self):
        admin = self.c.users["county_admin"]
        self.client.force_login(admin)
        page = self.client.get("/disclosure/template/")
        self.assertContains(page, "共 <span class=\"xz-num\">36</span> 项")
        item = self.items["relief"]
        self.client.post(f"/disclosure/template/{item.pk}/", {
            "group": "funds", "title": "救灾救济款物发放情况", "cadence": "quarter", "due_days": "15",
            "figure_labels": "发放金额\n发放户数折款", "is_active": "1"})
        item.refresh_from_db()
        self.assertEqual((item.title, item.due_days, item.figure_labels),
                         ("救灾救济款物发放情况", 15, ["发放金额", "发放户数折款"]))
        answer = self.client.post("/disclosure/template/", {"group": "x", "title": "t"}, follow=True)
        self.assertContains(answer, "请选择类别")
        page = self.client.get("/disclosure/overdue/")
        self.assertContains(page, "下洼镇")  # the county: its townships first
        self.client.force_login(self.town)
        page = self.client.get("/disclosure/overdue/")
        self.assertContains(page, "东村")
        self.assertContains(page, "西村")
        self.assertNotContains(page, "南村")
        home = self.client.get("/")
        self.assertContains(home, "逾期未公开的村务事项")

    def test_the_home_page_counts_what_waits_for_screening(self):
        d = filled(self.c, self.items["party_dues"])
        services.disclosure_submit(actor=self.cadre, disclosure=d)
        self.client.force_login(self.town)
        self.assertContains(self.client.get("/"), "待审核的村务公开")
        self.client.force_login(self.c.users["township_staff_b"])
        self.assertNotContains(self.client.get("/"), "待审核的村务公开")


class PublicPagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.items = install(cls.c)
        cls.cadre, cls.town = cls.c.users["village_cadre"], cls.c.users["township_staff"]
        earlier = DUE_QUARTER.previous()
        debts = cls.items["debts"]
        published(cls.c, debts, earlier, content="欠工程款一笔", figures={"债权余额": "5000", "债务余额": "20000"})
        cls.debts = published(cls.c, debts, content="欠工程款一笔\n新增借款一笔",
                              figures={"债权余额": "5000", "债务余额": "26000"})
        cls.corrected = published(cls.c, cls.items["party_dues"], figures={"应缴党费": "960", "实缴党费": "960"})
        services.disclosure_withdraw(actor=cls.cadre, disclosure=cls.corrected, reason="实缴党费金额填错")
        services.disclosure_save(actor=cls.cadre, disclosure=cls.corrected, figures={"实缴党费": "940"})
        services.disclosure_submit(actor=cls.cadre, disclosure=cls.corrected)
        services.disclosure_screen(actor=cls.town, disclosure=cls.corrected, passed=True)
        services.disclosure_publish(actor=cls.cadre, disclosure=cls.corrected, reason="实缴党费应为940元")
        cls.withdrawn = published(cls.c, cls.items["village_work"], content="修路一条")
        services.disclosure_withdraw(actor=cls.cadre, disclosure=cls.withdrawn, reason="进度写错")
        post = services.post_create(actor=cls.town, region=cls.c.town_a, kind="policy", title="耕地地力保护补贴",
                                    body="每亩 120 元，咨询电话 0543-7321234")
        services.post_submit(actor=cls.town, post=post)
        services.post_screen(actor=cls.c.users["county_admin"], post=post, passed=True)
        services.post_publish(actor=cls.town, post=post)
        cls.post = post
        head = cls.c.households["a1"].residents.get(relation="head")
        secretary = services.cadre_save(actor=cls.cadre, village=cls.c.village_a1, post="党支部书记", resident=head,
                                        duties="主持全面工作", office_phone_value="0543-7321234")
        services.cadre_screen(actor=cls.town, cadre=secretary, passed=True)
        cls.head = head

    def test_the_public_section_needs_no_login_and_shows_changes_and_corrections(self):
        with self.assertNumQueries(17):  # as many whatever the number of items, posts and cadres
            page = self.client.get(f"/disclosure/public/{self.c.village_a1.code}/?quarter={DUE_QUARTER.key}")
        self.assertEqual(page.status_code, 200)
        body = page.content.decode()
        self.assertIn("比上期增加 <span class=\"xz-num\">6,000.00</span> 元", body)
        self.assertIn("＋ 新增借款一笔", body)
        self.assertIn("已更正，<a href=\"/disclosure/public/", body)
        self.assertIn("原公开内容可查", body)
        self.assertIn("已撤回：进度写错", body)
        self.assertNotIn("修路一条", body)  # a withdrawn text is read on its versions page only
        self.assertIn("耕地地力保护补贴", body)
        self.assertIn(f"{self.head.name}</span> <span class=\"text-muted\">党支部书记", body)
        self.assertIn("tel:0543-7321234", body)
        self.assertIn("逾期未公开", body)
        for personal in ("13800138000", self.head.id_number_masked, self.c.households["a1"].number):
            self.assertNotIn(personal, body)

    def test_every_version_stays_readable(self):
        page = self.client.get(f"/disclosure/public/{self.c.village_a1.code}/entries/{self.corrected.pk}/")
        body = page.content.decode()
        self.assertEqual(body.count('data-testid="version"'), 2)
        paid = '实缴党费：<span class="xz-num">{}</span>'
        self.assertLess(body.index(paid.format("940.00")), body.index(paid.format("960.00")))  # the current first
        self.assertIn("更正原因：实缴党费应为940元", body)
        withdrawn = self.client.get(f"/disclosure/public/{self.c.village_a1.code}/entries/{self.withdrawn.pk}/")
        self.assertContains(withdrawn, "修路一条")
        self.assertContains(withdrawn, "已撤回：进度写错")
        other = self.client.get(f"/disclosure/public/{self.c.village_a2.code}/entries/{self.corrected.pk}/")
        self.assertEqual(other.status_code, 404)
        self.assertEqual(self.client.get("/disclosure/public/999999999999/").status_code, 404)
        never = filled(self.c, self.items["insurance"], start=DUE_QUARTER.start.replace(month=1))
        self.assertEqual(self.client.get(f"/disclosure/public/{self.c.village_a1.code}/entries/{never.pk}/")
                         .status_code, 404)

    def test_attachments_are_public_only_once_published(self):
        # Files are written here: each test has its own media folder.
        meeting = published(self.c, self.items["party_meetings"])  # with its PDF
        self.image = services.attachment_add(actor=self.cadre, disclosure=filled(self.c, self.items["homestead"]),
                                             uploads=[services.Upload("现场.jpg", _jpeg())])[0]
        pdf_row = meeting.versions.get().attachments.get()
        answer = self.client.get(f"/disclosure/attachments/{pdf_row.pk}/")
        self.assertEqual((answer.status_code, answer["Content-Type"]), (200, "application/pdf"))
        self.assertIn("attachment", answer["Content-Disposition"])
        self.assertEqual(self.client.get(f"/disclosure/attachments/{self.image.pk}/thumb/").status_code, 404)
        self.client.force_login(self.cadre)
        self.assertEqual(self.client.get(f"/disclosure/attachments/{self.image.pk}/thumb/").status_code, 200)
        self.client.force_login(self.c.users["township_staff_b"])
        self.assertEqual(self.client.get(f"/disclosure/attachments/{self.image.pk}/").status_code, 404)
        self.assertEqual(Attachment.objects.get(pk=self.image.pk).kind, "image")

    def test_a_post_page_and_the_public_api(self):
        page = self.client.get(f"/disclosure/public/{self.c.village_a2.code}/posts/{self.post.pk}/")
        self.assertContains(page, "每亩 120 元")
        self.assertEqual(self.client.get(f"/disclosure/public/{self.c.village_b1.code}/posts/{self.post.pk}/")
                         .status_code, 404)
        with self.assertNumQueries(17):
            data = self.client.get(f"/api/v1/disclosure/public/{self.c.village_a1.code}",
                                   {"quarter": DUE_QUARTER.key}).json()
        items = {i["title"]: i for i in data["items"]}
        debts = items["村级债权债务情况"]
        self.assertEqual([f["yuan"] for f in debts["figures"]], ["5000.00", "26000.00"])
        self.assertEqual(debts["change"]["figures"][1], {"label": "债务余额", "direction": "up", "delta": "6000.00"})
        corrected = items["党费收缴情况"]
        self.assertEqual((corrected["versions"], corrected["correction_reason"]), (2, "实缴党费应为940元"))
        withdrawn = items["村级重点工作和年度目标完成情况"]
        self.assertEqual((withdrawn["withdrawn"], withdrawn["content"]), (True, ""))
        self.assertEqual(data["cadres"], [{"name": self.head.name, "post": "党支部书记", "duties": "主持全面工作",
                                           "office_phone": "0543-7321234"}])
        self.assertEqual([p["title"] for p in data["policies"]], ["耕地地力保护补贴"])


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 200, 30)).save(buf, "JPEG")
    return buf.getvalue()


class ApiTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.items = install(cls.c)
        cls.cadre, cls.town = cls.c.users["village_cadre"], cls.c.users["township_staff"]

    def test_the_publication_flow_and_its_structured_refusals(self):
        self.client.force_login(self.cadre)
        item = self.items["income"]
        body = {"village": self.c.village_a1.code, "item": item.pk, "period_start": DUE_QUARTER.start.isoformat()}
        created = self.client.post("/api/v1/disclosure/entries", body, content_type="application/json")
        self.assertEqual(created.status_code, 201)
        again = self.client.post("/api/v1/disclosure/entries", body, content_type="application/json")
        self.assertEqual((again.status_code, again.json()["id"]), (200, created.json()["id"]))
        url = f"/api/v1/disclosure/entries/{created.json()['id']}"
        bad = self.client.put(url, {"figures": {"经营收入": "abc"}}, content_type="application/json")
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["error"]["fields"], [{"field": "figure_0", "message": "金额不正确"}])
        saved = self.client.put(url, {"content": "发包收入两笔", "figures": {"经营收入": 0, "发包及上交收入": "8000",
                                                                        "补助收入": 0.5, "其他收入": "0"}},
                                content_type="application/json").json()
        self.assertEqual([f["yuan"] for f in saved["figures"]], ["0.00", "8000.00", "0.50", "0.00"])
        missing = self.client.post(f"{url}/submit")
        self.assertEqual((missing.status_code, missing.json()["error"]["code"]), (422, "invalid"))
        self.assertIn("须附上附件", missing.json()["error"]["message"])
        files = self.client.post(f"{url}/attachments", {"files": [upload()]})
        self.assertEqual((files.status_code, files.json()[0]["kind"]), (201, "pdf"))
        self.assertEqual(self.client.post(f"{url}/submit").json()["state"], "submitted")
        early = self.client.post(f"{url}/publish", {}, content_type="application/json")
        self.assertEqual((early.status_code, early.json()["error"]["code"]), (409, "conflict"))
        self.assertEqual(early.json()["error"]["message"], "还没有通过审核，不能公开")
        own = self.client.post(f"{url}/screen", {"passed": True}, content_type="application/json")
        self.assertEqual(own.status_code, 403)
        self.client.force_login(self.town)
        self.assertEqual(len(self.client.get("/api/v1/disclosure/screening").json()["disclosures"]), 1)
        screened = self.client.post(f"{url}/screen", {"passed": True}, content_type="application/json")
        self.assertEqual((screened.status_code, screened.json()["decision"]), (201, "pass"))
        self.client.force_login(self.cadre)
        out = self.client.post(f"{url}/publish", {}, content_type="application/json").json()
        self.assertEqual((out["state"], out["versions"]), ("published", 1))
        refused = self.client.post(f"{url}/withdraw", {"reason": ""}, content_type="application/json")
        self.assertEqual(refused.status_code, 422)
        listed = self.client.get(f"/api/v1/disclosure/entries?quarter={DUE_QUARTER.key}&state=published").json()
        self.assertEqual([e["item_code"] for e in listed], ["income"])
        overdue = self.client.get("/api/v1/disclosure/overdue").json()
        self.assertNotIn((item.pk, DUE_QUARTER.start.isoformat()), {(o["item"], o["period_start"]) for o in overdue})
        self.assertTrue(overdue and all(o["village"] == self.c.village_a1.code for o in overdue))

    def test_posts_over_the_api(self):
        self.client.force_login(self.town)
        made = self.client.post("/api/v1/disclosure/posts", {"region": self.c.town_a.code, "kind": "livelihood",
                                                             "title": "冬季供暖", "body": "12月1日起供暖"},
                                content_type="application/json")
        self.assertEqual(made.status_code, 201)
        pk = made.json()["id"]
        self.client.post(f"/api/v1/disclosure/posts/{pk}/submit")
        self.assertEqual(self.client.post(f"/api/v1/disclosure/posts/{pk}/publish").status_code, 409)
        self.client.force_login(self.c.users["county_admin"])
        self.client.post(f"/api/v1/disclosure/posts/{pk}/screen", {"passed": True}, content_type="application/json")
        self.assertEqual(self.client.post(f"/api/v1/disclosure/posts/{pk}/publish").json()["state"], "published")
        self.assertEqual(timezone.localdate(Post.objects.get(pk=pk).published_at), timezone.localdate())
        self.client.force_login(self.c.users["township_staff_b"])
        self.assertEqual(self.client.post(f"/api/v1/disclosure/posts/{pk}/withdraw", {"reason": "x"},
                                          content_type="application/json").status_code, 404)
