"""Every read of sunshine meetings, commitments and deliberations, scoped: the village's cadres and the
township and county above read their villages; a commitment's owner reads his own commitments; the
public reads a village's published meeting and screened matters without login (askers as 「村民」, donors
masked). The same 404 answers "does not exist" and "not yours"."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from xiangzhi.accounts.models import AnyUser, Role, User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.meetings.models import (
    Attachment,
    Commitment,
    CommitmentEvent,
    CommitmentPhoto,
    CommitmentState,
    Deliberation,
    DeliberationDonation,
    DeliberationState,
    DeliberationStep,
    MeetingState,
    SunshineMeeting,
)
from xiangzhi.meetings.rules import can_read, can_screen
from xiangzhi.points import selectors as points
from xiangzhi.projects import selectors as projects
from xiangzhi.regions.models import GridAssignment, Region, RegionLevel
from xiangzhi.regions.selectors import township_ids

# Who of a village may own a commitment: its cadres and points staff, and the chiefs and workers of its grids.
OWNER_REGION_ROLES = (Role.VILLAGE_CADRE, Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR)
OWNER_GRID_ROLES = (Role.GRID_CHIEF, Role.GRID_WORKER)
AWAY_NOTE = "在外乡贤"


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def recent_quarters(today: dt.date, n: int = 4) -> list[tuple[int, int]]:
    """This quarter and the ``n - 1`` before it, newest first."""
    out = [quarter_of(today)]
    while len(out) < n:
        out.append(previous_quarter(*out[-1]))
    return out


def _read_q(user: AnyUser, prefix: str = "village__") -> Q:
    if not can_read(user):
        return Q(pk__in=[])
    return scope_of(user).q(f"{prefix}path")


def covers_village(user: AnyUser, village: Region) -> bool:
    return can_read(user) and scope_of(user).covers_path(village.path)


def village_list_for_user(user: AnyUser) -> QuerySet[Region]:
    return Region.objects.filter(_read_q(user, ""), level=RegionLevel.VILLAGE).defer("boundary").order_by("path")


def village_get_for_user(user: AnyUser, code: str) -> Region:
    return get_in_scope_or_404(village_list_for_user(user), Q(), code=code)


def region_get_for_overview(user: AnyUser, code: str | None) -> Region:
    """The region the township overview is about: the user's own node by default, or a region under it."""
    if not can_screen(user):
        raise NotFound()
    scope = scope_of(user)
    qs = Region.objects.filter(scope.q("path")).exclude(level=RegionLevel.VILLAGE).defer("boundary")
    if code:
        return get_in_scope_or_404(qs, Q(), code=code)
    top = qs.order_by("path").first()
    if top is None:
        raise NotFound()
    return top


def public_village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    return village


# --- meetings -------------------------------------------------------------------------------------------


def meeting_list_for_user(user: AnyUser, *, village: Region | None = None) -> QuerySet[SunshineMeeting]:
    qs = SunshineMeeting.objects.filter(_read_q(user)).select_related("village").defer("village__boundary")
    return qs.filter(village=village) if village is not None else qs


def meeting_get_for_user(user: AnyUser, meeting_id: int) -> SunshineMeeting:
    return get_in_scope_or_404(meeting_list_for_user(user), Q(), pk=meeting_id)


def meeting_detail(meeting: SunshineMeeting) -> SunshineMeeting:
    """The meeting with its questions, commitments (owners, events), attachments, events and screenings."""
    return (SunshineMeeting.objects.select_related("village", "created_by").defer("village__boundary")
            .prefetch_related("questions", "attachments", "events__actor", "screenings__actor",
                              Prefetch("commitments", Commitment.objects.select_related("owner", "question")
                                       .order_by("id")))
            .get(pk=meeting.pk))


