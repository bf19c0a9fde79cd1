"""党员联系户 pages: a village's party members and the households each answers for, with the
households nobody answers for yet; the village cadre links and ends."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.rules import can_read_register
from xiangzhi.core.errors import Invalid, NotFound, field_error, status_of
from xiangzhi.core.inputs import form_day, form_int, require
from xiangzhi.people import rules, selectors, services
from xiangzhi.people.models import Household
from xiangzhi.regions import selectors as regions
from xiangzhi.regions.models import RegionLevel


def _day(value: str | None, name: str, label: str) -> dt.date:
    return form_day(value, name, label, error=services.MemberLinkError)


def _village(request, code: str):
    village = regions.region_get_for_user(request.user, code)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    return village


@login_required
def member_links_home(request):
    """The menu's 「党员联系户」: a village cadre's own village; anyone else picks one on the 包联 pages."""
    require(can_read_register(request.user))
    roots = list(regions.region_roots_for_user(request.user)[:2])
    if len(roots) == 1 and roots[0].level == RegionLevel.VILLAGE:
        return redirect("people:member_links", code=roots[0].code)
    return redirect("regions:liaisons_home")


def _page(request, village, *, form, status: int = 200):
    members = list(selectors.party_members_of_village(village))
    return render(request, "people/member_links.html", {
        "village": village,
        "members": members,
        "eligible": [m for m in members if not m.is_away],
        "unlinked": selectors.households_without_member(village),
        "may_keep": rules.can_keep_member_links_in(request.user, village),
        "max_households": services.MEMBER_MAX_HOUSEHOLDS,
        "history": selectors.member_link_list_for_user(request.user, region=village, active=False)[:30],
        "form": form,
        "picked": set(form.getlist("households")) if hasattr(form, "getlist") else set(),
        "today": timezone.localdate().isoformat(),
    }, status=status)


@login_required
def member_links(request, code: str):
    require(can_read_register(request.user))
    village = _village(request, code)
    if request.method != "POST":
        return _page(request, village, form={})
    form = request.POST
    try:
        member_id = form_int(form.get("member"), "党员")
        member = selectors.party_members_of_village(village).filter(pk=member_id).first() if member_id else None
        if member is None:
            raise services.MemberLinkError("请选择党员", fields=field_error("member", "必选"))
        ids = [form_int(v, "户") for v in form.getlist("households")]
        households = list(Household.objects.filter(pk__in=[i for i in ids if i], grid__region=village))
        if len(households) != len({i for i in ids if i}):
            raise NotFound()
        started_on = _day(form.get("started_on"), "started_on", "起始日期")
        made = services.member_link_create(member=member, households=households, started_on=started_on,
                                           actor=request.user)
        messages.success(request, f"已安排{member.name}联系 {len(made)} 户")
    except Invalid as exc:
        messages.error(request, str(exc))
        return _page(request, village, form=form, status=status_of(exc))
    return redirect("people:member_links", code=village.code)


@login_required
@require_POST
def member_link_end(request, link_id: int):
    require(can_read_register(request.user))
    link = selectors.member_link_get_for_user(request.user, link_id)
    village_code = link.household.grid.region.code
    try:
        ended_on = _day(request.POST.get("ended_on"), "ended_on", "结束日期")
        services.member_link_end(link=link, ended_on=ended_on, reason=request.POST.get("reason", ""),
                                 actor=request.user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已结束{link.member.name}对{link.household}的联系")
    return redirect("people:member_links", code=village_code)
