"""The polls, read: who votes for an account (his person, his household), which polls he may vote in,
the polls a sender or a paper-ballot recorder follows, a ballot and the results (counts, shares,
turnout, the 满意度 scale), and the command centre's summary of the polls of a scope. Other modules read
these through ``participation.selectors``, which names them too."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.participation.audiences import Audience, audience_households, audience_residents, sender_q
from xiangzhi.participation.models import (
    SATISFIED_FLOOR,
    Poll,
    PollAnswer,
    PollBallot,
    PollOption,
    PollQuestion,
    QuestionKind,
    VoteUnit,
)
from xiangzhi.participation.rules import can_address, can_record_ballots
from xiangzhi.people.models import Household, Relation, Resident, counted
from xiangzhi.regions.models import Grid
from xiangzhi.regions.selectors import ancestor_paths

# --- polls -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voter:
    """Whom an account votes for: its person (his own, or a household account's head) and household."""

    household: Household | None
    resident: Resident | None


def voter_of(user: User) -> Voter:
    if not user.is_authenticated:
        return Voter(None, None)
    if user.resident_id:
        resident = Resident.objects.select_related("household").filter(counted(), pk=user.resident_id).first()
        return Voter(resident.household if resident else None, resident)
    if user.household_id:
        household = Household.objects.filter(pk=user.household_id, closed_on__isnull=True).first()
        head = (Resident.objects.filter(counted(), household_id=user.household_id, relation=Relation.HEAD)
                .order_by("id").first()) if household else None
        return Voter(household, head)
    return Voter(None, None)


def poll_eligible(poll: Poll, voter: Voter, *, today: dt.date | None = None) -> bool:
    """Whether the voter is in the poll's audience: his household for a household vote, himself for a
    person vote."""
    audience = Audience.of(poll)
    if poll.unit == VoteUnit.HOUSEHOLD:
        return voter.household is not None and audience_households(audience).filter(pk=voter.household.pk).exists()
    return voter.resident is not None and audience_residents(audience, today=today).filter(
        pk=voter.resident.pk).exists()


def poll_electorate(audience: Audience, unit: str, *, today: dt.date | None = None) -> int:
    if unit == VoteUnit.HOUSEHOLD:
        return audience_households(audience).count()
    return audience_residents(audience, today=today).count()


def _poll_related(qs: QuerySet[Poll]) -> QuerySet[Poll]:
    return (qs.select_related("author", "region", "grid", "party_group")
            .defer("region__boundary", "grid__boundary")
            .annotate(ballot_count=Count("ballots")))


def _poll_staff_q(user: User) -> Q:
    """A sender's polls inside his scope; for those who enter paper ballots (a grid worker) also the polls
    addressed to a place above his grids (his village's, his township's)."""
    q = sender_q(user)
    if can_record_ballots(user):
        scope = scope_of(user)
        above = {a for p in scope.paths for a in ancestor_paths(p)}
        q |= scope.q("scope_path") | Q(scope_path__in=sorted(above))
    return q


def poll_list_for_user(user: User) -> QuerySet[Poll]:
    """The polls a sender or a ballot recorder follows, newest first, each with its ``ballot_count``."""
    return _poll_related(Poll.objects.filter(_poll_staff_q(user))).order_by("-opens_at", "-id")


def poll_list_for_voter(user: User, voter: Voter) -> list[Poll]:
    """The polls the voter may vote in (or has voted in), newest first; each with ``my_ballot``."""
    if voter.household is None:
        return []
    paths = ancestor_paths(Grid.objects.filter(pk=voter.household.grid_id).values_list("path", flat=True).get())
    own = Q(resident=voter.resident) if voter.resident else Q(pk__in=[])
    mine = PollBallot.objects.filter(poll=OuterRef("pk")).filter(
        own | Q(household=voter.household, resident__isnull=True))
    candidates = (_poll_related(Poll.objects.filter(scope_path__in=paths)).annotate(my_ballot=Exists(mine))
                  .order_by("-opens_at", "-id"))
    return [p for p in candidates if p.my_ballot or poll_eligible(p, voter)]


def poll_get_for_user(user: User, poll_id: int) -> Poll:
    """A sender inside its scope, or someone in its audience."""
    poll = _poll_related(Poll.objects.filter(pk=poll_id)).first()
    if poll is None:
        raise NotFound()
    if can_address(user, poll.scope_path) or Poll.objects.filter(_poll_staff_q(user), pk=poll_id).exists():
        return poll
    if poll_eligible(poll, voter_of(user)):
        return poll
    raise NotFound()


def ballot_household_for_user(user: User, number: str) -> Household | None:
    """The household a paper ballot is entered for, by its 户编号, inside the recorder's scope; None for
    one that does not exist and one that is not his alike."""
    number = (number or "").strip()
    if not number or not can_record_ballots(user):
        return None
    return (Household.objects.filter(scope_of(user).q("grid__path"), number=number, closed_on__isnull=True)
            .select_related("grid").defer("grid__boundary").first())


def ballot_resident(household: Household, name: str) -> Resident | None:
    """The member of the household a person's paper ballot is for, by name."""
    return Resident.objects.filter(counted(), household=household, name=(name or "").strip()).order_by("id").first()


def poll_questions(poll: Poll) -> list[PollQuestion]:
    return list(poll.questions.prefetch_related(Prefetch("options", PollOption.objects.order_by("position"))))


def ballot_of(poll: Poll, voter: Voter) -> PollBallot | None:
    """The ballot that counts for the voter: his own, or his household's."""
    if poll.unit == VoteUnit.HOUSEHOLD:
        return (PollBallot.objects.filter(poll=poll, household=voter.household, resident__isnull=True).first()
                if voter.household else None)
    return PollBallot.objects.filter(poll=poll, resident=voter.resident).first() if voter.resident else None


def results_visible(poll: Poll, user: User | None, *, now: dt.datetime | None = None) -> bool:
    """Its senders always; voters and the public once it has closed, or at once when the results are live."""
    if user is not None and can_address(user, poll.scope_path):
        return True
    state = poll.state_at(now or timezone.now())
    return state == "closed" or (state == "open" and poll.results_live)


@dataclass
class OptionResult:
    option: PollOption
    count: int
    share: float | None  # of those who answered the question


@dataclass
class QuestionResult:
    question: PollQuestion
    answered: int
    options: list[OptionResult]
    satisfied_share: float | None = None  # the scale: 基本满意 and above ÷ answered
    mean: float | None = None  # the scale: Σ score × count ÷ answered (非常满意 5 … 非常不满意 1)


@dataclass
class PollResults:
    ballots: int
    electorate: int
    on_paper: int = 0  # of the ballots, those entered from paper door to door
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def turnout(self) -> float | None:
        return self.ballots / self.electorate if self.electorate else None


def poll_results(poll: Poll) -> PollResults:
    """Counts and shares per option: three queries whatever the number of votes."""
    answers = PollAnswer.objects.filter(ballot__poll=poll)
    counts = {(q, o): n for q, o, n in answers.values("question_id", "option_id").annotate(n=Count("id"))
              .values_list("question_id", "option_id", "n").order_by()}
    answered = dict(answers.values("question_id").annotate(n=Count("ballot_id", distinct=True))
                    .values_list("question_id", "n").order_by())
    cast = PollBallot.objects.filter(poll=poll).aggregate(n=Count("id"), paper=Count("id", filter=Q(on_paper=True)))
    out = PollResults(ballots=cast["n"], electorate=poll.electorate, on_paper=cast["paper"])
    for question in poll_questions(poll):
        n = answered.get(question.pk, 0)
        rows = [OptionResult(o, counts.get((question.pk, o.pk), 0), None) for o in question.options.all()]
        for row in rows:
            row.share = row.count / n if n else None
        result = QuestionResult(question, n, rows)
        if question.kind == QuestionKind.SCALE and n:
            result.satisfied_share = sum(r.count for r in rows if (r.option.value or 0) >= SATISFIED_FLOOR) / n
            result.mean = sum((r.option.value or 0) * r.count for r in rows) / n
        out.questions.append(result)
    return out


@dataclass
class PollSummary:
    """A poll as the command centre lists it: turnout, and where its results may be shown to the
    reader (``results_visible``), the share satisfied over its 满意度 questions or else the leading
    answer of its first question."""

    poll: Poll
    state: str  # upcoming, open, closed
    ballots: int
    results_shown: bool
    scale_answers: int = 0
    scale_satisfied: int = 0
    leading: str = ""  # the first question's leading option
    leading_count: int = 0
    answered: int = 0  # ballots that answered the first question

    @property
    def turnout(self) -> float | None:
        return self.ballots / self.poll.electorate if self.poll.electorate else None

    @property
    def satisfied_share(self) -> float | None:
        return self.scale_satisfied / self.scale_answers if self.scale_answers else None

    @property
    def leading_share(self) -> float | None:
        return self.leading_count / self.answered if self.answered else None


def poll_summary_list_for_user(user: User, *, start: dt.datetime, end: dt.datetime, path: str = "",
                               now: dt.datetime | None = None, limit: int = 20) -> list[PollSummary]:
    """The polls addressed inside the user's scope (under ``path`` if given) that were open at some time
    in [start, end), newest first: four queries whatever the number of votes."""
    now = now or timezone.now()
    qs = Poll.objects.filter(scope_of(user).q("scope_path"), opens_at__lt=end, closes_at__gte=start).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    if path:
        qs = qs.filter(scope_path__startswith=path)
    # The ballots counted by a lookup on their poll's index for the page's polls alone, not grouped over
    # every ballot of every poll in scope.
    ballots = (PollBallot.objects.filter(poll=OuterRef("pk")).order_by().values("poll")
               .annotate(n=Count("id")).values("n")[:1])
    polls = list(qs.only("id", "title", "audience_label", "scope_path", "unit", "electorate", "opens_at",
                         "closes_at", "closed_at", "results_live")
                 .annotate(ballot_count=Coalesce(Subquery(ballots), 0)).order_by("-opens_at", "-id")[:limit])
    if not polls:
        return []
    ids = [p.pk for p in polls]
    options = {pk: (text, value, question, kind, position, poll) for pk, text, value, question, kind, position, poll in
               PollOption.objects.filter(question__poll_id__in=ids).values_list(
                   "id", "text", "value", "question_id", "question__kind", "question__position", "question__poll_id")}
    first: dict[int, tuple[int, int]] = {}  # poll → (its first question, that question's position)
    for _, _, question, _, position, poll in options.values():
        if poll not in first or position < first[poll][1]:
            first[poll] = (question, position)
    # By question, on the answers' (question, option) index: the ballots' table is not read.
    questions = sorted({question for _, _, question, _, _, _ in options.values()})
    counts = list(PollAnswer.objects.filter(question_id__in=questions).values("option_id").order_by()
                  .annotate(n=Count("id")).values_list("option_id", "n"))
    answered = dict(PollAnswer.objects.filter(question_id__in=[q for q, _ in first.values()])
                    .values("question_id").order_by().annotate(n=Count("ballot_id", distinct=True))
                    .values_list("question_id", "n"))
    out = {p.pk: PollSummary(p, p.state_at(now), p.ballot_count, results_visible(p, user, now=now))
           for p in polls}
    for option_id, n in counts:
        text, value, question, kind, _, poll = options[option_id]
        summary = out[poll]
        if kind == QuestionKind.SCALE:
            summary.scale_answers += n
            summary.scale_satisfied += n if (value or 0) >= SATISFIED_FLOOR else 0
        if first.get(poll, (None,))[0] == question and n > summary.leading_count:
            summary.leading, summary.leading_count = text, n
    for poll, (question, _) in first.items():
        out[poll].answered = answered.get(question, 0)
    return [out[p.pk] for p in polls]
