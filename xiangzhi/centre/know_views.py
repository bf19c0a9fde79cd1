"""概况 (一键可知): the area profile page, the command centre's first section."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.centre.figures import figures_grid_get_for_user, figures_region_get_for_user
from xiangzhi.centre.figures_views import _grid_choices, _region_choices
from xiangzhi.centre.know import FORMULAS, NOTE, Figure, Know, Row, know_kept, people_url
from xiangzhi.centre.nav import sections_for
from xiangzhi.core.display import decimal_text, share_text, signed_text
from xiangzhi.core.inputs import require
from xiangzhi.regions.models import Grid, Region
from xiangzhi.regions.selectors import ancestor_paths


def change_text(figure: Figure) -> str:
    """「+12」, 「-3」, 「0」 beside a count; empty where the register keeps no date."""
    change = figure.change
    if change is None:
        return ""
    return signed_text(change) if change else "0"


def points_text(now: float | None, then: float | None) -> str:
    """A rate's change in percentage points: 「+2.5个百分点」."""
    if now is None or then is None:
        return ""
    value = round((now - then) * 100, 1)
    return f"{'+' if value > 0 else ''}{decimal_text(value, 1)}个百分点" if value else "0"


def _cards(k: Know) -> list[dict[str, Any]]:
    t = k.total
    at_home = k.node is None or k.node == k.home
    people = people_url(t.kind, k.node.code) if k.node is not None else ""

    def card(key: str, value: str, change: str, detail: str = "", url: str = "") -> dict[str, Any]:
        name, formula = FORMULAS[key]
        return {"key": key, "name": name, "value": value, "change": change, "detail": detail, "url": url,
                "formula": formula}

    return [
        card("residents", f"{t.residents.now:,}", change_text(t.residents), url=people),
        card("households", f"{t.households.now:,}", change_text(t.households), url=people),
        card("key_people", f"{t.key_people.now:,}", change_text(t.key_people),
             url=reverse("people:key_person_list") if at_home else ""),
        card("grids", f"{t.grids.now:,}", "", url=people),
        card("workers", f"{t.workers.now:,}", change_text(t.workers)),
        card("coverage", share_text(t.coverage) or "—", points_text(t.coverage, t.coverage_then),
             f"有人 {t.covered.now:,} / 网格 {t.grids.now:,}",
             url=reverse("regions:unstaffed") if at_home and k.manages_grids else ""),
        card("single", share_text(t.single_rate) or "—", points_text(t.single_rate, t.single_rate_then),
             f"恰一人 {t.single.now:,} / 网格 {t.grids.now:,}"),
    ]


def _categories(k: Know) -> list[dict[str, Any]]:
    at_home = k.node is None or k.node == k.home
    out = []
    for pk, code, name in k.categories:
        figure = k.total.by_category.get(pk, Figure())
        url = f"{reverse('people:key_person_list')}?category={code}" if at_home and figure.now else ""
        out.append({"name": name, "now": figure.now, "change": change_text(figure), "url": url})
    return out


def _rows(k: Know) -> list[dict[str, Any]]:
    param = "region" if k.children and k.children[0].kind == "region" else "grid"
    out = []
    for r in k.children:
        out.append({
            "key": r.key, "name": r.name, "drill": f"?{param}={r.key}" if r.key else "",
            "people": people_url(r.kind, r.key) if r.key else "",
            "residents": r.residents.now, "residents_change": change_text(r.residents),
            "households": r.households.now, "households_change": change_text(r.households),
            "key_people": r.key_people.now, "key_people_change": change_text(r.key_people),
            "grids": r.grids.now, "workers": r.workers.now, "workers_change": change_text(r.workers),
            "coverage": share_text(r.coverage) or "—", "coverage_change": points_text(r.coverage, r.coverage_then),
            "uncovered": r.grids.now - r.covered.now,
        })
    return out


def _trail(k: Know) -> list[tuple[str, str]]:
    """From the user's own node down to the one shown: (name, query) to climb back."""
    node, home = k.node, k.home
    if node is None or home is None or node == home or not isinstance(home, Region):
        return []
    above = [p for p in ancestor_paths(node.path) if p.startswith(home.path) and p != node.path]
    regions = {path: (name, code) for path, name, code in
               Region.objects.filter(path__in=above).values_list("path", "name", "code")}
    grids = {path: (name, code) for path, name, code in
             Grid.objects.filter(path__in=above).values_list("path", "name", "code")}
    chain = []
    for path in above:
        if path in regions:
            name, code = regions[path]
            chain.append((name, "?" if path == home.path else f"?region={code}"))
        elif path in grids:
            name, code = grids[path]
            chain.append((name, f"?grid={code}"))
    return chain


@login_required
def know(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(can_read_register(user), "无权查看概况")
    region = figures_region_get_for_user(user, code) if (code := request.GET.get("region")) else None
    grid = figures_grid_get_for_user(user, code) if (code := request.GET.get("grid")) else None
    counted = know_kept(user, region=region, grid=grid)  # type: ignore[arg-type]  # login_required: a User
    k = counted.value
    rows: list[Row] = k.children
    return render(request, "centre/know.html", {
        "k": k, "counted": counted, "cards": _cards(k), "categories": _categories(k), "rows": _rows(k),
        "has_rows": bool(rows),
        "trail": _trail(k), "note": NOTE, "formulas": FORMULAS,
        "region": region, "grid": grid,
        "region_choices": _region_choices(user), "grid_choices": _grid_choices(user),
        "centre_sections": sections_for(user, "know"),
        "title": f"概况 · {k.node_name}",
    })
