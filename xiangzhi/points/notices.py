"""一季一公示: the quarterly public notice of each village, its objections, and its proof.

A notice is computed from the ledger under the village's chain-head lock and stored with the ends of
both chains at that moment (the anchor) and a SHA-256 over its canonical encoding. ``notice_verify``
proves three things anyone can ask of a published list: it has not been edited since (its hash), the
ledger it was read from has not been rewritten since (the chains hold and still pass through the
anchor), and the list is exactly what the ledger said at the anchor (recomputed from the rows up to
it). Corrections made after publication (an upheld objection) come later in the chain and change the
next notice, never this one.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.lib import hashchain
from xiangzhi.people.models import Household
from xiangzhi.points import ledger
from xiangzhi.points.errors import AlreadyDone, PointsConflict, PointsError
from xiangzhi.points.models import (
    EntryKind,
    NoticeState,
    ObjectionState,
    PointsCategory,
    PointsCycle,
    PointsEntry,
    PointsNotice,
    PointsObjection,
    ReviewDecision,
)
from xiangzhi.points.rules import can_review
from xiangzhi.points.selectors import rulebook_in_force
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths, township_of

# Kinds that carry a category and count as the quarter's points by category.
CATEGORISED_KINDS = (EntryKind.RECORD, EntryKind.AWARD, EntryKind.CORRECTION, EntryKind.REVERSAL)
OTHER = "other"
OBJECTION_MIN, OBJECTION_MAX = 5, 500
MAX_CORRECTION = 1000


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳明华 → 欧**华: the public list names a household without naming a person."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "—"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- computing a notice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    entry_seq: int
    entry_hash: str
    review_seq: int
    review_hash: str


def _approved(village: Region, anchor: Anchor | None):
    qs = PointsEntry.objects.filter(village_id=village.pk, review__decision=ReviewDecision.APPROVED)
    if anchor is not None:
        qs = qs.filter(seq__lte=anchor.entry_seq, review__seq__lte=anchor.review_seq)
    return qs.order_by()


def notice_categories(village: Region, period_end: dt.date) -> list[dict]:
    township = township_of(village)
    book = rulebook_in_force(township, period_end)
    cats = PointsCategory.objects.filter(rulebook=book).order_by("sort", "code") if book else []
    return [{"code": c.code, "name": c.name} for c in cats]


def notice_rows(village: Region, period_start: dt.date, period_end: dt.date, *,
                anchor: Anchor | None = None, households: list[tuple[int, str, str]] | None = None) -> list[dict]:
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


def _document(notice: PointsNotice) -> dict:
    return {
        "village": notice.village.code, "period": [notice.period_start, notice.period_end],
        "published_at": notice.published_at, "objection_until": notice.objection_until,
        "anchor": [notice.entry_seq, notice.entry_hash, notice.review_seq, notice.review_hash],
        "categories": notice.categories, "rows": notice.rows,
    }


def notice_digest(notice: PointsNotice) -> str:
    return hashchain.digest(_document(notice))


# --- publishing ---------------------------------------------------------------------------------


def notice_publish(*, village: Region, period_start: dt.date, period_end: dt.date, objection_days: int,
                   cycle: PointsCycle | None = None, actor=None, now: dt.datetime | None = None) -> PointsNotice:
    """Publish the village's list for the period, once: a second call returns the first notice."""
    if village.level != RegionLevel.VILLAGE:
        raise PointsError("积分按村（社区）公示")
    now = now or timezone.now()
    with transaction.atomic():
        head = ledger.lock_head(village.pk)
        existing = PointsNotice.objects.filter(village=village, period_start=period_start).first()
        if existing is not None:
            return existing
        anchor = Anchor(head.entry_seq, head.entry_hash, head.review_seq, head.review_hash)
        notice = PointsNotice(
            village=village, cycle=cycle, period_start=period_start, period_end=period_end, published_at=now,
            published_by=actor, objection_until=timezone.localdate(now) + dt.timedelta(days=objection_days - 1),
            categories=notice_categories(village, period_end),
            rows=notice_rows(village, period_start, period_end, anchor=anchor),
            entry_seq=anchor.entry_seq, entry_hash=anchor.entry_hash, review_seq=anchor.review_seq,
            review_hash=anchor.review_hash,
        )
        notice.content_hash = notice_digest(notice)
        notice.save(force_insert=True)
    return notice


