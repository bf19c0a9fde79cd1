"""Every change to household points: the one door for writes. Pages, the API, the cases, shop and
activities apps, the worker and the demo call these; they decide whether a posting may happen and
hand it to ``ledger`` (private to points), which appends it to the village's hash chain and moves the
balance in the same transaction. The cycle's steps, the quarterly notice and the yearly settlement
are written in ``cycles``, ``notices`` and ``settlement`` and reached from here too.

Checks that depend on rows already in the ledger (caps, an idempotency key, "reviewed once",
"reversed once") run after the village's chain head is locked, so two requests at once cannot both
pass them.
"""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Forbidden, IdempotencyConflict, NotFound, field_error
from xiangzhi.core.idempotency import KEY_MAX_LENGTH, check_replay, fingerprint
from xiangzhi.core.inputs import require
from xiangzhi.lib.periods import period_bounds
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.people.models import Household
from xiangzhi.points import ledger
from xiangzhi.points.benefits import benefit_close, benefit_publish, benefits_close_due
from xiangzhi.points.cycles import AdvanceResult, cycles_advance, cycles_plan, redemption_window_add
from xiangzhi.points.errors import AlreadyDone, PointsConflict, PointsError, PointsForbidden
from xiangzhi.points.ledger import Decision
from xiangzhi.points.models import (
    EARNING_KINDS,
    PERIOD_NOUNS,
    REVIEWED_KINDS,
    Direction,
    EntryKind,
    PointsCategory,
    PointsEntry,
    PointsReview,
    PointsRule,
    PointsRulebook,
    ReviewDecision,
)
from xiangzhi.points.notices import (
    notice_publish,
    notices_close_due,
    notices_publish_for_cycle,
    objection_file,
    objection_resolve,
)
from xiangzhi.points.rules import can_administer_points, can_record, may_record_rule, why_not_decide
from xiangzhi.points.selectors import EffectiveRule, policy_for, rule_effective, rule_get_in_force, rulebook_in_force
from xiangzhi.points.settlement import settlement_run
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import township_of

__all__ = [
    "AdvanceResult",
    "AlreadyDone",
    "AwardBulkResult",
    "AwardSkip",
    "BatchResult",
    "Decision",
    "RecordResult",
    "ReverseResult",
    "ReviewOutcome",
    "benefit_close",
    "benefit_publish",
    "benefits_close_due",
    "cycles_advance",
    "cycles_plan",
    "entries_import",
    "entries_review",
    "entry_award_bulk",
    "entry_award_for_case",
    "entry_record",
    "entry_record_batch",
    "entry_redeem",
    "entry_refund",
    "entry_reverse",
    "entry_review",
    "entry_review_bulk",
    "ledger_lock",
    "notice_publish",
    "notices_close_due",
    "notices_publish_for_cycle",
    "objection_file",
    "objection_resolve",
    "redemption_window_add",
    "requester_refusal",
    "rulebook_install",
    "settlement_run",
]

# 一日一记录: an entry may be made late (补记), but not later than this after the fact.
BACKFILL_DAYS = 31
MAX_QUANTITY = 50
MAX_BATCH = 500
NOTE_MAX = 500
# A batch's key gets "#<n>" appended for each of its entries, within the column's 100 characters.
BATCH_KEY_MAX_LENGTH = 90
RECORDER_ONLY = "只有积分管理员、网格长、网格员和村两委可以记录积分"
# The rule that awards a villager whose report turned out to be a real problem (cases app).
CASE_AWARD_RULE = "report_valid"


@dataclass(frozen=True)
class RecordResult:
    entry: PointsEntry
    created: bool


@dataclass(frozen=True)
class BatchResult:
    entries: list[PointsEntry]
    created: bool


@dataclass(frozen=True)
class ReviewOutcome:
    entry: PointsEntry
    review: PointsReview | None
    error: str | None


@dataclass(frozen=True)
class ReverseResult:
    """A reversal of an approved entry (``reversal`` set), or the withdrawal of a pending one,
    which is its rejection (``review`` set, ``reversal`` None)."""

    entry: PointsEntry
    reversal: PointsEntry | None
    review: PointsReview | None


def _date(day: dt.date) -> str:
    return day_text(day)


# --- rulebooks ------------------------------------------------------------------------------------


