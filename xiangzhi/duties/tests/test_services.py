"""The lists' versions and items through their services: drafts copied from the version in force, items
checked (departments, fields, categories, steps, codes), one version in force per county and list, versions
in force or retired never changed, what changed between two versions, and the reads the pages share."""

from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone

from tests.factories import RegionFactory, build_small_county
from xiangzhi.cases.models import HandlingLevel
from xiangzhi.core.errors import NotFound
from xiangzhi.duties import selectors, services
from xiangzhi.duties.errors import DutyError, VersionConflict
from xiangzhi.duties.models import Level, ListKind, ListVersion, VersionState
from xiangzhi.duties.services import ItemInput
from xiangzhi.duties.tests.helpers import duty, make_list, power, territorial
from xiangzhi.duties.words import DEFAULT_FIELDS


class VersionTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]

    def test_a_first_draft_starts_with_the_default_fields_and_is_the_one_draft(self):
        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin, note="首次编制")
        self.assertEqual((draft.number, draft.state, draft.fields),
                         (1, VersionState.DRAFT, DEFAULT_FIELDS[ListKind.DUTY]))
        self.assertEqual(len(DEFAULT_FIELDS[ListKind.DUTY]), 7)
        self.assertEqual(len(DEFAULT_FIELDS[ListKind.TERRITORIAL]), 14)
        again = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        self.assertEqual(again.pk, draft.pk)
        with self.assertRaises(DutyError):
            services.version_draft(county=self.c.town_a, kind=ListKind.DUTY, actor=self.admin)
        with self.assertRaises(DutyError):
            services.version_draft(county=self.c.county, kind="budget_list", actor=self.admin)

    def test_activation_retires_the_version_in_force_and_a_new_draft_copies_it(self):
        first = make_list(self.c.county, self.admin, [duty("ZZ-1", "消防安全隐患排查整治", "综合执法", "safety_fire")])
        self.assertEqual((first.state, first.activated_by), (VersionState.ACTIVE, self.admin))
        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        self.assertEqual(draft.number, 2)
        copied = draft.items.get()
        self.assertEqual((copied.code, copied.organisation, copied.category_codes),
                         ("ZZ-1", "enforcement", ["safety_fire"]))
        services.version_activate(version=draft, actor=self.admin)
        first.refresh_from_db()
        self.assertEqual(first.state, VersionState.RETIRED)
        self.assertIsNotNone(first.retired_at)
        self.assertEqual(ListVersion.objects.filter(county=self.c.county, kind=ListKind.DUTY,
                                                    state=VersionState.ACTIVE).get().pk, draft.pk)

    def test_a_version_in_force_or_retired_is_never_edited(self):
        first = make_list(self.c.county, self.admin, [duty("ZZ-1", "消防安全隐患排查整治", "综合执法", "safety_fire")])
        item = first.items.get()
        for attempt in (
            lambda v: services.item_save(version=v, actor=self.admin, data=duty("ZZ-2", "交通劝导", "派出所")),
            lambda v: services.item_save(version=v, actor=self.admin, item=item,
                                         data=duty("ZZ-1", "改名", "综合执法", "safety_fire")),
            lambda v: services.item_remove(item=item, actor=self.admin),
            lambda v: services.version_fields_set(version=v, actor=self.admin, fields=["平安建设"]),
            lambda v: services.version_activate(version=v, actor=self.admin),
            lambda v: services.version_discard(version=v, actor=self.admin),
        ):
            with self.assertRaises(VersionConflict):
                attempt(first)
        make_list(self.c.county, self.admin, [duty("ZZ-9", "信访", "信访", "petition_complaint")])
        first.refresh_from_db()
        self.assertEqual(first.state, VersionState.RETIRED)
        with self.assertRaises(VersionConflict):
            services.item_remove(item=item, actor=self.admin)
        self.assertEqual(first.items.get().title, "消防安全隐患排查整治")

    def test_the_database_holds_one_version_in_force_per_county_and_list(self):
        make_list(self.c.county, self.admin, [duty("ZZ-1", "消防安全隐患排查整治", "综合执法", "safety_fire")])
        with self.assertRaises(IntegrityError), transaction.atomic():
            ListVersion.objects.create(county=self.c.county, kind=ListKind.DUTY, number=5, state=VersionState.ACTIVE,
                                       created_at=timezone.now())
        # Another list, or another county, has its own.
        make_list(self.c.county, self.admin, [territorial("SD-1", "违法建设", "配合", "综合执法")],
                  kind=ListKind.TERRITORIAL)
        other = RegionFactory(code="371602", name="滨城区", level="county")
        make_list(other, None, [duty("ZZ-1", "消防", "综合执法")])
        self.assertEqual(ListVersion.objects.filter(state=VersionState.ACTIVE).count(), 3)

    def test_an_empty_draft_is_not_activated_and_a_draft_can_be_thrown_away(self):
        draft = services.version_draft(county=self.c.county, kind=ListKind.POWER, actor=self.admin)
        with self.assertRaisesMessage(DutyError, "还没有事项"):
            services.version_activate(version=draft, actor=self.admin)
        services.item_save(version=draft, actor=self.admin, data=power("ZM-1", "村级重大事项决策"))
        services.version_discard(version=draft, actor=self.admin)
        self.assertFalse(ListVersion.objects.filter(pk=draft.pk).exists())

    def test_fields_are_edited_on_a_draft_and_a_field_in_use_stays(self):
        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        services.item_save(version=draft, actor=self.admin, data=duty("ZZ-1", "消防", "综合执法"))
        services.version_fields_set(version=draft, actor=self.admin, fields="平安建设\n基层党建\n新领域")
        self.assertEqual(ListVersion.objects.get(pk=draft.pk).fields, ["平安建设", "基层党建", "新领域"])
        with self.assertRaisesMessage(DutyError, "平安建设"):
            services.version_fields_set(version=draft, actor=self.admin, fields=["基层党建"])
        with self.assertRaisesMessage(DutyError, "领域重复"):
            services.version_fields_set(version=draft, actor=self.admin, fields=["平安建设", "平安建设"])
        with self.assertRaisesMessage(DutyError, "至少要有一个领域"):
            services.version_fields_set(version=draft, actor=self.admin, fields="  \n ")