def notices_publish_for_cycle(*, cycle: PointsCycle, now: dt.datetime | None = None) -> list[PointsNotice]:
    """The quarter's notice for every village of the cycle's township (the worker, as the cycle opens)."""
    from xiangzhi.points.cycles import policy_for

    days = policy_for(cycle.township_id).objection_days
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=cycle.township.path).order_by("pk")
    return [notice_publish(village=v, period_start=cycle.period_start, period_end=cycle.period_end,
                           objection_days=days, cycle=cycle, now=now) for v in villages]


def notices_close_due(today: dt.date) -> int:
    """Notices whose objection window has passed stop taking objections."""
    return PointsNotice.objects.filter(state=NoticeState.OPEN, objection_until__lt=today).update(
        state=NoticeState.FINAL)


# --- proof --------------------------------------------------------------------------------------


# Walking a busy village's two chains end to end takes seconds (~2 s for 56,000 entries and as many
# reviews); the public page is open to anyone, so each village's walk is reused for this long.
CHAIN_CHECK_SECONDS = 600


@dataclass
class NoticeCheck:
    problems: list[str] = field(default_factory=list)
    chains_checked_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def village_chain_check(village_id: int) -> tuple[str | None, dt.datetime]:
    """(the first break of the village's chains as a message, or None; when that was found), walked
    at most once every ``CHAIN_CHECK_SECONDS`` per village."""
    key = f"points:chain-check:{village_id}"
    found = cache.get(key)
    if found is None:
        broken = ledger.verify_village(village_id)
        found = (broken.message if broken else None, timezone.now())
        cache.set(key, found, CHAIN_CHECK_SECONDS)
    return found


