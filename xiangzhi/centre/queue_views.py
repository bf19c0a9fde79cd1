"""The dispatch queue's pages (调度): the case list behind every figure with the dispatcher's filters,
bulk dispatch and 督办, the list as .xlsx and as a printable page; and the workload page (工作量)."""

import io
from urllib.parse import urlencode

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import GRID_ROLES
from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.services import export_recorded
from xiangzhi.cases.models import Category, Channel, Evaluation, HandlingLevel
from xiangzhi.centre.figures import (
    FIGURE_NAMES,
    cases_link,
    figures_grid_get_for_user,
    figures_region_get_for_user,
    home_node,
)
from xiangzhi.centre.nav import sections_for
from xiangzhi.centre.queue import (
    DISPATCH_LEVELS,
    DUE_CHOICES,
    PRESETS,
    STATUS_CHOICES,
    SUGGESTED,
    UNASSIGNED,
    QueueFilter,
    bulk_allowed,
    case_bulk_act,
    dispatch_departments,
    queue_filter,
    queue_list,
    queue_page,
    queue_rows,
    queue_title,
)
from xiangzhi.centre.workload import workload_allowed, workload_for_user
from xiangzhi.core.display import day_text, moment_text
from xiangzhi.core.http import act_then_redirect
from xiangzhi.core.inputs import require
from xiangzhi.lib.spreadsheets import FORMULA_STARTS
from xiangzhi.regions.models import Grid, Region

EXPORT_MAX = 20_000
PRINT_MAX = 500
PEOPLE_PAGE = 100
GRID_CHOICES_MAX = 400  # a township's grids fit a select; a county's thousand do not (pick a region first)


def _period_text(f: QueueFilter) -> str:
    if f.period:
        return PRESETS[f.period] + (f"（{day_text(f.start)} 至 {day_text(f.last)}）" if f.start else "")
    if f.start and f.last:
        return f"{day_text(f.start)} 至 {day_text(f.last)} 上报"
    if f.start:
        return f"{day_text(f.start)} 起上报"
    if f.last:
        return f"{day_text(f.last)} 前上报"
    return "全部上报日期"


def _chips(f: QueueFilter) -> list[dict]:
    """The parts of the filter the form does not show, each with the link that takes it away."""
    found = []
    if f.figure:
        found.append(("统计项", FIGURE_NAMES[f.figure], ("figure",)))
    if f.period:
        found.append(("统计期", PRESETS[f.period], ("period",)))
    if f.month:
        found.append(("上报月份", f.month, ("month",)))
    if f.closed_month:
        found.append(("办结月份", f.closed_month, ("closed_month",)))
    if f.closed_level:
        found.append(("办结层级", HandlingLevel(f.closed_level).label, ("closed_level",)))
    if f.evaluation:
        found.append(("评价", "未评价" if f.evaluation == "none" else Evaluation(f.evaluation).label,
                      ("evaluation",)))
    if f.assignee is not None or f.unassigned:
        found.append(("承办人", "未指派到个人" if f.unassigned else "指定人员", ("assignee", "unassigned")))
    if f.group:
        found.append(("大类", f.group, ("group",)))
    if f.rest:
        found.append(("范围", "本级（未落入下级）", ("rest",)))
    return [{"label": label, "value": value, "url": cases_link(**f.without(*names).params())}
            for label, value, names in found]


def _region_choices(user, chosen: Region | None = None) -> list[tuple[str, str]]:
    """The user's node and two levels below it (a county's townships and management areas, a
    township's areas and villages), and the chosen region's own children: a select one can read."""
    if user.role in GRID_ROLES:
        return []
    node = home_node(user)
    if node is None:
        return []
    depth = node.path.count("/")
    rows = Region.objects.filter(path__startswith=node.path).order_by("path").values_list("code", "name", "path")
    near = chosen.path if chosen is not None else node.path
    return [(code, "　" * (path.count("/") - depth) + name) for code, name, path in rows
            if path.count("/") <= depth + 2 or path == near or (path.startswith(near) and
                                                                 path.count("/") == near.count("/") + 1)]


