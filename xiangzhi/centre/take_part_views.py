"""群众参与 (一键可参): ratings by channel, the 电话回访 list with its call form, the polls in scope."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import User
from xiangzhi.cases.models import Evaluation
from xiangzhi.cases.rules import figures_allowed
from xiangzhi.cases.selectors import case_get_for_user
from xiangzhi.cases.services import PHONE_UNANSWERED, case_evaluate_by_phone
from xiangzhi.centre.exports import figure_query
from xiangzhi.centre.figures import cases_link
from xiangzhi.centre.figures_views import PRESETS, _grid_choices, _region_choices
from xiangzhi.centre.nav import sections_for
from xiangzhi.centre.take_part import (
    FORMULAS,
    ChannelRow,
    phone_visit_list_for_user,
    phone_visits,
    take_part_kept,
)
from xiangzhi.core.charts import GREEN, RED, YELLOW, Series, bars
from xiangzhi.core.display import share_text
from xiangzhi.core.http import act_then_redirect
from xiangzhi.core.inputs import require
from xiangzhi.participation.rules import can_address

PAGE_SIZE = 20
# The answers the call form offers, in the order a caller asks.
CALL_ANSWERS = [(Evaluation.SATISFIED.value, "满意"), (Evaluation.BASICALLY_SATISFIED.value, "基本满意"),
                (Evaluation.DISSATISFIED.value, "不满意"), (PHONE_UNANSWERED, "未接通")]


def _link(**params: str) -> str:
    """The case list behind a count, where the command centre's case list is mounted."""
    try:
        return cases_link(**params)
    except NoReverseMatch:
        return ""


def _rows(rows: list[ChannelRow], keep: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        where = {**keep, **({"channel": r.key} if r.key else {})}
        out.append({
            "name": r.name, "received": r.received, "closed": r.closed, "evaluated": r.evaluated,
            "satisfied": r.satisfied, "basically_satisfied": r.basically_satisfied, "dissatisfied": r.dissatisfied,
            "by_phone": r.by_phone, "rate": share_text(r.satisfaction_rate) or "—",
            "links": {key: _link(figure=key, **where) for key in
                      ("evaluated", "satisfied", "basically_satisfied", "dissatisfied")},
        })
    return out


@login_required
def take_part(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    require(figures_allowed(user), "无权查看群众参与")
    q = figure_query(user, request.GET)
    start, last, preset, region, grid = q.start, q.last, q.preset, q.region, q.grid
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    counted = take_part_kept(user, start=begin, end=end, region=region, grid=grid)
    t = counted.value
    period = {"period": preset} if preset else {"start": start.isoformat(), "end": last.isoformat()}
    place = {**({"region": region.code} if region else {}), **({"grid": grid.code} if grid else {})}
    keep = {**period, **place}
    page = Paginator(phone_visit_list_for_user(user, region=region, grid=grid), PAGE_SIZE).get_page(
        request.GET.get("page"))
    channels = [r for r in t.channels if r.evaluated]
    chart = bars("satisfaction", "各渠道群众评价", [r.name for r in channels],
                 [Series("满意", [r.satisfied for r in channels], GREEN),
                  Series("基本满意", [r.basically_satisfied for r in channels], YELLOW),
                  Series("不满意", [r.dissatisfied for r in channels], RED)], stacked=True, label_head="渠道")
    back = f"{reverse('centre:take_part')}?{urlencode({**keep, 'page': page.number})}#phone"
    return render(request, "centre/take_part.html", {
        "t": t, "counted": counted, "rows": _rows(t.channels, keep), "total": _rows([t.total], keep)[0], "chart": chart,
        "total_rate": share_text(t.total.satisfaction_rate) or "—",
        "visits": phone_visits(user, list(page.object_list)), "page": page, "answers": CALL_ANSWERS, "back": back,
        "polls": [{"s": s, "turnout": share_text(s.turnout) or "—", "satisfied": share_text(s.satisfied_share),
                   "leading_share": share_text(s.leading_share), "url": reverse("participation:poll", args=[s.poll.pk])
                   if can_address(user, s.poll.scope_path) else ""} for s in t.polls],
        "formulas": FORMULAS,
        "start": start, "last": last, "preset": preset, "presets": PRESETS, "region": region, "grid": grid,
        "keep_query": urlencode(keep), "place_query": urlencode(place),
        "region_choices": _region_choices(user), "grid_choices": _grid_choices(user),
        "centre_sections": sections_for(user, "take_part"),
        "title": f"群众参与 · {t.node_name}",
    })


def _back(request: HttpRequest) -> str:
    """Back to the list the form was on; only ever a page of ours."""
    back = request.POST.get("back", "")
    home = reverse("centre:take_part")
    return back if back.startswith(home) else f"{home}#phone"


@require_POST
@login_required
def phone_visit(request: HttpRequest, case_id: int) -> HttpResponse:
    """One call's outcome: the rating the reporter gave with his words, or 未接通."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    require(figures_allowed(user), "无权记录电话回访")
    case = case_get_for_user(user, case_id)
    answer = request.POST.get("evaluation", "")

    def record() -> str:
        case_evaluate_by_phone(case=case, actor=user, evaluation=answer, comment=request.POST.get("comment", ""))
        said = dict(CALL_ANSWERS).get(answer, answer)
        return f"已记录 {case.number} 的电话回访：{said}"

    return act_then_redirect(request, record, _back(request))
