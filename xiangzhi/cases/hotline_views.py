"""The 12345 import page: upload, templates, and the error table. Included from ``cases/urls.py``
under ``hotline/``; the names join the ``cases`` namespace."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from xiangzhi.cases import hotline
from xiangzhi.cases.models import Category

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(user) -> None:
    if not hotline.can_import(user):
        raise PermissionDenied("只有乡镇（街道）综治中心和区县管理员可以导入12345工单")


@login_required
def hotline_page(request):
    _require_importer(request.user)
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "请选择要导入的 .xlsx 或 .csv 文件")
        else:
            result = hotline.hotline_import(user=request.user, file=upload)
            if result.ok:
                skipped = f"，{result.skipped} 条此前已导入（未重复创建）" if result.skipped else ""
                messages.success(request, f"导入成功：新建 {result.created} 件事件{skipped}")
            else:
                messages.error(request, f"文件中有 {len(result.errors)} 处错误，未导入任何工单。请修改后重新上传。")
    return render(request, "cases/hotline.html", {
        "result": result, "columns": hotline.COLUMNS, "required": hotline.REQUIRED, "max_rows": hotline.max_rows(),
        "categories": Category.objects.filter(is_active=True).order_by("group", "code"),
    })


@login_required
def hotline_template(request, fmt: str):
    _require_importer(request.user)
    if fmt == "csv":
        response = HttpResponse(hotline.template_csv(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(hotline.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="hotline-template.{fmt}"'
    return response


urlpatterns = [
    path("", hotline_page, name="hotline"),
    path("template.xlsx", hotline_template, {"fmt": "xlsx"}, name="hotline_template"),
    path("template.csv", hotline_template, {"fmt": "csv"}, name="hotline_template_csv"),
]