@transaction.atomic
def rulebook_install(*, township: Region, actor: User | None = None, effective_from: dt.date | None = None,
                     name: str = "", template: PointsRulebook | None = None) -> PointsRulebook:
    """Copy the default template (or ``template``) into a rulebook for ``township``, in force from
    ``effective_from``; the township then edits its copy. Entries already recorded keep their points."""
    if actor is not None:
        require(can_administer_points(actor), "只有乡镇（街道）和区县管理人员可以制定积分细则")
        if not scope_of(actor).covers_path(township.path):
            raise NotFound()
    if township.level != RegionLevel.TOWNSHIP:
        raise PointsError("积分细则按乡镇（街道）制定")
    template = template or PointsRulebook.objects.filter(region__isnull=True).order_by("-effective_from").first()
    if template is None:
        raise PointsError("没有可用的积分细则模板")
    effective_from = effective_from or timezone.localdate()
    if PointsRulebook.objects.filter(region=township, effective_from=effective_from).exists():
        raise PointsError(f"{township.name}已有自{_date(effective_from)}起施行的积分细则")
    book = PointsRulebook.objects.create(region=township, effective_from=effective_from,
                                         name=name or f"{township.name}户积分管理细则")
    categories = {}
    for c in template.categories.all():
        categories[c.pk] = PointsCategory.objects.create(rulebook=book, code=c.code, name=c.name, sort=c.sort)
    PointsRule.objects.bulk_create([
        PointsRule(rulebook=book, category=categories[r.category_id], code=r.code, name=r.name,
                   direction=r.direction, points=r.points, cap_count=r.cap_count, cap_points=r.cap_points,
                   cap_period=r.cap_period, evidence_required=r.evidence_required,
                   recorder_roles=r.recorder_roles, is_active=r.is_active, sort=r.sort)
        for r in template.rules.all()
    ])
    return book


# --- recording ------------------------------------------------------------------------------------


def _photo_sha(photo: ProcessedPhoto | None) -> str:
    return hashlib.sha256(photo.image).hexdigest() if photo is not None else ""


def _key_clean(key: str, *, batch: bool = False) -> str:
    key = (key or "").strip()
    limit = BATCH_KEY_MAX_LENGTH if batch else KEY_MAX_LENGTH
    if len(key) > limit:
        raise PointsError(f"Idempotency-Key 不能超过 {limit} 个字符")
    if batch and "#" in key:
        raise PointsError("批量记分的 Idempotency-Key 不能含“#”")
    return key


def _rule_for(rule: PointsRule, village: Region, on: dt.date) -> EffectiveRule:
    """The rule as it applies to the village on the day, if it is one of the township's rules in force."""
    book = rulebook_in_force(township_of(village), on)
    if book is None:
        raise PointsError(f"{village.name}所在乡镇（街道）在{_date(on)}还没有施行的积分细则")
    if rule.rulebook_id != book.pk:
        raise PointsError(f"“{rule.name}”不是{_date(on)}施行的《{book.name}》中的条目",
                          fields=field_error("rule", "不适用"))
    eff = rule_effective(rule, village)
    if not eff.is_active:
        why = "本村村规民约未采用该条目" if eff.overridden and rule.is_active else "该条目已停用"
        raise PointsError(f"“{rule.name}”不能记分：{why}", code="rule_inactive")
    return eff


def _recorder_check(actor: User, eff: EffectiveRule) -> None:
    if not eff.roles:
        raise PointsForbidden(f"“{eff.name}”由系统自动记分，不能手工记录", code="rule_system_only")
    if not may_record_rule(actor, eff.roles):
        names = "、".join(Role(r).label for r in eff.roles if r in Role.values)
        raise Forbidden(f"“{eff.name}”只能由{names}记录")


def _day_check(occurred_on: dt.date, today: dt.date) -> None:
    if occurred_on > today:
        raise PointsError("发生日期不能晚于今天", fields=field_error("occurred_on", "不能是将来的日期"))
    if occurred_on < today - dt.timedelta(days=BACKFILL_DAYS):
        raise PointsError(f"只能补记 {BACKFILL_DAYS} 天内发生的事项", fields=field_error("occurred_on", "太早"))


