"""Exports upward: the figures page's figures and rankings as .xlsx (rates as formulas over the
counts) and as a page to print, for the same parameters as the figures page."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.services import common_path, export_recorded
from xiangzhi.centre.exports import (
    Report,
    figures_report,
    print_headline,
    print_tables,
    report_filename,
    report_xlsx,
)
from xiangzhi.centre.figures import home_node


def _report(request: HttpRequest) -> Report:
    return figures_report(request.user, request.GET)


def _scope_path(request: HttpRequest, report: Report) -> str:
    """Where the export belongs in the audit trail: the node counted, else the user's whole scope."""
    q = report.query
    node = q.grid or q.region or home_node(request.user)
    if node is not None:
        return node.path
    return common_path(scope_of(request.user).paths)


@login_required
def figures_xlsx(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    return export_recorded(request, report_xlsx(report), report_filename(report),
                           summary=f"导出事件统计（{report.scope}，{report.period}）",
                           scope_path=_scope_path(request, report), subject="centre.figures",
                           detail=report.query.params())


@login_required
def figures_print(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    query = urlencode(report.query.params())
    return render(request, "centre/print_figures.html", {
        "report": report, "headline": print_headline(report), "tables": print_tables(report),
        "xlsx_query": query,
    })
