"""Every read of village affairs disclosures, scoped: keepers (村两委, township, county) read the villages
their region covers; the public reads a village's published disclosures, posts and cadres without login
(nothing personal: no ID numbers, no personal phones). The same 404 answers "does not exist" and "not
yours".

Periods: an item's periods are the months, quarters or years of its cadence; a period is **due**
``due_days`` after it ends. A village's quarter shows every period of its county's active items that
ends within the quarter (a monthly item three times, a yearly one in the fourth quarter). A period is
**overdue** when its due day has passed, it started on or after the item's ``active_from``, and the
village has never published it; only periods due in the last ``OVERDUE_LOOKBACK_DAYS`` are listed.
"""

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import REGION_ROLES, AnyUser, Role, User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.disclosure.models import (
    AffairGroup,
    Attachment,
    Cadence,
    Cadre,
    CadreState,
    Disclosure,
    DisclosureVersion,
    DueItem,
    Event,
    Post,
    PostKind,
    Screening,
    State,
    period_label,
    yuan,
)
from xiangzhi.disclosure.rules import can_keep, can_screen
from xiangzhi.lib.periods import period_bounds
from xiangzhi.party.models import Branch
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths, township_of

OVERDUE_LOOKBACK_DAYS = 366
PUBLIC_POSTS = 10  # posts of each kind on the public section


# --- quarters and periods ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, key: str | None) -> "Quarter | None":
        """「2026Q3」, or ``None`` when blank or not a quarter."""
        if not key or len(key) != 6 or key[4] not in "Qq" or not key[:4].isdigit() or key[5] not in "1234":
            return None
        year = int(key[:4])
        return cls(year, int(key[5])) if 2000 <= year <= 2100 else None

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        return period_bounds("quarter", self.start)[1]

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}季度"

    def previous(self) -> "Quarter":
        return Quarter.of(self.start - dt.timedelta(days=1))

    def next(self) -> "Quarter":
        return Quarter.of(self.end + dt.timedelta(days=1))


def period_of(cadence: str, day: dt.date) -> tuple[dt.date, dt.date]:
    return period_bounds(cadence, day)


def previous_period(cadence: str, start: dt.date) -> tuple[dt.date, dt.date]:
    return period_bounds(cadence, start - dt.timedelta(days=1))


def periods_in(cadence: str, quarter: Quarter) -> list[tuple[dt.date, dt.date]]:
    """The item's periods that end within the quarter."""
    out = []
    day = quarter.start
    while day <= quarter.end:
        start, end = period_bounds(cadence, day)
        if quarter.start <= end <= quarter.end:
            out.append((start, end))
        day = end + dt.timedelta(days=1)
    return out


def due_on(item: DueItem, period_end: dt.date) -> dt.date:
    return period_end + dt.timedelta(days=item.due_days)


def last_closed_quarter(today: dt.date | None = None) -> Quarter:
    return Quarter.of(today or timezone.localdate()).previous()


# --- villages, counties, the template ------------------------------------------------------------------


def _keeper_q(user: AnyUser, prefix: str = "") -> Q:
    if not can_keep(user):
        return Q(pk__in=[])
    return scope_of(user).q(f"{prefix}path")


def covers(user: AnyUser, region: Region) -> bool:
    return scope_of(user).covers_path(region.path)


def county_of(region: Region) -> Region | None:
    return (Region.objects.filter(level=RegionLevel.COUNTY, path__in=ancestor_paths(region.path))
            .defer("boundary").first())


def village_list_for_user(user: User) -> QuerySet[Region]:
    return (Region.objects.filter(_keeper_q(user), level=RegionLevel.VILLAGE).defer("boundary")
            .order_by("path"))


def village_get_for_user(user: User, code: str) -> Region:
    return get_in_scope_or_404(village_list_for_user(user), Q(), code=code)


def region_list_for_posts(user: User) -> QuerySet[Region]:
    """Where a keeper may post: his own region and every township and village below it."""
    return (Region.objects.filter(_keeper_q(user), level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP,
                                                              RegionLevel.VILLAGE))
            .defer("boundary").order_by("path"))