def notice_verify(notice: PointsNotice) -> NoticeCheck:
    """Check the published list against its hash, the ledger's chains and the ledger's contents."""
    check = NoticeCheck()
    if notice_digest(notice) != notice.content_hash:
        check.problems.append("公示内容与发布时的哈希不符：名单在发布后被改动")
    broken, check.chains_checked_at = village_chain_check(notice.village_id)
    if broken is not None:
        check.problems.append(f"本村积分台账不完整：{broken}")
    for model, seq, want, name in (
        (PointsEntry, notice.entry_seq, notice.entry_hash, "积分记录"),
        (ledger.PointsReview, notice.review_seq, notice.review_hash, "审核记录"),
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


# --- objections ---------------------------------------------------------------------------------


def _text(value: str, what: str, low: int = OBJECTION_MIN) -> str:
    value = (value or "").strip()
    if len(value) < low:
        raise PointsError(f"请写明{what}（至少 {low} 个字）", fields=[{"field": "text", "message": "太短"}])
    if len(value) > OBJECTION_MAX:
        raise PointsError(f"{what}不能超过 {OBJECTION_MAX} 字", fields=[{"field": "text", "message": "太长"}])
    return value


def may_object(user, notice: PointsNotice) -> bool:
    """Villagers of the village may question any row of its notice; village staff may file one a
    villager brought them."""
    if not user.is_authenticated:
        return False
    if user.role == Role.RESIDENT:
        return bool(user.household_id) and Household.objects.filter(
            pk=user.household_id, grid__region_id=notice.village_id).exists()
    return user.role in (Role.VILLAGE_CADRE, Role.POINTS_RECORDER) and scope_of(user).covers_path(
        notice.village.path)


def objection_file(*, actor, notice: PointsNotice, household: Household, text: str,
                   now: dt.datetime | None = None) -> PointsObjection:
    """A villager questions one household's row while the notice takes objections."""
    if not may_object(actor, notice):
        raise PermissionDenied("只有本村村民和村干部可以对本村公示提出异议")
    now = now or timezone.now()
    if notice.state != NoticeState.OPEN or timezone.localdate(now) > notice.objection_until:
        raise PointsConflict(f"异议期已于{notice.objection_until.month}月{notice.objection_until.day}日结束",
                          code="window_closed")
    if household.pk not in {r["household"] for r in notice.rows}:
        raise PointsError("该户不在本次公示名单中", fields=[{"field": "household", "message": "不在名单中"}])
    text = _text(text, "异议内容")
    if PointsObjection.objects.filter(notice=notice, household=household, filed_by=actor,
                                      state=ObjectionState.OPEN).exists():
        raise PointsConflict("您对该户的异议正在处理中，请勿重复提出", code="conflict")
    return PointsObjection.objects.create(notice=notice, household=household, filed_by=actor, filed_at=now, text=text)


def why_not_resolve(user, objection: PointsObjection) -> str | None:
    if not can_review(user):
        return "只有积分监督员、村两委和乡镇、区县管理人员可以处理异议"
    if objection.filed_by_id == user.pk:
        return "不能处理自己提出的异议"
    if user.household_id and user.household_id == objection.household_id:
        return "不能处理涉及本户的异议"
    return None


def objection_resolve(*, actor, objection: PointsObjection, upheld: bool, resolution: str,
                      correction: int | None = None, now: dt.datetime | None = None) -> PointsObjection:
    """Answer an objection once, with the outcome written down. An upheld objection may correct the
    household's points: a ``correction`` entry in the ledger, asked for by whoever filed the objection
    and approved by ``actor`` as it posts (never the same person: ``why_not_resolve``; a correction
    that takes points away needs the household to have them)."""
    if not scope_of(actor).covers_path(objection.notice.village.path):
        raise Http404("不存在或无权查看")
    if why := why_not_resolve(actor, objection):
        raise PermissionDenied(why)
    resolution = _text(resolution, "处理结果", low=2)
    if correction is not None:
        if not upheld:
            raise PointsError("未采纳的异议不更正积分", fields=[{"field": "correction", "message": "应为空"}])
        if correction == 0 or abs(correction) > MAX_CORRECTION:
            raise PointsError(f"更正分值应为非零整数，绝对值不超过 {MAX_CORRECTION}",
                              fields=[{"field": "correction", "message": "超出范围"}])
    now = now or timezone.now()
    notice = objection.notice
    try:
        with transaction.atomic():
            ledger.lock_head(notice.village_id)
            won = PointsObjection.objects.filter(pk=objection.pk, state=ObjectionState.OPEN).update(
                state=ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED, resolution=resolution,
                resolved_by=actor, resolved_at=now)
            if not won:
                raise AlreadyDone("该异议已处理")
            if correction:
                entry = ledger.post(
                    village_id=notice.village_id, household_id=objection.household_id, kind=EntryKind.CORRECTION,
                    points=correction, occurred_on=timezone.localdate(now), recorder=actor, reviewer=actor,
                    requested_by=objection.filed_by, source=f"objection:{objection.pk}", now=now,
                    note=f"{notice.period_label}公示异议更正：{resolution}"[:500],
                )
                PointsObjection.objects.filter(pk=objection.pk).update(correction=entry)
    except IntegrityError:
        raise AlreadyDone("该异议已处理") from None
    objection.refresh_from_db()
    _tell_filer(objection)
    return objection


def _tell_filer(objection: PointsObjection) -> None:
    from xiangzhi.notifications.services import notify

    verdict = objection.get_state_display()
    notify(recipients=[objection.filed_by_id], kind="points_objection",
           title=f"您对{objection.notice.period_label}积分公示的异议{verdict}",
           body=objection.resolution, link=f"/points/notices/{objection.notice_id}/")


# --- reads --------------------------------------------------------------------------------------


def notice_list_for_user(user):
    """Notices the user may read: of villages in their scope, or of their own household's village."""
    qs = PointsNotice.objects.select_related("village").defer("rows", "village__boundary")
    if user.role == Role.RESIDENT:
        village_id = Household.objects.filter(pk=user.household_id).values_list("grid__region_id", flat=True).first()
        return qs.filter(village_id=village_id)
    scope = scope_of(user)
    if scope.everything:
        return qs
    # Grid staff stand on grids inside a village: the village's notice is theirs to read too.
    around = {a for p in scope.paths for a in ancestor_paths(p)}
    return qs.filter(scope.q("village__path") | Q(village__path__in=around))


def notice_get_for_user(user, notice_id: int) -> PointsNotice:
    notice = notice_list_for_user(user).defer(None).filter(pk=notice_id).first()
    if notice is None:
        raise Http404("不存在或无权查看")
    return notice


def notice_objection_counts(notices) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for nid, state, n in (PointsObjection.objects.filter(notice__in=notices).values("notice_id", "state")
                          .annotate(n=Count("id")).values_list("notice_id", "state", "n")):
        out.setdefault(nid, {})[state] = n
    return out


def objections_open_for_user(user):
    """Objections awaiting an answer in the user's scope that the user may answer."""
    if not can_review(user):
        return PointsObjection.objects.none()
    qs = PointsObjection.objects.filter(scope_of(user).q("notice__village__path", "notice__village_id"),
                                        state=ObjectionState.OPEN).exclude(filed_by=user)
    if user.household_id:
        qs = qs.exclude(household_id=user.household_id)
    return qs.select_related("notice", "notice__village", "household").defer("notice__rows")


def public_notices(village: Region):
    return PointsNotice.objects.filter(village=village).defer("rows").order_by("-period_start")


def objection_filter_public(notice: PointsNotice):
    """Objections as the public page shows them: what was asked and answered, never who asked."""
    return notice.objections.select_related("household").order_by("filed_at")
