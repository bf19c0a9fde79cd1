"""What every spreadsheet import shares: the upload read within the settings' limits into a header and
numbered rows, the per-row error of the clerk's report, cell text, and the page's upload-and-report
step. Which columns a file has and how a row is checked stay with each importer.

Imports are all or nothing: an importer checks every row first and writes nothing if any is wrong,
so its result is either the rows written or the list of ``RowError``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse

from xiangzhi.lib import spreadsheets

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
OLD_XLS = "不支持旧版 .xls 文件，请用 Excel 或 WPS 另存为 .xlsx 或 .csv 后再上传"
NO_ROWS = "文件中没有数据行"


@dataclass
class RowError:
    """One line of the report: where (spreadsheet row and column, when known) and what is wrong."""

    row: int | None
    column: str | None
    message: str


@dataclass
class ImportReport:
    """What an import answers; each importer adds what it wrote."""

    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class UploadRefused(Exception):
    """The file as a whole cannot be read: too large, not a spreadsheet, over a limit, columns missing."""

    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class Record:
    """A non-blank data row: its line as the spreadsheet shows it, and each known column's value as
    read (``raw``, ``None`` where the row is short) and as trimmed text (``cells``)."""

    line: int
    raw: dict[str, object]
    cells: dict[str, str]


@dataclass
class Sheet:
    header: list[str]
    rows: list[tuple[int, tuple[object, ...]]]
    columns: dict[str, int]  # each known column the header holds → its position

    def records(self) -> Iterator[Record]:
        for line, values in self.rows:
            raw = {name: values[i] if i < len(values) else None for name, i in self.columns.items()}
            cells = {name: cell_text(value) for name, value in raw.items()}
            if any(cells.values()):
                yield Record(line, raw, cells)


def cell_text(value: object) -> str:
    """A cell as text: blank for empty, a whole float without its ``.0`` (a number typed in Excel)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def sheet_read(file: IO[bytes], *, columns: Sequence[str], required: Collection[str], max_rows: int, csv: bool = False,
               missing_hint: str = "") -> Sheet:
    """The upload's first sheet, read within ``IMPORT_MAX_*`` and ``max_rows``: an .xlsx, or with
    ``csv`` also a .csv (UTF-8 with or without BOM, or GBK). Raises ``UploadRefused`` for a file that
    cannot be read or lacks a ``required`` column."""
    limits = spreadsheets.ReadLimits(
        max_rows=max_rows, max_blank_rows=settings.IMPORT_MAX_BLANK_ROWS,
        max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES, max_ratio=settings.IMPORT_MAX_ZIP_RATIO,
    )
    try:
        data = spreadsheets.read_upload(file, settings.IMPORT_MAX_BYTES)
        if not csv:
            table = spreadsheets.read_xlsx(data, limits)
        elif data.startswith(XLS_MAGIC):
            raise UploadRefused(RowError(None, None, OLD_XLS))
        elif data.startswith(spreadsheets.XLSX_MAGIC):
            table = spreadsheets.read_xlsx(data, limits)
        else:
            table = spreadsheets.read_csv(data, limits)
    except spreadsheets.SpreadsheetError as exc:
        raise UploadRefused(RowError(exc.row, None, str(exc))) from None
    header = [cell_text(c).lstrip("\ufeff") for c in table.header]
    missing = [c for c in columns if c in required and c not in header]
    if missing:
        raise UploadRefused(RowError(1, None, f"表头缺少列：{'、'.join(missing)}{missing_hint}"))
    return Sheet(header, table.rows, {name: header.index(name) for name in columns if name in header})


def row_errors_sort(errors: list[RowError], columns: Sequence[str]) -> None:
    """The report in file order: by row (file-wide errors first), then by column as the file has them."""
    errors.sort(key=lambda e: (e.row or 0, columns.index(e.column) if e.column in columns else -1))


Report = TypeVar("Report", bound=ImportReport)


def upload_import(request: HttpRequest, run: Callable[[UploadedFile], Report], *, accept: str, nothing: str,
                  done: Callable[[Report], str]) -> Report | None:
    """A page's POST of a file to import: runs ``run(upload)`` and tells the clerk how it went
    (``done(result)`` on success; otherwise how many errors, and that no ``nothing`` was imported).
    None when nothing was posted."""
    if request.method != "POST":
        return None
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, f"请选择要导入的 {accept} 文件")
        return None
    result = run(upload)
    if result.ok:
        messages.success(request, done(result))
    else:
        messages.error(request, f"文件中有 {len(result.errors)} 处错误，未导入任何{nothing}。请修改后重新上传。")
    return result


def file_response(content: bytes, filename: str, content_type: str = XLSX_TYPE) -> HttpResponse:
    """A spreadsheet handed over as a download (a template, an export)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