def public_village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    return village


def template_county_for_user(user: User) -> Region | None:
    """The county whose template the user reads: his region's county (a superuser: the first county)."""
    if user.is_superuser and not user.region_id:
        return Region.objects.filter(level=RegionLevel.COUNTY).defer("boundary").order_by("code").first()
    if user.role not in REGION_ROLES or user.region is None:
        return None
    return county_of(user.region)


def due_item_list(county: Region, *, active_only: bool = False) -> QuerySet[DueItem]:
    qs = DueItem.objects.filter(county=county)
    return qs.filter(is_active=True) if active_only else qs


def due_item_get_for_user(user: User, item_id: int) -> DueItem:
    """An item of the user's county's template (the county admin edits it)."""
    county = template_county_for_user(user)
    if county is None:
        raise NotFound()
    return get_in_scope_or_404(DueItem.objects.filter(county=county), Q(), pk=item_id)


def grouped_items(items: Iterable[DueItem]) -> list[tuple[str, list[DueItem]]]:
    by_group: dict[str, list[DueItem]] = defaultdict(list)
    for item in items:
        by_group[item.group].append(item)
    return [(AffairGroup(g).label, by_group[g]) for g in AffairGroup.values if by_group.get(g)]


# --- a village's quarter ---------------------------------------------------------------------------------


@dataclass
class Slot:
    """One due item × one period of a village: its disclosure if one was begun."""

    item: DueItem
    start: dt.date
    end: dt.date
    due_on: dt.date
    disclosure: Disclosure | None
    today: dt.date

    @property
    def label(self) -> str:
        return period_label(self.item.cadence, self.start)

    @property
    def published(self) -> bool:
        return self.disclosure is not None and self.disclosure.first_published_at is not None

    @property
    def overdue(self) -> bool:
        return not self.published and self.due_on < self.today and self.start >= self.item.active_from

    @property
    def days_late(self) -> int:
        return (self.today - self.due_on).days

    @property
    def state_label(self) -> str:
        if self.disclosure is None:
            return "未填写"
        return self.disclosure.get_state_display()


def village_quarter(village: Region, quarter: Quarter, *,
                    today: dt.date | None = None) -> list[tuple[str, list[Slot]]]:
    """Every period of the county's active items ending in the quarter, by group, with its disclosure."""
    today = today or timezone.localdate()
    county = county_of(village)
    items = list(due_item_list(county, active_only=True)) if county else []
    found = {(d.item_id, d.period_start): d for d in
             Disclosure.objects.filter(village=village, period_end__gte=quarter.start, period_end__lte=quarter.end)
             .select_related("item")}
    seen_items = {item.pk for item in items}
    # An item switched off after its disclosure was begun is still listed where it has one.
    items += sorted({d.item for d in found.values() if d.item_id not in seen_items}, key=lambda i: (i.sort, i.pk))
    slots = []
    for item in items:
        for start, end in periods_in(item.cadence, quarter):
            slots.append(Slot(item, start, end, due_on(item, end), found.get((item.pk, start)), today))
    by_group: dict[str, list[Slot]] = defaultdict(list)
    for slot in sorted(slots, key=lambda s: (s.item.sort, s.item.pk, s.start)):
        by_group[slot.item.group].append(slot)
    return [(AffairGroup(g).label, by_group[g]) for g in AffairGroup.values if by_group.get(g)]


@dataclass
class VillageSummary:
    """A village's quarter at a glance: periods due in it, published, waiting for screening, and its
    overdue periods (over the whole lookback, not only this quarter)."""

    village: Region
    due: int
    published: int = 0
    submitted: int = 0
    overdue: int = 0


