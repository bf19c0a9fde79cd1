"""The figures page (C3 figures, C10 charts): headline numbers with their formulas and light SVG
charts drawn on the server; the interactive view (「交互图表」, desktops) and the wall screen for the
command centre draw them with plotly.js, served from our own static files and speaking Chinese."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from xiangzhi.accounts.models import GRID_ROLES, Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.models import Category
from xiangzhi.cases.rules import figures_allowed
from xiangzhi.centre.figures import (
    FORMULAS,
    Figures,
    department_figures,
    figures_grid_get_for_user,
    figures_region_get_for_user,
)
from xiangzhi.centre.selectors import figures_for_user, preset_period
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

WALL_REFRESH_SECONDS = 60
PRESETS = [("month", "本月"), ("quarter", "本季度"), ("year", "本年"), ("12m", "近12个月"), ("24m", "近两年")]


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def pct(rate: float | None) -> str:
    """97.0%, 85.7%; two decimals near 100% so that 99.82% reads as itself."""
    if rate is None:
        return "—"
    value = rate * 100
    return f"{value:.2f}%" if 99.5 <= value < 100 else f"{value:.1f}%"


def _headline(f: Figures) -> list[dict]:
    def card(key, value, detail):
        name, formula = FORMULAS[key]
        return {"key": key, "name": name, "value": value, "detail": detail, "formula": formula}

    hours = f.mean_hours_to_close
    cards = [
        {"key": "received", "name": "上报件", "value": f"{f.received:,}",
         "detail": f"待受理 {f.pending:,} · 不予受理 {f.rejected:,} · 合并 {f.merged:,}",
         "formula": "统计期内上报的全部事件"},
        card("valid_rate", pct(f.valid_rate), f"有效 {f.valid:,} / 已受理审查 {f.received - f.pending:,}"),
        card("closure_rate", pct(f.closure_rate), f"已办结 {f.closed:,} / 应办结 {f.due:,}"),
        card("on_time_rate", pct(f.on_time_rate), f"按期 {f.closed_on_time:,} / 应办结 {f.due:,}"),
        card("satisfaction_rate", pct(f.satisfaction_rate),
             f"满意 {f.satisfied:,} · 基本满意 {f.basically_satisfied:,} · 不满意 {f.dissatisfied:,}"),
        card("self_closed_rate", pct(f.self_closed_rate),
             " · ".join(f"{name} {n:,}" for _, name, n, _ in f.level_split if n)),
        card("rework_rate", pct(f.rework_rate), f"返工 {f.reworked:,} / 已处置 {f.handled:,}"),
        card("mean_hours_to_close", "—" if hours is None else f"{hours:,.1f} 小时",
             "" if hours is None else f"约 {hours / 24:,.1f} 天"),
        card("proactive_rate", pct(f.proactive_rate), f"主动发现 {f.proactive:,} / 上报 {f.received:,}"),
        card("overdue_open", f"{f.overdue_open:,}", f"未办结 {f.open:,}"),
    ]
    if f.visits is not None:
        cards.append({"key": "visits", "name": "走访按期率", "value": pct(f.visits.on_time_rate),
                      "detail": f"按期 {f.visits.on_time:,} / 走访 {f.visits.done:,}",
                      "formula": "重点人员走访中在应访日期前完成的次数 ÷ 走访次数（网格员工作通）"})
    return cards


def _table(rows) -> list[dict]:
    return [{
        "key": r.key, "name": r.name, "received": r.received, "closed": r.closed, "due": r.due,
        "closure_rate": pct(r.closure_rate), "on_time_rate": pct(r.on_time_rate),
        "satisfaction_rate": pct(r.satisfaction_rate), "overdue_open": r.overdue_open, "open": r.open,
    } for r in rows]


def _charts(f: Figures) -> dict:
    children = [r for r in f.by_child if r.received or r.key]
    return {
        "months": {"x": [r.key for r in f.by_month], "received": [r.received for r in f.by_month],
                   "closed": [r.closed_in_month for r in f.by_month]},
        "groups": {"names": [r.name for r in f.by_group], "received": [r.received for r in f.by_group],
                   "closed": [r.closed for r in f.by_group]},
        "levels": {"names": [name for _, name, n, _ in f.level_split if n],
                   "values": [n for _, _, n, _ in f.level_split if n]},
        "children": {"names": [r.name for r in children], "overdue": [r.overdue_open for r in children],
                     "open": [r.open - r.overdue_open for r in children]},
        "satisfaction": {"names": ["满意", "基本满意", "不满意"],
                         "values": [f.satisfied, f.basically_satisfied, f.dissatisfied]},
    }


def _light_charts(f: Figures) -> list[Chart]:
    """The same five charts as ``_charts``, drawn as SVG on the server."""
    labels, ticks = month_ticks([r.key for r in f.by_month])
    levels = [(name, n) for _, name, n, _ in f.level_split if n]
    children = [r for r in f.by_child if r.received or r.key]
    return [
        columns("months", "月度上报与办结", labels, ticks,
                Series("上报", [r.received for r in f.by_month], GREEN),
                Series("办结", [r.closed_in_month for r in f.by_month], ORANGE), label_head="月份"),
        bars("levels", "办结层级（自办自结）", [name for name, _ in levels],
             [Series("已办结", [n for _, n in levels], GREEN)], label_head="办结层级", share=True,
             colors=[GREEN, TEAL, BLUE, ORANGE, PURPLE]),
        bars("satisfaction", "群众评价", ["满意", "基本满意", "不满意"],
             [Series("件数", [f.satisfied, f.basically_satisfied, f.dissatisfied], GREEN)], label_head="评价",
             share=True, colors=[GREEN, YELLOW, RED]),
        bars("groups", "按类别大类", [r.name for r in f.by_group],
             [Series("上报", [r.received for r in f.by_group], GREEN),
              Series("已办结", [r.closed for r in f.by_group], GREY)], label_head="大类"),
        bars("overdue", "各下级在办与超时", [r.name for r in children],
             [Series("超时未办结", [r.overdue_open for r in children], RED),
              Series("在办未超时", [r.open - r.overdue_open for r in children], GREY)],
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


@login_required
def figures(request):
    user = request.user
    require(figures_allowed(user), "无权查看统计")
    today = timezone.localdate()
    preset = request.GET.get("period") or ""
    start, last = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if preset in dict(PRESETS) or start is None or last is None or last < start:
        preset = preset if preset in dict(PRESETS) else "12m"
        start, last = preset_period(preset, today)
    else:
        preset = ""
    region = figures_region_get_for_user(user, code) if (code := request.GET.get("region")) else None
    grid = figures_grid_get_for_user(user, code) if (code := request.GET.get("grid")) else None
    departments = department_list_for_user(user) if user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN) else \
        Department.objects.none()
    department = departments.filter(code=request.GET.get("department")).first() if request.GET.get(
        "department") else None
    category = Category.objects.filter(code=request.GET.get("category")).first() if request.GET.get(
        "category") else None

    f = figures_for_user(user, start=start, end=last + dt.timedelta(days=1), region=region, grid=grid,
                         department=department, category=category)
    wall = request.GET.get("wall") == "1"
    interactive = wall or request.GET.get("charts") == "interactive"
    period = {"period": preset} if preset else {"start": start.isoformat(), "end": last.isoformat()}
    keep = {k: v for k, v in {**period, "department": department.code if department else "",
                              "category": category.code if category else ""}.items() if v}
    child_param = "grid" if f.child_label in ("网格", "微网格") else "region"
    by_dept = []
    if not wall and departments.exists():
        by_dept = _table(department_figures(user, start=start, end=last + dt.timedelta(days=1), region=region))
    place = {**({"region": region.code} if region else {}), **({"grid": grid.code} if grid else {})}
    return render(request, "centre/figures.html", {
        "f": f, "cards": _headline(f), "wall": wall, "refresh": WALL_REFRESH_SECONDS,
        "interactive": interactive, "charts": _charts(f) if interactive else None,
        "light_charts": [] if interactive else _light_charts(f),
        "interactive_query": urlencode({**keep, **place, "charts": "interactive"}),
        "light_query": urlencode({**keep, **place}),
        "start": start, "last": last, "preset": preset, "presets": PRESETS,
        "children": _table(f.by_child), "groups": _table(f.by_group), "months": _table(f.by_month),
        "departments_table": by_dept,
        "region": region, "grid": grid, "department": department, "category": category,
        "region_choices": _region_choices(user), "grid_choices": _grid_choices(user),
        "department_choices": list(departments.values_list("code", "name")),
        "category_choices": list(Category.objects.filter(is_active=True).values_list("code", "name", "group")),
        "child_param": child_param, "keep_query": urlencode(keep),
        "wall_query": urlencode({**keep, **place, "wall": "1"}),
        "title": f"事件统计 · {f.node_name}",
    })
