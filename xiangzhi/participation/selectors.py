"""Every read of announcements, polls and meetings, scoped: senders see what is addressed inside their
scope, villagers what was sent to them and the polls they may vote in; the same 404 answers "does not
exist" and "not yours". Also the audiences themselves: who is in a grid, a village, a township, a party
group or among the people living away, resolved to people on the register and their accounts."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.lib.redact import redact_personal
from xiangzhi.notifications.models import Notification
from xiangzhi.notifications.selectors import notification_list_for_user
from xiangzhi.participation.models import (
    HOUSEHOLD_AUDIENCES,
    SATISFIED_FLOOR,
    Addressed,
    Announcement,
    AnnouncementReceipt,
    AnnouncementReminder,
    AudienceKind,
    Meeting,
    MeetingDemand,
    Poll,
    PollAnswer,
    PollBallot,
    PollOption,
    PollQuestion,
    PublicScreening,
    PublicState,
    QuestionKind,
    ReceiptChannel,
    VoteUnit,
)
from xiangzhi.participation.rules import can_address, can_keep_meetings, can_record_ballots, can_screen, can_send
from xiangzhi.party.models import PartyGroup
from xiangzhi.people.models import Household, Relation, Resident, Tag, counted
from xiangzhi.regions.models import Grid, Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

ADULT_AGE = 18
# The levels an audience of each region kind may stand on.
REGION_LEVELS: dict[str, tuple[str, ...]] = {
    AudienceKind.VILLAGE: (RegionLevel.VILLAGE,),
    AudienceKind.TOWNSHIP: (RegionLevel.TOWNSHIP,),
    AudienceKind.AWAY_MEMBERS: (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP),
    AudienceKind.AWAY_RESIDENTS: (RegionLevel.VILLAGE, RegionLevel.TOWNSHIP),
}
PUBLIC_LIMIT = 5


# --- audiences ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Whom something is addressed to. ``region`` is the village or township (a grid's village, a party
    group's village)."""

    kind: str
    region: Region
    grid: Grid | None = None
    group: PartyGroup | None = None

    @property
    def path(self) -> str:
        return self.grid.path if self.grid is not None else self.region.path

    @property
    def key(self) -> str:
        if self.grid is not None:
            return self.grid.code
        if self.group is not None:
            return str(self.group.pk)
        return self.region.code

    @property
    def label(self) -> str:
        if self.kind == AudienceKind.GRID and self.grid is not None:
            return f"{self.region.name}·{self.grid.name}"
        if self.kind == AudienceKind.PARTY_GROUP and self.group is not None:
            return f"{self.region.name}{self.group.name}"
        if self.kind in (AudienceKind.AWAY_MEMBERS, AudienceKind.AWAY_RESIDENTS):
            return f"{self.region.name}{AudienceKind(self.kind).label}"
        return self.region.name

    @property
    def by_household(self) -> bool:
        """Whether a household vote fits it: one made of households (not a party group, not people away)."""
        return self.kind in HOUSEHOLD_AUDIENCES

    @classmethod
    def of(cls, row: Addressed) -> "Audience":
        return cls(kind=row.audience, region=row.region, grid=row.grid, group=row.party_group)


def audience_get(kind: str, key: str) -> Audience:
    """The audience a kind and a key name (a grid's code, a region's code, a party group's id)."""
    if kind == AudienceKind.GRID:
        grid = Grid.objects.select_related("region").defer("boundary", "region__boundary").filter(
            code=key, is_active=True).first()
        if grid is None:
            raise NotFound()
        return Audience(kind=kind, region=grid.region, grid=grid)
    if kind == AudienceKind.PARTY_GROUP:
        group = (PartyGroup.objects.select_related("branch__village").defer("branch__village__boundary")
                 .filter(pk=int(key) if key.isdigit() else 0).first())
        if group is None:
            raise NotFound()
        return Audience(kind=kind, region=group.branch.village, group=group)
    levels = REGION_LEVELS.get(kind)
    if not levels:
        raise NotFound()
    region = Region.objects.defer("boundary").filter(code=key, level__in=levels).first()
    if region is None:
        raise NotFound()
    return Audience(kind=kind, region=region)