def _points_for(eff: EffectiveRule, points: int | None, count: int) -> int:
    if not isinstance(count, int) or not 1 <= count <= MAX_QUANTITY:
        raise PointsError(f"次数应在 1～{MAX_QUANTITY} 之间", fields=field_error("count", "超出范围"))
    per = eff.points if points is None else points
    if per == 0:
        raise PointsError("分值不能为 0", fields=field_error("points", "不能为 0"))
    if eff.direction == Direction.DEDUCT and per > 0:
        raise PointsError(f"“{eff.name}”是减分项，分值只能为负数", fields=field_error("points", "减分项应为负数"),
                          code="wrong_sign")
    if eff.direction == Direction.ADD and per < 0:
        raise PointsError(f"“{eff.name}”是加分项，分值只能为正数", fields=field_error("points", "加分项应为正数"),
                          code="wrong_sign")
    if abs(per) > abs(eff.points):
        verb = "加" if eff.direction == Direction.ADD else "扣"
        raise PointsError(f"“{eff.name}”每次最多{verb} {abs(eff.points)} 分",
                          fields=field_error("points", "超过细则分值"))
    return per * count


def _caps_used(eff: EffectiveRule, household_ids: list[int], occurred_on: dt.date) -> dict[int, tuple[int, int]] | None:
    """What each household has already used of the rule's cap in the period of ``occurred_on``
    (times, points), in one query; households with nothing are left out. None when the rule has no
    cap. Rejected entries, reversed entries and reversals do not count."""
    if not eff.cap_period or (eff.cap_count is None and eff.cap_points is None):
        return None
    start, end = period_bounds(eff.cap_period, occurred_on)
    rows = (
        PointsEntry.objects.filter(household_id__in=household_ids, rule_code=eff.code, kind__in=REVIEWED_KINDS,
                                   occurred_on__range=(start, end), reversal__isnull=True)
        .filter(Q(review__isnull=True) | Q(review__decision=ReviewDecision.APPROVED))
        .values("household_id").order_by("household_id")
        .annotate(n=Coalesce(Sum("quantity"), 0), p=Coalesce(Sum(Abs("points")), 0))
    )
    return {r["household_id"]: (r["n"], r["p"]) for r in rows}


def _cap_message(eff: EffectiveRule, used: tuple[int, int], quantity: int, total: int) -> str | None:
    """Why recording ``quantity`` times (``total`` points) more on top of ``used`` would break the cap."""
    noun = PERIOD_NOUNS[eff.cap_period]
    if eff.cap_count is not None and used[0] + quantity > eff.cap_count:
        return f"超出上限：“{eff.name}”{noun}最多记 {eff.cap_count} 次，该户{noun}已记 {used[0]} 次"
    if eff.cap_points is not None and used[1] + abs(total) > eff.cap_points:
        return f"超出上限：“{eff.name}”{noun}最多记 {eff.cap_points} 分，该户{noun}已记 {used[1]} 分"
    return None


def _cap_error(eff: EffectiveRule, household_id: int, occurred_on: dt.date, quantity: int, total: int) -> str | None:
    """Why recording ``quantity`` times (``total`` points) more would break the rule's cap, if it would."""
    used = _caps_used(eff, [household_id], occurred_on)
    if used is None:
        return None
    return _cap_message(eff, used.get(household_id, (0, 0)), quantity, total)


def _in_scope(actor: User, household: Household) -> None:
    if not scope_of(actor).covers_path(household.grid.path):
        raise NotFound()


def _replay_one(actor: User, key: str, request_hash: str) -> RecordResult | None:
    entry = PointsEntry.objects.select_related("household", "village", "recorder").filter(
        recorder=actor, idempotency_key=key).first()
    if entry is None:
        return None
    check_replay(entry.request_hash, request_hash, "记分")
    return RecordResult(entry, False)