def _grid_choices(user, f: QueueFilter) -> list[tuple[str, str]]:
    if user.role in GRID_ROLES:
        grids = Grid.objects.filter(scope_of(user).q("path"))
    else:
        node = f.region or home_node(user)
        if node is None:
            return []
        grids = Grid.objects.filter(path__startswith=node.path)
    rows = list(grids.order_by("path").values_list("code", "name", "parent_id")[:GRID_CHOICES_MAX + 1])
    if len(rows) > GRID_CHOICES_MAX and f.grid is None:
        return []
    return [(code, ("　" if parent else "") + name) for code, name, parent in rows[:GRID_CHOICES_MAX]]


def _queue_context(request, f: QueueFilter) -> dict:
    user = request.user
    params = f.params()
    categories = list(Category.objects.order_by("sort", "group", "code").values_list("code", "name", "group",
                                                                                   "is_active"))
    return {
        "f": f, "params": params, "query": urlencode(params),
        "title_parts": queue_title(user, f), "period_text": _period_text(f), "chips": _chips(f),
        "status_choices": STATUS_CHOICES, "due_choices": DUE_CHOICES, "levels": HandlingLevel.choices,
        "channels": Channel.choices, "region_choices": _region_choices(user, f.region),
        "grid_choices": _grid_choices(user, f),
        "category_choices": [(code, name, group) for code, name, group, active in categories if active],
        "department_choices": list(dispatch_departments(user).values_list("code", "name")),
        "centre_sections": sections_for(user, "queue"),
    }


@login_required
def queue(request):
    """The dispatch queue and the list behind every figure: ``/centre/cases/?figure=overdue_open&…``."""
    user = request.user
    f = queue_filter(user, request.GET)
    now = timezone.now()
    page = queue_page(user, f, request.GET.get("page"), now=now)
    steer = bulk_allowed(user)
    rows = queue_rows(page.object_list, now=now, suggest=steer)
    context = _queue_context(request, f)
    title = " · ".join(context["title_parts"])
    if f.assignee is not None and rows and rows[0].person:
        title += f" · {rows[0].person}"  # named from the cases themselves, never looked up by the id
    context.update({
        "page": page, "rows": rows, "count": page.paginator.count, "title": title, "steer": steer, "now": now,
        "targets": [(SUGGESTED, "按各件的派遣建议"), *((lv, HandlingLevel(lv).label) for lv in DISPATCH_LEVELS)],
        "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
        "back": request.GET.urlencode(),
        "print_url": reverse("centre:cases_print") + (f"?{context['query']}" if context["query"] else ""),
        "export_url": reverse("centre:cases_export") + (f"?{context['query']}" if context["query"] else ""),
    })
    return render(request, "centre/queue.html", context)


def _back(value: str) -> str:
    """Back to the queue with the filters the selection was made under (a query string, nothing else)."""
    query = QueryDict(value or "").urlencode()
    return reverse("centre:cases") + (f"?{query}" if query else "")


@login_required
@require_POST
def queue_bulk(request):
    """Dispatch or 督办 the ticked cases; the page then says how many and which could not, and why."""
    post = request.POST
    to, department = post.get("to") or SUGGESTED, ""
    if to.startswith("department:"):
        to, department = "department", to.split(":", 1)[1]

    def doing() -> str | None:
        outcome = case_bulk_act(request.user, ids=post.getlist("ids"), action=post.get("action", ""), to=to,
                                department=department, note=post.get("note", ""),
                                supervise=post.get("supervise") == "1")
        for item in outcome.refused:
            messages.error(request, f"{item.number}「{item.title}」未能处理：{item.message}")
        if not outcome.done:
            messages.error(request, outcome.summary)
            return None
        return outcome.summary

    return act_then_redirect(request, doing, _back(post.get("next", "")))


def _export_rows(rows) -> list[list[str]]:
    out = []
    for r in rows:
        c = r.case
        out.append([c.number, c.title, c.category.name, c.category.group, r.place, c.get_status_display(),
                    "超时" if r.overdue else "", moment_text(c.due_at), moment_text(c.close_due_at), r.holder,
                    c.get_channel_display(), moment_text(c.created_at)])
    return out


EXPORT_HEADER = ["编号", "标题", "类别", "大类", "地点", "状态", "超时", "本环节时限", "办结时限", "承办", "来源",
                 "上报时间"]


