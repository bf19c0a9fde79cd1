"""Village affairs disclosures through their services: the template, the working copy and its checks,
screening before publication, withdrawal and re-publication with every version kept, attachments
bounded, overdue periods and what changed since the period before — each refusal writing nothing."""

import datetime as dt
import io

from django.db import DatabaseError, connection, transaction
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from tests.factories import UserFactory, build_small_county
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Forbidden, NotFound, status_of
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.disclosure import selectors, services
from xiangzhi.disclosure.errors import DisclosureConflict, DisclosureError
from xiangzhi.disclosure.models import (
    Attachment,
    Cadre,
    CadreState,
    Disclosure,
    DisclosureVersion,
    DueItem,
    Event,
    Post,
    Screening,
    State,
)
from xiangzhi.disclosure.selectors import Quarter
from xiangzhi.disclosure.tests.helpers import DUE_QUARTER, TODAY, YEAR_AGO, filled, install, pdf, published


def jpeg(size=(80, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


class TemplateTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_the_default_template_holds_36_items_in_six_groups_once(self):
        self.assertEqual(services.template_install_default(county=self.c.county), 36)
        self.assertEqual(services.template_install_default(county=self.c.county), 0)
        items = list(selectors.due_item_list(self.c.county))
        self.assertEqual(len(items), 36)
        groups = selectors.grouped_items(items)
        self.assertEqual([g for g, _ in groups], ["党务", "村务", "财务", "资金", "资产", "资源"])
        monthly = DueItem.objects.get(county=self.c.county, code="monthly_accounts")
        self.assertEqual((monthly.cadence, monthly.attachment_required, monthly.figure_labels),
                         ("month", True, ["本月收入", "本月支出", "月末余额"]))
        with self.assertRaises(DisclosureError):
            services.template_install_default(county=self.c.town_a)

    def test_only_the_county_admin_edits_it_and_bad_values_are_refused(self):
        install(self.c)
        admin = self.c.users["county_admin"]
        item = services.due_item_save(actor=admin, county=self.c.county, group="village", title="村级公益岗位安排",
                                      figure_labels="岗位补贴\n岗位补贴，社保", due_days=15)
        self.assertEqual((item.figure_labels, item.code, item.cadence), (["岗位补贴", "社保"], "item_37", "quarter"))
        with self.assertRaises(Forbidden):
            services.due_item_save(actor=self.c.users["township_staff"], county=self.c.county, group="village",
                                   title="x")
        for bad in ({"group": "other"}, {"cadence": "week"}, {"due_days": 500}, {"due_days": "10"},
                    {"title": ""}, {"figure_labels": [str(i) for i in range(9)]}):
            with self.assertRaises(DisclosureError, msg=bad):
                services.due_item_save(actor=admin, county=self.c.county, **{"group": "village", "title": "x", **bad})
        services.due_item_save(actor=admin, county=self.c.county, item=item, group="village", title="公益岗位",
                               is_active=False)
        item.refresh_from_db()
        self.assertEqual((item.title, item.is_active, item.figure_labels), ("公益岗位", False, []))
        self.assertEqual(DueItem.objects.filter(county=self.c.county).count(), 37)


class WorkingCopyTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.items = install(cls.c)
        cls.cadre = cls.c.users["village_cadre"]

    def test_a_period_must_be_the_items_and_have_begun(self):
        item = self.items["party_dues"]
        with self.assertRaisesMessage(DisclosureError, "公开期间不正确"):
            services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=item,
                                     period_start=DUE_QUARTER.start + dt.timedelta(days=1))
        future = Quarter.of(TODAY).next()
        with self.assertRaisesMessage(DisclosureError, "还没有开始"):
            services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=item, period_start=future.start)
        month = self.items["monthly_accounts"]
        d = services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=month,
                                     period_start=DUE_QUARTER.start)
        self.assertEqual((d.period_end.month, d.due_on), (DUE_QUARTER.start.month,
                                                         d.period_end + dt.timedelta(days=10)))
        self.assertEqual(d.figures, [["本月收入", None], ["本月支出", None], ["月末余额", None]])
        again = services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=month,
                                         period_start=DUE_QUARTER.start)
        self.assertEqual(again.pk, d.pk)
        self.assertEqual(Event.objects.filter(disclosure=d).count(), 1)

    def test_wrong_role_and_wrong_scope_are_refused(self):
        item = self.items["party_dues"]
        for role in ("grid_worker", "points_recorder", "resident", "inspector", "department_staff"):
            with self.assertRaises(Forbidden, msg=role):
                services.disclosure_open(actor=self.c.users[role], village=self.c.village_a1, item=item,
                                         period_start=DUE_QUARTER.start)
        with self.assertRaises(NotFound):
            services.disclosure_open(actor=self.cadre, village=self.c.village_b1, item=item,
                                     period_start=DUE_QUARTER.start)
        with self.assertRaises(NotFound):
            services.disclosure_open(actor=self.c.users["township_staff_b"], village=self.c.village_a1, item=item,
                                     period_start=DUE_QUARTER.start)
        self.assertFalse(Disclosure.objects.exists())

    def test_public_text_may_not_carry_an_id_number_a_mobile_or_a_card_number(self):
        d = services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=self.items["social_assistance"],
                                     period_start=DUE_QUARTER.start)
        for bad, kind in (("新增低保户张三，身份证370181198001011234", "身份证号"),
                          ("联系人电话 138 0013 8000", "手机号"), ("补贴打入卡号6222 0212 3456 7890 123", "银行卡号"),
                          ("身份证号３７０１８１１９８００１０１１２３４", "身份证号")):
            with self.assertRaisesMessage(DisclosureError, kind):
                services.disclosure_save(actor=self.cadre, disclosure=d, content=bad)
        d.refresh_from_db()
        self.assertEqual(d.content, "")
        ok = services.disclosure_save(actor=self.cadre, disclosure=d, content="新增低保2户，咨询电话0543-7321234")
        self.assertIn("0543-7321234", ok.content)

    def test_figures_are_yuan_with_at_most_two_places_kept_as_fen(self):
        d = services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=self.items["debts"],
                                     period_start=DUE_QUARTER.start)
        d = services.disclosure_save(actor=self.cadre, disclosure=d, figures={"债权余额": "12,345.6", "债务余额": -300})
        self.assertEqual(d.figures, [["债权余额", 1234560], ["债务余额", -30000]])
        for bad in ("12.345", "一万", "1e3x", True, [], "200000000000"):
            with self.assertRaises(DisclosureError, msg=bad):
                services.disclosure_save(actor=self.cadre, disclosure=d, figures={"债权余额": bad})
        with self.assertRaisesMessage(DisclosureError, "没有这个金额栏目"):
            services.disclosure_save(actor=self.cadre, disclosure=d, figures={"利润": "1"})
        d = services.disclosure_save(actor=self.cadre, disclosure=d, figures={"债务余额": ""})
        self.assertEqual(d.figures, [["债权余额", 1234560], ["债务余额", None]])

    def test_a_disclosure_missing_its_required_attachment_is_refused(self):
        item = self.items["income"]
        d = filled(self.c, item, attach=False)
        events = Event.objects.count()
        with self.assertRaisesMessage(DisclosureError, "须附上附件") as refused:
            services.disclosure_submit(actor=self.cadre, disclosure=d)
        self.assertEqual(status_of(refused.exception), 422)
        d.refresh_from_db()
        self.assertEqual((d.state, Event.objects.count()), (State.DRAFT, events))
        services.attachment_add(actor=self.cadre, disclosure=d, uploads=[pdf("收入凭证")])
        self.assertEqual(services.disclosure_submit(actor=self.cadre, disclosure=d).state, State.SUBMITTED)

    def test_text_and_every_figure_are_needed_to_submit(self):
        d = services.disclosure_open(actor=self.cadre, village=self.c.village_a1, item=self.items["party_dues"],
                                     period_start=DUE_QUARTER.start)
        with self.assertRaisesMessage(DisclosureError, "请填写公开内容"):
            services.disclosure_submit(actor=self.cadre, disclosure=d)
        services.disclosure_save(actor=self.cadre, disclosure=d, content="党费按时收缴", figures={"应缴党费": "960"})
        with self.assertRaisesMessage(DisclosureError, "请填写金额：实缴党费"):
            services.disclosure_submit(actor=self.cadre, disclosure=d)

    def test_attachments_are_bounded_and_checked_before_they_are_kept(self):
        d = filled(self.c, self.items["party_meetings"], attach=False)
        photo = services.attachment_add(actor=self.cadre, disclosure=d,
                                        uploads=[services.Upload("会议照片.png", jpeg())])[0]
        self.assertEqual((photo.kind, photo.name), (Attachment.Kind.IMAGE, "会议照片.jpg"))
        self.assertTrue(photo.thumbnail.name)
        bad = [
            ([services.Upload("a.exe", b"MZ\x90\x00binary")], "只能是 PDF 文件或图片"),
            ([services.Upload("cut.pdf", b"%PDF-1.4\n1 0 obj")], "PDF 文件不完整"),
            ([services.Upload("big.pdf", b"%PDF-" + b"0" * services.ATTACHMENT_MAX_BYTES + b"%%EOF")], "不能超过"),
            ([services.Upload("empty.pdf", b"")], "空文件"),
            ([pdf(str(i)) for i in range(services.ATTACHMENT_MAX_COUNT)], "附件最多 6 个"),
            ([pdf("好的"), services.Upload("坏的.doc", b"PK\x03\x04")], "只能是 PDF 文件或图片"),
        ]
        for uploads, message in bad:
            with self.assertRaisesMessage(DisclosureError, message):
                services.attachment_add(actor=self.cadre, disclosure=d, uploads=uploads)
        self.assertEqual(list(d.attachments.values_list("pk", flat=True)), [photo.pk])
        services.attachment_remove(actor=self.cadre, disclosure=d, attachment=photo)
        self.assertEqual(selectors.draft_attachments(d), [])


class PublicationTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.items = install(cls.c)
        cls.cadre, cls.town = cls.c.users["village_cadre"], cls.c.users["township_staff"]

    def test_publishing_needs_a_passed_screening_by_someone_else(self):
        d = filled(self.c, self.items["party_dues"])
        with self.assertRaisesMessage(DisclosureConflict, "还没有通过审核"):
            services.disclosure_publish(actor=self.cadre, disclosure=d)
        services.disclosure_submit(actor=self.cadre, disclosure=d)
        with self.assertRaisesMessage(DisclosureConflict, "还没有通过审核"):
            services.disclosure_publish(actor=self.cadre, disclosure=d)
        with self.assertRaisesMessage(DisclosureConflict, "审核结束前不能修改"):
            services.disclosure_save(actor=self.cadre, disclosure=d, content="改一下")
        with self.assertRaises(Forbidden):  # the village does not screen itself
            services.disclosure_screen(actor=self.cadre, disclosure=d, passed=True)
        with self.assertRaises(NotFound):
            services.disclosure_screen(actor=self.c.users["township_staff_b"], disclosure=d, passed=True)
        with self.assertRaisesMessage(DisclosureError, "请填写退回原因"):
            services.disclosure_screen(actor=self.town, disclosure=d, passed=False)
        self.assertFalse(Screening.objects.exists())
        services.disclosure_screen(actor=self.town, disclosure=d, passed=False, reason="党费金额与台账不符")
        d.refresh_from_db()
        self.assertEqual(d.state, State.RETURNED)
        with self.assertRaisesMessage(DisclosureConflict, "还没有通过审核"):
            services.disclosure_publish(actor=self.cadre, disclosure=d)
        services.disclosure_save(actor=self.cadre, disclosure=d, figures={"实缴党费": "920"})
        services.disclosure_submit(actor=self.cadre, disclosure=d)
        screening = services.disclosure_screen(actor=self.town, disclosure=d, passed=True)
        self.assertEqual((screening.decided_by, screening.submitted_by), (self.town, self.cadre))
        version = services.disclosure_publish(actor=self.cadre, disclosure=d)
        d.refresh_from_db()
        self.assertEqual((d.state, version.number, version.screening, version.figures[1]),
                         (State.PUBLISHED, 1, screening, ["实缴党费", 92000]))
        self.assertIsNotNone(d.first_published_at)
        self.assertEqual(list(Event.objects.filter(disclosure=d).values_list("action", flat=True)),
                         ["open", "save", "submit", "return", "save", "submit", "pass", "publish"])

    def test_nobody_passes_his_own_submission(self):
        d = filled(self.c, self.items["party_dues"])
        services.disclosure_submit(actor=self.town, disclosure=d)  # the township filled it in for the village
        with self.assertRaisesMessage(Forbidden, "不能审核自己提交的内容"):
            services.disclosure_screen(actor=self.town, disclosure=d, passed=True)
        services.disclosure_screen(actor=self.c.users["county_admin"], disclosure=d, passed=True)

    def test_a_change_after_the_pass_needs_screening_again(self):
        d = filled(self.c, self.items["party_meetings"])
        services.disclosure_submit(actor=self.cadre, disclosure=d)
        services.disclosure_screen(actor=self.town, disclosure=d, passed=True)
        services.attachment_add(actor=self.cadre, disclosure=d, uploads=[pdf("补充")])
        d.refresh_from_db()
        self.assertEqual(d.state, State.DRAFT)
        with self.assertRaisesMessage(DisclosureConflict, "还没有通过审核"):
            services.disclosure_publish(actor=self.cadre, disclosure=d)
        services.disclosure_submit(actor=self.cadre, disclosure=d)
        services.disclosure_screen(actor=self.town, disclosure=d, passed=True)
        # Text changed behind the screening's back (not through the services) is caught by its fingerprint.
        Disclosure.objects.filter(pk=d.pk).update(content="未经审核的内容")
        with self.assertRaisesMessage(DisclosureConflict, "审核通过后内容有改动"):
            services.disclosure_publish(actor=self.cadre, disclosure=d)
        self.assertFalse(DisclosureVersion.objects.exists())

    def test_withdraw_and_republish_need_reasons_and_every_version_is_kept(self):
        d = published(self.c, self.items["party_dues"], figures={"应缴党费": "960", "实缴党费": "960"})
        first = d.versions.get()
        with self.assertRaisesMessage(DisclosureConflict, "请先撤回"):
            services.disclosure_save(actor=self.cadre, disclosure=d, content="改")
        with self.assertRaisesMessage(DisclosureError, "请填写撤回原因"):
            services.disclosure_withdraw(actor=self.cadre, disclosure=d, reason=" ")
        with self.assertRaises(Forbidden):
            services.disclosure_withdraw(actor=self.c.users["grid_chief"], disclosure=d, reason="错了")
        services.disclosure_withdraw(actor=self.cadre, disclosure=d, reason="实缴党费金额填错")
        with self.assertRaisesMessage(DisclosureConflict, "只有已公开的内容才能撤回"):
            services.disclosure_withdraw(actor=self.cadre, disclosure=d, reason="再撤")
        d.refresh_from_db()
        self.assertEqual((d.state, d.withdrawn_reason), (State.WITHDRAWN, "实缴党费金额填错"))
        services.disclosure_save(actor=self.cadre, disclosure=d, figures={"实缴党费": "940"})
        services.disclosure_submit(actor=self.cadre, disclosure=d)
        services.disclosure_screen(actor=self.town, disclosure=d, passed=True)
        with self.assertRaisesMessage(DisclosureError, "重新公开须写明更正原因"):
            services.disclosure_publish(actor=self.cadre, disclosure=d)
        second = services.disclosure_publish(actor=self.cadre, disclosure=d, reason="实缴党费应为940元")
        first.refresh_from_db()
        self.assertEqual((first.number, first.figures[1], second.number, second.figures[1], second.reason),
                         (1, ["实缴党费", 96000], 2, ["实缴党费", 94000], "实缴党费应为940元"))
        self.assertEqual(list(Event.objects.filter(disclosure=d).values_list("action", flat=True))[-4:],
                         ["save", "submit", "pass", "republish"])
        with self.assertRaises(AppendOnlyError):
            first.save()
        with self.assertRaises(AppendOnlyError):
            DisclosureVersion.objects.filter(pk=first.pk).update(content="改写历史")
        with self.assertRaises(AppendOnlyError):
            Screening.objects.all().delete()
        if connection.vendor == "postgresql":
            with self.assertRaises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE disclosure_disclosureversion SET content = 'x' WHERE id = %s", [first.pk])


class OverdueAndChangesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.items = install(cls.c)

    def test_overdue_lists_every_due_period_never_published(self):
        today = TODAY
        item = self.items["party_dues"]
        published(self.c, item)
        late = selectors.overdue_for_user(self.c.users["township_staff"], today=today)
        by_village = {o.village.code: o for o in late}
        self.assertEqual(set(by_village), {self.c.village_a1.code, self.c.village_a2.code})
        a1 = by_village[self.c.village_a1.code].slots
        self.assertNotIn((item.pk, DUE_QUARTER.start), {(s.item.pk, s.start) for s in a1})
        self.assertTrue(all(s.due_on < today and s.start >= s.item.active_from for s in a1))
        # Every due period of every active item: the same count for a village with nothing published.
        a2 = by_village[self.c.village_a2.code].slots
        self.assertEqual(len(a2), len(a1) + 1)
        self.assertEqual(selectors.overdue_count_for_user(self.c.users["village_cadre"], today=today), len(a1))
        self.assertEqual(selectors.overdue_count_for_user(self.c.users["township_staff"], today=today),
                         len(a1) + len(a2))
        self.assertEqual({o.village.code for o in selectors.overdue_for_user(self.c.users["township_staff_b"])},
                         {self.c.village_b1.code})
        self.assertEqual(selectors.overdue_for_user(self.c.users["grid_worker"]), [])
        # A period begun but not published is still overdue, and says how far it got.
        d = filled(self.c, self.items["village_work"])
        services.disclosure_submit(actor=self.c.users["village_cadre"], disclosure=d)
        slot = next(s for o in selectors.overdue_for_user(self.c.users["village_cadre"], today=today) for s in o.slots
                    if s.item.pk == d.item_id and s.start == d.period_start)
        self.assertEqual(slot.state_label, "待审核")
        # Nothing is due before the template was in force, nor before its due day.
        self.assertEqual(selectors.overdue_list([self.c.village_a1], today=YEAR_AGO), [])

    def test_a_publication_after_its_due_day_is_marked_late(self):
        cadre, town = self.c.users["village_cadre"], self.c.users["township_staff"]
        item = self.items["party_dues"]
        d = filled(self.c, item)
        on_time = timezone.make_aware(dt.datetime.combine(d.due_on, dt.time(10)))
        services.disclosure_submit(actor=cadre, disclosure=d, now=on_time)
        services.disclosure_screen(actor=town, disclosure=d, passed=True, now=on_time)
        services.disclosure_publish(actor=cadre, disclosure=d, now=on_time)
        d.refresh_from_db()
        self.assertFalse(d.is_late)
        self.assertTrue(published(self.c, self.items["village_work"]).is_late)  # today, long after its due day

    def test_what_changed_since_the_quarter_before(self):
        earlier = DUE_QUARTER.previous()
        debts = self.items["debts"]
        published(self.c, debts, earlier, content="欠工程款一笔\n应收承包费两户", figures={"债权余额": "5000",
                                                                                   "债务余额": "20000"})
        now = published(self.c, debts, DUE_QUARTER, content="应收承包费两户\n新增借款一笔",
                        figures={"债权余额": "6500.5", "债务余额": "12000"})
        dues = self.items["party_dues"]
        published(self.c, dues, DUE_QUARTER)  # nothing the quarter before
        published(self.c, self.items["relief"], earlier)  # the quarter before only
        page = selectors.disclosure_list_public(self.c.village_a1, DUE_QUARTER)
        rows = {r.disclosure.item.code: r for _, group in page.groups for r in group}
        change = rows["debts"].change
        self.assertEqual([(f.label, f.direction, str(f.delta)) for f in change.figures],
                         [("债权余额", "up", "1500.50"), ("债务余额", "down", "-8000.00")])
        self.assertEqual((change.added_lines, change.removed_lines, change.text_changed),
                         (["新增借款一笔"], ["欠工程款一笔"], True))
        self.assertTrue(rows["party_dues"].change.first)
        self.assertEqual(page.not_again, [("救灾救济款物发放", earlier.label)])
        self.assertEqual(rows["debts"].disclosure.pk, now.pk)
        self.assertEqual([q.key for q in page.quarters], [DUE_QUARTER.key, earlier.key])
        # The same text and figures again: unchanged.
        same = selectors.change_between(now.versions.get(), now.versions.get())
        self.assertTrue(same.unchanged)


class PostsAndCadresTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin, cls.town, cls.cadre = (cls.c.users[r] for r in ("county_admin", "township_staff", "village_cadre"))

    def test_a_post_is_screened_before_it_shows_and_reaches_the_villages_below(self):
        county_post = services.post_create(actor=self.admin, region=self.c.county, kind="policy",
                                           title="2026年耕地地力保护补贴政策", body="每亩补贴标准为…")
        town_post = services.post_create(actor=self.town, region=self.c.town_a, kind="livelihood",
                                         title="65岁以上老人免费体检", body="12月10日在镇卫生院")
        with self.assertRaisesMessage(DisclosureConflict, "还没有通过审核"):
            services.post_publish(actor=self.admin, post=county_post)
        services.post_submit(actor=self.admin, post=county_post)
        with self.assertRaises(Forbidden):
            services.post_screen(actor=self.admin, post=county_post, passed=True)
        with self.assertRaises(NotFound):  # a county's post is screened by the county
            services.post_screen(actor=self.town, post=county_post, passed=True)
        admin_2 = UserFactory(role=Role.COUNTY_ADMIN, region=self.c.county)
        services.post_screen(actor=admin_2, post=county_post, passed=True)
        services.post_publish(actor=self.admin, post=county_post)
        services.post_submit(actor=self.town, post=town_post)
        services.post_screen(actor=self.admin, post=town_post, passed=True)
        services.post_publish(actor=self.town, post=town_post)
        self.assertEqual([p.title for p in selectors.post_list_public(self.c.village_a1)],
                         [town_post.title, county_post.title] if town_post.dated >= county_post.dated else [])
        self.assertEqual([p.pk for p in selectors.post_list_public(self.c.village_b1)], [county_post.pk])
        with self.assertRaisesMessage(DisclosureError, "请填写撤回原因"):
            services.post_withdraw(actor=self.town, post=town_post, reason="")
        services.post_withdraw(actor=self.town, post=town_post, reason="时间改期")
        self.assertEqual([p.pk for p in selectors.post_list_public(self.c.village_a1)], [county_post.pk])
        with self.assertRaisesMessage(DisclosureConflict, "已撤回的内容不再修改"):
            services.post_save(actor=self.town, post=town_post, title="改期", body="改到12月20日")

    def test_bad_posts_are_refused(self):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        for kw, message in (({"kind": "news"}, "请选择栏目"), ({"body": "咨询请打13912345678"}, "手机号"),
                            ({"title": ""}, "请填写标题"), ({"dated": tomorrow}, "不能晚于今天")):
            with self.assertRaisesMessage(DisclosureError, message):
                services.post_create(actor=self.cadre, region=self.c.village_a1,
                                     **{"kind": "livelihood", "title": "通知", "body": "正文", **kw})
        with self.assertRaises(NotFound):  # a village cadre posts for his own village only
            services.post_create(actor=self.cadre, region=self.c.town_a, kind="policy", title="t", body="b")
        with self.assertRaises(Forbidden):
            services.post_create(actor=self.c.users["grid_worker"], region=self.c.village_a1, kind="policy",
                                 title="t", body="b")
        self.assertFalse(Post.objects.exists())

    def test_cadres_show_an_office_phone_once_screened(self):
        with self.assertRaisesMessage(DisclosureError, "不能填个人手机号"):
            services.cadre_save(actor=self.cadre, village=self.c.village_a1, name="王德", post="村委会主任",
                                office_phone_value="13812345678")
        with self.assertRaisesMessage(DisclosureError, "办公电话格式不正确"):
            services.cadre_save(actor=self.cadre, village=self.c.village_a1, name="王德", post="村委会主任",
                                office_phone_value="电话")
        with self.assertRaisesMessage(DisclosureError, "只能选本村的账号"):
            services.cadre_save(actor=self.cadre, village=self.c.village_a1, post="主任",
                                user=self.c.users["township_staff"])
        head = self.c.households["a1"].residents.get(relation="head")
        secretary = services.cadre_save(actor=self.cadre, village=self.c.village_a1, post="党支部书记、村委会主任",
                                        duties="主持村党支部和村委会全面工作", office_phone_value="0543-7321234",
                                        resident=head)
        accountant = services.cadre_save(actor=self.cadre, village=self.c.village_a1, post="报账员",
                                         user=self.c.users["points_recorder"])
        self.assertEqual((secretary.name, accountant.name), (head.name, self.c.users["points_recorder"].full_name))
        self.assertEqual(selectors.cadre_list_public(self.c.village_a1), [])
        services.cadre_screen(actor=self.town, cadre=secretary, passed=True)
        services.cadre_screen(actor=self.town, cadre=accountant, passed=False, reason="请写明分工")
        self.assertEqual([c.public_name for c in selectors.cadre_list_public(self.c.village_a1)], [head.name])
        # A change waits for screening; the public keeps what was screened.
        services.cadre_save(actor=self.cadre, village=self.c.village_a1, cadre=secretary, name="", resident=head,
                            post="党支部书记", office_phone_value="0543-7321235")
        [shown] = selectors.cadre_list_public(self.c.village_a1)
        self.assertEqual((shown.public_post, shown.public_phone, shown.state),
                         ("党支部书记、村委会主任", "0543-7321234", CadreState.SUBMITTED))
        services.cadre_end(actor=self.cadre, cadre=secretary, reason="换届")
        self.assertEqual(selectors.cadre_list_public(self.c.village_a1), [])
        with self.assertRaisesMessage(DisclosureConflict, "已离任"):
            services.cadre_save(actor=self.cadre, village=self.c.village_a1, cadre=secretary, name="x", post="y")
        self.assertEqual(Cadre.objects.count(), 2)
