"""Spreadsheet files for the import tests: an ordinary workbook as openpyxl writes it, and files built
by hand for the import limits (a million rows in a small zip, a sheet whose XML breaks off half-way)."""

import io
import zipfile
from xml.sax.saxutils import escape

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook


def workbook_upload(name: str, header, rows) -> SimpleUploadedFile:
    """An uploaded .xlsx of one sheet: ``header`` then ``rows``."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _row(values) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(str(v))}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml, compresslevel=9)
    return out.getvalue()


def sheet_xml(header, rows, *, repeat_last: int = 1, dimension: str | None = None) -> bytes:
    """The sheet's XML: the header, the rows, and the last row ``repeat_last`` times in all."""
    parts = [_SHEET_OPEN]
    if dimension:
        parts.append(f'<dimension ref="{dimension}"/>')
    parts.append("<sheetData>")
    parts.append(_row(header))
    parts.extend(_row(r) for r in rows[:-1])
    if rows:
        parts.append(_row(rows[-1]) * repeat_last)
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def million_rows(header) -> bytes:
    """An .xlsx of about 140 KB whose sheet holds a header and 1,000,000 non-empty rows."""
    return xlsx_with_sheet(sheet_xml(header, [["x"]], repeat_last=1_000_000))


def truncated(header, rows) -> bytes:
    """An .xlsx whose sheet XML breaks off in the middle of the last row."""
    xml = sheet_xml(header, rows)
    return xlsx_with_sheet(xml[: xml.rindex(b"<row>") + 20])


class RowCounter:
    """Counts the rows openpyxl parses, through its one per-row entry point."""

    def __init__(self, monkeypatch):
        from openpyxl.worksheet._reader import WorkSheetParser

        self.rows = 0
        original = WorkSheetParser.parse_row

        def counting(parser, element):
            self.rows += 1
            return original(parser, element)

        monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
