"""一季一公示, read: each village's quarterly list (approved points by category, the quarter's sum,
all points and rank, read at an anchor: the ends of the village's entry and review chains), the
proof of a published notice (its hash, the chains, the list recomputed at the anchor), the notices a
user or anyone with the village's link may read, and their objections. Publishing and answering are
``points.notices``; other apps read these through ``points.selectors``, which re-exports them."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.lib import hashchain
from xiangzhi.people.models import Household
from xiangzhi.points import ledger
from xiangzhi.points.models import (
    EntryKind,
    ObjectionState,
    PointsEntry,
    PointsNotice,
    PointsObjection,
    PointsReview,
    ReviewDecision,
)
from xiangzhi.points.rules import can_review
from xiangzhi.regions.models import Region
from xiangzhi.regions.selectors import ancestor_paths

# Kinds that carry a category and count as the quarter's points by category.
CATEGORISED_KINDS = (EntryKind.RECORD, EntryKind.AWARD, EntryKind.CORRECTION, EntryKind.REVERSAL)
OTHER = "other"
# Walking a busy village's two chains end to end takes seconds (~2 s for 56,000 entries and as many
# reviews); the public page is open to anyone, so each village's walk is reused for this long.
CHAIN_CHECK_SECONDS = 600


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳明华 → 欧**华: the public list names a household without naming a person."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "—"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class Anchor:
    """The ends of a village's two chains at one moment: what a notice was read from."""

    entry_seq: int
    entry_hash: str
    review_seq: int
    review_hash: str


def _approved(village: Region, anchor: Anchor | None) -> QuerySet[PointsEntry]:
    qs = PointsEntry.objects.filter(village_id=village.pk, review__decision=ReviewDecision.APPROVED)
    if anchor is not None:
        qs = qs.filter(seq__lte=anchor.entry_seq, review__seq__lte=anchor.review_seq)
    return qs.order_by()


def notice_rows(village: Region, period_start: dt.date, period_end: dt.date, *,
                anchor: Anchor | None = None,
                households: list[tuple[int, str, str]] | None = None) -> list[dict[str, Any]]:
    """Every household of the village: its approved points that quarter by category, the quarter's
    sum, all its points (approved, at the anchor) and its rank in the village by those (ties share a
    rank). Three grouped queries whatever the village's size. ``households``: (id, number, name as
    listed) to list instead of the village's households today — a published notice's own list, so
    a household registered (or renamed) since does not change what the notice should say."""
    if households is None:
        households = [(pk, number, mask_name(head)) for pk, number, head in
                      Household.objects.filter(grid__region_id=village.pk).order_by("number")
                      .values_list("pk", "number", "head_name")]
    approved = _approved(village, anchor)
    totals = dict(approved.values("household_id").annotate(t=Sum("points")).values_list("household_id", "t"))
    by_category: dict[int, dict[str, int]] = {}
    for hid, code, pts in (approved.filter(kind__in=CATEGORISED_KINDS, occurred_on__range=(period_start, period_end))
                           .values("household_id", "category_code").annotate(p=Sum("points"))
                           .values_list("household_id", "category_code", "p")):
        if pts:
            cats = by_category.setdefault(hid, {})
            cats[code or OTHER] = cats.get(code or OTHER, 0) + pts
    ordered = sorted((totals.get(pk, 0) for pk, _, _ in households), reverse=True)
    rank_of: dict[int, int] = {}
    for i, total in enumerate(ordered):
        rank_of.setdefault(total, i + 1)
    rows = []
    for pk, number, name in households:
        cats = {k: v for k, v in sorted(by_category.get(pk, {}).items()) if v}
        total = totals.get(pk, 0)
        rows.append({"household": pk, "number": number, "name": name, "by_category": cats,
                     "quarter": sum(cats.values()), "total": total, "rank": rank_of[total]})
    rows.sort(key=lambda r: (r["rank"], r["number"]))
    return rows


def _document(notice: PointsNotice) -> dict[str, Any]:
    return {
        "village": notice.village.code, "period": [notice.period_start, notice.period_end],
        "published_at": notice.published_at, "objection_until": notice.objection_until,
        "anchor": [notice.entry_seq, notice.entry_hash, notice.review_seq, notice.review_hash],
        "categories": notice.categories, "rows": notice.rows,
    }


def notice_digest(notice: PointsNotice) -> str:
    return hashchain.digest(_document(notice))


@dataclass
class NoticeCheck:
    problems: list[str] = field(default_factory=list)
    chains_checked_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain_break_cached(village_id: int) -> tuple[str | None, dt.datetime]:
    """(the first break of the village's chains as a message, or None; when that was found), walked
    at most once every ``CHAIN_CHECK_SECONDS`` per village."""
    key = f"points:chain-check:{village_id}"
    found: tuple[str | None, dt.datetime] | None = cache.get(key)
    if found is None:
        broken = ledger.chain_verify(village_id)
        found = (broken.message if broken else None, timezone.now())
        cache.set(key, found, CHAIN_CHECK_SECONDS)
    return found


