"""Every read of announcements, polls and meetings, scoped: senders see what is addressed inside their
scope, villagers what was sent to them and the polls they may vote in; the same 404 answers "does not
exist" and "not yours". The audiences themselves (who is in a grid, a village, a township, a party
group or among the people living away) are resolved in ``audiences``, the polls read in
``poll_selectors``; both are named here too, so this stays the one front door."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.lib.redact import redact_personal
from xiangzhi.notifications.models import Notification
from xiangzhi.notifications.selectors import notification_list_for_user
from xiangzhi.participation.audiences import (
    ADULT_AGE,
    REGION_LEVELS,
    Audience,
    Recipient,
    adult_floor,
    audience_account_ids,
    audience_choices_for_user,
    audience_get,
    audience_get_for_user,
    audience_households,
    audience_kinds_for_user,
    audience_residents,
    recipients_of,
    sender_q,
)
from xiangzhi.participation.models import (
    HOUSEHOLD_AUDIENCES,
    Announcement,
    AnnouncementReceipt,
    AnnouncementReminder,
    Meeting,
    MeetingDemand,
    Poll,
    PublicScreening,
    PublicState,
    ReceiptChannel,
)
from xiangzhi.participation.poll_selectors import (
    OptionResult,
    PollResults,
    PollSummary,
    QuestionResult,
    Voter,
    ballot_household_for_user,
    ballot_of,
    ballot_resident,
    poll_electorate,
    poll_eligible,
    poll_get_for_user,
    poll_list_for_user,
    poll_list_for_voter,
    poll_questions,
    poll_results,
    poll_summary_list_for_user,
    results_visible,
    voter_of,
)
from xiangzhi.participation.rules import can_address, can_keep_meetings, can_screen
from xiangzhi.regions.models import Grid, Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

# The audiences and the polls are read in their own modules; this is the one front door, so it names them too.
__all__ = [
    "ADULT_AGE", "MEETING_PATH", "PUBLIC_LIMIT", "REGION_LEVELS", "SCREENING_LIMIT", "Audience", "MeetingFigures",
    "MeetingRow", "OptionResult", "PollResults", "PollSummary", "PublicPoll", "PublicSection", "QuestionResult",
    "ReceiptCounts", "Recipient", "ScreeningQueue", "Voter", "adult_floor", "announcement_body_public",
    "announcement_get_for_user", "announcement_list_public", "announcement_list_received",
    "announcement_list_sent_for_user", "announcement_may_follow", "audience_account_ids", "audience_choices_for_user",
    "audience_get", "audience_get_for_user", "audience_households", "audience_kinds_for_user", "audience_residents",
    "ballot_household_for_user", "ballot_of", "ballot_resident", "meeting_demands", "meeting_figure_regions_for_user",
    "meeting_figures", "meeting_get_for_user", "meeting_grids", "meeting_list_for_user", "meeting_region_get_for_user",
    "meeting_root_for_user", "meeting_village_get_for_user", "meeting_village_list_for_user", "poll_electorate",
    "poll_eligible", "poll_get_for_user", "poll_get_public", "poll_list_for_user", "poll_list_for_voter",
    "poll_list_public", "poll_questions", "poll_results", "poll_summary_list_for_user", "public_section",
    "receipt_counts", "receipt_get_by_key", "receipt_list_unread", "receipt_of", "receipts_for_sms", "recipients_of",
    "reminder_last", "reminder_list", "results_visible", "screening_count_for_user", "screening_list",
    "screening_queue_for_user", "sender_q", "unread_notifications", "voter_of",
]

PUBLIC_LIMIT = 5


# --- announcements ----------------------------------------------------------------------------------


def announcement_list_sent_for_user(user: User) -> QuerySet[Announcement]:
    """What was sent inside the user's scope, newest first, with how many have read each and how it
    reached them (``read``, ``inbox``, ``sms``, ``unreachable``), in one query."""
    return (Announcement.objects.filter(sender_q(user)).select_related("author")
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
    found = (Announcement.objects.filter(pk=announcement_id).filter(sender_q(user) | mine)
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