def audience_get_for_user(user: User, kind: str, key: str) -> Audience:
    """An audience the user may address: inside his scope, else the same 404 as a missing one."""
    audience = audience_get(kind, key)
    if not can_address(user, audience.path):
        raise NotFound()
    return audience


def _audience_targets(user: User, kind: str) -> QuerySet[Grid] | QuerySet[PartyGroup] | QuerySet[Region] | None:
    scope = scope_of(user)
    if kind == AudienceKind.GRID:
        return (Grid.objects.filter(scope.q("path"), is_active=True).select_related("region")
                .defer("boundary", "region__boundary").order_by("path"))
    if kind == AudienceKind.PARTY_GROUP:
        return (PartyGroup.objects.filter(scope.q("branch__village__path")).select_related("branch__village")
                .defer("branch__village__boundary").order_by("branch__village__code", "name"))
    levels = REGION_LEVELS.get(kind)
    if not levels:
        return None
    return Region.objects.filter(scope.q("path"), level__in=levels).defer("boundary").order_by("path")


def audience_kinds_for_user(user: User) -> list[AudienceKind]:
    """The kinds of audience the user may address at all: one EXISTS each."""
    if not can_send(user):
        return []
    out = []
    for kind in AudienceKind:
        targets = _audience_targets(user, kind)
        if targets is not None and targets.exists():
            out.append(kind)
    return out


def audience_choices_for_user(user: User, kind: str) -> list[tuple[str, str]]:
    """(key, name) of every audience of ``kind`` the user may address, for the form's list."""
    if not can_send(user):
        return []
    targets = _audience_targets(user, kind)
    if targets is None:
        return []
    if kind == AudienceKind.GRID:
        return [(g.code, f"{g.region.name}·{g.name}") for g in targets]  # type: ignore[union-attr]
    if kind == AudienceKind.PARTY_GROUP:
        return [(str(g.pk), f"{g.branch.village.name}{g.name}") for g in targets]  # type: ignore[union-attr]
    return [(r.code, r.name) for r in targets]  # type: ignore[union-attr]


def adult_floor(today: dt.date) -> dt.date:
    """The latest birth date of someone who is an adult on ``today``."""
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ADULT_AGE, day=28)


def _grids_under(path: str) -> QuerySet[Grid, Any]:
    return Grid.objects.filter(path__startswith=path).values("id")


def audience_residents(audience: Audience, *, today: dt.date | None = None) -> QuerySet[Resident]:
    """The adults on the register in the audience: living, not moved out, in an open household."""
    today = today or timezone.localdate()
    qs = Resident.objects.filter(counted(), household__closed_on__isnull=True, birth_date__lte=adult_floor(today))
    if audience.kind == AudienceKind.PARTY_GROUP:
        return qs.filter(party_memberships__group=audience.group, party_memberships__left_on__isnull=True)
    qs = qs.filter(household__grid__in=_grids_under(audience.path))
    if audience.kind == AudienceKind.AWAY_MEMBERS:
        return qs.filter(is_away=True, tags__contains=Tag.PARTY_MEMBER)
    if audience.kind == AudienceKind.AWAY_RESIDENTS:
        return qs.filter(is_away=True)
    return qs


def audience_households(audience: Audience) -> QuerySet[Household]:
    """The open households of a grid, village or township with someone still on the register."""
    if not audience.by_household:
        return Household.objects.none()
    living = Resident.objects.filter(counted(), household=OuterRef("pk"))
    return Household.objects.filter(Exists(living), closed_on__isnull=True, grid__in=_grids_under(audience.path))


@dataclass(frozen=True)
class Recipient:
    resident_id: int
    household_id: int
    grid_id: int
    user_id: int | None
    has_phone: bool