def owner_candidates(village: Region) -> QuerySet[User]:
    """The accounts that may own one of the village's commitments: active, standing on the village (its
    cadres and points staff) or on one of its grids now (chiefs and workers)."""
    on_grids = GridAssignment.objects.filter(grid__path__startswith=village.path, ended_on__isnull=True,
                                             user__role__in=OWNER_GRID_ROLES).values("user_id")
    return (User.objects.filter(Q(region=village, role__in=OWNER_REGION_ROLES) | Q(pk__in=on_grids), is_active=True)
            .order_by("role", "full_name", "id"))


# --- commitments ----------------------------------------------------------------------------------------


def commitment_list_for_user(user: AnyUser, *, village: Region | None = None) -> QuerySet[Commitment]:
    """Commitments of the villages the user reads, and those he owns himself."""
    if not user.is_authenticated:
        return Commitment.objects.none()
    q = _read_q(user) | Q(owner_id=user.pk)
    qs = (Commitment.objects.filter(q).select_related("village", "owner", "meeting").defer("village__boundary"))
    return qs.filter(village=village) if village is not None else qs


def commitment_get_for_user(user: AnyUser, commitment_id: int) -> Commitment:
    return get_in_scope_or_404(commitment_list_for_user(user), Q(), pk=commitment_id)


def commitment_overdue_list_for_user(user: AnyUser, *, today: dt.date | None = None) -> QuerySet[Commitment]:
    """Open commitments past their deadline, in the villages the user reads (the township's 督办 list),
    the longest overdue first."""
    today = today or timezone.localdate()
    return (Commitment.objects.filter(_read_q(user), state=CommitmentState.OPEN, deadline__lt=today)
            .select_related("village", "owner", "meeting").defer("village__boundary").order_by("deadline", "id"))


def commitment_detail(commitment: Commitment) -> Commitment:
    return (Commitment.objects.select_related("village", "owner", "meeting", "question").defer("village__boundary")
            .prefetch_related(Prefetch("events", CommitmentEvent.objects.select_related("actor")), "photos")
            .get(pk=commitment.pk))


def photo_get_for_user(user: AnyUser, photo_id: int) -> CommitmentPhoto:
    photo = CommitmentPhoto.objects.filter(pk=photo_id).select_related("commitment").first()
    if photo is None:
        raise NotFound()
    commitment_get_for_user(user, photo.commitment_id)
    return photo


def attachment_get_for_user(user: AnyUser, attachment_id: int) -> Attachment:
    """A report's or a step's file: for the village's and the township's staff only."""
    row = (Attachment.objects.filter(pk=attachment_id)
           .select_related("meeting__village", "step__deliberation__village").first())
    if row is None:
        raise NotFound()
    village = row.meeting.village if row.meeting is not None else row.step.deliberation.village  # type: ignore[union-attr]
    if not covers_village(user, village):
        raise NotFound()
    return row


# --- screening ------------------------------------------------------------------------------------------


@dataclass
class ScreeningQueue:
    meetings: list[SunshineMeeting]
    deliberations: list[Deliberation]

    @property
    def total(self) -> int:
        return len(self.meetings) + len(self.deliberations)


def screening_queue_for_user(user: AnyUser) -> ScreeningQueue:
    """What waits for the township's screening: meetings submitted, matters not yet made public."""
    if not can_screen(user):
        return ScreeningQueue([], [])
    meetings = list(meeting_list_for_user(user).filter(state=MeetingState.SUBMITTED).order_by("submitted_at", "id"))
    deliberations = list(deliberation_list_for_user(user).filter(published_at__isnull=True)
                         .prefetch_related("screenings").order_by("created_at", "id"))
    return ScreeningQueue(meetings, deliberations)


# --- the township's overview --------------------------------------------------------------------------


