"""The command centre's reads across apps. The case figures with gridwork's 走访按期率 beside them,
for the figures page and its API: the figures count the cases and name the days, gridwork counts the
visits over them."""

import datetime as dt
from dataclasses import dataclass

from xiangzhi.accounts.models import User
from xiangzhi.cases.models import Category
from xiangzhi.centre.figures import Figures, Row, case_figures, department_figures, figures_visit_days
from xiangzhi.centre.kept import Kept, keeps, kept
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




@dataclass
class FiguresPage:
    """What the figures page counts: the figures, and the row of each department where it lists them."""

    figures: Figures
    by_department: list[Row]


@keeps("figures")
def _figures_page(user: User, *, region: Region | None, grid: Grid | None, start: str, end: str,
                  department: int | None, category: int | None, departments: int) -> FiguresPage:
    first, after = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    dept = Department.objects.get(pk=department) if department else None
    cat = Category.objects.get(pk=category) if category else None
    f = figures_for_user(user, start=first, end=after, region=region, grid=grid, department=dept, category=cat)
    rows = department_figures(user, start=first, end=after, region=region, grid=grid, category=cat) \
        if departments else []
    return FiguresPage(f, rows)


def figures_page_kept(user: User, *, start: dt.date, end: dt.date, region: Region | None = None,
                      grid: Grid | None = None, department: Department | None = None,
                      category: Category | None = None, departments: bool = False) -> Kept[FiguresPage]:
    """The figures page's counts for [start, end) (``figures_for_user``, and ``department_figures`` when
    ``departments``), kept a minute where they are slow to count (``centre.kept``). The caller has checked
    the region, grid and department against the user's scope."""
    return kept("figures", user, region=region, grid=grid, start=start.isoformat(), end=end.isoformat(),
                department=department.pk if department else None, category=category.pk if category else None,
                departments=int(departments))