def recipients_of(audience: Audience, *, today: dt.date | None = None) -> list[Recipient]:
    """Everyone in the audience with the account he reads it on: his own, or — for a head of household —
    the household's account that stands for no one else. Three queries, whatever the size."""
    residents = audience_residents(audience, today=today)
    rows = list(residents.order_by("household__grid_id", "household_id", "id")
                .values_list("id", "household_id", "household__grid_id", "relation", "phone_hash"))
    own = dict(User.objects.filter(is_active=True, resident__in=residents.values("id"))
               .values_list("resident_id", "id"))
    household_accounts: dict[int | None, int] = {}
    for household_id, account_id in (User.objects.filter(is_active=True, role=Role.RESIDENT, resident__isnull=True,
                                                         household__in=residents.values("household_id"))
                                     .order_by("id").values_list("household_id", "id")):
        household_accounts.setdefault(household_id, account_id)
    taken = set(own.values())
    out = []
    for pk, household_id, grid_id, relation, phone_hash in rows:
        user_id: int | None = own.get(pk)
        if user_id is None and relation == Relation.HEAD:
            candidate = household_accounts.get(household_id)
            if candidate is not None and candidate not in taken:
                user_id = candidate
                taken.add(candidate)
        out.append(Recipient(pk, household_id, grid_id, user_id, bool(phone_hash)))
    return out


def audience_account_ids(audience: Audience, *, unit: str = VoteUnit.PERSON) -> list[int]:
    """The accounts that read or vote for the audience: every person's, or every household's."""
    accounts = [r.user_id for r in recipients_of(audience) if r.user_id is not None]
    if unit == VoteUnit.PERSON:
        return accounts
    households = audience_households(audience).values("id")
    members = User.objects.filter(is_active=True).filter(
        Q(household__in=households) | Q(resident__household__in=households)).values_list("id", flat=True)
    return sorted(set(accounts) | set(members))


# --- announcements ----------------------------------------------------------------------------------


def _sender_q(user: User) -> Q:
    return scope_of(user).q("scope_path") if can_send(user) else Q(pk__in=[])


def announcement_list_sent_for_user(user: User) -> QuerySet[Announcement]:
    """What was sent inside the user's scope, newest first, with how many have read each and how it
    reached them (``read``, ``inbox``, ``sms``, ``unreachable``), in one query."""
    return (Announcement.objects.filter(_sender_q(user)).select_related("author")
            .annotate(read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
                      inbox=Count("receipts", filter=Q(receipts__channel=ReceiptChannel.INBOX)),
                      sms=Count("receipts", filter=Q(receipts__channel=ReceiptChannel.SMS)),
                      unreachable=Count("receipts", filter=Q(receipts__channel=ReceiptChannel.NONE)))
            .order_by("-sent_at", "-id"))


def announcement_list_received(user: User) -> QuerySet[Announcement]:
    """What was sent to the user, newest first, each with his ``my_read_at``."""
    if not user.is_authenticated:
        return Announcement.objects.none()
    mine = AnnouncementReceipt.objects.filter(announcement=OuterRef("pk"), user=user)
    return (Announcement.objects.filter(Exists(mine))
            .annotate(my_read_at=mine.values("read_at")[:1]).order_by("-sent_at", "-id"))


def announcement_get_for_user(user: User, announcement_id: int) -> Announcement:
    """A sender inside its scope, or a recipient."""
    mine = Q(receipts__user=user)
    found = (Announcement.objects.filter(pk=announcement_id).filter(_sender_q(user) | mine)
             .select_related("author", "region", "grid", "party_group").defer("region__boundary", "grid__boundary")
             .first())
    if found is None:
        raise NotFound()
    return found


def announcement_may_follow(user: User, announcement: Announcement) -> bool:
    """Whether the user sees who has read it and may remind the others."""
    return can_address(user, announcement.scope_path)