def quarter_summaries(villages: Sequence[Region], quarter: Quarter, *,
                      today: dt.date | None = None) -> list[VillageSummary]:
    """One summary a village (all of one county), in a handful of queries whatever their number."""
    today = today or timezone.localdate()
    county = county_of(villages[0]) if villages else None
    items = list(due_item_list(county, active_only=True)) if county else []
    due = sum(len(periods_in(i.cadence, quarter)) for i in items)
    counts = (Disclosure.objects.filter(village__in=villages, period_end__gte=quarter.start,
                                        period_end__lte=quarter.end)
              .values("village_id")
              .annotate(published=Count("id", filter=Q(first_published_at__isnull=False)),
                        submitted=Count("id", filter=Q(state=State.SUBMITTED))))
    by_village = {row["village_id"]: row for row in counts}
    late = overdue_counts(villages, today=today)
    out = []
    for v in villages:
        row = by_village.get(v.pk, {})
        out.append(VillageSummary(v, due, row.get("published", 0), row.get("submitted", 0), late.get(v.pk, 0)))
    return out


# --- disclosures ----------------------------------------------------------------------------------------


def disclosure_list_for_user(user: User) -> QuerySet[Disclosure]:
    return (Disclosure.objects.filter(_keeper_q(user, "village__")).select_related("village", "item")
            .defer("village__boundary"))


def disclosure_get_for_user(user: User, disclosure_id: int) -> Disclosure:
    return get_in_scope_or_404(disclosure_list_for_user(user), Q(), pk=disclosure_id)


def draft_attachments(disclosure: Disclosure) -> list[Attachment]:
    return list(disclosure.attachments.filter(in_draft=True).order_by("id"))


def versions_of(disclosure: Disclosure) -> list[DisclosureVersion]:
    return list(disclosure.versions.prefetch_related("attachments").order_by("number"))


def events_of(*, disclosure: Disclosure | None = None, post: Post | None = None,
              cadre: Cadre | None = None) -> QuerySet[Event]:
    target: dict[str, object] = ({"disclosure": disclosure} if disclosure else {"post": post} if post
                                 else {"cadre": cadre})
    return Event.objects.filter(**target).select_related("actor").order_by("at", "id")


def last_screening(*, disclosure: Disclosure | None = None, post: Post | None = None,
                   cadre: Cadre | None = None) -> Screening | None:
    target: dict[str, object] = ({"disclosure": disclosure} if disclosure else {"post": post} if post
                                 else {"cadre": cadre})
    return Screening.objects.filter(**target).order_by("-decided_at", "-id").first()


def previous_published(disclosure: Disclosure) -> DisclosureVersion | None:
    """The latest version published for the item's period before this one (last quarter's, last
    month's, last year's), if the village published it."""
    start, _ = previous_period(disclosure.item.cadence, disclosure.period_start)
    return (DisclosureVersion.objects.filter(disclosure__village_id=disclosure.village_id,
                                             disclosure__item_id=disclosure.item_id,
                                             disclosure__period_start=start)
            .order_by("-number").first())


# --- what changed since the period before ---------------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    label: str
    now: Decimal | None
    before: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.now is None or self.before is None:
            return None
        return self.now - self.before

    @property
    def direction(self) -> str:
        """up, down, same; new (no figure last time) or gone (none now)."""
        if self.before is None:
            return "new" if self.now is not None else "same"
        if self.now is None:
            return "gone"
        delta = self.now - self.before
        return "up" if delta > 0 else "down" if delta < 0 else "same"

    @property
    def delta_abs(self) -> Decimal | None:
        delta = self.delta
        return None if delta is None else abs(delta)


@dataclass
class Change:
    """How a published version differs from the one published for the period before."""

    first: bool  # nothing was published for the period before
    text_changed: bool = False
    added_lines: list[str] = field(default_factory=list)
    removed_lines: list[str] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)

    @property
    def figures_changed(self) -> bool:
        return any(f.direction != "same" for f in self.figures)

    @property
    def unchanged(self) -> bool:
        return not self.first and not self.text_changed and not self.figures_changed


DIFF_LINES = 6  # lines added and removed shown on the public page, each


