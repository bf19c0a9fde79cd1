"""The command centre's reads across apps. The case figures with gridwork's 走访按期率 beside them,
for the figures page and its API: the figures count the cases and name the days, gridwork counts the
visits over them."""

import datetime as dt

from xiangzhi.cases.models import Category
from xiangzhi.centre.figures import Figures, case_figures, figures_visit_days
from xiangzhi.gridwork.selectors import visit_totals_for_user
from xiangzhi.regions.models import Department, Grid, Region


def preset_period(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of a named period that ends today."""
    if name == "month":
        return today.replace(day=1), today
    if name == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if name == "year":
        return today.replace(month=1, day=1), today
    months = 24 if name == "24m" else 12
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1), today


def figures_for_user(user, *, start: dt.date, end: dt.date, region: Region | None = None, grid: Grid | None = None,
                     department: Department | None = None, category: Category | None = None) -> Figures:
    """``case_figures`` for [start, end), with the visits of the same days where they are shown."""
    days = figures_visit_days(user, start, end, narrowed=bool(region or grid or department or category))
    visits = visit_totals_for_user(user, *days) if days is not None else None
    return case_figures(user, start=start, end=end, region=region, grid=grid, department=department,
                        category=category, visit_totals=visits)