def receipt_of(user: User, announcement: Announcement) -> AnnouncementReceipt | None:
    if not user.is_authenticated:
        return None
    return AnnouncementReceipt.objects.filter(announcement=announcement, user=user).first()


def receipt_get_by_key(key: str) -> AnnouncementReceipt:
    """The receipt an SMS link names; the key is the link's only credential."""
    if not key or len(key) > 16:
        raise NotFound()
    found = AnnouncementReceipt.objects.select_related("announcement", "resident").filter(link_key=key).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class ReceiptCounts:
    total: int
    read: int
    inbox: int
    sms: int
    unreachable: int

    @property
    def unread(self) -> int:
        return self.total - self.read

    @property
    def read_share(self) -> float | None:
        return self.read / self.total if self.total else None


def receipt_counts(announcement: Announcement) -> ReceiptCounts:
    """One query: how many were sent to, have read, and how it reached them."""
    row = AnnouncementReceipt.objects.filter(announcement=announcement).aggregate(
        total=Count("id"), read=Count("id", filter=Q(read_at__isnull=False)),
        inbox=Count("id", filter=Q(channel=ReceiptChannel.INBOX)),
        sms=Count("id", filter=Q(channel=ReceiptChannel.SMS)),
        none=Count("id", filter=Q(channel=ReceiptChannel.NONE)))
    return ReceiptCounts(row["total"], row["read"], row["inbox"], row["sms"], row["none"])


def receipt_list_unread(announcement: Announcement) -> QuerySet[AnnouncementReceipt]:
    """Who has not read it, by grid and name: the list the sender works through."""
    return (AnnouncementReceipt.objects.filter(announcement=announcement, read_at__isnull=True)
            .select_related("resident", "grid").defer("grid__boundary")
            .order_by("grid__code", "resident__name", "id"))


def reminder_list(announcement: Announcement) -> QuerySet[AnnouncementReminder]:
    return AnnouncementReminder.objects.filter(announcement=announcement).select_related("actor")


def reminder_last(announcement: Announcement) -> AnnouncementReminder | None:
    return AnnouncementReminder.objects.filter(announcement=announcement).order_by("-at", "-id").first()


def unread_notifications(user: User, link: str) -> QuerySet[Notification]:
    """The user's unread inbox messages that lead to ``link`` (the notice and its reminders)."""
    return notification_list_for_user(user, unread_only=True).filter(link=link)


def announcement_body_public(announcement: Announcement) -> str:
    """The body as the public page shows it: ID numbers, phones and card numbers masked."""
    return redact_personal(announcement.body).text


def receipts_for_sms(receipt_ids: list[int]) -> QuerySet[AnnouncementReceipt]:
    return (AnnouncementReceipt.objects.filter(pk__in=receipt_ids, channel=ReceiptChannel.SMS)
            .select_related("announcement", "resident"))


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
    q = _sender_q(user)
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


# --- the public page ------------------------------------------------------------------------------


@dataclass
class PublicPoll:
    poll: Poll
    state: str
    results: PollResults | None  # None while the results wait for the close


@dataclass
class PublicSection:
    village: Region
    announcements: list[Announcement]
    polls: list[PublicPoll]


def _public_q(village: Region) -> Q:
    """Addressed to the village, a grid of it, or the township (or county) it lies in; marked public and
    passed by the screening."""
    return (Q(scope_path__startswith=village.path) | Q(scope_path__in=ancestor_paths(village.path))) & Q(
        audience__in=list(HOUSEHOLD_AUDIENCES), is_public=True, public_state=PublicState.PASSED)


def announcement_list_public(village: Region, *, limit: int = PUBLIC_LIMIT) -> list[Announcement]:
    """The village's recent public announcements, each with ``public_body`` (personal numbers masked)."""
    rows = list(Announcement.objects.filter(_public_q(village)).order_by("-sent_at", "-id")[:limit])
    for row in rows:
        row.public_body = announcement_body_public(row)  # type: ignore[attr-defined]
    return rows