def change_between(now: DisclosureVersion, before: DisclosureVersion | None) -> Change:
    """Figures up or down by label, lines of text added and removed (at most ``DIFF_LINES`` each)."""
    if before is None:
        return Change(first=True)
    old = dict(before.figures)
    figures = [FigureChange(label, yuan(fen), yuan(old.get(label))) for label, fen in now.figures]
    figures += [FigureChange(label, None, yuan(fen)) for label, fen in before.figures
                if label not in {lbl for lbl, _ in now.figures}]
    old_lines = [line.strip() for line in before.content.splitlines() if line.strip()]
    new_lines = [line.strip() for line in now.content.splitlines() if line.strip()]
    added, removed = [], []
    for line in difflib.ndiff(old_lines, new_lines):
        if line.startswith("+ "):
            added.append(line[2:])
        elif line.startswith("- "):
            removed.append(line[2:])
    return Change(first=False, text_changed=old_lines != new_lines, added_lines=added[:DIFF_LINES],
                  removed_lines=removed[:DIFF_LINES], figures=figures)


# --- the public -----------------------------------------------------------------------------------------


@dataclass
class PublicRow:
    disclosure: Disclosure
    versions: list[DisclosureVersion]  # oldest first
    change: Change | None

    @property
    def current(self) -> DisclosureVersion:
        return self.versions[-1]

    @property
    def withdrawn(self) -> bool:
        return self.disclosure.state != State.PUBLISHED

    @property
    def corrected(self) -> bool:
        return len(self.versions) > 1

    @property
    def period_label(self) -> str:
        return self.disclosure.period_label


@dataclass
class PublicQuarter:
    quarter: Quarter
    quarters: list[Quarter]  # with anything published, newest first
    groups: list[tuple[str, list[PublicRow]]]
    not_again: list[tuple[str, str]]  # (item title, period) published last quarter, not this one
    published: int = 0
    due: int = 0
    overdue: list[Slot] = field(default_factory=list)


def _with_versions(qs: QuerySet[Disclosure]) -> QuerySet[Disclosure]:
    return qs.prefetch_related(Prefetch("versions", DisclosureVersion.objects.order_by("number")
                                        .prefetch_related("attachments")))


def public_quarters(village: Region) -> list[Quarter]:
    ends = (Disclosure.objects.filter(village=village, first_published_at__isnull=False).order_by()
            .values_list("period_end", flat=True).distinct())
    return sorted({Quarter.of(end) for end in ends}, reverse=True)


def disclosure_list_public(village: Region, quarter: Quarter | None = None, *,
                           today: dt.date | None = None) -> PublicQuarter:
    """A quarter's published disclosures of the village (the latest quarter with any, by default), by
    group, each with what changed since the period before; the items published last quarter and not
    this one; and the quarter's overdue items. A disclosure withdrawn for correction is listed as
    withdrawn with its reason, its old versions still readable."""
    today = today or timezone.localdate()
    quarters = public_quarters(village)
    if quarter is None:
        quarter = quarters[0] if quarters else last_closed_quarter(today)
    rows = list(_with_versions(
        Disclosure.objects.filter(village=village, first_published_at__isnull=False,
                                  period_end__gte=quarter.start, period_end__lte=quarter.end)
        .select_related("item")))
    previous_keys = {(d.item_id, previous_period(d.item.cadence, d.period_start)[0]) for d in rows}
    before: dict[tuple[int, dt.date], DisclosureVersion] = {}
    if previous_keys:
        wanted = reduce(or_, (Q(item_id=i, period_start=s) for i, s in previous_keys))
        for d in _with_versions(Disclosure.objects.filter(wanted, village=village,
                                                          first_published_at__isnull=False)):
            versions = list(d.versions.all())
            if versions and d.state == State.PUBLISHED:
                before[(d.item_id, d.period_start)] = versions[-1]
    public_rows = []
    for d in rows:
        versions = list(d.versions.all())
        if not versions:
            continue
        key = (d.item_id, previous_period(d.item.cadence, d.period_start)[0])
        change = None if d.state != State.PUBLISHED else change_between(versions[-1], before.get(key))
        public_rows.append(PublicRow(d, versions, change))
    by_group: dict[str, list[PublicRow]] = defaultdict(list)
    for row in sorted(public_rows, key=lambda r: (r.disclosure.item.sort, r.disclosure.item_id,
                                                  r.disclosure.period_start)):
        by_group[row.disclosure.item.group].append(row)
    groups = [(AffairGroup(g).label, by_group[g]) for g in AffairGroup.values if by_group.get(g)]
    this_items = {r.disclosure.item_id for r in public_rows}
    last = quarter.previous()
    not_again = sorted({(d.item.title, d.period_label) for d in
                        Disclosure.objects.filter(village=village, first_published_at__isnull=False,
                                                  period_end__gte=last.start, period_end__lte=last.end)
                        .exclude(item_id__in=this_items).select_related("item")
                        if d.item.cadence != Cadence.YEAR})
    slots = [s for _, group in village_quarter(village, quarter, today=today) for s in group]
    due = [s for s in slots if s.due_on < today and s.start >= s.item.active_from]
    return PublicQuarter(quarter=quarter, quarters=quarters, groups=groups, not_again=not_again,
                         published=sum(1 for s in due if s.published), due=len(due),
                         overdue=[s for s in due if not s.published])


