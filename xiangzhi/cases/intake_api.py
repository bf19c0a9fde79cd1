"""Batch intake over the API: the 12345 hotline import (multipart upload), the same function the page calls."""

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from xiangzhi.cases import hotline
from xiangzhi.cases.rules import can_import_hotline
from xiangzhi.core.inputs import require

router = Router(tags=["事件工单"])
UPLOAD = File(..., description="12345平台导出的 .xlsx 或 .csv（UTF-8 或 GBK）")


class RowErrorOut(Schema):
    row: int | None
    column: str | None
    message: str


class ImportedOut(Schema):
    row: int
    ticket: str
    id: int
    number: str
    created: bool


class HotlineImportOut(Schema):
    created: int
    skipped: int
    cases: list[ImportedOut]
    errors: list[RowErrorOut]


class ErrorOut(Schema):
    code: str
    message: str


class HotlineRejectedOut(Schema):
    error: ErrorOut
    created: int
    errors: list[RowErrorOut]


@router.post("/cases/hotline-import", response={200: HotlineImportOut, 422: HotlineRejectedOut},
             summary="导入12345工单（.xlsx 或 .csv；有任何错误则全部不导入）")
def hotline_import(request, file: UploadedFile = UPLOAD):
    require(can_import_hotline(request.user), hotline.REFUSED)
    result = hotline.hotline_import(user=request.user, file=file)
    errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]
    if errors:
        message = f"文件中有 {len(errors)} 处错误，未导入任何工单"
        return Status(422, {"error": {"code": "invalid_rows", "message": message}, "created": 0, "errors": errors})
    return Status(200, {
        "created": result.created, "skipped": result.skipped, "errors": [],
        "cases": [{"row": r.row, "ticket": r.ticket, "id": r.case.pk, "number": r.case.number, "created": r.created}
                  for r in result.rows],
    })
