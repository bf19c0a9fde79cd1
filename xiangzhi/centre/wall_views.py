"""The wall screen (大屏): ``/centre/wall/`` draws the whole page once; its script then fetches
``/centre/wall/data/`` (the same figures as an HTML fragment) every minute and swaps it in, keeping
the last figures on screen while the network is down."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from xiangzhi.cases.rules import figures_allowed
from xiangzhi.centre.figures import figures_grid_get_for_user, figures_region_get_for_user
from xiangzhi.centre.wall import PERIODS, REFRESH_SECONDS, Wall, wall_cached
from xiangzhi.core.inputs import require


def wall_query(period: str, region: str, grid: str) -> dict[str, str]:
    """The parameters the wall screen reads: a period it names, a region's or a grid's code."""
    return {k: v for k, v in {"period": period if period in PERIODS else "", "region": region,
                              "grid": grid}.items() if v}


def wall_address(period: str, region: str, grid: str) -> str:
    """The wall screen for that period and place (the figures page's 「大屏模式」)."""
    query = wall_query(period, region, grid)
    return reverse("centre:wall") + (f"?{urlencode(query)}" if query else "")


def _wall(request: HttpRequest) -> tuple[Wall, dict[str, str]]:
    user = request.user
    require(figures_allowed(user), "无权查看指挥中心大屏")
    region = figures_region_get_for_user(user, code) if (code := request.GET.get("region")) else None
    grid = figures_grid_get_for_user(user, code) if (code := request.GET.get("grid")) else None
    period = request.GET.get("period") or ""
    wall = wall_cached(user, period=period, region=region, grid=grid)
    return wall, wall_query(period, region.code if region else "", grid.code if grid else "")


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    w, query = _wall(request)
    data_url = reverse("centre:wall_data") + (f"?{urlencode(query)}" if query else "")
    return render(request, "centre/wall.html", {"w": w, "data_url": data_url, "refresh": REFRESH_SECONDS,
                                                "back_url": reverse("centre:home")})


@login_required
def wall_data(request: HttpRequest) -> HttpResponse:
    """The screen's figures as a fragment. ``X-Xz-Wall`` tells the script it got the fragment and not,
    say, the login page after the session ended."""
    w, _ = _wall(request)
    response = render(request, "centre/wall_body.html", {"w": w})
    response["X-Xz-Wall"] = "1"
    # Always asked again, but storable: the service worker keeps the last one for a screen reloaded offline.
    response["Cache-Control"] = "no-cache, private"
    return response