def disclosure_get_public(village: Region, disclosure_id: int) -> tuple[Disclosure, list[DisclosureVersion]]:
    """A disclosure of the village ever published, with every version it published, oldest first."""
    d = (_with_versions(Disclosure.objects.filter(village=village, pk=disclosure_id,
                                                  first_published_at__isnull=False))
         .select_related("item").first())
    if d is None:
        raise NotFound()
    return d, list(d.versions.all())


def post_list_public(village: Region, kind: str | None = None, *, limit: int | None = PUBLIC_POSTS) -> list[Post]:
    """Published posts for the village: its own and those of its township and county."""
    qs = (Post.objects.filter(region__path__in=ancestor_paths(village.path), state=State.PUBLISHED)
          .select_related("region").defer("region__boundary").prefetch_related("attachments")
          .order_by("-dated", "-id"))
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs[:limit] if limit else qs)


def post_get_public(village: Region, post_id: int) -> Post:
    post = (Post.objects.filter(region__path__in=ancestor_paths(village.path), state=State.PUBLISHED, pk=post_id)
            .select_related("region").defer("region__boundary").first())
    if post is None:
        raise NotFound()
    return post


def cadre_list_public(village: Region) -> list[Cadre]:
    """The village's cadres as last screened: name, post, duties, office phone."""
    return list(Cadre.objects.filter(village=village).exclude(state=CadreState.ENDED).exclude(public_name="")
                .order_by("sort", "id"))


def public_section(village: Region, quarter: Quarter | str | None = None) -> dict[str, object]:
    """Everything ``disclosure/_public_section.html`` shows for a village (the 一村一码 page includes it
    with ``{% include "disclosure/_public_section.html" with d=… %}``): this quarter's disclosures by
    group with what changed, 上级政策, 民生事项 and the cadres."""
    if isinstance(quarter, str):
        quarter = Quarter.parse(quarter)
    return {
        "village": village,
        "township": township_of(village),
        "disclosures": disclosure_list_public(village, quarter),
        "policies": post_list_public(village, PostKind.POLICY),
        "livelihood": post_list_public(village, PostKind.LIVELIHOOD),
        "cadres": cadre_list_public(village),
    }


# --- screening, overdue ---------------------------------------------------------------------------------


@dataclass
class Queue:
    disclosures: list[Disclosure]
    posts: list[Post]
    cadres: list[Cadre]

    @property
    def total(self) -> int:
        return len(self.disclosures) + len(self.posts) + len(self.cadres)


def _screen_q(user: AnyUser, prefix: str) -> Q:
    if not can_screen(user):
        return Q(pk__in=[])
    return scope_of(user).q(f"{prefix}path")


def screening_queue_for_user(user: User) -> Queue:
    """What waits for the user's screening in his scope (his own submissions included, marked by the
    page: someone else screens those)."""
    return Queue(
        disclosures=list(Disclosure.objects.filter(_screen_q(user, "village__"), state=State.SUBMITTED)
                         .select_related("village", "item", "submitted_by").defer("village__boundary")
                         .order_by("updated_at", "id")),
        posts=list(Post.objects.filter(_screen_q(user, "region__"), state=State.SUBMITTED)
                   .select_related("region", "submitted_by").defer("region__boundary").order_by("updated_at", "id")),
        cadres=list(Cadre.objects.filter(_screen_q(user, "village__"), state=CadreState.SUBMITTED)
                    .select_related("village", "submitted_by").defer("village__boundary")
                    .order_by("updated_at", "id")),
    )


