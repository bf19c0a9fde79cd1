"""The staff's side of 一村一码: the questions of their villages to screen and answer with the clock
on each (overdue ones listed for the township), every decision on a question, and the village codes
with their printable posters and re-issue."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.errors import Invalid
from xiangzhi.core.inputs import require
from xiangzhi.lib.redact import KIND_NAMES
from xiangzhi.regions.selectors import township_of
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.models import QuestionState
from xiangzhi.supervision.public_views import qr_svg, site_of
from xiangzhi.supervision.rules import can_moderate, can_print_posters, can_reissue_code, can_reissue_codes

PAGE = 30
CODES_PAGE = 50
TABS = [("screening", "待审核"), ("waiting", "待答复"), ("overdue", "已超时"), ("answered", "已答复"),
        ("rejected", "未通过"), ("withdrawn", "已撤下"), ("", "全部")]


@login_required
def question_list(request):
    user = request.user
    require(can_moderate(user))
    state = request.GET.get("state", "screening")
    if state not in selectors.LIST_STATES:
        state = ""
    villages = list(selectors.village_code_list_for_user(user).only("id", "code", "name", "path"))
    village = next((v for v in villages if v.code == request.GET.get("village")), None)
    now = timezone.now()
    qs = selectors.question_list_for_user(user, state=state or None, village=village, now=now)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    for q in page:
        q.overdue = selectors.question_is_overdue(q, now)
    return render(request, "supervision/questions.html", {
        "page": page, "state": state, "tabs": TABS, "villages": villages, "village": village,
        "counts": selectors.question_counts_for_user(user, now),
        "screen_days": settings.SUPERVISION_SCREEN_DAYS, "answer_days": settings.SUPERVISION_ANSWER_DAYS,
    })


@login_required
def question_detail(request, question_id: int):
    user = request.user
    q = selectors.question_get_for_user(user, question_id)
    return render(request, "supervision/question_detail.html", {
        "q": q, "township": township_of(q.village), "decisions": selectors.question_decisions(q),
        "overdue": selectors.question_is_overdue(q), "states": QuestionState,
        "masked": "、".join(KIND_NAMES.get(k, k) for k in q.masked_kind_list),
        "default_post": services.answer_post_default(user, q.village),
    })


def _act(request, question_id: int, act) -> object:
    q = selectors.question_get_for_user(request.user, question_id)
    try:
        act(q)
    except Invalid as exc:
        messages.error(request, str(exc))
    return redirect("supervision:question", q.pk)


@login_required
@require_POST
def question_screen(request, question_id: int):
    passed = request.POST.get("decision") == "pass"

    def act(q):
        services.question_screen(question=q, actor=request.user, passed=passed, reason=request.POST.get("reason", ""),
                                 site=site_of(request))
        messages.success(request, "已审核通过，请在时限内答复" if passed else "已记录：不予公开，提问人可看到原因")

    return _act(request, question_id, act)


@login_required
@require_POST
def question_answer(request, question_id: int):
    def act(q):
        services.question_answer(question=q, actor=request.user, answer=request.POST.get("answer", ""),
                                 post=request.POST.get("post", ""), site=site_of(request))
        messages.success(request, "答复已公开")

    return _act(request, question_id, act)


@login_required
@require_POST
def question_withdraw(request, question_id: int):
    def act(q):
        services.question_withdraw(question=q, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, "已从公开页面撤下")

    return _act(request, question_id, act)


# --- village codes ------------------------------------------------------------------------------


@login_required
def code_list(request):
    user = request.user
    require(can_print_posters(user))
    page = Paginator(selectors.village_code_list_for_user(user), CODES_PAGE).get_page(request.GET.get("page"))
    return render(request, "supervision/codes.html", {"page": page, "may_reissue": can_reissue_codes(user)})


@login_required
def code_poster(request, village_code: str):
    """The A4 poster for the village's public board: its name, the code in force, what it opens."""
    village = selectors.village_code_village_get_for_user(request.user, village_code)
    generation = selectors.village_code_generation(village)
    return render(request, "supervision/poster.html", {
        "village": village, "township": township_of(village), "generation": generation,
        "svg": qr_svg(village, site_of(request)), "history": selectors.village_code_history(village)[:1],
    })


@login_required
@require_POST
def code_reissue(request, village_code: str):
    user = request.user
    village = selectors.village_code_village_get_for_user(user, village_code)
    require(can_reissue_code(user, village))
    try:
        row = services.village_code_reissue(village=village, actor=user, reason=request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("supervision:codes")
    messages.success(request, f"{village.name}已换为第{row.generation}版码，旧码扫描后会提示已更换。请打印新海报张贴。")
    return redirect("supervision:poster", village.code)