def poll_list_public(village: Region, *, now: dt.datetime | None = None, limit: int = PUBLIC_LIMIT) -> list[PublicPoll]:
    """The village's public polls that have opened, newest first, with their results where published."""
    now = now or timezone.now()
    out = []
    for poll in Poll.objects.filter(_public_q(village), opens_at__lte=now).order_by("-opens_at", "-id")[:limit]:
        state = poll.state_at(now)
        out.append(PublicPoll(poll, state, poll_results(poll) if results_visible(poll, None, now=now) else None))
    return out


def public_section(village: Region, *, now: dt.datetime | None = None) -> PublicSection:
    """What ``participation/_public_section.html`` shows on the village's public page."""
    return PublicSection(village, announcement_list_public(village), poll_list_public(village, now=now))


def poll_get_public(poll_id: int) -> Poll:
    """A poll passed for the public page; one waiting or returned is the same 404 as a missing one."""
    poll = Poll.objects.filter(pk=poll_id, is_public=True, public_state=PublicState.PASSED,
                               audience__in=list(HOUSEHOLD_AUDIENCES)).select_related(
        "region").defer("region__boundary").first()
    if poll is None:
        raise NotFound()
    return poll


# --- screening for the public page ----------------------------------------------------------------


@dataclass
class ScreeningQueue:
    announcements: list[Announcement]
    polls: list[Poll]

    @property
    def total(self) -> int:
        return len(self.announcements) + len(self.polls)


def _waiting_q(user: User) -> Q:
    """Waiting for the screening, addressed inside the screener's scope."""
    if not can_screen(user):
        return Q(pk__in=[])
    return scope_of(user).q("scope_path") & Q(is_public=True, public_state=PublicState.WAITING)


SCREENING_LIMIT = 200


def screening_queue_for_user(user: User) -> ScreeningQueue:
    """What waits for the user's screening, oldest first (his own among them, for another to screen)."""
    announcements = list(Announcement.objects.filter(_waiting_q(user)).select_related("author")
                         .order_by("sent_at", "id")[:SCREENING_LIMIT])
    for a in announcements:
        a.public_body = announcement_body_public(a)  # type: ignore[attr-defined]
    polls = list(Poll.objects.filter(_waiting_q(user)).select_related("author")
                 .prefetch_related("questions__options").order_by("created_at", "id")[:SCREENING_LIMIT])
    return ScreeningQueue(announcements, polls)


def screening_count_for_user(user: User) -> int:
    """How many announcements and polls wait for the user's screening (not counting his own)."""
    if not can_screen(user):
        return 0
    others = ~Q(author=user)
    return (Announcement.objects.filter(_waiting_q(user), others).count()
            + Poll.objects.filter(_waiting_q(user), others).count())


def screening_list(item: Announcement | Poll) -> QuerySet[PublicScreening]:
    """The decisions on an item, oldest first, with who took them."""
    target = Q(announcement=item) if isinstance(item, Announcement) else Q(poll=item)
    return PublicScreening.objects.filter(target).select_related("actor").order_by("at", "id")


# --- meetings ----------------------------------------------------------------------------------------

MEETING_PATH = "village__path"


def _keeper_q(user: User, field: str = MEETING_PATH) -> Q:
    return scope_of(user).q(field) if can_keep_meetings(user) else Q(pk__in=[])


def meeting_village_list_for_user(user: User) -> QuerySet[Region]:
    return (Region.objects.filter(_keeper_q(user, "path"), level=RegionLevel.VILLAGE).defer("boundary")
            .order_by("path"))


def meeting_village_get_for_user(user: User, code: str) -> Region:
    return get_in_scope_or_404(meeting_village_list_for_user(user), Q(), code=code)


