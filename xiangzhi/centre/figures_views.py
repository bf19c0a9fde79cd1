"""The figures page (C3 figures, C10 charts): headline numbers with their formulas and light SVG
charts drawn on the server; the interactive view (「交互图表」, desktops) draws them with plotly.js,
served from our own static files and speaking Chinese. The wall screen is ``/centre/wall/``; the old
``?wall=1`` goes there."""

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from xiangzhi.accounts.models import GRID_ROLES, Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.models import Category
from xiangzhi.cases.rules import figures_allowed
from xiangzhi.centre.exports import figure_query
from xiangzhi.centre.figures import (
    FORMULAS,
    Figures,
    cases_link,
)
from xiangzhi.centre.selectors import figures_page_kept
from xiangzhi.centre.wall_views import wall_address
from xiangzhi.core.charts import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    RED,
    TEAL,
    YELLOW,
    Chart,
    Series,
    bars,
    columns,
    month_ticks,
)
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Department, Grid, Region
from xiangzhi.regions.selectors import department_list_for_user

PRESETS = [("month", "本月"), ("quarter", "本季度"), ("year", "本年"), ("12m", "近12个月"), ("24m", "近两年")]


def pct(rate: float | None) -> str:
    """97.0%, 85.7%; two decimals near 100% so that 99.82% reads as itself."""
    if rate is None:
        return "—"
    value = rate * 100
    return f"{value:.2f}%" if 99.5 <= value < 100 else f"{value:.1f}%"


Link = Callable[..., str]


def _headline(f: Figures, link: Link) -> list[dict]:
    """The headline cards; each value and each count in its detail carries the address of the cases
    behind it (``parts``: (text, address) pairs joined by ``sep``)."""
    def to(figure: str, **more) -> str:
        return link(figure=figure, **more)

    def card(key, value, detail, href="", parts=(), sep=" · "):
        name, formula = FORMULAS[key]
        return {"key": key, "name": name, "value": value, "detail": detail, "formula": formula, "href": href,
                "parts": list(parts), "sep": sep}

    hours = f.mean_hours_to_close
    levels = [(lv, name, n) for lv, name, n, _ in f.level_split if n]
    cards = [
        {"key": "received", "name": "上报件", "value": f"{f.received:,}",
         "detail": f"待受理 {f.pending:,} · 不予受理 {f.rejected:,} · 合并 {f.merged:,}",
         "formula": "统计期内上报的全部事件", "href": to("received"), "sep": " · ",
         "parts": [(f"待受理 {f.pending:,}", to("pending")), (f"不予受理 {f.rejected:,}", to("rejected")),
                   (f"合并 {f.merged:,}", to("merged"))]},
        card("valid_rate", pct(f.valid_rate), f"有效 {f.valid:,} / 已受理审查 {f.reviewed:,}", to("valid"),
             [(f"有效 {f.valid:,}", to("valid")), (f"已受理审查 {f.reviewed:,}", to("reviewed"))], " / "),
        card("closure_rate", pct(f.closure_rate), f"已办结 {f.closed:,} / 应办结 {f.due:,}", to("closed"),
             [(f"已办结 {f.closed:,}", to("closed")), (f"应办结 {f.due:,}", to("due"))], " / "),
        card("on_time_rate", pct(f.on_time_rate), f"按期 {f.closed_on_time:,} / 应办结 {f.due:,}",
             to("closed_on_time"), [(f"按期 {f.closed_on_time:,}", to("closed_on_time")),
                                    (f"应办结 {f.due:,}", to("due"))], " / "),
        card("satisfaction_rate", pct(f.satisfaction_rate),
             f"满意 {f.satisfied:,} · 基本满意 {f.basically_satisfied:,} · 不满意 {f.dissatisfied:,}", to("pleased"),
             [(f"满意 {f.satisfied:,}", to("satisfied")),
              (f"基本满意 {f.basically_satisfied:,}", to("basically_satisfied")),
              (f"不满意 {f.dissatisfied:,}", to("dissatisfied"))]),
        card("self_closed_rate", pct(f.self_closed_rate), " · ".join(f"{name} {n:,}" for _, name, n in levels),
             to("closed_grid"), [(f"{name} {n:,}", to("closed", closed_level=lv)) for lv, name, n in levels]),
        card("rework_rate", pct(f.rework_rate), f"返工 {f.reworked:,} / 已处置 {f.handled:,}", to("reworked"),
             [(f"返工 {f.reworked:,}", to("reworked")), (f"已处置 {f.handled:,}", to("handled"))], " / "),
        card("mean_hours_to_close", "—" if hours is None else f"{hours:,.1f} 小时",
             "" if hours is None else f"约 {hours / 24:,.1f} 天", to("closed"),
             [] if hours is None else [(f"约 {hours / 24:,.1f} 天", "")]),
        card("proactive_rate", pct(f.proactive_rate), f"主动发现 {f.proactive:,} / 上报 {f.received:,}",
             to("proactive"),
             [(f"主动发现 {f.proactive:,}", to("proactive")), (f"上报 {f.received:,}", to("received"))], " / "),
        card("overdue_open", f"{f.overdue_open:,}", f"未办结 {f.open:,}", to("overdue_open"),
             [(f"未办结 {f.open:,}", to("open"))]),
    ]
    if f.visits is not None:
        detail = f"按期 {f.visits.on_time:,} / 走访 {f.visits.done:,}"
        cards.append({"key": "visits", "name": "走访按期率", "value": pct(f.visits.on_time_rate),
                      "detail": detail, "href": "", "parts": [(detail, "")], "sep": "",
                      "formula": "重点人员走访中在应访日期前完成的次数 ÷ 走访次数（网格员工作通）"})
    return cards


