import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from tests.spreadsheets import RowCounter, million_rows, truncated, workbook_upload
from xiangzhi.cases.hotline import COLUMNS, hotline_import
from xiangzhi.cases.models import Case, Channel, HandlingLevel, IdempotencyRecord, Transition
from xiangzhi.lib import crypto

IN_A1_MICRO = (118.005, 37.705)  # 东村一组微网格, 下洼镇
IN_B1 = (118.105, 37.705)  # 南村第一网格, 古城镇
NEAR_B = (118.30, 37.70)  # outside every grid; the nearest is in 古城镇


def called(hours_ago: float = 2) -> str:
    return (timezone.localtime() - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%d %H:%M")


def ticket(number, *, when=None, category="road_light", title="村口路灯不亮", where=IN_A1_MICRO, caller="张先生",
           phone="13800138000", description="连续三晚不亮", address="东村村口"):
    lon, lat = where if where else ("", "")
    return [number, when or called(), category, title, description, address, lon, lat, caller, phone]


def xlsx(rows, header=COLUMNS) -> SimpleUploadedFile:
    return workbook_upload("12345.xlsx", header, rows)


def csv_file(rows, encoding="utf-8", header=COLUMNS, delimiter=",") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("12345.csv", out.getvalue().encode(encoding))


def good_rows():
    return [
        ticket("GD-001"),
        # by the category's name, with no place and no caller
        ticket("GD-002", category="邻里纠纷", title="邻居占用通道", where=None, caller="", phone=""),
        ticket("GD-003", category="env_garbage", title="垃圾堆放", where=(118.015, 37.715), phone="138 0013 8001"),
    ]


def assert_nothing_written():
    assert Case.objects.count() == 0
    assert Transition.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_good_file_becomes_cases_routed_by_location_at_the_call_time(county):
    staff = county.users["township_staff"]
    when = timezone.localtime() - dt.timedelta(hours=5)
    rows = good_rows()
    rows[0][1] = when.strftime("%Y/%m/%d %H:%M:%S")
    result = hotline_import(user=staff, file=xlsx(rows))
    assert result.ok, result.errors
    assert (result.created, result.skipped) == (3, 0)
    light, dispute, garbage = (Case.objects.get(pk=r.case.pk) for r in result.rows)
    assert light.channel == Channel.HOTLINE and light.grid == county.grid_a1_micro
    assert light.handling_level == HandlingLevel.GRID
    assert light.created_at == when.replace(microsecond=0)
    assert light.reporter == staff and light.reporter_name == "张先生"
    assert light.reporter_phone_masked == "138****8000"
    assert crypto.decrypt(light.reporter_phone_encrypted) == "13800138000"
    assert "12345工单 GD-001" in light.description and "连续三晚不亮" in light.description
    assert light.transitions.get().action == "report"
    assert dispute.category.code == "dispute_neighbour" and dispute.grid is None
    assert dispute.region == county.town_a and dispute.reporter_name == "匿名来电"  # the importer's triage queue
    assert garbage.grid == county.grid_a1 and garbage.reporter_phone_masked == "138****8001"
    assert set(IdempotencyRecord.objects.values_list("owner", "key")) == {
        ("hotline", "GD-001"), ("hotline", "GD-002"), ("hotline", "GD-003")}


@pytest.mark.django_db
def test_importing_the_same_tickets_again_creates_nothing_in_either_format(county):
    staff = county.users["township_staff"]
    rows = good_rows()
    assert hotline_import(user=staff, file=xlsx(rows)).created == 3
    again = hotline_import(user=staff, file=xlsx(rows))
    assert again.ok and (again.created, again.skipped) == (0, 3)
    as_csv = hotline_import(user=staff, file=csv_file(rows))  # the same export, saved as CSV
    assert as_csv.ok and (as_csv.created, as_csv.skipped) == (0, 3)
    more = hotline_import(user=staff, file=xlsx([*rows, ticket("GD-004", title="又一件")]))  # an overlapping export
    assert (more.created, more.skipped) == (1, 3)
    assert Case.objects.count() == 4 and Transition.objects.count() == 4


@pytest.mark.django_db
def test_a_ticket_imported_before_with_different_content_is_an_error_and_nothing_is_written(county):
    staff = county.users["township_staff"]
    first = hotline_import(user=staff, file=xlsx([ticket("GD-001")]))
    number = first.rows[0].case.number
    result = hotline_import(user=staff, file=xlsx([ticket("GD-009"), ticket("GD-001", title="标题改了")]))
    assert [(e.row, e.column) for e in result.errors] == [(3, "工单编号")]
    assert f"已导入为事件 {number}" in result.errors[0].message
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_every_kind_of_bad_row_is_reported_by_row_and_column_and_nothing_is_written(county):
    future = (timezone.localtime() + dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    rows = [
        ticket("B-01"),                                              # 2: fine, but the file has errors
        ticket("B-02", category="ufo_sighting"),                    # 3: unknown category
        ticket("B-03", when="昨天下午"),                             # 4: time not parseable
        ticket("B-04", when=future),                                 # 5: time in the future
        ticket("B-05", where=(118.005, "")),                        # 6: longitude without latitude
        ticket("B-06", where=(37.705, 118.005)),                    # 7: swapped: latitude out of range
        ticket("B-07", where=("东经118", 37.7)),                     # 8: not a number
        ticket("B-08", phone="0543-321"),                            # 9: phone not 11 digits
        ticket("B-09", title=""),                                    # 10: no title
        ticket("B-01", title="重复的工单"),                           # 11: ticket repeated in the file
        ticket("", title="没有编号"),                                 # 12: no ticket number
        ticket("B-12", title="长" * 101, when="2026-02-30 10:00"),   # 13: title too long, no such date
        ticket("B-13", where=(181, 37.7)),                           # 14: longitude out of range
        ["", "", "", "", "", "", "", "", "", ""],                    # 15: blank: skipped
    ]
    result = hotline_import(user=county.users["township_staff"], file=xlsx(rows))
    assert not result.ok
    found = {(e.row, e.column): e.message for e in result.errors}
    assert "未知或已停用的事件类别“ufo_sighting”" in found[(3, "事件类别")]
    assert "无法识别" in found[(4, "来电时间")]
    assert found[(5, "来电时间")] == "来电时间晚于当前时间"
    assert found[(6, "纬度")] == "经度和纬度要同时填写，或都不填"
    assert "是否与经度填反了" in found[(7, "纬度")]
    assert found[(8, "经度")] == "经度应为数字"
    assert found[(9, "联系电话")] == "联系电话应为11位号码"
    assert found[(10, "标题")] == "标题不能为空"
    assert found[(11, "工单编号")] == "工单编号与第 2 行重复"
    assert found[(12, "工单编号")] == "工单编号不能为空"
    assert "标题过长" in found[(13, "标题")] and "不是有效的日期" in found[(13, "来电时间")]
    assert "-180 到 180" in found[(14, "经度")]
    assert not any(e.row in (2, 15) for e in result.errors)
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)
    assert_nothing_written()


@pytest.mark.django_db
def test_rows_landing_outside_the_importers_township_are_refused(county):
    rows = [ticket("S-1"), ticket("S-2", where=IN_B1), ticket("S-3", where=NEAR_B)]
    result = hotline_import(user=county.users["township_staff"], file=xlsx(rows))
    found = {(e.row, e.column): e.message for e in result.errors}
    assert set(found) == {(3, "经度"), (4, "经度")}
    assert "南村第一网格" in found[(3, "经度")] and "不在您的管辖范围内" in found[(3, "经度")]
    assert "古城镇" in found[(4, "经度")]
    assert_nothing_written()
    # The county sees the whole county: the same file imports, each case routed where it belongs.
    result = hotline_import(user=county.users["county_admin"], file=xlsx(rows))
    assert result.ok, result.errors
    grids = [Case.objects.get(pk=r.case.pk).grid for r in result.rows]
    assert grids == [county.grid_a1_micro, county.grid_b1, None]
    assert result.rows[2].case.region == county.town_b


@pytest.mark.django_db
def test_a_ticket_another_township_imported_is_not_revealed(county):
    hotline_import(user=county.users["township_staff_b"], file=xlsx([ticket("X-1", where=IN_B1)]))
    result = hotline_import(user=county.users["township_staff"], file=xlsx([ticket("X-1")]))
    assert [e.message for e in result.errors] == ["工单 X-1 已由其他单位导入"]


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_or_utf8_with_or_without_bom(county, encoding):
    result = hotline_import(user=county.users["township_staff"], file=csv_file(good_rows(), encoding=encoding))
    assert result.ok, result.errors
    assert result.created == 3
    assert Case.objects.get(pk=result.rows[1].case.pk).title == "邻居占用通道"


@pytest.mark.django_db
def test_tab_separated_csv_and_excel_date_cells(county):
    staff = county.users["township_staff"]
    assert hotline_import(user=staff, file=csv_file(good_rows(), delimiter="\t")).created == 3
    when = (timezone.localtime() - dt.timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    row = ticket("D-1")
    row[1] = when  # a real date cell
    result = hotline_import(user=staff, file=xlsx([row]))
    assert result.ok, result.errors
    assert timezone.localtime(result.rows[0].case.created_at).replace(tzinfo=None) == when


@pytest.mark.django_db
def test_files_that_cannot_be_read_get_one_clear_error(county):
    staff = county.users["township_staff"]

    def message(upload):
        result = hotline_import(user=staff, file=upload)
        assert len(result.errors) == 1
        return result.errors[0].message

    assert "旧版 .xls" in message(SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64))
    assert "不是有效的 .xlsx" in message(SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken"))
    assert "表头缺少列：来电时间（" in message(xlsx([], header=["工单编号", "标题"]))  # 事件类别 may be left out
    assert message(csv_file([])) == "文件中没有数据行"
    assert message(SimpleUploadedFile("a.csv", b"")) == "文件是空的"
    assert "无法识别文件编码" in message(SimpleUploadedFile("a.csv", b"\x81\x30\xff\xfe\x00" * 3))
    assert_nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("make", [xlsx, csv_file])
def test_a_file_above_the_row_limit_is_refused(county, settings, make):
    settings.HOTLINE_IMPORT_MAX_ROWS = 2
    result = hotline_import(user=county.users["township_staff"], file=make(good_rows()))
    assert [(e.row, e.message) for e in result.errors] == [(4, "文件超过 2 行，请分批导入")]
    assert_nothing_written()


@pytest.mark.django_db
def test_a_million_row_sheet_is_dropped_at_the_limit_without_reading_the_rest(county, monkeypatch):
    data = million_rows(COLUMNS)
    assert len(data) < 200_000
    counter = RowCounter(monkeypatch)
    result = hotline_import(user=county.users["township_staff"], file=SimpleUploadedFile("big.xlsx", data))
    assert [(e.row, e.message) for e in result.errors] == [(1002, "文件超过 1000 行，请分批导入")]
    assert counter.rows == 1002  # the header, 1,000 rows, and the one that broke the limit
    assert_nothing_written()


@pytest.mark.django_db
def test_a_million_line_csv_is_dropped_at_the_limit(county):
    data = ("\ufeff" + ",".join(COLUMNS) + "\n" + "x\n" * 1_000_000).encode()
    result = hotline_import(user=county.users["township_staff"], file=SimpleUploadedFile("big.csv", data))
    assert [(e.row, e.message) for e in result.errors] == [(1002, "文件超过 1000 行，请分批导入")]
    assert_nothing_written()


@pytest.mark.django_db
def test_a_broken_sheet_gets_the_clear_error_on_the_page_and_the_api(client, county):
    broken = truncated(COLUMNS, [ticket("B-1"), ticket("B-2")])
    client.force_login(county.users["township_staff"])
    page = client.post("/cases/hotline/", {"file": SimpleUploadedFile("b.xlsx", broken)})
    assert page.status_code == 200
    assert "文件不是有效的 .xlsx 文件" in page.content.decode()
    api = client.post("/api/v1/cases/hotline-import", {"file": SimpleUploadedFile("b.xlsx", broken)})
    assert api.status_code == 422
    assert [e["message"] for e in api.json()["errors"]] == [
        "文件不是有效的 .xlsx 文件，请用 Excel 或 WPS 另存为“Excel 工作簿 (.xlsx)”后再上传"
    ]
    assert_nothing_written()


@pytest.mark.django_db
def test_only_township_staff_and_county_admins_import(county):
    result = hotline_import(user=county.users["village_cadre"], file=xlsx(good_rows()))
    assert "只有乡镇（街道）综治中心和区县管理员" in result.errors[0].message
    assert_nothing_written()


# --- the page ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_page_imports_shows_errors_and_offers_templates(client, county):
    client.force_login(county.users["township_staff"])
    page = client.get("/cases/hotline/")
    assert page.status_code == 200 and "12345工单导入" in page.content.decode()
    assert "road_light" in page.content.decode()  # the category table

    bad = client.post("/cases/hotline/", {"file": xlsx([ticket("P-1", category="nope")])})
    text = bad.content.decode()
    assert bad.status_code == 200 and "未导入任何工单" in text and "未知或已停用的事件类别" in text
    assert 'data-testid="import-errors"' in text
    assert_nothing_written()

    good = client.post("/cases/hotline/", {"file": xlsx(good_rows())}, follow=True).content.decode()
    assert "导入成功：新建 3 件事件" in good
    case = Case.objects.get(idempotency_record_key("GD-001"))
    assert f"/cases/{case.pk}/" in good and case.number in good
    again = client.post("/cases/hotline/", {"file": xlsx(good_rows())}).content.decode()
    assert "新建 0 件事件，3 条此前已导入" in again
    assert "请选择要导入的" in client.post("/cases/hotline/", {}, follow=True).content.decode()


def idempotency_record_key(key):
    from django.db.models import Exists, OuterRef

    return Exists(IdempotencyRecord.objects.filter(case=OuterRef("pk"), owner="hotline", key=key))


@pytest.mark.django_db
def test_the_templates_download_and_import_as_they_are(client, county):
    client.force_login(county.users["township_staff"])
    content = client.get("/cases/hotline/template.xlsx")
    assert content.status_code == 200 and content["Content-Disposition"].endswith('.xlsx"')
    rows = list(load_workbook(io.BytesIO(content.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    as_csv = client.get("/cases/hotline/template.csv")
    assert as_csv.content.startswith("\ufeff".encode()) and "工单编号" in as_csv.content.decode("utf-8-sig")
    # The example row is a real ticket (its place is in 下洼镇's 东村): it imports once.
    staff = county.users["township_staff"]
    result = hotline_import(user=staff, file=SimpleUploadedFile("t.xlsx", content.content))
    assert result.ok, result.errors
    same = hotline_import(user=staff, file=SimpleUploadedFile("t.csv", as_csv.content))
    assert (same.created, same.skipped) == (0, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["village_cadre", "grid_worker", "department_staff", "resident"])
def test_other_roles_may_not_open_the_page(client, county, role):
    client.force_login(county.users[role])
    assert client.get("/cases/hotline/").status_code == 403
    assert client.post("/cases/hotline/", {"file": xlsx(good_rows())}).status_code == 403
    assert client.get("/cases/hotline/template.xlsx").status_code == 403
    assert_nothing_written()


# --- the API -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_api_imports_a_good_file_and_replays_it(client, county):
    client.force_login(county.users["township_staff"])
    response = client.post("/api/v1/cases/hotline-import", {"file": xlsx(good_rows())})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["skipped"], body["errors"]) == (3, 0, [])
    assert [c["ticket"] for c in body["cases"]] == ["GD-001", "GD-002", "GD-003"]
    again = client.post("/api/v1/cases/hotline-import", {"file": csv_file(good_rows(), encoding="gbk")}).json()
    assert (again["created"], again["skipped"]) == (0, 3)
    assert [c["number"] for c in again["cases"]] == [c["number"] for c in body["cases"]]


@pytest.mark.django_db
def test_the_api_reports_bad_rows_with_422_and_writes_nothing(client, county):
    client.force_login(county.users["township_staff"])
    response = client.post("/api/v1/cases/hotline-import",
                           {"file": xlsx([ticket("A-1"), ticket("A-2", where=IN_B1), ticket("A-3", phone="1")])})
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "invalid_rows" and body["created"] == 0
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "经度"), (4, "联系电话")]
    assert_nothing_written()
    missing = client.post("/api/v1/cases/hotline-import", {})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid"


@pytest.mark.django_db
def test_the_api_refuses_other_roles_and_anonymous_callers(client, county):
    assert client.post("/api/v1/cases/hotline-import", {"file": xlsx(good_rows())}).status_code == 401
    for role in ("village_cadre", "grid_chief", "grid_worker", "department_staff", "points_recorder", "resident"):
        client.force_login(county.users[role])
        response = client.post("/api/v1/cases/hotline-import", {"file": xlsx(good_rows())})
        assert response.status_code == 403, role
        assert response.json()["error"]["code"] == "forbidden"
    assert_nothing_written()
    client.force_login(county.users["county_admin"])
    assert client.post("/api/v1/cases/hotline-import", {"file": xlsx(good_rows())}).json()["created"] == 3


@pytest.mark.django_db
def test_the_suggester_files_rows_without_a_category_and_flags_a_guess_the_words_contradict(county):
    staff = county.users["township_staff"]
    result = hotline_import(user=staff, file=xlsx([
        ticket("T-1", category="", title="村里电动车被偷", description="昨晚好几家的电动车被人偷了，锁都撬了"),
        ticket("T-2", category="pollution_noise", title="家门口井盖没了", description="井盖丢了，晚上有人掉下去"),
        ticket("T-3", category="road_light", title="村口路灯不亮", description="连续三晚不亮"),
    ]))
    assert not result.errors, result.errors
    by_ticket = {r.ticket: r for r in result.rows}
    theft = by_ticket["T-1"].case
    assert theft.category.code == "public_order" and by_ticket["T-1"].flag == "未填类别"
    manhole = by_ticket["T-2"].case
    assert manhole.category.code == "pollution_noise" and manhole.suggested_category.code == "road_manhole"
    assert by_ticket["T-2"].flag == "类别与描述不符"
    assert by_ticket["T-3"].flag == "" and by_ticket["T-3"].case.suggested_category.code == "road_light"
