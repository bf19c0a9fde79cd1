"""The 12345 import page: upload, templates, and the error table. Included from ``cases/urls.py``
under ``hotline/``; the names join the ``cases`` namespace."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from xiangzhi.cases import hotline
from xiangzhi.cases.rules import can_import_hotline
from xiangzhi.cases.selectors import category_list
from xiangzhi.core.imports import file_response, upload_import
from xiangzhi.core.inputs import require


def _imported(result: hotline.ImportResult) -> str:
    skipped = f"，{result.skipped:,} 条此前已导入（未重复创建）" if result.skipped else ""
    return f"导入成功：新建 {result.created:,} 件事件{skipped}"


@login_required
def hotline_page(request):
    require(can_import_hotline(request.user), hotline.REFUSED)
    result = upload_import(request, lambda upload: hotline.hotline_import(user=request.user, file=upload),
                           accept=".xlsx 或 .csv", nothing="工单", done=_imported)
    return render(request, "cases/hotline.html", {
        "result": result, "columns": hotline.COLUMNS, "required": hotline.REQUIRED, "max_rows": hotline.max_rows(),
        "categories": category_list(),
    })


@login_required
def hotline_template(request, fmt: str):
    require(can_import_hotline(request.user), hotline.REFUSED)
    if fmt == "csv":
        return file_response(hotline.template_csv(), "hotline-template.csv", "text/csv; charset=utf-8")
    return file_response(hotline.template_xlsx(), "hotline-template.xlsx")


urlpatterns = [
    path("", hotline_page, name="hotline"),
    path("template.xlsx", hotline_template, {"fmt": "xlsx"}, name="hotline_template"),
    path("template.csv", hotline_template, {"fmt": "csv"}, name="hotline_template_csv"),
]