# The table columns that click through, and the count behind each (a rate: its numerator).
TABLE_LINKS = {"received": "received", "due": "due", "closed": "closed", "closure_rate": "closed",
               "on_time_rate": "closed_on_time", "satisfaction_rate": "pleased", "overdue_open": "overdue_open"}


def _table(rows, link: Callable[[object], Link] | None = None) -> list[dict]:
    """Breakdown rows for a table; with ``link`` (a row → its link maker) each count links to its cases."""
    out = []
    for r in rows:
        row = {
            "key": r.key, "name": r.name, "received": r.received, "closed": r.closed, "due": r.due,
            "closure_rate": pct(r.closure_rate), "on_time_rate": pct(r.on_time_rate),
            "satisfaction_rate": pct(r.satisfaction_rate), "overdue_open": r.overdue_open, "open": r.open,
        }
        if link is not None:
            to = link(r)
            row["links"] = {column: to(figure=figure) for column, figure in TABLE_LINKS.items()}
        out.append(row)
    return out


def _charts(f: Figures, link: Link, child: Callable[[object], Link]) -> dict:
    """The interactive charts' data; each bar or slice carries the address of its cases."""
    children = [r for r in f.by_child if r.received or r.key]
    levels = [(lv, name, n) for lv, name, n, _ in f.level_split if n]
    return {
        "months": {"x": [r.key for r in f.by_month], "received": [r.received for r in f.by_month],
                   "closed": [r.closed_in_month for r in f.by_month],
                   "received_links": [link(figure="received", month=r.key) for r in f.by_month],
                   "closed_links": [link(figure="closed", closed_month=r.key) for r in f.by_month]},
        "groups": {"names": [r.name for r in f.by_group], "received": [r.received for r in f.by_group],
                   "closed": [r.closed for r in f.by_group],
                   "received_links": [link(figure="received", group=r.key) for r in f.by_group],
                   "closed_links": [link(figure="closed", group=r.key) for r in f.by_group]},
        "levels": {"names": [name for _, name, _ in levels], "values": [n for _, _, n in levels],
                   "links": [link(figure="closed", closed_level=lv) for lv, _, _ in levels]},
        "children": {"names": [r.name for r in children], "overdue": [r.overdue_open for r in children],
                     "open": [r.open - r.overdue_open for r in children],
                     "overdue_links": [child(r)(figure="overdue_open") for r in children],
                     "open_links": [child(r)(figure="open_in_time") for r in children]},
        "satisfaction": {"names": ["满意", "基本满意", "不满意"],
                         "values": [f.satisfied, f.basically_satisfied, f.dissatisfied],
                         "links": [link(figure=k) for k in ("satisfied", "basically_satisfied", "dissatisfied")]},
    }


def _light_charts(f: Figures, link: Link, child: Callable[[object], Link]) -> list[Chart]:
    """The same five charts as ``_charts``, drawn as SVG on the server; every bar links to its cases."""
    labels, ticks = month_ticks([r.key for r in f.by_month])
    levels = [(lv, name, n) for lv, name, n, _ in f.level_split if n]
    children = [r for r in f.by_child if r.received or r.key]
    evaluations = ("satisfied", "basically_satisfied", "dissatisfied")
    return [
        columns("months", "月度上报与办结", labels, ticks,
                Series("上报", [r.received for r in f.by_month], GREEN,
                       [link(figure="received", month=r.key) for r in f.by_month]),
                Series("办结", [r.closed_in_month for r in f.by_month], ORANGE,
                       [link(figure="closed", closed_month=r.key) for r in f.by_month]), label_head="月份"),
        bars("levels", "办结层级（自办自结）", [name for _, name, _ in levels],
             [Series("已办结", [n for _, _, n in levels], GREEN,
                     [link(figure="closed", closed_level=lv) for lv, _, _ in levels])],
             label_head="办结层级", share=True, colors=[GREEN, TEAL, BLUE, ORANGE, PURPLE]),
        bars("satisfaction", "群众评价", ["满意", "基本满意", "不满意"],
             [Series("件数", [f.satisfied, f.basically_satisfied, f.dissatisfied], GREEN,
                     [link(figure=k) for k in evaluations])], label_head="评价",
             share=True, colors=[GREEN, YELLOW, RED]),
        bars("groups", "按类别大类", [r.name for r in f.by_group],
             [Series("上报", [r.received for r in f.by_group], GREEN,
                     [link(figure="received", group=r.key) for r in f.by_group]),
              Series("已办结", [r.closed for r in f.by_group], GREY,
                     [link(figure="closed", group=r.key) for r in f.by_group])], label_head="大类"),
        bars("overdue", "各下级在办与超时", [r.name for r in children],
             [Series("超时未办结", [r.overdue_open for r in children], RED,
                     [child(r)(figure="overdue_open") for r in children]),
              Series("在办未超时", [r.open - r.overdue_open for r in children], GREY,
                     [child(r)(figure="open_in_time") for r in children])],
             stacked=True, label_head=f.child_label),
    ]


