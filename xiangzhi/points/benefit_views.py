"""Pages of 积分优先: staff publish and close a village's benefits and read the ranked list with names;
the public list behind the village's link shows the same ranking with masked names only."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.errors import BadNumber, NotFound
from xiangzhi.core.inputs import form_int, optional_int, require
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import BenefitKind, BenefitState
from xiangzhi.points.rules import can_publish_benefits
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import township_of

LIST_LIMIT = 200


def _day(value: str | None, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise PointsError(f"请填写正确的{label}") from None


@login_required
def benefit_list(request):
    user = request.user
    require(can_publish_benefits(user), "只有村两委、积分管理员和乡镇积分管理人员可以发布积分优先事项")
    villages = selectors.benefit_village_list_for_user(user)
    today = timezone.localdate()
    form = {"basis_start": (today - dt.timedelta(days=365)).isoformat(), "basis_end": today.isoformat(),
            "opens_on": today.isoformat(), "closes_on": (today + dt.timedelta(days=14)).isoformat()}
    error = None
    if request.method == "POST":
        post = request.POST
        form = {k: post.get(k, "") for k in ("village", "kind", "title", "description", "places", "threshold",
                                              "basis_start", "basis_end", "opens_on", "closes_on")}
        village = next((v for v in villages if v.code == post.get("village")), None)
        try:
            if village is None:
                raise NotFound()
            benefit = services.benefit_publish(
                actor=user, village=village, kind=post.get("kind", ""), title=post.get("title", ""),
                description=post.get("description", ""),
                places=form_int(post.get("places"), "名额"), threshold=form_int(post.get("threshold"), "积分门槛"),
                basis_start=_day(post.get("basis_start"), "计分期起"),
                basis_end=_day(post.get("basis_end"), "计分期止"),
                opens_on=_day(post.get("opens_on"), "公布日期"), closes_on=_day(post.get("closes_on"), "截止日期"),
            )
        except (PointsError, BadNumber) as exc:
            error = str(exc)
        else:
            messages.success(request, f"已发布：{benefit.title}")
            return redirect("points:benefit", benefit_id=benefit.pk)
    items = list(selectors.benefit_list_for_user(user)[:LIST_LIMIT])
    return render(request, "points/benefits.html", {
        "benefits": items, "villages": villages, "kinds": BenefitKind.choices, "form": form, "error": error,
    }, status=422 if error else 200)


@login_required
def benefit_detail(request, benefit_id: int):
    benefit = selectors.benefit_get_for_user(request.user, benefit_id)
    return render(request, "points/benefit.html", {
        "benefit": benefit, "rows": selectors.benefit_eligible_households(benefit),
        "check": selectors.benefit_verify(benefit),
    })


@login_required
@require_POST
def benefit_close(request, benefit_id: int):
    benefit = selectors.benefit_get_for_user(request.user, benefit_id)
    try:
        services.benefit_close(actor=request.user, benefit=benefit)
    except PointsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已截止，名单已固定")
    return redirect("points:benefit", benefit_id=benefit.pk)


def public_benefits(request, village_code: str):
    """The village's benefits for anyone with its link: threshold, places and the ranked households,
    named only by masked head names."""
    village = Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    listing = list(selectors.benefit_list_public(village)[:LIST_LIMIT])
    chosen = optional_int(request.GET.get("benefit"))
    benefit = None
    if chosen is not None:
        benefit = selectors.benefit_get_public(village, chosen)
    elif listing:
        benefit = listing[0]
    return render(request, "points/public_benefits.html", {
        "village": village, "township": township_of(village), "listing": listing, "benefit": benefit,
        "rows": selectors.benefit_eligible_households(benefit) if benefit else [],
        "check": selectors.benefit_verify(benefit) if benefit else None, "closed": BenefitState.CLOSED,
    })


def public_benefit_verify(request, village_code: str):
    """核验详情 of a closed list: the full digest stored at closing beside the one computed now from
    the rows kept; the pages show only the 核验码 and whether it holds."""
    village = Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    benefit = selectors.benefit_get_public(village, optional_int(request.GET.get("benefit")) or 0)
    check = selectors.benefit_verify(benefit)
    if check is None:
        raise NotFound()  # open: the list is not fixed yet and has no 核验码
    return render(request, "points/benefit_verify.html", {
        "village": village, "benefit": benefit, "check": check, "rows": benefit.rows.count(),
    })