def entry_record(
    *, actor: User, household: Household, rule: PointsRule, occurred_on: dt.date, note: str = "",
    evidence: ProcessedPhoto | None = None, idempotency_key: str = "", count: int = 1, points: int | None = None,
    now: dt.datetime | None = None,
) -> RecordResult:
    """一日一记录: record ``count`` occurrences of ``rule`` for ``household``, pending review.
    ``points`` (per occurrence) may be less than the rule's, never more, and has the rule's sign.
    A retry with the same Idempotency-Key and the same content returns the first entry."""
    require(can_record(actor), RECORDER_ONLY)
    _in_scope(actor, household)
    key = _key_clean(idempotency_key)
    note = (note or "").strip()
    request_hash = fingerprint(("record", household.pk, rule.pk, occurred_on, count, points, note,
                                _photo_sha(evidence)))
    if key and (replay := _replay_one(actor, key, request_hash)):
        return replay
    now = now or timezone.now()
    village = household.grid.region
    eff = _rule_for(rule, village, occurred_on)
    _recorder_check(actor, eff)
    _day_check(occurred_on, timezone.localdate(now))
    if eff.evidence_required and evidence is None:
        raise PointsError(f"“{eff.name}”须上传照片作为凭证", fields=field_error("evidence", "必填"),
                          code="evidence_required")
    if len(note) > NOTE_MAX:
        raise PointsError(f"说明不能超过 {NOTE_MAX} 字", fields=field_error("note", "太长"))
    total = _points_for(eff, points, count)
    try:
        with transaction.atomic():
            ledger.head_lock(village.pk)
            if key and (replay := _replay_one(actor, key, request_hash)):
                return replay
            if cap := _cap_error(eff, household.pk, occurred_on, count, total):
                raise PointsError(cap, code="cap_exceeded")
            entry = ledger.entry_post(
                village_id=village.pk, household_id=household.pk, kind=EntryKind.RECORD, points=total,
                quantity=count, occurred_on=occurred_on, recorder=actor, rule=rule, note=note, evidence=evidence,
                idempotency_key=key, request_hash=request_hash, now=now,
            )
    except IntegrityError:
        if key and (replay := _replay_one(actor, key, request_hash)):
            return replay
        raise
    entry.household = household
    return RecordResult(entry, True)


def entry_record_batch(
    *, actor: User, households: list[Household], rule: PointsRule, occurred_on: dt.date, note: str = "",
    evidence: ProcessedPhoto | None = None, idempotency_key: str = "", count: int = 1, points: int | None = None,
    now: dt.datetime | None = None,
) -> BatchResult:
    """The same item for many households at once (a whole activity): every household is checked
    first, and if any cannot be recorded nothing is. The chains are extended in one bulk write."""
    require(can_record(actor), RECORDER_ONLY)
    if not households:
        raise PointsError("请至少选择一户", fields=field_error("households", "必填"))
    if len(households) > MAX_BATCH:
        raise PointsError(f"每批最多 {MAX_BATCH} 户", fields=field_error("households", "太多"))
    ids = [h.pk for h in households]
    if len(set(ids)) != len(ids):
        raise PointsError("同一户在本批中出现了两次", fields=field_error("households", "重复"))
    for h in households:
        _in_scope(actor, h)
    key = _key_clean(idempotency_key, batch=True)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise PointsError(f"说明不能超过 {NOTE_MAX} 字", fields=field_error("note", "太长"))
    request_hash = fingerprint(("batch", sorted(ids), rule.pk, occurred_on, count, points, note,
                                _photo_sha(evidence)))
    if key and (replay := _replay_batch(actor, key, request_hash)):
        return replay
    now = now or timezone.now()
    _day_check(occurred_on, timezone.localdate(now))
    villages = {h.grid.region_id: h.grid.region for h in households}
    effective = {vid: _rule_for(rule, v, occurred_on) for vid, v in villages.items()}
    for eff in effective.values():
        _recorder_check(actor, eff)
        if eff.evidence_required and evidence is None:
            raise PointsError(f"“{eff.name}”须上传照片作为凭证", fields=field_error("evidence", "必填"),
                              code="evidence_required")
    totals = {vid: _points_for(eff, points, count) for vid, eff in effective.items()}
    with transaction.atomic():
        for vid in sorted(villages):
            ledger.head_lock(vid)
        if key and (replay := _replay_batch(actor, key, request_hash)):
            return replay
        errors = []
        for i, h in enumerate(households):
            vid = h.grid.region_id
            if cap := _cap_error(effective[vid], h.pk, occurred_on, count, totals[vid]):
                errors.append({"field": f"households[{i}]", "message": f"{h.head_name}户（{h.number}）：{cap}"})
        if errors:
            raise PointsError(f"{len(errors)} 户不能记分，本批未保存", fields=errors, code="cap_exceeded")
        rows: list[PointsEntry] = []
        for i, h in enumerate(households):
            vid = h.grid.region_id
            entry = PointsEntry(
                village_id=vid, household_id=h.pk, kind=EntryKind.RECORD, points=totals[vid], quantity=count,
                occurred_on=occurred_on, recorded_at=now, recorder=actor, note=note,
                idempotency_key=f"{key}#{i}" if key else "", request_hash=request_hash,
            )
            entry.copy_rule(rule)
            if evidence is not None:
                if rows:
                    first = rows[0]
                    entry.evidence_sha256 = first.evidence_sha256
                    entry.evidence.name = first.evidence.name
                    entry.evidence_thumbnail.name = first.evidence_thumbnail.name
                else:
                    ledger.evidence_store(entry, evidence)
            rows.append(entry)
        entries = ledger.entry_post_bulk(rows, now=now)
    return BatchResult(entries, True)