@dataclass
class Figures:
    """One row of the overview (a village, or a township summing its villages) or the totals.

    meetings held = meetings recorded for the period; published = those the township passed; items =
    the village affairs items the published meetings' reports went through; commitments = those made at
    the period's meetings, as they stand now: done (kept = by the deadline), overdue = open past the
    deadline, open = not yet due; satisfaction = (满意 + 基本满意) ÷ votes of the period's meetings."""

    region: Region | None = None
    villages: int = 0
    meetings: int = 0
    published: int = 0
    items: int = 0
    questions: int = 0
    commitments: int = 0
    done: int = 0
    kept: int = 0
    overdue: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    meeting_ids: list[int] = field(default_factory=list)

    @property
    def open(self) -> int:
        return self.commitments - self.done - self.overdue

    @property
    def votes(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    @property
    def satisfaction(self) -> float | None:
        return (self.satisfied + self.basically_satisfied) / self.votes if self.votes else None

    @property
    def kept_rate(self) -> float | None:
        """按期兑现率 = kept ÷ (done + overdue): of the commitments whose outcome is known or late."""
        settled = self.done + self.overdue
        return self.kept / settled if settled else None

    @property
    def held_rate(self) -> float | None:
        """Villages that held the meeting ÷ villages (for one quarter)."""
        return self.meetings / self.villages if self.villages else None

    def add(self, other: "Figures") -> None:
        for name in ("villages", "meetings", "published", "items", "questions", "commitments", "done", "kept",
                     "overdue", "satisfied", "basically_satisfied", "dissatisfied"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Overview:
    region: Region
    year: int
    quarter: int | None
    rows: list[Figures]
    total: Figures
    by_township: bool


def overview(region: Region, year: int, quarter: int | None = None, *,
             today: dt.date | None = None) -> Overview:
    """Per village (per township, for a county) of ``region``, for a quarter or a whole year: meetings
    held and published, items disclosed, questions, commitments made / done / kept / overdue,
    satisfaction — in five grouped queries whatever the number of villages."""
    today = today or timezone.localdate()
    villages = list(Region.objects.filter(path__startswith=region.path, level=RegionLevel.VILLAGE)
                    .defer("boundary").order_by("path"))
    period = Q(year=year) & (Q(quarter=quarter) if quarter else Q())
    meeting_period = Q(meeting__year=year) & (Q(meeting__quarter=quarter) if quarter else Q())
    ids = [v.pk for v in villages]
    per: dict[int, Figures] = {v.pk: Figures(region=v, villages=1) for v in villages}
    published = Q(state=MeetingState.PUBLISHED)
    for row in (SunshineMeeting.objects.filter(period, village_id__in=ids).order_by().values("village_id")
                .annotate(n=Count("id"), pub=Count("id", filter=published),
                          items=Sum("items_reported", filter=published), s=Sum("satisfied"),
                          b=Sum("basically_satisfied"), d=Sum("dissatisfied"))):
        f = per[row["village_id"]]
        f.meetings, f.published, f.items = row["n"], row["pub"], int(row["items"] or 0)
        f.satisfied, f.basically_satisfied, f.dissatisfied = (int(row[k] or 0) for k in ("s", "b", "d"))
    for village_id, n in (SunshineMeeting.objects.filter(period, village_id__in=ids).order_by()
                          .values("village_id").annotate(n=Count("questions")).values_list("village_id", "n")):
        per[village_id].questions = n
    done = Q(state=CommitmentState.DONE)
    for row in (Commitment.objects.filter(meeting_period, village_id__in=ids).order_by().values("village_id")
                .annotate(n=Count("id"), done=Count("id", filter=done),
                          on_time=Count("id", filter=done & Q(done_on__lte=F("deadline"))),
                          overdue=Count("id", filter=Q(state=CommitmentState.OPEN, deadline__lt=today)))):
        f = per[row["village_id"]]
        f.commitments, f.done, f.kept, f.overdue = row["n"], row["done"], row["on_time"], row["overdue"]
    by_township = region.level in (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE)
    rows: list[Figures]
    if by_township:
        towns = township_ids(ids) if ids else {}
        names = {r.pk: r for r in Region.objects.filter(pk__in=set(towns.values())).defer("boundary")}
        grouped: dict[int, Figures] = {}
        for v in villages:
            town = towns[v.pk]
            grouped.setdefault(town, Figures(region=names[town])).add(per[v.pk])
        rows = sorted(grouped.values(), key=lambda f: f.region.code if f.region else "")
    else:
        rows = [per[v.pk] for v in villages]
    total = Figures(region=region)
    for f in per.values():
        total.add(f)
    return Overview(region=region, year=year, quarter=quarter, rows=rows, total=total, by_township=by_township)


# --- deliberations ------------------------------------------------------------------------------------


def deliberation_list_for_user(user: AnyUser, *, village: Region | None = None) -> QuerySet[Deliberation]:
    qs = (Deliberation.objects.filter(_read_q(user)).select_related("village", "project")
          .defer("village__boundary", "project__village__boundary"))
    return qs.filter(village=village) if village is not None else qs


def deliberation_get_for_user(user: AnyUser, deliberation_id: int) -> Deliberation:
    return get_in_scope_or_404(deliberation_list_for_user(user), Q(), pk=deliberation_id)


def deliberation_detail(deliberation: Deliberation) -> Deliberation:
    return (Deliberation.objects.select_related("village", "project", "created_by").defer("village__boundary")
            .prefetch_related(Prefetch("steps", DeliberationStep.objects.select_related("recorded_by")))
            .prefetch_related("steps__attachments", "screenings__actor",
                              Prefetch("donations", DeliberationDonation.objects.select_related("corrects")))
            .get(pk=deliberation.pk))


def live_donations() -> QuerySet[DeliberationDonation]:
    """Donation rows no later row corrects."""
    return DeliberationDonation.objects.filter(corrected_by__isnull=True)


@dataclass(frozen=True)
class DonationTotals:
    money: int = 0
    labour_days: int = 0
    money_from_away: int = 0
    donors: int = 0


def donation_totals(deliberations: Iterable[Deliberation]) -> dict[int, DonationTotals]:
    """Money, labour and money from people living away per matter: its own ledger, or, for a matter
    about a village project, the project's (``projects.totals_of``). Two queries for the ledgers, two
    for the projects, whatever their number."""
    items = list(deliberations)
    own = [d.pk for d in items if d.project_id is None]
    rows = {r["deliberation_id"]: r for r in live_donations().filter(deliberation_id__in=own).order_by()
            .values("deliberation_id")
            .annotate(m=Sum("amount"), d=Sum("labour_days"), a=Sum("amount", filter=Q(living_away=True)),
                      n=Count("id", filter=Q(amount__gt=0) | Q(labour_days__gt=0)))}
    away = dict(projects.live_donations().filter(project_id__in=[d.project_id for d in items if d.project_id],
                                                 donor_note__contains="在外").order_by()
                .values("project_id").annotate(a=Sum("amount")).values_list("project_id", "a"))
    of_projects = projects.totals_of(d.project_id for d in items if d.project_id is not None)
    out = {}
    for d in items:
        if d.project_id is not None:
            t = of_projects[d.project_id]
            out[d.pk] = DonationTotals(t.donated, t.labour_days, int(away.get(d.project_id) or 0), t.donors)
        else:
            r = rows.get(d.pk) or {}
            out[d.pk] = DonationTotals(int(r.get("m") or 0), int(r.get("d") or 0), int(r.get("a") or 0),
                                       int(r.get("n") or 0))
    return out


# --- public ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicDonor:
    name: str  # masked, 「匿名」 on the donor's wish
    note: str  # 「在外乡贤」 or the ledger's note
    kind: str
    amount: int
    labour_days: int
    donated_on: dt.date


PERSON_NAME_MAX = 4  # longer donor names are a group's (第一网格党员志愿队, 村民小组), shown whole


def _public_name(name: str, anonymous: bool) -> str:
    """A person as the points notice masks him (张三 → 张*, 欧阳明华 → 欧**华), 「匿名」 on his wish."""
    if anonymous:
        return "匿名"
    if len(name.strip()) > PERSON_NAME_MAX:
        return name.strip()
    # points.selectors names mask_name without an explicit re-export.
    return str(points.mask_name(name))  # type: ignore[attr-defined]


def public_donors(deliberations: Iterable[Deliberation]) -> dict[int, list[PublicDonor]]:
    """The gifts standing for each matter (or its project), donors masked like the points notice
    (张三 → 张*), 「匿名」 on their wish, members living away marked 「在外乡贤」: two queries in all."""
    items = list(deliberations)
    out: dict[int, list[PublicDonor]] = {d.pk: [] for d in items}
    by_project: dict[int, list[int]] = {}
    for d in items:
        if d.project_id is not None:
            by_project.setdefault(d.project_id, []).append(d.pk)
    for g in (projects.live_donations().filter(project_id__in=list(by_project)).exclude(amount=0, labour_days=0)
              .order_by("donated_on", "id")):
        for pk in by_project[g.project_id]:
            out[pk].append(PublicDonor(_public_name(g.donor_name, g.anonymous),
                                       AWAY_NOTE if "在外" in g.donor_note else "", g.kind, g.amount, g.labour_days,
                                       g.donated_on))
    own = [d.pk for d in items if d.project_id is None]
    for row in (live_donations().filter(deliberation_id__in=own).exclude(amount=0, labour_days=0)
                .order_by("donated_on", "id")):
        out[row.deliberation_id].append(PublicDonor(_public_name(row.donor_name, row.anonymous),
                                                    AWAY_NOTE if row.living_away else "", row.kind, row.amount,
                                                    row.labour_days, row.donated_on))
    return out


def sunshine_meeting_last_public(village: Region) -> SunshineMeeting | None:
    """The village's latest published sunshine meeting, with its questions (asked by 「村民」), its
    commitments (owner by name, deadline, state, the last progress) and the vote's result; None before
    the first one. Commitments carry ``last_note``: the latest progress or done note."""
    meeting = (SunshineMeeting.objects.filter(village=village, state=MeetingState.PUBLISHED)
               .defer("village__boundary").order_by("-year", "-quarter").first())
    if meeting is None:
        return None
    meeting = (SunshineMeeting.objects.prefetch_related(
        "questions", Prefetch("commitments", Commitment.objects.select_related("owner").order_by("deadline", "id")
                              .prefetch_related(Prefetch("events", CommitmentEvent.objects.order_by("at", "id")))))
        .get(pk=meeting.pk))
    for c in meeting.commitments.all():
        notes = [e.note for e in c.events.all() if e.action in ("progress", "done") and e.note]
        c.last_note = notes[-1] if notes else ""  # type: ignore[attr-defined]
    return meeting


def sunshine_meeting_history_public(village: Region, limit: int = 4) -> list[SunshineMeeting]:
    """The village's published meetings, newest first, for a line each (quarter, date, satisfaction)."""
    return list(SunshineMeeting.objects.filter(village=village, state=MeetingState.PUBLISHED)
                .order_by("-year", "-quarter")[:limit])


def deliberation_list_public(village: Region) -> list[Deliberation]:
    """The village's matters the township made public, those in progress first, each with its steps (the
    minutes as recorded, personal numbers masked), ``totals`` of donations and ``donors`` masked."""
    rows = list(Deliberation.objects.filter(village=village, published_at__isnull=False)
                .select_related("project").defer("project__village__boundary")
                .prefetch_related(Prefetch("steps", DeliberationStep.objects.order_by("held_on", "id")))
                .order_by("state", "-created_at", "-id"))
    order = {DeliberationState.IN_PROGRESS: 0, DeliberationState.COMPLETED: 1, DeliberationState.STOPPED: 2}
    rows.sort(key=lambda d: order[DeliberationState(d.state)])
    totals, donors = donation_totals(rows), public_donors(rows)
    for d in rows:
        d.totals = totals[d.pk]  # type: ignore[attr-defined]
        d.donors = donors[d.pk]  # type: ignore[attr-defined]
    return rows