class ItemCheckTest(TestCase):
    """Every bad input of an item is refused with its field named, and nothing is written."""

    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]

    def setUp(self):
        self.duties = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        self.territorial = services.version_draft(county=self.c.county, kind=ListKind.TERRITORIAL, actor=self.admin)
        self.powers = services.version_draft(county=self.c.county, kind=ListKind.POWER, actor=self.admin)

    def refused(self, version, data, field, message):
        before = list(version.items.values_list("code", "title"))
        with self.assertRaises(DutyError) as caught:
            services.item_save(version=version, actor=self.admin, data=data)
        self.assertIn(field, [f["field"] for f in caught.exception.fields])
        self.assertIn(message, caught.exception.message)
        self.assertEqual(list(version.items.values_list("code", "title")), before)

    def test_departments_and_levels_are_named_or_coded(self):
        item = services.item_save(version=self.duties, actor=self.admin,
                                  data=duty("ZZ-1", "交通劝导", "派出所", "交通安全隐患", level="村"))
        self.assertEqual((item.organisation, item.handling_level, item.category_codes),
                         ("police", "village", ["safety_traffic"]))
        item = services.item_save(version=self.duties, actor=self.admin,
                                  data=duty("ZZ-2", "纠纷", "grid", "dispute_neighbour"))
        self.assertEqual((item.organisation, item.handling_level), ("grid", ""))

    def test_an_unknown_department_is_refused(self):
        self.refused(self.duties, duty("ZZ-1", "消防", "消防大队", "safety_fire"), "organisation",
                     "未知的承担机构“消防大队”")
        self.refused(self.territorial, territorial("SD-1", "违建", "配合", "住建局"), "department_kind",
                     "未知的部门“住建局”")

    def test_an_unknown_field_category_level_or_side_is_refused(self):
        self.refused(self.duties, duty("ZZ-1", "消防", "综合执法", field="消防救援"), "field", "未知的领域“消防救援”")
        self.refused(self.duties, duty("ZZ-1", "消防", "综合执法", "fire_x、safety_fire"), "category_codes",
                     "未知的事件类别：fire_x")
        self.refused(self.duties, duty("ZZ-1", "消防", "综合执法", level="大队"), "handling_level", "未知的处置层级")
        self.refused(self.duties, duty("ZZ-1", "纠纷", "村", level="职能部门"), "handling_level",
                     "承担机构应为职能部门")
        self.refused(self.powers, power("ZM-1", "决策", side="中性"), "side", "正面清单还是负面清单")
        self.refused(self.territorial, territorial("SD-1", "违建", "主管"), "township_role", "牵头还是配合")
        self.refused(self.territorial, territorial("SD-1", "违建", "配合"), "department_kind", "要写明主管部门")

    def test_a_small_power_needs_its_process_steps(self):
        self.refused(self.powers, power("ZM-1", "村级重大事项决策", steps=()), "steps", "请填写办理流程")
        self.refused(self.powers, power("ZM-1", "村级重大事项决策", steps=("只有一步",)), "steps", "至少两步")
        item = services.item_save(version=self.powers, actor=self.admin,
                                  data=ItemInput(code="ZM-1", field="重大事项决策", title="决策", side="负面清单",
                                                 steps="提议 → 商议\n决议"))
        self.assertEqual((item.side, item.steps), ("forbidden", ["提议", "商议", "决议"]))

    def test_every_problem_of_an_item_at_once(self):
        with self.assertRaises(DutyError) as caught:
            services.item_save(version=self.duties, actor=self.admin,
                               data=ItemInput(code="", field="无", title="", organisation="消防大队"))
        self.assertEqual([f["field"] for f in caught.exception.fields], ["code", "field", "title", "organisation"])

    def test_a_code_and_a_category_are_taken_once_in_a_version(self):
        services.item_save(version=self.duties, actor=self.admin, data=duty("ZZ-1", "消防", "综合执法", "safety_fire"))
        self.refused(self.duties, duty("ZZ-1", "交通", "派出所"), "code", "编号“ZZ-1”已被")
        self.refused(self.duties, duty("ZZ-2", "执法", "综合执法", "消防安全隐患"), "category_codes",
                     "safety_fire（已由 ZZ-1 负责）")
        # Its own item may keep it when changed.
        item = self.duties.items.get(code="ZZ-1")
        services.item_save(version=self.duties, actor=self.admin, item=item,
                           data=duty("ZZ-1", "消防安全", "综合执法", "safety_fire"))
        self.assertEqual(self.duties.items.get(code="ZZ-1").title, "消防安全")


class ReadTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]
        cls.v1 = make_list(cls.c.county, cls.admin, [
            duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保", level="村"),
            duty("ZZ-2", "消防安全隐患排查整治", "综合执法", "safety_fire"),
            duty("ZZ-3", "发展党员", "乡镇", field="基层党建", post="组织委员"),
        ])
        draft = services.version_draft(county=cls.c.county, kind=ListKind.DUTY, actor=cls.admin, note="调整")
        sewage = draft.items.get(code="ZZ-1")
        services.item_save(version=draft, actor=cls.admin, item=sewage,
                           data=duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保"))
        services.item_remove(item=draft.items.get(code="ZZ-3"), actor=cls.admin)
        services.item_save(version=draft, actor=cls.admin, data=duty("ZZ-4", "信访投诉", "信访", "petition_complaint"))
        cls.v2 = services.version_activate(version=draft, actor=cls.admin)
        make_list(cls.c.county, cls.admin, [territorial("SD-1", "秸秆禁烧", "牵头", "生态环境", "env_straw_burning",
                                                        field="生态环境"),
                                            territorial("SD-2", "违法建设", "配合", "综合执法", "illegal_construction"),
                                            territorial("SD-3", "地质灾害防治", "配合", "其他", field="自然资源")],
                  kind=ListKind.TERRITORIAL)
        make_list(cls.c.county, cls.admin, [power("ZM-1", "村级重大事项决策"),
                                            power("FM-1", "严禁违规举债", side="负面清单")], kind=ListKind.POWER)

    def test_the_handling_levels_are_the_cases_levels(self):
        self.assertEqual(Level.choices, HandlingLevel.choices)

    def test_what_changed_between_two_versions(self):
        diff = selectors.version_diff(self.v1, self.v2)
        self.assertEqual([i.code for i in diff.added], ["ZZ-4"])
        self.assertEqual([i.code for i in diff.removed], ["ZZ-3"])
        (change,) = diff.changed
        self.assertEqual((change.code, change.what), ("ZZ-1", [("处置层级", "村（社区）", "（随承担机构）"),
                                                               ("事件派往", "村（社区）", "职能部门（水务）")]))
        self.assertFalse(diff.same)
        self.assertTrue(selectors.version_diff(self.v2, self.v2).same)

    def test_the_routing_rules_read_the_duty_list_first(self):
        rules = selectors.routing_rules()
        county = self.c.county.pk
        self.assertEqual(rules[(county, "env_sewage")].level, Level.DEPARTMENT)
        self.assertEqual(rules[(county, "env_sewage")].department_kind, "water")
        self.assertEqual(rules[(county, "env_sewage")].version_id, self.v2.pk)
        straw = rules[(county, "env_straw_burning")]
        self.assertEqual((straw.list_kind, straw.level, straw.department_kind),
                         (ListKind.TERRITORIAL, Level.TOWNSHIP, "environment"))
        self.assertEqual(rules[(county, "illegal_construction")].level, Level.DEPARTMENT)
        self.assertNotIn((county, "road_light"), rules)

    def test_one_townships_territorial_duties(self):
        duties = selectors.township_duties_for_user(self.c.users["township_staff"], self.c.town_a.code)
        self.assertEqual((duties.lead_count, duties.cooperate_count), (1, 2))
        self.assertEqual([g.name for g in duties.cooperate], ["自然资源", "城乡建设"])
        self.assertEqual({i.code for g in duties.cooperate for i in g.items}, {"SD-2", "SD-3"})

    def test_the_village_public_page_reads_the_lists_in_force_in_three_queries(self):
        with self.assertNumQueries(3):
            lists = selectors.public_lists(self.c.village_a1)
        self.assertEqual([(pl.kind, pl.version.number) for pl in lists],
                         [(ListKind.POWER, 1), (ListKind.DUTY, 2), (ListKind.TERRITORIAL, 1)])
        powers = lists[0]
        self.assertEqual((powers.counts.allowed, powers.counts.forbidden), (1, 1))
        self.assertEqual(powers.groups[0].items[0].steps, ["村党组织提议", "村民代表会议决议", "结果公开"])
        other = RegionFactory(code="371602", name="滨城区", level="county")
        village = RegionFactory(code="371602001001", name="北村", level="village", parent=other)
        self.assertEqual(selectors.public_lists(village), [])

    def test_a_reader_never_sees_a_draft_and_nobody_another_countys_lists(self):
        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        cadre = self.c.users["village_cadre"]
        self.assertNotIn(draft.pk, selectors.version_list_for_user(cadre).values_list("pk", flat=True))
        self.assertIn(draft.pk, selectors.version_list_for_user(self.admin).values_list("pk", flat=True))
        self.assertEqual(selectors.county_for_user(cadre), self.c.county)
        self.assertIsNone(selectors.county_for_user(self.c.users["grid_worker"]))
        other = RegionFactory(code="371602", name="滨城区", level="county")
        theirs = make_list(other, None, [duty("ZZ-1", "消防", "综合执法")])
        with self.assertRaises(NotFound):
            selectors.version_get_for_user(self.admin, theirs.pk)
