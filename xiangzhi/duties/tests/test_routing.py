"""Case routing reads the county's lists in force: the duty list's item for a category, else the territorial
list's, else the catalog's columns; the report (and a dispatch the lists decide) records the version; a new
version of the duty list sends the next case of a category elsewhere, at once; intake pays no query for it."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from tests.factories import RegionFactory, build_small_county
from xiangzhi.cases import routing
from xiangzhi.cases.models import Category, HandlingLevel, Status
from xiangzhi.cases.services import case_accept, case_dispatch, case_report
from xiangzhi.duties import services
from xiangzhi.duties.models import ListKind
from xiangzhi.duties.tests.helpers import duty, make_list, territorial
from xiangzhi.regions.models import Department

IN_A1 = {"lon": 118.015, "lat": 37.715}  # grid a1 (outside its micro-grid), village 东村 of 下洼镇


class RoutingTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]
        cls.water = Department.objects.create(code="371603101-water", name="下洼水务站", kind="water",
                                              region=cls.c.town_a)
        cls.sewage = Category.objects.get(code="env_sewage")  # catalog: the village (水务 if escalated)

    def setUp(self):
        routing.reference_invalidate()

    def report(self, category, **where):
        return case_report(channel="resident", category=category, title="污水外溢", reporter=self.c.users["resident"],
                           **(where or IN_A1)).case

    def test_without_lists_the_catalog_routes_and_the_route_says_so(self):
        route = routing.route(category=self.sewage, fallback_region=None, **IN_A1)
        self.assertEqual((route.level, route.department, route.basis, route.list_version_id),
                         (HandlingLevel.VILLAGE, None, routing.CATALOG, None))
        case = self.report(self.sewage)
        self.assertIsNone(case.transitions.get(action="report").list_version)
        outside = routing.route(category=self.sewage, lon=100.0, lat=20.0, fallback_region=self.c.village_a1)
        self.assertEqual((outside.basis, outside.triage), (routing.TRIAGE, True))

    def test_a_change_to_the_duty_list_sends_the_next_case_of_that_category_elsewhere(self):
        v1 = make_list(self.c.county, self.admin, [
            duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保", level="村")])
        first = self.report(self.sewage)
        self.assertEqual((first.handling_level, first.assignee_department), (HandlingLevel.VILLAGE, None))
        self.assertEqual(first.transitions.get(action="report").list_version, v1)

        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        services.item_save(version=draft, actor=self.admin, item=draft.items.get(code="ZZ-1"),
                           data=duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保"))
        # Nothing moves while the new version is a draft.
        self.assertEqual(self.report(self.sewage).handling_level, HandlingLevel.VILLAGE)
        v2 = services.version_activate(version=draft, actor=self.admin)  # routing reloads at once, no wait

        second = self.report(self.sewage)
        self.assertEqual((second.handling_level, second.assignee_department),
                         (HandlingLevel.DEPARTMENT, self.water))
        report = second.transitions.get(action="report")
        self.assertEqual((report.list_version, report.department), (v2, self.water))
        # The first case keeps where it went and what routed it.
        first.refresh_from_db()
        self.assertEqual((first.handling_level, first.transitions.get(action="report").list_version_id),
                         (HandlingLevel.VILLAGE, v1.pk))

        staff = self.client
        staff.force_login(self.c.users["township_staff"])
        page = staff.get(f"/cases/{second.pk}/").content.decode()
        self.assertIn("按《职责任务清单》第2版派往下洼水务站", page)
        page = staff.get(f"/cases/{first.pk}/").content.decode()
        self.assertIn("按《职责任务清单》第1版派往村（社区）", page)
        history = staff.get(f"/api/v1/cases/{second.pk}").json()["history"]
        self.assertEqual(history[0]["routed_by"], "《职责任务清单》第2版")

    def test_the_territorial_list_routes_a_category_the_duty_list_leaves_out(self):
        fire = Category.objects.get(code="safety_fire")  # catalog: 综合执法, a department the town lacks
        make_list(self.c.county, self.admin, [
            territorial("SD-1", "消防安全", "牵头", "", "safety_fire", field="安全生产"),
            territorial("SD-2", "供电设施", "配合", "供电所", "road_light", field="电力能源")],
            kind=ListKind.TERRITORIAL)
        route = routing.route(category=fire, fallback_region=None, **IN_A1)
        self.assertEqual((route.level, route.basis), (HandlingLevel.TOWNSHIP, ListKind.TERRITORIAL))
        light = routing.route(category=Category.objects.get(code="road_light"), fallback_region=None, **IN_A1)
        self.assertEqual((light.level, light.department), (HandlingLevel.DEPARTMENT, self.c.department))
        # The duty list comes first once it governs the category.
        duty_list = make_list(self.c.county, self.admin,
                              [duty("ZZ-1", "路灯维护", "供电所", "road_light", level="网格")])
        light = routing.route(category=Category.objects.get(code="road_light"), fallback_region=None, **IN_A1)
        self.assertEqual((light.level, light.basis, light.list_version_id),
                         (HandlingLevel.GRID, ListKind.DUTY, duty_list.pk))
        # Another county's lists route nothing here.
        other = RegionFactory(code="371602", name="滨城区", level="county")
        make_list(other, None, [duty("ZZ-1", "污水", "水务", "env_sewage", field="生态环保")])
        self.assertEqual(routing.route(category=self.sewage, fallback_region=None, **IN_A1).basis, routing.CATALOG)

    def test_a_dispatch_to_the_department_the_lists_name_records_the_version(self):
        version = make_list(self.c.county, self.admin, [
            duty("ZZ-1", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保", level="村")])
        case = self.report(self.sewage)
        cadre = self.c.users["village_cadre"]
        case_accept(case=case, actor=cadre)
        case_dispatch(case=case, actor=self.c.users["township_staff"], level=HandlingLevel.DEPARTMENT)
        case.refresh_from_db()
        self.assertEqual((case.status, case.assignee_department), (Status.DISPATCHED, self.water))
        self.assertEqual(case.transitions.get(action="dispatch").list_version, version)

    def test_intake_pays_no_query_for_the_lists(self):
        light = Category.objects.get(code="road_light")

        def queries_of_a_report():
            routing.reference_invalidate()
            self.report(light)  # loads what the process keeps
            with CaptureQueriesContext(connection) as captured:
                self.report(light)
            return len(captured)

        by_catalog = queries_of_a_report()
        make_list(self.c.county, self.admin, [duty("ZZ-1", "路灯维护", "供电所", "road_light", level="网格")])
        self.assertEqual(queries_of_a_report(), by_catalog)
