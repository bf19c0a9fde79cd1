"""Every read of 一村一码: the village a code opens (or why it opens none), questions in a moderator's
scope with their deadlines, what the public page shows, and the links an asker or a reporter follows.

Links are signed with the site's secret (``django.core.signing``), each kind with its own salt, so a
village code cannot be turned into a follow link or into another village's code: changing any
character breaks the signature, and a broken signature opens nothing."""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.supervision.errors import CodeForged, CodeReplaced, FollowLinkInvalid
from xiangzhi.supervision.models import ModerationDecision, QrReport, Question, QuestionState, VillageCode
from xiangzhi.supervision.rules import can_moderate, can_print_posters

_CODE = signing.Signer(salt="xiangzhi.supervision.village-code")
_QUESTION = signing.Signer(salt="xiangzhi.supervision.question")
_REPORT = signing.Signer(salt="xiangzhi.supervision.report")

# What a staff list filters by; "overdue" is a state of the clock, not of the question.
LIST_STATES = ("screening", "waiting", "overdue", "answered", "rejected", "withdrawn")
PUBLIC_STATES = (QuestionState.ANSWERED,)


# --- village codes ------------------------------------------------------------------------------


def village_code_generation(village: Region) -> int:
    """The generation in force: the newest issue's, or 1 for a village whose code was never re-issued."""
    newest = VillageCode.objects.filter(village=village).aggregate(g=Max("generation"))["g"]
    return int(newest or 1)


def village_code_token(village: Region, generation: int | None = None) -> str:
    """What the poster's link carries: ``<village code>.<generation>`` and its signature."""
    return _CODE.sign(f"{village.code}.{generation or village_code_generation(village)}")


def village_code_resolve(token: str) -> Region:
    """The village a scanned code opens. A bad signature, a village that does not exist and a
    generation never issued are all ``CodeForged``; an earlier generation is ``CodeReplaced``."""
    try:
        value = _CODE.unsign(token or "")
    except signing.BadSignature:
        raise CodeForged() from None
    code, _, generation = value.partition(".")
    if not generation.isdigit():
        raise CodeForged()
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise CodeForged()
    current = village_code_generation(village)
    if int(generation) < current:
        raise CodeReplaced()
    if int(generation) > current:
        raise CodeForged()
    return village


def village_code_list_for_user(user: User) -> QuerySet[Region]:
    """The villages whose posters the user prints, each with ``generation`` and ``issued_at`` of its
    newest issue (None for a first code never re-issued)."""
    if not can_print_posters(user):
        return Region.objects.none()
    newest = VillageCode.objects.filter(village=OuterRef("pk")).order_by("-generation")
    return (Region.objects.filter(scope_of(user).q("path"), level=RegionLevel.VILLAGE).defer("boundary")
            .annotate(generation=Subquery(newest.values("generation")[:1]),
                      issued_at=Subquery(newest.values("issued_at")[:1]))
            .order_by("path"))


def village_code_village_get_for_user(user: User, code: str) -> Region:
    return get_in_scope_or_404(village_code_list_for_user(user), Q(), code=code)


def village_code_history(village: Region) -> QuerySet[VillageCode]:
    return VillageCode.objects.filter(village=village).select_related("issued_by").order_by("-generation")


# --- questions: the moderators ------------------------------------------------------------------


def _overdue_q(now: dt.datetime) -> Q:
    return (Q(state=QuestionState.SCREENING, screen_due_at__lt=now)
            | Q(state=QuestionState.WAITING, answer_due_at__lt=now))