def queue_xlsx(title: str, subtitle: str, rows: list[list[str]], *, cut: bool) -> bytes:
    """The list as a sheet: a title line, the header, every cell written as text (a name that starts
    like a formula stays text), and under the rows their count as a formula, =COUNTA over the numbers."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                     "strings_to_urls": False})
    sheet = book.add_worksheet("事件清单")
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    quoted = book.add_format({"num_format": "@", "quote_prefix": True})
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(1, 0, subtitle + ("（超出部分未导出，请缩小筛选范围）" if cut else ""))
    for col, name in enumerate(EXPORT_HEADER):
        sheet.write_string(2, col, name, bold)
    first = 3
    for r, values in enumerate(rows, start=first):
        for col, value in enumerate(values):
            sheet.write_string(r, col, value, quoted if value.startswith(FORMULA_STARTS) else text)
    total = first + len(rows)
    sheet.write_string(total, 0, "合计（件）", bold)
    # Excel rows are 1-based: the data stand on rows first+1 … total.
    sheet.write_formula(total, 1, f"=COUNTA(A{first + 1}:A{max(total, first + 1)})", bold, len(rows))
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, len(EXPORT_HEADER) - 1, 14)
    book.close()
    return out.getvalue()


def _listing(request, limit: int):
    user = request.user
    f = queue_filter(user, request.GET)
    now = timezone.now()
    cases = queue_list(user, f, now=now)
    count = cases.count()
    rows = queue_rows(cases[:limit], now=now, suggest=False)
    title = " · ".join(queue_title(user, f))
    return f, rows, count, title, now


@login_required
def queue_export(request):
    f, rows, count, title, now = _listing(request, EXPORT_MAX)
    subtitle = f"{_period_text(f)} · 共 {count:,} 件 · 导出于 {moment_text(now)}"
    content = queue_xlsx(title, subtitle, _export_rows(rows), cut=count > len(rows))
    node = f.grid or f.region or home_node(request.user)
    filename = f"cases-{timezone.localtime(now):%Y%m%d-%H%M}.xlsx"
    return export_recorded(request, content, filename, summary=f"导出事件清单：{title}（{len(rows)} 件）",
                           scope_path=node.path if node is not None else "", detail={"filters": f.params()})


@login_required
def queue_print(request):
    f, rows, count, title, now = _listing(request, PRINT_MAX)
    return render(request, "centre/queue_print.html", {
        "title": title, "period_text": _period_text(f), "rows": rows, "count": count, "cut": count > len(rows),
        "limit": PRINT_MAX, "now": now, "back": reverse("centre:cases") + (f"?{urlencode(f.params())}"
                                                                          if f.params() else ""),
    })


# --- workload -------------------------------------------------------------------------------------


@login_required
def workload(request):
    user = request.user
    require(workload_allowed(user), "无权查看工作量")
    region = figures_region_get_for_user(user, code) if (code := request.GET.get("region")) else None
    grid = figures_grid_get_for_user(user, code) if (code := request.GET.get("grid")) else None
    now = timezone.now()
    w = workload_for_user(user, region=region, grid=grid, now=now)
    place = {"region": region.code if region else "", "grid": grid.code if grid else ""}

    def links(who: dict) -> dict:
        return {"open": cases_link(**place, **who), "overdue": cases_link(**place, **who, due="overdue"),
                "due_today": cases_link(**place, **who, due="today"),
                "closed": cases_link(**place, **who, figure="closed", closed_month=w.month)}

    # A county's hundreds of people: the busiest first, a hundred a page.
    page = Paginator(w.people, PEOPLE_PAGE).get_page(request.GET.get("page"))
    people = [(load, links({"assignee": load.key})) for load in page.object_list]
    unassigned = (w.unassigned, links({"assignee": UNASSIGNED}))
    departments = [(load, links({"department": load.key})) for load in w.departments]
    node = grid or region or home_node(user)
    return render(request, "centre/workload.html", {
        "w": w, "people": people, "people_page": page, "unassigned": unassigned, "departments": departments,
        "page_query": urlencode({k: v for k, v in place.items() if v}),
        "node_name": node.name if node is not None else "我的网格", "region": region, "grid": grid,
        "region_choices": _region_choices(user, region), "month_text": f"{w.month[:4]}年{int(w.month[5:7])}月",
        "title": "工作量", "centre_sections": sections_for(user, "workload"),
    })
