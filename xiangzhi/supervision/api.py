"""/api/v1/supervision: 码上问 for staff — the questions of their villages, screening, public answers —
and the village codes. Asking and reporting stay on the village page (a person, an SMS code), not here."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.core.inputs import require
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.models import Question
from xiangzhi.supervision.public_views import site_of
from xiangzhi.supervision.rules import can_moderate, can_print_posters

router = Router(tags=["一村一码"])


class QuestionOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    category: str
    category_name: str = Field(..., alias="get_category_display")
    text: str = Field(..., description="提问（身份证号、电话等已隐去）")
    masked_kinds: list[str] = Field(..., alias="masked_kind_list", description="被隐去的个人信息种类")
    state: str
    state_name: str = Field(..., alias="get_state_display")
    overdue: bool
    asked_at: dt.datetime
    screen_due_at: dt.datetime
    answer_due_at: dt.datetime
    screened_at: dt.datetime | None
    reject_reason: str
    answer: str
    answer_post: str
    answered_at: dt.datetime | None


class DecisionOut(Schema):
    subject: str
    outcome: str
    outcome_name: str = Field(..., alias="get_outcome_display")
    reason: str
    actor: str | None = Field(None, alias="actor.full_name")
    decided_at: dt.datetime


class QuestionDetailOut(QuestionOut):
    decisions: list[DecisionOut] = Field(..., alias="decision_list", description="每一次审核、答复、撤下")


class ScreenIn(Schema):
    passed: bool
    reason: str = Field("", description="不予公开时必填，提问人可以看到")


class AnswerIn(Schema):
    answer: str
    post: str = Field("", description="答复单位，如“东村村委会”；不填按答复人的岗位")


class ReasonIn(Schema):
    reason: str


class CountsOut(Schema):
    to_screen: int
    to_answer: int
    overdue: int


class CodeOut(Schema):
    village: str
    village_name: str
    generation: int
    url: str = Field(..., description="海报二维码的链接")


def _out(q: Question, now: dt.datetime | None = None) -> Question:
    q.overdue = selectors.question_is_overdue(q, now)
    return q


@router.get("/questions", response=list[QuestionOut])
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def question_list(request, state: str | None = None, village: str | None = None):
    """The questions of the villages in scope, newest first; ``state``: screening, waiting, overdue,
    answered, rejected, withdrawn."""
    require(can_moderate(request.user))
    now = timezone.now()
    qs = selectors.question_list_for_user(request.user, state=state, now=now)
    if village:
        qs = qs.filter(village__code=village)
    return [_out(q, now) for q in qs[:1000]]


@router.get("/questions/counts", response=CountsOut)
def question_counts(request):
    require(can_moderate(request.user))
    return selectors.question_counts_for_user(request.user)


@router.get("/questions/{question_id}", response=QuestionDetailOut)
def question_get(request, question_id: int):
    q = _out(selectors.question_get_for_user(request.user, question_id))
    q.decision_list = list(selectors.question_decisions(q))
    return q


@router.post("/questions/{question_id}/screen", response=QuestionOut)
def question_screen(request, question_id: int, payload: ScreenIn):
    q = selectors.question_get_for_user(request.user, question_id)
    return _out(services.question_screen(question=q, actor=request.user, passed=payload.passed, reason=payload.reason,
                                         site=site_of(request)))


@router.post("/questions/{question_id}/answer", response=QuestionOut)
def question_answer(request, question_id: int, payload: AnswerIn):
    q = selectors.question_get_for_user(request.user, question_id)
    return _out(services.question_answer(question=q, actor=request.user, answer=payload.answer, post=payload.post,
                                         site=site_of(request)))


@router.post("/questions/{question_id}/withdraw", response=QuestionOut)
def question_withdraw(request, question_id: int, payload: ReasonIn):
    q = selectors.question_get_for_user(request.user, question_id)
    return _out(services.question_withdraw(question=q, actor=request.user, reason=payload.reason))


@router.get("/codes", response=list[CodeOut])
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def code_list(request):
    """The villages in scope with the code in force and the link its poster carries."""
    require(can_print_posters(request.user))
    site = site_of(request).rstrip("/")
    out = []
    for v in selectors.village_code_list_for_user(request.user)[:2000]:
        generation = v.generation or 1
        out.append({"village": v.code, "village_name": v.name, "generation": generation,
                    "url": site + reverse("front:village_page", args=[selectors.village_code_token(v, generation)])})
    return out