def question_list_for_user(user: User, *, state: str | None = None, village: Region | None = None,
                           now: dt.datetime | None = None) -> QuerySet[Question]:
    """Questions of the villages in the moderator's scope, newest first; ``state`` narrows to one state
    or to ``overdue`` (waiting past its screening or answering deadline)."""
    if not can_moderate(user):
        return Question.objects.none()
    qs = Question.objects.filter(scope_of(user).q("village__path")).select_related("village").defer(
        "village__boundary")
    if village is not None:
        qs = qs.filter(village=village)
    if state == "overdue":
        qs = qs.filter(_overdue_q(now or timezone.now())).order_by("asked_at", "id")
    elif state in QuestionState.values:
        qs = qs.filter(state=state)
    return qs


def question_get_for_user(user: User, question_id: int) -> Question:
    return get_in_scope_or_404(question_list_for_user(user), Q(), pk=question_id)


@dataclass(frozen=True)
class QuestionCounts:
    to_screen: int = 0
    to_answer: int = 0
    overdue: int = 0


def question_counts_for_user(user: User, now: dt.datetime | None = None) -> QuestionCounts:
    """What waits for the moderator (one query): to screen, to answer, and of those past their deadline."""
    if not can_moderate(user):
        return QuestionCounts()
    now = now or timezone.now()
    row = (Question.objects.filter(scope_of(user).q("village__path"),
                                   state__in=(QuestionState.SCREENING, QuestionState.WAITING))
           .aggregate(to_screen=Count("id", filter=Q(state=QuestionState.SCREENING)),
                      to_answer=Count("id", filter=Q(state=QuestionState.WAITING)),
                      overdue=Count("id", filter=_overdue_q(now))))
    return QuestionCounts(to_screen=row["to_screen"], to_answer=row["to_answer"], overdue=row["overdue"])


def question_is_overdue(question: Question, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return ((question.state == QuestionState.SCREENING and question.screen_due_at < now)
            or (question.state == QuestionState.WAITING and question.answer_due_at < now))


def question_decisions(question: Question) -> QuerySet[ModerationDecision]:
    return question.decisions.select_related("actor")


# --- questions: the public ----------------------------------------------------------------------


def question_list_public(village: Region) -> QuerySet[Question]:
    """What the village page shows: answered questions, newest answer first. Nothing of the asker."""
    return (Question.objects.filter(village=village, state__in=PUBLIC_STATES)
            .only("id", "village_id", "category", "text", "asked_at", "answer", "answer_post", "answered_at",
                  "answer_due_at", "state")
            .order_by("-answered_at", "-id"))


def question_list_for_quarter(village: Region, year: int, quarter: int) -> QuerySet[Question]:
    """The questions asked by QR in a quarter that passed screening (waiting or answered), oldest first:
    what the quarter's sunshine meeting (阳光报告会, 询) takes up. Text only as it was masked."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter is 1–4")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    zone = timezone.get_current_timezone()
    return (Question.objects.filter(
        village=village, state__in=(QuestionState.WAITING, QuestionState.ANSWERED),
        asked_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        asked_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=zone))
        .order_by("asked_at", "id"))


# --- follow links ---------------------------------------------------------------------------------


def question_follow_token(question: Question) -> str:
    return _QUESTION.sign(str(question.pk))


def question_by_follow_token(token: str) -> Question:
    try:
        pk = _QUESTION.unsign(token or "")
    except signing.BadSignature:
        raise FollowLinkInvalid() from None
    question = Question.objects.select_related("village").defer("village__boundary").filter(
        pk=int(pk) if pk.isdigit() else 0).first()
    if question is None:
        raise FollowLinkInvalid()
    return question


def qr_report_follow_token(report: QrReport) -> str:
    return _REPORT.sign(str(report.pk))


def qr_report_by_follow_token(token: str) -> QrReport:
    try:
        pk = _REPORT.unsign(token or "")
    except signing.BadSignature:
        raise FollowLinkInvalid() from None
    report = (QrReport.objects.select_related("case__category", "case__region", "village")
              .defer("case__region__boundary", "village__boundary").filter(pk=int(pk) if pk.isdigit() else 0)
              .first())
    if report is None:
        raise FollowLinkInvalid()
    return report
