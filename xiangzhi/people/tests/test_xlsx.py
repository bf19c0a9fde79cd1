import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from tests.factories import next_id_number
from xiangzhi.people.models import Household, Resident
from xiangzhi.people.xlsx import COLUMNS, households_export, households_import


def workbook(rows, header=COLUMNS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("households.xlsx", out.getvalue())


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
def test_an_id_already_registered_or_a_taken_number_is_refused(county):
    existing = county.households["a1"]
    from xiangzhi.lib import crypto

    plain = crypto.decrypt(existing.residents.first().id_number_encrypted)
    result = households_import(user=county.users["township_staff"], file=workbook([
        row(county.grid_a1, existing.number, "某人", "户主"),
        row(county.grid_a1, "H-9", "另一人", "户主", id_number=plain),
    ]))
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "已存在" in messages[(2, "户编号")]
    assert messages[(3, "身份证号")] == "该身份证号已登记在其他户"


@pytest.mark.django_db
def test_a_file_that_is_not_xlsx_gets_a_clear_error(county):
    fake = SimpleUploadedFile("households.xlsx", b"%PDF-1.4 not a spreadsheet")
    result = households_import(user=county.users["village_cadre"], file=fake)
    assert result.errors[0].message.startswith("文件不是有效的 .xlsx 文件")


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