def _replay_batch(actor: User, key: str, request_hash: str) -> BatchResult | None:
    entries = list(PointsEntry.objects.filter(recorder=actor, idempotency_key__startswith=f"{key}#")
                   .select_related("household", "village"))
    if not entries:
        return None
    if any(e.request_hash != request_hash for e in entries):
        raise IdempotencyConflict("该 Idempotency-Key 已用于另一批不同的记分")
    entries.sort(key=lambda e: int(e.idempotency_key.rsplit("#", 1)[1]))
    return BatchResult(entries, False)


# --- the monthly review ---------------------------------------------------------------------------


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise PointsError(f"请填写{what}", fields=field_error("reason", "必填"))
    if len(reason) > NOTE_MAX:
        raise PointsError(f"{what}不能超过 {NOTE_MAX} 字", fields=field_error("reason", "太长"))
    return reason


def _entry_in_scope(actor: User, entry: PointsEntry) -> None:
    if not scope_of(actor).covers_path(entry.household.grid.path):
        raise NotFound()


def entry_review(*, actor: User, entry: PointsEntry, approve: bool, reason: str = "",
                 now: dt.datetime | None = None) -> PointsReview:
    """一月一审核: approve or reject a pending entry, once. A rejection needs a reason. Approving a
    deduction a household cannot cover is refused: points never go below zero."""
    _entry_in_scope(actor, entry)
    if why := why_not_decide(actor, entry):
        raise Forbidden(why)
    if entry.kind not in REVIEWED_KINDS:
        raise AlreadyDone(f"{entry.get_kind_display()}记录入账即生效，无需审核")
    reason = (reason or "").strip()[:NOTE_MAX] if approve else _reason(reason, "驳回理由")
    with transaction.atomic():
        ledger.head_lock(entry.village_id)
        if PointsReview.objects.filter(entry_id=entry.pk).exists():
            raise AlreadyDone("该记录已审核，不能重复审核")
        try:
            with transaction.atomic():
                return ledger.review_post(
                    entry=entry, decision=ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED,
                    reason=reason, reviewer=actor, now=now,
                )
        except IntegrityError:
            raise AlreadyDone("该记录已审核，不能重复审核") from None


def entry_review_bulk(*, actor: User, entries: list[PointsEntry], approve: bool,
                      reason: str = "") -> list[ReviewOutcome]:
    """Decide many entries the same way; each is decided on its own, and those that cannot be
    (reviewed meanwhile, too few points for a deduction…) come back with the reason."""
    if not approve:
        reason = _reason(reason, "驳回理由")
    outcomes = []
    for entry in sorted(entries, key=lambda e: (e.village_id, e.pk)):
        try:
            review = entry_review(actor=actor, entry=entry, approve=approve, reason=reason)
        except (PointsError, Forbidden, NotFound) as exc:
            outcomes.append(ReviewOutcome(entry, None, str(exc) or "无权审核"))
        else:
            outcomes.append(ReviewOutcome(entry, review, None))
    return outcomes


