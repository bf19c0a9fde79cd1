"""The lists in and out as .xlsx: a clean file becomes the draft (or the version in force when asked); a file
with any bad row — an unknown department, category, field, a small power without its steps, a code twice, a
category governed twice — imports nothing and answers a per-row, per-column report; exports are text."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from openpyxl import load_workbook

from tests.factories import build_small_county
from tests.spreadsheets import workbook_upload
from xiangzhi.duties import services, xlsx
from xiangzhi.duties.models import ListItem, ListKind, ListVersion, VersionState
from xiangzhi.duties.tests.helpers import duty, make_list

DUTY_HEADER = ["编号", "领域", "事项", "承担机构", "责任岗位", "处置层级", "事件类别"]
POWER_HEADER = ["编号", "领域", "事项", "正面/负面", "责任主体", "依据", "办理流程"]
TERRITORIAL_HEADER = ["编号", "领域", "事项", "乡镇责任", "主管部门", "主管单位", "事件类别"]
GOOD_DUTIES = [
    ["ZZ-001", "平安建设", "消防安全隐患排查整治", "综合执法", "综合执法中队长", "", "safety_fire"],
    ["ZZ-002", "生态环保", "农村生活污水收集处理", "水务", "村两委委员", "村", "污水外溢"],
    ["ZZ-003", "基层党建", "发展党员", "乡镇", "组织委员", "", ""],
]


class ImportTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.admin = cls.c.users["county_admin"]

    def run_import(self, kind, header, rows, **kw):
        return xlsx.list_import(county=self.c.county, kind=kind, actor=self.admin,
                                file=workbook_upload("list.xlsx", header, rows), **kw)

    def assert_nothing_written(self):
        self.assertFalse(ListVersion.objects.exists())
        self.assertFalse(ListItem.objects.exists())

    def test_a_clean_file_becomes_the_draft_and_with_activate_the_version_in_force(self):
        result = self.run_import(ListKind.DUTY, DUTY_HEADER, GOOD_DUTIES, note="2026年修订")
        self.assertEqual(result.errors, [])
        draft = result.version
        self.assertEqual((draft.state, draft.number, draft.note, result.items),
                         (VersionState.DRAFT, 1, "2026年修订", 3))
        sewage = draft.items.get(code="ZZ-002")
        self.assertEqual((sewage.organisation, sewage.handling_level, sewage.category_codes),
                         ("water", "village", ["env_sewage"]))
        # Importing again replaces the open draft's items; with activate it is put in force.
        again = self.run_import(ListKind.DUTY, DUTY_HEADER, GOOD_DUTIES[:2], activate=True)
        self.assertEqual((again.version.pk, again.replaced, again.version.state), (draft.pk, True, VersionState.ACTIVE))
        self.assertEqual(again.version.items.count(), 2)

    def test_an_unknown_department_imports_nothing_and_says_where(self):
        rows = [*GOOD_DUTIES, ["ZZ-004", "平安建设", "消防检查", "消防大队", "大队长", "", ""],
                ["ZZ-005", "平安建设", "交通劝导", "派出所", "", "", "safety_traffic"]]
        result = self.run_import(ListKind.DUTY, DUTY_HEADER, rows)
        self.assertIsNone(result.version)
        (error,) = result.errors
        self.assertEqual((error.row, error.column), (5, "承担机构"))
        self.assertIn("未知的承担机构“消防大队”", error.message)
        self.assert_nothing_written()
        rows = [["SD-001", "城乡建设", "违法建设", "配合", "住建局", "区住建局", "illegal_construction"]]
        (error,) = self.run_import(ListKind.TERRITORIAL, TERRITORIAL_HEADER, rows).errors
        self.assertEqual((error.row, error.column), (2, "主管部门"))
        self.assert_nothing_written()

    def test_every_bad_row_is_reported_in_file_order(self):
        rows = [
            ["ZZ-001", "平安建设", "消防", "综合执法", "", "", "safety_fire、fire_x"],  # unknown category
            ["ZZ-002", "消防救援", "救援", "综合执法", "", "", ""],  # unknown field
            ["ZZ-001", "平安建设", "重复", "综合执法", "", "", ""],  # code twice
            ["ZZ-004", "平安建设", "执法", "综合执法", "", "", "消防安全隐患"],  # safety_fire twice (row 2 is refused,
            ["ZZ-005", "平安建设", "执法", "综合执法", "", "", "safety_traffic"],  # so row 5 may have it)
            ["ZZ-006", "平安建设", "劝导", "派出所", "", "", "safety_traffic"],  # taken by row 6
            ["ZZ-007", "平安建设", "", "村", "", "职能部门", ""],  # no title; a village at the department level
        ]
        result = self.run_import(ListKind.DUTY, DUTY_HEADER, rows)
        found = [(e.row, e.column) for e in result.errors]
        self.assertEqual(found, [(2, "事件类别"), (3, "领域"), (4, "编号"), (7, "事件类别"), (8, "事项"),
                                 (8, "处置层级")])
        self.assertIn("fire_x", result.errors[0].message)
        self.assertIn("与第 2 行重复", result.errors[2].message)
        self.assertIn("已由第 6 行 ZZ-005 负责", result.errors[3].message)
        self.assert_nothing_written()

    def test_a_small_power_without_its_steps_imports_nothing(self):
        rows = [["ZM-01", "重大事项决策", "村级重大事项决策", "正面清单", "村两委", "", "提议 → 商议 → 决议"],
                ["FM-01", "集体资金管理", "严禁私设小金库", "负面清单", "村干部", "", ""],
                ["FM-02", "集体资金管理", "严禁白条入账", "负面", "村干部", "", "发现\n核实\n处理"]]
        result = self.run_import(ListKind.POWER, POWER_HEADER, rows)
        self.assertEqual([(e.row, e.column) for e in result.errors], [(3, "办理流程")])
        self.assert_nothing_written()
        result = self.run_import(ListKind.POWER, POWER_HEADER, [rows[0], rows[2]])
        self.assertEqual([i.steps for i in result.version.items.all()],
                         [["提议", "商议", "决议"], ["发现", "核实", "处理"]])

    def test_a_file_that_is_not_the_list_imports_nothing(self):
        result = self.run_import(ListKind.DUTY, ["编号", "事项"], [["ZZ-1", "消防"]])
        (error,) = result.errors
        self.assertIn("表头缺少列：领域、承担机构", error.message)
        broken = xlsx.list_import(county=self.c.county, kind=ListKind.DUTY, actor=self.admin,
                                  file=SimpleUploadedFile("x.xlsx", b"not a spreadsheet"))
        self.assertIn("不是有效的 .xlsx", broken.errors[0].message)
        self.assertEqual(self.run_import(ListKind.DUTY, DUTY_HEADER, []).errors[0].message, "文件中没有数据行")
        self.assert_nothing_written()

    def test_a_file_over_the_row_limit_is_refused_before_it_is_read(self):
        limit = xlsx.MAX_ROWS
        try:
            xlsx.MAX_ROWS = 2
            result = self.run_import(ListKind.DUTY, DUTY_HEADER, GOOD_DUTIES)
        finally:
            xlsx.MAX_ROWS = limit
        self.assertIn("文件超过 2 行", result.errors[0].message)
        self.assert_nothing_written()

    def test_an_export_is_text_and_imports_back_to_the_same_list(self):
        version = make_list(self.c.county, self.admin, [
            duty("ZZ-1", "=HYPERLINK(\"http://x\")", "综合执法", "safety_fire", post="+中队长"),
            duty("ZZ-2", "农村生活污水收集处理", "水务", "env_sewage", field="生态环保", level="村"),
        ])
        data = xlsx.version_export(version)
        sheet = load_workbook(io.BytesIO(data)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(list(rows[0]), DUTY_HEADER)
        self.assertEqual(list(rows[1]), ["ZZ-1", "平安建设", "=HYPERLINK(\"http://x\")", "综合执法", "+中队长", None,
                                         "safety_fire"])
        self.assertEqual(list(rows[2]),
                         ["ZZ-2", "生态环保", "农村生活污水收集处理", "水务", None, "村（社区）", "env_sewage"])
        self.assertTrue(all(c.data_type == "s" for row in sheet.iter_rows(min_row=2) for c in row if c.value))
        result = xlsx.list_import(county=self.c.county, kind=ListKind.DUTY, actor=self.admin,
                                  file=SimpleUploadedFile("back.xlsx", data))
        self.assertEqual(result.errors, [])
        fields = ("code", "field", "title", "organisation", "post", "handling_level", "category_codes")
        self.assertEqual(list(result.version.items.values_list(*fields)), list(version.items.values_list(*fields)))

    def test_the_template_imports_as_it_is(self):
        for kind in ListKind.values:
            result = xlsx.list_import(county=self.c.county, kind=kind, actor=self.admin,
                                      file=SimpleUploadedFile("t.xlsx", xlsx.template(kind)))
            self.assertEqual(result.errors, [], kind)
            self.assertEqual(result.items, 1)

    def test_the_import_checks_fields_against_the_open_draft(self):
        draft = services.version_draft(county=self.c.county, kind=ListKind.DUTY, actor=self.admin)
        services.version_fields_set(version=draft, actor=self.admin, fields=["消防救援"])
        rows = [["ZZ-1", "消防救援", "火灾扑救", "综合执法", "", "", ""]]
        result = self.run_import(ListKind.DUTY, DUTY_HEADER, rows)
        self.assertEqual((result.errors, result.version.pk), ([], draft.pk))