def notice_verify(notice: PointsNotice) -> NoticeCheck:
    """Check the published list against its hash, the ledger's chains and the ledger's contents:
    it has not been edited since (its hash), the ledger it was read from has not been rewritten
    since (the chains hold and still pass through the anchor), and the list is exactly what the
    ledger said at the anchor (recomputed from the rows up to it)."""
    check = NoticeCheck()
    if notice_digest(notice) != notice.content_hash:
        check.problems.append("公示内容与发布时的哈希不符：名单在发布后被改动")
    broken, check.chains_checked_at = _chain_break_cached(notice.village_id)
    if broken is not None:
        check.problems.append(f"本村积分台账不完整：{broken}")
    for model, seq, want, name in (
        (PointsEntry, notice.entry_seq, notice.entry_hash, "积分记录"),
        (PointsReview, notice.review_seq, notice.review_hash, "审核记录"),
    ):
        if seq == 0:
            continue
        have = model.objects.filter(village_id=notice.village_id, seq=seq).values_list("hash", flat=True).first()
        if have != want:
            check.problems.append(f"{name}第 {seq} 条已不是公示时的那一条：公示之后台账被改写")
    anchor = Anchor(notice.entry_seq, notice.entry_hash, notice.review_seq, notice.review_hash)
    listed = [(r["household"], r["number"], r["name"]) for r in notice.rows]
    if notice_rows(notice.village, notice.period_start, notice.period_end, anchor=anchor,
                   households=listed) != notice.rows:
        check.problems.append("公示名单与台账在公示时的记录不符")
    return check


def notice_list_for_user(user: User) -> QuerySet[PointsNotice]:
    """Notices the user may read: of villages in their scope, or of their own household's village."""
    qs = PointsNotice.objects.select_related("village").defer("rows", "village__boundary")
    if user.role == Role.RESIDENT:
        village_id = None  # a villager without a household reads no notice
        if user.household_id is not None:
            village_id = (Household.objects.filter(pk=user.household_id)
                          .values_list("grid__region_id", flat=True).first())
        return qs.filter(village_id=village_id)
    scope = scope_of(user)
    if scope.everything:
        return qs
    # Grid staff stand on grids inside a village: the village's notice is theirs to read too.
    around = {a for p in scope.paths for a in ancestor_paths(p)}
    return qs.filter(scope.q("village__path") | Q(village__path__in=around))


def notice_get_for_user(user: User, notice_id: int) -> PointsNotice:
    notice = notice_list_for_user(user).defer(None).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound()
    return notice


def notice_list_public(village: Region) -> QuerySet[PointsNotice]:
    """The village's notices for anyone with its link (一村一码), newest first, without their lists."""
    return PointsNotice.objects.filter(village=village).defer("rows").order_by("-period_start")


def notice_get_public(notice_id: int) -> PointsNotice:
    notice = PointsNotice.objects.select_related("village").filter(pk=notice_id).first()
    if notice is None:
        raise NotFound()
    return notice


def notice_objection_counts(notices: Iterable[PointsNotice]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for nid, state, n in (PointsObjection.objects.filter(notice__in=notices).values("notice_id", "state")
                          .annotate(n=Count("id")).values_list("notice_id", "state", "n")):
        out.setdefault(nid, {})[state] = n
    return out


def objection_get_for_user(user: User, objection_id: int) -> PointsObjection:
    """An objection to a notice the user may read; ``NotFound`` otherwise."""
    objection = PointsObjection.objects.select_related("notice", "notice__village").filter(pk=objection_id).first()
    if objection is None:
        raise NotFound()
    notice_get_for_user(user, objection.notice_id)
    return objection


def objection_list_open_for_user(user: User) -> QuerySet[PointsObjection]:
    """Objections awaiting an answer in the user's scope that the user may answer."""
    if not can_review(user):
        return PointsObjection.objects.none()
    qs = PointsObjection.objects.filter(scope_of(user).q("notice__village__path", "notice__village_id"),
                                        state=ObjectionState.OPEN).exclude(filed_by=user)
    if user.household_id:
        qs = qs.exclude(household_id=user.household_id)
    return qs.select_related("notice", "notice__village", "household").defer("notice__rows")


def objection_list_public(notice: PointsNotice) -> QuerySet[PointsObjection]:
    """Objections as the public page shows them: what was asked and answered, never who asked."""
    return notice.objections.select_related("household").order_by("filed_at")