def meeting_list_for_user(user: User, *, region: Region | None = None, start: dt.date | None = None,
                          end: dt.date | None = None) -> QuerySet[Meeting]:
    qs = (Meeting.objects.filter(_keeper_q(user)).select_related("village").defer("village__boundary")
          .annotate(demand_count=Count("demands"),
                    resolved_count=Count("demands", filter=Q(demands__case__closed_at__isnull=False))))
    if region is not None:
        qs = qs.filter(village__path__startswith=region.path)
    if start is not None:
        qs = qs.filter(held_on__gte=start)
    if end is not None:
        qs = qs.filter(held_on__lte=end)
    return qs.order_by("-held_on", "-id")


def meeting_get_for_user(user: User, meeting_id: int) -> Meeting:
    return get_in_scope_or_404(Meeting.objects.select_related("village", "recorded_by").defer("village__boundary"),
                               _keeper_q(user), pk=meeting_id)


def meeting_demands(meeting: Meeting) -> QuerySet[MeetingDemand]:
    """The meeting's demands in the order raised, each with its case (number, state) and where it lies."""
    return (MeetingDemand.objects.filter(meeting=meeting)
            .select_related("case", "category", "grid").defer("grid__boundary").order_by("id"))


def meeting_grids(village: Region) -> QuerySet[Grid]:
    """The grids a demand may be placed in: the village's, top level first."""
    return Grid.objects.filter(region=village, is_active=True).defer("boundary").order_by("path")


@dataclass
class MeetingRow:
    """One village's evenings over a period (or the total of a region)."""

    name: str
    code: str
    meetings: int = 0
    attendance: int = 0
    demands: int = 0
    resolved: int = 0

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.demands if self.demands else None


@dataclass
class MeetingFigures:
    region: Region
    start: dt.date
    end: dt.date
    rows: list[MeetingRow]
    total: MeetingRow


def meeting_figures(region: Region, start: dt.date, end: dt.date) -> MeetingFigures:
    """Per village under ``region``, meetings held between the two days (both included): how many, how
    many attended, demands gathered, resolved (their cases closed) — two grouped queries."""
    meetings = Meeting.objects.filter(village__path__startswith=region.path, held_on__gte=start, held_on__lte=end)
    held = {r["village_id"]: r for r in meetings.values("village_id").annotate(n=Count("id"), people=Sum("attendance"))
            .order_by()}
    demands = {r["meeting__village_id"]: r for r in MeetingDemand.objects.filter(meeting__in=meetings.values("id"))
               .values("meeting__village_id").order_by()
               .annotate(n=Count("id"), done=Count("id", filter=Q(case__closed_at__isnull=False)))}
    villages = Region.objects.filter(pk__in=held.keys()).defer("boundary").order_by("path")
    rows = []
    total = MeetingRow(name=region.name, code=region.code)
    for v in villages:
        h, d = held[v.pk], demands.get(v.pk, {})
        row = MeetingRow(v.name, v.code, h["n"], h["people"] or 0, d.get("n", 0), d.get("done", 0))
        rows.append(row)
        for name in ("meetings", "attendance", "demands", "resolved"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return MeetingFigures(region, start, end, rows, total)


def meeting_figure_regions_for_user(user: User) -> QuerySet[Region]:
    """The regions whose figure the user may read: his own and the townships and villages under it."""
    return (Region.objects.filter(_keeper_q(user, "path"),
                                  level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.AREA))
            .defer("boundary").order_by("path"))


def meeting_region_get_for_user(user: User, code: str | None) -> Region | None:
    """The region asked for (``?region=``), inside the scope; None for the user's own."""
    if not code:
        return None
    return get_in_scope_or_404(Region.objects.defer("boundary"), _keeper_q(user, "path"), code=code)


def meeting_root_for_user(user: User) -> Region | None:
    """The top of the user's reach: his region (county, township or village)."""
    if not can_keep_meetings(user) or user.region_id is None:
        return None
    return Region.objects.defer("boundary").filter(pk=user.region_id).first()
