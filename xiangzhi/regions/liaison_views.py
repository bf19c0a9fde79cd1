"""四级包保 pages: a region's 包联 page lists who answers for each place below it, with 「安排」 and
「结束」 for those the rules let."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.core.errors import Invalid, NotFound, field_error, status_of
from xiangzhi.core.inputs import form_day, form_int, require
from xiangzhi.regions import rules, selectors, services
from xiangzhi.regions.models import Liaison, RegionLevel


def _day(value: str | None, name: str, label: str) -> dt.date:
    return form_day(value, name, label, error=services.LiaisonError)


@login_required
def liaisons_home(request):
    """The menu's 「四级包保」: the user's own region's page (the county's for a superuser)."""
    require(can_read_register(request.user))
    roots = list(selectors.region_roots_for_user(request.user)[:2])
    if len(roots) != 1:
        return redirect("regions:browse")
    return redirect("regions:liaisons", code=roots[0].code)


def _page(request, region, *, form: dict, status: int = 200):
    user = request.user
    rows = selectors.liaison_board(region)
    row_tier = rows[0].tier if rows else None
    may_assign_rows = bool(rows) and rules.can_manage_liaison(user, row_tier, region)
    is_village = region.level == RegionLevel.VILLAGE
    may_assign_groups = is_village and rules.can_manage_liaison(user, Liaison.Tier.VILLAGE_CADRE, region)
    own = list(selectors.liaison_list_for_user(user, tier=None).filter(region=region))
    candidates = []
    if may_assign_rows:
        candidates = list(selectors.liaison_candidates(row_tier, rows[0].region))
    elif may_assign_groups:
        candidates = list(selectors.liaison_candidates(Liaison.Tier.VILLAGE_CADRE, region))
    return render(request, "regions/liaisons.html", {
        "region": region,
        "ancestors": selectors.region_ancestors_for_user(user, region),
        "answerable": [link for link in own if link.tier != Liaison.Tier.VILLAGE_CADRE],
        "rows": rows,
        "row_tier_label": Liaison.Tier(row_tier).label if row_tier else "",
        "unanswered": sum(1 for r in rows if r.liaison is None),
        "may_assign_rows": may_assign_rows,
        "is_village": is_village,
        "may_assign_groups": may_assign_groups,
        "group_liaisons": [link for link in own if link.tier == Liaison.Tier.VILLAGE_CADRE],
        "may_end": {link.pk for link in own if rules.can_manage_liaison(user, link.tier, region)}
        | {r.liaison.pk for r in rows if r.liaison and may_assign_rows},
        "candidates": candidates,
        "history": selectors.liaison_list_for_user(user, region=region, active=False)[:30],
        "form": form,
        "today": timezone.localdate().isoformat(),
    }, status=status)


@login_required
def liaisons(request, code: str):
    """A region's 包联: who answers for it, for each place below it, and (a village) for each group."""
    require(can_read_register(request.user))
    region = selectors.region_get_for_user(request.user, code)
    if request.method != "POST":
        return _page(request, region, form={})
    form = request.POST
    try:
        place = region
        if form.get("place"):
            place = selectors.region_get_for_user(request.user, form["place"])
            if not place.path.startswith(region.path):
                raise NotFound()
        tier = form.get("tier", "")
        started_on = _day(form.get("started_on"), "started_on", "起始日期")
        user_id = form_int(form.get("user"), "人员")
        if tier not in Liaison.Tier.values:
            raise services.LiaisonError("请选择包联层级", fields=field_error("tier", "必选"))
        # Only a cadre who may answer for the place can be picked: an unknown id is the same refusal.
        person = selectors.liaison_candidates(tier, place).filter(pk=user_id).first() if user_id else None
        if person is None:
            raise services.LiaisonError("请选择包联干部", fields=field_error("user", "必选"))
        made = services.liaison_assign(region=place, user=person, tier=tier, group_name=form.get("group_name", ""),
                                       started_on=started_on, actor=request.user)
        messages.success(request, f"已安排{made.user}包联{place.name}{made.group_name}")
    except Invalid as exc:
        messages.error(request, str(exc))
        return _page(request, region, form=form, status=status_of(exc))
    return redirect("regions:liaisons", code=region.code)


@login_required
@require_POST
def liaison_end(request, liaison_id: int):
    require(can_read_register(request.user))
    liaison = selectors.liaison_get_for_user(request.user, liaison_id)
    back = liaison.region
    if request.POST.get("page"):
        back = selectors.region_get_for_user(request.user, request.POST["page"])
    try:
        ended_on = _day(request.POST.get("ended_on"), "ended_on", "结束日期")
        services.liaison_end(liaison=liaison, ended_on=ended_on, reason=request.POST.get("reason", ""),
                             actor=request.user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已结束{liaison.user}对{liaison.region.name}{liaison.group_name}的包联")
    return redirect("regions:liaisons", code=back.code)