def _region_choices(user) -> list[tuple[str, str]]:
    if user.role in GRID_ROLES:
        return []
    if user.role == Role.DEPARTMENT_STAFF:
        if not user.department_id:
            return []
        qs = Region.objects.filter(path__startswith=user.department.region.path)
    else:
        qs = Region.objects.filter(scope_of(user).q("path"))
    rows = qs.order_by("path").values_list("code", "name", "path")
    return [(code, "　" * (path.count("/") - 2) + name) for code, name, path in rows]


def _grid_choices(user) -> list[tuple[str, str]]:
    if user.role not in GRID_ROLES:
        return []
    grids = Grid.objects.filter(scope_of(user).q("path")).order_by("path").values_list("code", "name", "parent_id")
    return [(code, ("　" if parent else "") + name) for code, name, parent in grids]


def _links(keep: dict, place: dict, child_param: str) -> tuple[Link, Callable[[object], Link],
                                                              Callable[[str], Callable[[object], Link]]]:
    """Link makers for the page's numbers, each to the case list behind it with the page's period,
    place and filters: ``link`` for the whole, ``child`` for a child node's row (the node's own row:
    ``rest``), ``row_link(param)`` for rows keyed by ``param`` (a category group, a report month, a
    department)."""
    base = {**keep, **place}

    def link(**more) -> str:
        return cases_link(**{**base, **more})

    def child(row) -> Link:
        params = {**keep, child_param: row.key} if row.key else {**base, "rest": "1"}
        return lambda **more: cases_link(**{**params, **more})

    def row_link(param: str) -> Callable[[object], Link]:
        return lambda row: (lambda **more: cases_link(**{**base, param: row.key, **more}))

    return link, child, row_link


@login_required
def figures(request):
    user = request.user
    require(figures_allowed(user), "无权查看统计")
    if request.GET.get("wall") == "1":
        return redirect(wall_address(request.GET.get("period", ""), request.GET.get("region", ""),
                                     request.GET.get("grid", "")))
    q = figure_query(user, request.GET)
    start, last, preset, region, grid, department, category = (q.start, q.last, q.preset, q.region, q.grid,
                                                                 q.department, q.category)
    departments = department_list_for_user(user) if user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN) else \
        Department.objects.none()

    counted = figures_page_kept(user, start=start, end=last + dt.timedelta(days=1), region=region, grid=grid,
                                department=department, category=category, departments=departments.exists())
    f = counted.value.figures
    interactive = request.GET.get("charts") == "interactive"
    period = {"period": preset} if preset else {"start": start.isoformat(), "end": last.isoformat()}
    keep = {k: v for k, v in {**period, "department": department.code if department else "",
                              "category": category.code if category else ""}.items() if v}
    child_param = "grid" if f.child_label in ("网格", "微网格") else "region"
    place = {**({"region": region.code} if region else {}), **({"grid": grid.code} if grid else {})}
    link, child, row_link = _links(keep, place, child_param)
    by_dept = _table(counted.value.by_department, row_link("department"))
    return render(request, "centre/figures.html", {
        "f": f, "counted": counted, "cards": _headline(f, link),
        "interactive": interactive, "charts": _charts(f, link, child) if interactive else None,
        "light_charts": [] if interactive else _light_charts(f, link, child),
        "interactive_query": urlencode({**keep, **place, "charts": "interactive"}),
        "light_query": urlencode({**keep, **place}),
        "start": start, "last": last, "preset": preset, "presets": PRESETS,
        "children": _table(f.by_child, child), "groups": _table(f.by_group, row_link("group")),
        "months": _table(f.by_month, row_link("month")),
        "departments_table": by_dept,
        "region": region, "grid": grid, "department": department, "category": category,
        "region_choices": _region_choices(user), "grid_choices": _grid_choices(user),
        "department_choices": list(departments.values_list("code", "name")),
        "category_choices": list(Category.objects.filter(is_active=True).values_list("code", "name", "group")),
        "child_param": child_param, "keep_query": urlencode(keep), "place_query": urlencode(place),
        "wall_url": wall_address(preset, region.code if region else "", grid.code if grid else ""),
        "title": f"事件统计 · {f.node_name}",
    })