def entries_review(*, actor: User, entries: list[PointsEntry], approve: bool, reason: str = "",
                   now: dt.datetime | None = None) -> list[PointsReview]:
    """``entry_review`` for many entries at once, all or nothing (一键记分's awards decided together,
    the demo's month of reviews): every entry is checked as ``entry_review`` checks it — the actor's
    scope and right to decide, a reviewed kind, not reviewed before (under the chain locks) — and if
    any fails nothing is decided. The reviews join their villages' chains in the order given.
    Deductions are approved one by one (``entry_review``), each against the balance it finds."""
    if not entries:
        return []
    reason = (reason or "").strip()[:NOTE_MAX] if approve else _reason(reason, "驳回理由")
    if approve and any(e.points < 0 for e in entries):
        raise PointsError("减分记录须逐条审核")
    paths = dict(Household.objects.filter(pk__in={e.household_id for e in entries})
                 .values_list("pk", "grid__path"))
    scope = scope_of(actor)
    for entry in entries:
        if not scope.covers_path(paths[entry.household_id]):
            raise NotFound()
        if why := why_not_decide(actor, entry):
            raise Forbidden(why)
        if entry.kind not in REVIEWED_KINDS:
            raise AlreadyDone(f"{entry.get_kind_display()}记录入账即生效，无需审核")
    with transaction.atomic():
        for vid in sorted({e.village_id for e in entries}):
            ledger.head_lock(vid)
        if PointsReview.objects.filter(entry_id__in=[e.pk for e in entries]).exists():
            raise AlreadyDone("所选记录中有已审核的记录，不能重复审核")
        return ledger.review_post_bulk(
            entries, decision=ReviewDecision.APPROVED if approve else ReviewDecision.REJECTED, reason=reason,
            reviewer=actor, now=now,
        )


# --- reversal -------------------------------------------------------------------------------------


def requester_refusal(requester: User | None, approver: User, household: Household) -> str | None:
    """Why ``requester`` may not stand as who asked for a 冲正 or 更正 of the household's points that
    ``approver`` approves, or None: an active account of the household, or staff whose scope covers
    it; never the approver too, unless the township's policy allows it (``self_approval``)."""
    if requester is None:
        return "请选择申请人"
    if not requester.is_active or not (
        requester.household_id == household.pk
        or (requester.role != Role.RESIDENT and scope_of(requester).covers_path(household.grid.path))
    ):
        return "申请人应是该户的村民或管辖该户的工作人员"
    if requester.pk == approver.pk:
        township = township_of(household.grid.region)
        assert township is not None  # a household's village always lies in a township
        if not policy_for(township).self_approval:
            return "申请人和批准人不能是同一人"
    return None


def entry_reverse(*, actor: User, entry: PointsEntry, reason: str, requester: User | None = None,
                  now: dt.datetime | None = None) -> ReverseResult:
    """冲正: undo an entry, at most once. An approved entry gets a reversal entry of the opposite
    points, asked for by ``requester`` and approved by ``actor`` as it posts (a reviewer's act, under
    the same rules as approving; two people unless the township's policy allows one). A pending
    entry is not in the balance yet, so it is withdrawn instead: its recorder or a reviewer rejects
    it, and it can never be approved afterwards. A rejected entry needs nothing."""
    _entry_in_scope(actor, entry)
    reason = _reason(reason, "冲正理由")
    if entry.kind == EntryKind.REVERSAL:
        raise PointsConflict("冲正记录本身不能再冲正", code="conflict")
    if entry.kind not in EARNING_KINDS:
        raise PointsConflict(f"{entry.get_kind_display()}记录由相应业务办理，不能冲正", code="conflict")
    is_recorder = entry.recorder_id == actor.pk and can_record(actor)
    refusal = why_not_decide(actor, entry)
    if refusal and not is_recorder:
        raise Forbidden(refusal.replace("审核", "冲正"))
    now = now or timezone.now()
    with transaction.atomic():
        ledger.head_lock(entry.village_id)
        review = PointsReview.objects.filter(entry_id=entry.pk).first()
        if review is None:
            review = ledger.review_post(entry=entry, decision=ReviewDecision.REJECTED, reason=f"撤回：{reason}",
                                        reviewer=actor, now=now)
            return ReverseResult(entry, None, review)
        if review.decision == ReviewDecision.REJECTED:
            raise PointsConflict("该记录已驳回，不计入积分，无需冲正", code="conflict")
        if refusal:  # its recorder may withdraw it while pending, not undo it once approved
            raise Forbidden(refusal.replace("审核", "冲正"))
        if PointsEntry.objects.filter(reverses_id=entry.pk).exists():
            raise AlreadyDone("该记录已冲正，每条记录只能冲正一次")
        if why := requester_refusal(requester, actor, entry.household):
            raise PointsError(why, fields=field_error("requester", why))
        try:
            with transaction.atomic():
                reversal = ledger.entry_post(
                    village_id=entry.village_id, household_id=entry.household_id, kind=EntryKind.REVERSAL,
                    points=-entry.points, quantity=entry.quantity, occurred_on=timezone.localdate(now),
                    recorder=actor, reviewer=actor, requested_by=requester, reverses=entry, note=reason, now=now,
                )
        except IntegrityError:
            raise AlreadyDone("该记录已冲正，每条记录只能冲正一次") from None
    return ReverseResult(entry, reversal, reversal.review)


