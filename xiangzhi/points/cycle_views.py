"""Pages of the cycle: the quarterly notices and their objections, the public notice behind the
village's link (no login), the cycle calendar with redemption windows, and the yearly settlements."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import optional_int, require
from xiangzhi.people.models import Household
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import CycleKind, NoticeState, PointsSettlement
from xiangzhi.points.rules import (
    can_administer_points,
    can_publish_benefits,
    can_review,
    may_object,
    why_not_resolve,
)
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import region_get_for_user, township_of


def _category_names(notice) -> dict[str, str]:
    names = {c["code"]: c["name"] for c in notice.categories}
    names[selectors.OTHER] = "其他"
    return names


def _table(notice) -> dict:
    names = _category_names(notice)
    used = [c for c in [*names] if any(c in r["by_category"] for r in notice.rows)]
    return {"columns": [(code, names.get(code, code)) for code in used],
            "rows": [{**r, "cells": [r["by_category"].get(code, "") for code in used]} for r in notice.rows]}


# --- notices for signed-in users ----------------------------------------------------------------


@login_required
def notice_list(request):
    user = request.user
    items = list(selectors.notice_list_for_user(user).order_by("-period_start", "village__code")[:200])
    counts = selectors.notice_objection_counts(items)
    for n in items:
        n.counts = counts.get(n.pk, {})
    waiting = list(selectors.objection_list_open_for_user(user)[:100]) if can_review(user) else []
    return render(request, "points/notices.html", {"notices": items, "waiting": waiting,
                                                   "may_publish_benefits": can_publish_benefits(user)})


@login_required
def notice_detail(request, notice_id: int):
    user = request.user
    notice = selectors.notice_get_for_user(user, notice_id)
    objections = list(notice.objections.select_related("household", "filed_by", "resolved_by", "correction"))
    villager = user.role == Role.RESIDENT
    for o in objections:
        o.may_resolve = o.state == "open" and why_not_resolve(user, o) is None
        # Villagers see what was asked and answered; who asked stays with staff (and the asker).
        o.show_filer = not villager or o.filed_by_id == user.pk
        o.household_label = selectors.mask_name(o.household.head_name) if villager else o.household.head_name
    open_for_objections = notice.state == NoticeState.OPEN and timezone.localdate() <= notice.objection_until
    return render(request, "points/notice.html", {
        "notice": notice, "table": _table(notice), "objections": objections,
        "may_object": open_for_objections and may_object(user, notice),
        "check": selectors.notice_verify(notice),
    })


@login_required
@require_POST
def objection_file(request, notice_id: int):
    user = request.user
    notice = selectors.notice_get_for_user(user, notice_id)
    household = Household.objects.filter(pk=optional_int(request.POST.get("household"))).first()
    if household is None:
        messages.error(request, "请选择异议涉及的户")
        return redirect("points:notice", notice_id=notice.pk)
    try:
        services.objection_file(actor=user, notice=notice, household=household, text=request.POST.get("text", ""))
    except PointsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "异议已提交，处理结果会通知您，并在公示页公开")
    return redirect("points:notice", notice_id=notice.pk)


@login_required
@require_POST
def objection_resolve(request, objection_id: int):
    user = request.user
    objection = selectors.objection_get_for_user(user, objection_id)
    post = request.POST
    correction = post.get("correction", "").strip()
    if correction and optional_int(correction) is None:
        messages.error(request, "更正分值应为整数，如 5 或 -3")
        return redirect("points:notice", notice_id=objection.notice_id)
    try:
        services.objection_resolve(actor=user, objection=objection, upheld=post.get("decision") == "uphold",
                                   resolution=post.get("resolution", ""),
                                   correction=optional_int(correction) if correction else None)
    except PointsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "异议已处理，结果已通知提出人")
    return redirect("points:notice", notice_id=objection.notice_id)


# --- the public page (一村一码) -------------------------------------------------------------------


def _public_village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).first()
    if village is None:
        raise NotFound()
    return village


def public_notice(request, village_code: str):
    """The village's notices for anyone with its link: no login, no names beyond the masked ones."""
    village = _public_village(village_code)
    listing = list(selectors.notice_list_public(village))
    chosen = optional_int(request.GET.get("notice"))
    notice = None
    if listing:
        pick = next((n for n in listing if n.pk == chosen), listing[0])
        notice = selectors.notice_get_public(pick.pk)
    context = {"village": village, "township": township_of(village), "listing": listing, "notice": notice}
    if notice is not None:
        context.update(table=_table(notice), check=selectors.notice_verify(notice),
                       objections=selectors.objection_list_public(notice))
    return render(request, "points/public_notice.html", context)


def public_notice_verify(request, village_code: str):
    """核验详情: the full hashes behind a notice's 核验码, for whoever checks them by hand; the other
    pages show only the 核验码 and whether it holds."""
    village = _public_village(village_code)
    notice = selectors.notice_get_public(optional_int(request.GET.get("notice")) or 0)
    if notice.village_id != village.pk:
        raise NotFound()
    return render(request, "points/notice_verify.html", {
        "village": village, "notice": notice, "check": selectors.notice_verify(notice),
    })


def public_notice_qr(request, village_code: str):
    """The village's QR code is 一村一码 now: its page shows the notice among the rest. This address,
    printed and linked before, leads to that code's image."""
    village = _public_village(village_code)
    return redirect("village:qr", village_code=village.code)


# --- the calendar -------------------------------------------------------------------------------


@login_required
def calendar(request):
    user = request.user
    towns = selectors.township_list_for_user(user)
    require(bool(towns))
    code = request.GET.get("township")
    township = next((t for t in towns if t.code == code), towns[0])
    year = optional_int(request.GET.get("year")) or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise NotFound()
    items = selectors.cycle_list_for_year(township, year)
    months = [{"month": m, "cycles": [c for c in items if c.opens_on.month == m]} for m in range(1, 13)]
    return render(request, "points/calendar.html", {
        "township": township, "townships": towns, "year": year, "months": months,
        "policy": selectors.policy_for(township), "today": timezone.localdate(),
        "may_add_window": can_administer_points(user),
        "settlements": PointsSettlement.objects.filter(township=township).order_by("-year")[:5],
        "kinds": CycleKind,
    })


@login_required
@require_POST
def window_add(request):
    user = request.user
    township = region_get_for_user(user, request.POST.get("township", ""))
    try:
        opens = dt.date.fromisoformat(request.POST.get("opens_on", ""))
        closes = dt.date.fromisoformat(request.POST.get("closes_on", ""))
    except ValueError:
        messages.error(request, "请填写正确的开始和结束日期")
    else:
        try:
            w = services.redemption_window_add(actor=user, township=township, opens_on=opens, closes_on=closes,
                                               note=request.POST.get("note", ""))
        except PointsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已安排兑换期：{w.opens_on}～{w.closes_on}")
    return redirect(f"{reverse('points:calendar')}?township={township.code}")


@login_required
def settlement_detail(request, settlement_id: int):
    user = request.user
    item = selectors.settlement_list_for_user(user).filter(pk=settlement_id).first()
    if item is None or not (can_administer_points(user) or can_review(user)):
        raise NotFound()
    honours = selectors.honour_list_for_settlement(item)
    return render(request, "points/settlement.html", {"settlement": item, "honours": honours})
