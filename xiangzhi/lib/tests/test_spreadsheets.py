import io
import zipfile

import pytest

from tests.spreadsheets import sheet_xml, xlsx_with_sheet
from xiangzhi.lib.spreadsheets import NOT_XLSX, ReadLimits, SpreadsheetError, read_csv, read_xlsx

LIMITS = ReadLimits(max_rows=100, max_blank_rows=50)


def refused(data: bytes, limits=LIMITS) -> str:
    with pytest.raises(SpreadsheetError) as caught:
        read_xlsx(data, limits)
    return str(caught.value)


def test_a_good_sheet_reads_its_header_and_non_blank_rows_with_their_line_numbers():
    table = read_xlsx(xlsx_with_sheet(sheet_xml(["a", "b"], [["1", "2"], [""], ["3", "4"]])), LIMITS)
    assert table.header == ("a", "b")
    assert table.rows == [(2, ("1", "2")), (4, ("3", "4"))]


def test_a_lying_dimension_tag_neither_pads_rows_nor_adds_empty_ones():
    data = xlsx_with_sheet(sheet_xml(["a"], [["1"]], dimension="A1:XFD1048576"))
    table = read_xlsx(data, ReadLimits(max_rows=10, max_blank_rows=0))
    assert table.rows == [(2, ("1",))]


def test_a_row_far_below_the_rest_counts_its_gap_as_blank_rows():
    cell = b'<c t="inlineStr"><is><t>1'
    xml = sheet_xml(["a"], [["1"]]).replace(b"<row>" + cell, b'<row r="1000000">' + cell)
    assert refused(xlsx_with_sheet(xml)) == "文件中的空行超过 50 行，请删除多余的空行后重新上传"


def zip_with(name: str, content: bytes, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        z.writestr(name, content)
    return out.getvalue()


def test_zip_bombs_and_other_compression_are_refused_before_parsing():
    assert refused(zip_with("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))) == NOT_XLSX  # ratio ~1000
    assert refused(zip_with("a.xml", b"<a/>", method=zipfile.ZIP_BZIP2)) == NOT_XLSX
    small = ReadLimits(max_rows=10, max_unpacked_bytes=1000)
    assert refused(zip_with("a.xml", bytes(range(256)) * 8, method=zipfile.ZIP_STORED), small) == NOT_XLSX
    assert refused(b"PK\x03\x04 not really") == NOT_XLSX


def test_csv_stops_at_the_row_limit_and_explains_a_broken_field_in_chinese():
    with pytest.raises(SpreadsheetError) as caught:
        read_csv(("a\n" + "1\n" * 1000).encode(), LIMITS)
    assert (str(caught.value), caught.value.row) == ("文件超过 100 行，请分批导入", 102)
    with pytest.raises(SpreadsheetError, match="CSV 格式有误"):
        read_csv(b"a\n" + b"x" * 200_000 + b"\n", LIMITS)  # past the csv module's field limit