# --- links to other capabilities ------------------------------------------------------------------


class ClosedReport(Protocol):
    """What an award reads of a closed case (the cases app calls points, so points names no case model)."""

    @property
    def pk(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def is_proactive(self) -> bool: ...
    @property
    def reporter(self) -> User | None: ...


def entry_award_for_case(*, case: ClosedReport, actor: User, now: dt.datetime | None = None) -> PointsEntry | None:
    """反映问题属实: when a case a villager reported closes, their household earns the points of the
    rulebook's ``report_valid`` item (with the village's override), pending the monthly review like
    any record. Nothing happens — and the case closes as usual — when the reporter has no household,
    the case was a worker's own finding, the township has no such item or the village turned it off,
    its cap is reached, or the case earned its award already."""
    reporter = case.reporter
    if reporter is None or not reporter.household_id or case.is_proactive:
        return None
    household = Household.objects.select_related("grid__region").get(pk=reporter.household_id)
    now = now or timezone.now()
    today = timezone.localdate(now)
    village = household.grid.region
    rule = rule_get_in_force(village, CASE_AWARD_RULE, today)
    if rule is None:
        return None
    eff = rule_effective(rule, village)
    if not eff.is_active or eff.direction != Direction.ADD or eff.points <= 0:
        return None
    source = f"case:{case.pk}"
    try:
        with transaction.atomic():
            ledger.head_lock(village.pk)
            if PointsEntry.objects.filter(household=household, kind=EntryKind.AWARD, source=source).exists():
                return None
            if _cap_error(eff, household.pk, today, 1, eff.points):
                return None
            return ledger.entry_post(
                village_id=village.pk, household_id=household.pk, kind=EntryKind.AWARD, points=eff.points,
                occurred_on=today, recorder=actor, rule=rule, source=source, now=now,
                note=f"反映问题经核实并办结：{case.number} {case.title}",
            )
    except IntegrityError:
        return None


# --- awards for one occasion (a volunteer activity) -----------------------------------------------


@dataclass(frozen=True)
class AwardSkip:
    household: Household
    reason: str


@dataclass(frozen=True)
class AwardBulkResult:
    entries: list[PointsEntry]
    skipped: list[AwardSkip]


def entry_award_bulk(
    *, actor: User, households: list[Household], rule: PointsRule, points: int, occurred_on: dt.date, source: str,
    note: str = "", now: dt.datetime | None = None,
) -> AwardBulkResult:
    """Award ``points`` of the addition item ``rule`` to many households for one occasion (``source``,
    e.g. ``activity:12``), as ``award`` entries pending the monthly review like any record, posted in
    one bulk write per village chain.

    The item, the points (at most its value in each household's village), the day (not in the
    future, at most ``BACKFILL_DAYS`` back) and the actor's scope over every household are checked
    first: any of them wrong and nothing is written. Then, under the village chain locks, a household
    that already has an award from ``source`` (an award never doubles), or whose cap for the item
    the award would break, is skipped and reported with the reason; the others are posted."""
    if not households:
        return AwardBulkResult([], [])
    ids = [h.pk for h in households]
    if len(set(ids)) != len(ids):
        raise PointsError("同一户在本批中出现了两次", fields=field_error("households", "重复"))
    source = (source or "").strip()
    if not source or len(source) > 64:
        raise PointsError("奖励须注明来源（不超过 64 个字符）", fields=field_error("source", "必填"))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise PointsError(f"说明不能超过 {NOTE_MAX} 字", fields=field_error("note", "太长"))
    if not isinstance(points, int) or points <= 0:
        raise PointsError("奖励分值应为正整数", fields=field_error("points", "应为正整数"))
    for h in households:
        _in_scope(actor, h)
    now = now or timezone.now()
    _day_check(occurred_on, timezone.localdate(now))
    villages = {h.grid.region_id: h.grid.region for h in households}
    effective = {vid: _rule_for(rule, v, occurred_on) for vid, v in villages.items()}
    for vid, eff in effective.items():
        if eff.direction != Direction.ADD:
            raise PointsError(f"“{eff.name}”是减分项，不能作为奖励", fields=field_error("rule", "须为加分项"),
                              code="wrong_sign")
        if points > eff.points:
            raise PointsError(f"“{eff.name}”在{villages[vid].name}每次最多加 {eff.points} 分",
                              fields=field_error("points", "超过细则分值"))
    with transaction.atomic():
        for vid in sorted(villages):
            ledger.head_lock(vid)
        done = set(PointsEntry.objects.filter(household_id__in=ids, kind=EntryKind.AWARD, source=source)
                   .values_list("household_id", flat=True))
        used = {vid: _caps_used(eff, [h.pk for h in households if h.grid.region_id == vid], occurred_on)
                for vid, eff in effective.items()}
        rows: list[PointsEntry] = []
        skipped: list[AwardSkip] = []
        for h in households:
            vid = h.grid.region_id
            if h.pk in done:
                skipped.append(AwardSkip(h, "已因同一事由记过分"))
                continue
            village_used = used[vid]
            if village_used is not None and (
                    cap := _cap_message(effective[vid], village_used.get(h.pk, (0, 0)), 1, points)):
                skipped.append(AwardSkip(h, cap))
                continue
            entry = PointsEntry(village_id=vid, household_id=h.pk, kind=EntryKind.AWARD, points=points,
                                occurred_on=occurred_on, recorded_at=now, recorder=actor, note=note, source=source)
            entry.copy_rule(rule)
            rows.append(entry)
        entries = ledger.entry_post_bulk(rows, now=now)
    return AwardBulkResult(entries, skipped)


# --- the supermarket (shop app) -------------------------------------------------------------------


def ledger_lock(village_id: int) -> None:
    """Hold the village's ledger (its chain head) until the transaction ends. An app that checks
    something of its own before it posts points (the supermarket: the window, the shelf, the limit
    per household) takes this first, inside ``transaction.atomic``, so that what it checked still
    holds when the points move. The ledger's locking order starts here: chain heads, then balances."""
    ledger.head_lock(village_id)


def entry_redeem(*, village_id: int, household_id: int, points: int, actor: User, source: str, note: str,
                 now: dt.datetime | None = None) -> PointsEntry:
    """兑换: take ``points`` from the household for what it takes home (``source``, e.g.
    ``order:12``), in force as it posts. Refused with ``InsufficientPoints`` when the household has
    fewer: points never go below zero."""
    now = now or timezone.now()
    return ledger.entry_post(village_id=village_id, household_id=household_id, kind=EntryKind.REDEMPTION,
                             points=-points, occurred_on=timezone.localdate(now), recorder=actor, source=source,
                             note=note, now=now)


def entry_refund(*, village_id: int, household_id: int, points: int, actor: User, source: str, note: str,
                 now: dt.datetime | None = None) -> PointsEntry:
    """退还: give back the points of a redemption called off (``source`` as it was redeemed), once:
    a second refund of the same ``source`` is ``AlreadyDone``."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return ledger.entry_post(village_id=village_id, household_id=household_id, kind=EntryKind.REFUND,
                                     points=points, occurred_on=timezone.localdate(now), recorder=actor,
                                     source=source, note=note, now=now)
    except IntegrityError:
        raise AlreadyDone("积分已退还") from None


# --- history in bulk (the demo, the benchmarks) ---------------------------------------------------


def entries_import(entries: list[PointsEntry], decisions: list[Decision | None] | None = None, *,
                   insert: Callable[[type[Any], list[Any]], list[Any]] = bulk_insert,
                   now: dt.datetime | None = None) -> list[PointsEntry]:
    """Write past entries (unsaved, their rule copied with ``copy_rule``) and the decisions taken on
    them at once, into each village's chains as if posted one by one, the balances moved by the same
    sums. Nothing is checked against the rulebook: what is imported must already keep its rules."""
    return ledger.entry_post_bulk(entries, decisions, insert=insert, now=now)
