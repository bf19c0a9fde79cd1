import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from xiangzhi.core.imports import (
    OLD_XLS,
    ImportReport,
    RowError,
    UploadRefused,
    cell_text,
    file_response,
    row_errors_sort,
    sheet_read,
    upload_import,
)
from xiangzhi.lib import spreadsheets

COLUMNS = ["编号", "名称", "备注"]


def xlsx(rows, header=COLUMNS) -> SimpleUploadedFile:
    return SimpleUploadedFile("a.xlsx", spreadsheets.write_xlsx("表", header, rows))


def csv(text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile("a.csv", text.encode(encoding))


def refusal(upload, **options) -> RowError:
    with pytest.raises(UploadRefused) as caught:
        sheet_read(upload, columns=COLUMNS, required={"编号", "名称"}, max_rows=10, **options)
    return caught.value.error


def test_cell_text_trims_and_drops_the_point_of_whole_numbers():
    assert [cell_text(v) for v in (None, " 东村 ", 3.0, 3.5, 12)] == ["", "东村", "3", "3.5", "12"]


def test_records_are_the_non_blank_rows_by_column_with_their_lines():
    sheet = sheet_read(xlsx([[1001.0, "路灯"], [None, None, None], ["1002", "井盖", "  "]]),
                       columns=COLUMNS, required={"编号"}, max_rows=10)
    records = list(sheet.records())
    assert [r.line for r in records] == [2, 4]
    assert records[0].raw == {"编号": 1001, "名称": "路灯", "备注": None}
    assert records[0].cells == {"编号": "1001", "名称": "路灯", "备注": ""}
    assert records[1].cells["备注"] == ""


def test_a_csv_is_read_only_where_the_importer_takes_one():
    text = "\ufeff编号,名称\n1,路灯\n"
    sheet = sheet_read(csv(text), columns=COLUMNS, required={"编号"}, max_rows=10, csv=True)
    assert sheet.header == ["编号", "名称"] and sheet.columns == {"编号": 0, "名称": 1}
    assert refusal(csv(text)).message.startswith("文件不是有效的 .xlsx 文件")


def test_gbk_csv_and_old_xls():
    sheet = sheet_read(csv("编号,名称\n1,路灯\n", "gbk"), columns=COLUMNS, required={"编号"}, max_rows=10, csv=True)
    assert [r.cells["名称"] for r in sheet.records()] == ["路灯"]
    old = SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    assert refusal(old, csv=True) == RowError(None, None, OLD_XLS)


def test_missing_columns_are_named_in_the_importers_order():
    assert refusal(xlsx([], header=["备注"]), missing_hint="（见模板）") == RowError(
        1, None, "表头缺少列：编号、名称（见模板）")


def test_limits_come_from_the_settings_and_the_importer(settings):
    assert refusal(xlsx([[i, "x"] for i in range(11)])) == RowError(12, None, "文件超过 10 行，请分批导入")
    settings.IMPORT_MAX_BYTES = 10
    assert refusal(xlsx([[1, "x"]])).message.startswith("文件过大")


def test_errors_sort_by_row_then_by_the_files_column_order():
    errors = [RowError(3, "名称", "c"), RowError(None, None, "a"), RowError(3, "编号", "b"), RowError(2, None, "d")]
    row_errors_sort(errors, COLUMNS)
    assert [e.message for e in errors] == ["a", "d", "b", "c"]


def _post(files=None):
    request = RequestFactory().post("/import/", files or {})
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_upload_import_tells_the_clerk_how_it_went():
    def run(upload):
        report = ImportReport()
        if upload.name == "bad.xlsx":
            report.errors.append(RowError(2, "编号", "不能为空"))
        return report

    options = {"accept": ".xlsx", "nothing": "数据", "done": lambda r: "导入成功"}
    assert upload_import(RequestFactory().get("/import/"), run, **options) is None
    missing = _post()
    assert upload_import(missing, run, **options) is None
    assert [str(m) for m in get_messages(missing)] == ["请选择要导入的 .xlsx 文件"]
    good = _post({"file": SimpleUploadedFile("good.xlsx", b"x")})
    assert upload_import(good, run, **options).ok
    assert [str(m) for m in get_messages(good)] == ["导入成功"]
    bad = _post({"file": SimpleUploadedFile("bad.xlsx", b"x")})
    assert not upload_import(bad, run, **options).ok
    assert [str(m) for m in get_messages(bad)] == ["文件中有 1 处错误，未导入任何数据。请修改后重新上传。"]


def test_file_response_is_an_attachment():
    response = file_response(b"data", "t.csv", "text/csv; charset=utf-8")
    assert response["Content-Disposition"] == 'attachment; filename="t.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8" and response.content == b"data"