def screening_count_for_user(user: User) -> int:
    """Submissions someone other than their submitter may screen: those the user did not submit."""
    if not can_screen(user):
        return 0
    return (Disclosure.objects.filter(_screen_q(user, "village__"), state=State.SUBMITTED)
            .exclude(submitted_by=user).count()
            + Post.objects.filter(_screen_q(user, "region__"), state=State.SUBMITTED).exclude(submitted_by=user).count()
            + Cadre.objects.filter(_screen_q(user, "village__"), state=CadreState.SUBMITTED)
            .exclude(submitted_by=user).count())


@dataclass
class Overdue:
    village: Region
    slots: list[Slot]


def _due_periods(item: DueItem, today: dt.date) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(start, end, due) of the item's periods due in the lookback window, before today."""
    window = today - dt.timedelta(days=OVERDUE_LOOKBACK_DAYS)
    out = []
    start, end = period_of(item.cadence, max(item.active_from, window - dt.timedelta(days=400)))
    while start <= today:
        due = due_on(item, end)
        if start >= item.active_from and window <= due < today:
            out.append((start, end, due))
        start, end = period_of(item.cadence, end + dt.timedelta(days=1))
    return out


@dataclass
class _Due:
    """The periods due in the lookback window, by county: each village's county and its active items."""

    county_of: dict[int, str]  # village id → its county's path
    items: dict[str, list[DueItem]]  # county path → active items
    periods: dict[int, list[tuple[dt.date, dt.date, dt.date]]]  # item id → (start, end, due)

    @property
    def earliest(self) -> dt.date | None:
        return min((p[0][0] for p in self.periods.values() if p), default=None)

    def keys(self, county_path: str) -> set[tuple[int, dt.date]]:
        return {(item.pk, start) for item in self.items[county_path] for start, _, _ in self.periods[item.pk]}


def _due(villages: Sequence[Region], today: dt.date) -> _Due:
    counties = {c.path: c for c in Region.objects.filter(level=RegionLevel.COUNTY).defer("boundary")
                .filter(path__in={p for v in villages for p in ancestor_paths(v.path)})}
    county_of = {}
    for v in villages:
        path = next((p for p in ancestor_paths(v.path) if p in counties), None)
        if path is not None:
            county_of[v.pk] = path
    items: dict[str, list[DueItem]] = {path: [] for path in set(county_of.values())}
    for item in (DueItem.objects.filter(county__in=[counties[p] for p in items], is_active=True)
                 .select_related("county").defer("county__boundary")):
        items[item.county.path].append(item)
    return _Due(county_of, items, {i.pk: _due_periods(i, today) for group in items.values() for i in group})


def overdue_list(villages: Sequence[Region], *, today: dt.date | None = None) -> list[Overdue]:
    """For each village, its periods overdue (due, never published), oldest first; villages with none
    are left out. Three queries whatever the number of villages."""
    today = today or timezone.localdate()
    due = _due(villages, today)
    if due.earliest is None:
        return []
    begun = {(v, i, s): (pk, state, published) for v, i, s, pk, state, published in
             Disclosure.objects.filter(village__in=[v.pk for v in villages if v.pk in due.county_of],
                                       period_start__gte=due.earliest)
             .values_list("village_id", "item_id", "period_start", "pk", "state", "first_published_at")}
    out = []
    for v in villages:
        if v.pk not in due.county_of:
            continue
        slots = []
        for item in due.items[due.county_of[v.pk]]:
            for start, end, day in due.periods[item.pk]:
                found = begun.get((v.pk, item.pk, start))
                if found is not None and found[2] is not None:
                    continue
                d = None
                if found is not None:  # begun, not published: its state says how far it got
                    d = Disclosure(pk=found[0], state=found[1], village=v, item=item, period_start=start,
                                   period_end=end, due_on=day)
                slots.append(Slot(item, start, end, day, d, today))
        if slots:
            out.append(Overdue(v, sorted(slots, key=lambda s: (s.due_on, s.item.sort, s.item.pk))))
    return sorted(out, key=lambda o: o.village.path)


def overdue_counts(villages: Sequence[Region], *, today: dt.date | None = None) -> dict[int, int]:
    """village id → its overdue periods (as ``overdue_list`` counts them), without listing them: the
    periods due less those published. Three queries whatever the number of villages."""
    today = today or timezone.localdate()
    due = _due(villages, today)
    if due.earliest is None:
        return {}
    keys = {path: due.keys(path) for path in due.items}
    counts = {v: len(keys[path]) for v, path in due.county_of.items()}
    for v, i, s in (Disclosure.objects.filter(village__in=list(due.county_of), period_start__gte=due.earliest,
                                              first_published_at__isnull=False)
                    .values_list("village_id", "item_id", "period_start")):
        if (i, s) in keys[due.county_of[v]]:
            counts[v] -= 1
    return {v: n for v, n in counts.items() if n}


def overdue_for_user(user: User, *, region: Region | None = None, today: dt.date | None = None) -> list[Overdue]:
    villages = village_list_for_user(user)
    if region is not None:
        villages = villages.filter(path__startswith=region.path)
    return overdue_list(list(villages), today=today)


def overdue_count_for_user(user: User, *, today: dt.date | None = None) -> int:
    return sum(overdue_counts(list(village_list_for_user(user)), today=today).values())


# --- posts and cadres -------------------------------------------------------------------------------------


def post_list_for_user(user: User) -> QuerySet[Post]:
    """Posts of the regions the user keeps (his own region and those below it)."""
    q = _keeper_q(user, "region__")
    return Post.objects.filter(q).select_related("region", "created_by").defer("region__boundary")


def post_get_for_user(user: User, post_id: int) -> Post:
    return get_in_scope_or_404(post_list_for_user(user), Q(), pk=post_id)


def post_attachments(post: Post) -> list[Attachment]:
    return list(post.attachments.filter(in_draft=True).order_by("id"))


def cadre_list_for_user(user: User, village: Region) -> QuerySet[Cadre]:
    return Cadre.objects.filter(_keeper_q(user, "village__"), village=village).order_by("sort", "id")


def cadre_get_for_user(user: User, cadre_id: int) -> Cadre:
    return get_in_scope_or_404(Cadre.objects.filter(_keeper_q(user, "village__")).select_related("village")
                               .defer("village__boundary"), Q(), pk=cadre_id)


@dataclass(frozen=True)
class Candidate:
    """A name the cadre list may take from the village's accounts or the party register."""

    key: str  # "user:<id>" or "resident:<id>"
    name: str
    note: str


def cadre_candidates(village: Region) -> list[Candidate]:
    """The village's staff accounts (村两委, 积分管理员/监督员) and its party branch secretary."""
    out = [Candidate(f"user:{u.pk}", u.full_name, u.get_role_display())
           for u in User.objects.filter(region=village, is_active=True, role__in=(
               Role.VILLAGE_CADRE, Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR)).exclude(full_name="")
           .order_by("role", "id")]
    branch = Branch.objects.filter(village=village).select_related("secretary").first()
    if branch is not None and branch.secretary is not None:
        out.append(Candidate(f"resident:{branch.secretary_id}", branch.secretary.name, "党支部书记"))
    return out


# --- attachments ------------------------------------------------------------------------------------------


def attachment_get_for_user(user: AnyUser, attachment_id: int) -> Attachment:
    """Public once published: an attachment of any published version of a disclosure (old ones stay
    readable), or of a published post. Otherwise only keepers and screeners over its region."""
    row = Attachment.objects.select_related("region", "post").defer("region__boundary").filter(pk=attachment_id).first()
    if row is None:
        raise NotFound()
    if row.disclosure_id is not None and row.versions.exists():
        return row
    if row.post is not None and row.post.state == State.PUBLISHED:
        return row
    if (can_keep(user) or can_screen(user)) and covers(user, row.region):
        return row
    raise NotFound()
