"""How rows enter the ledger, private to points: other apps post through ``points.services``.
Services decide whether a posting may happen; this module only does it: every entry goes in through
``entry_post`` (one row) or ``entry_post_bulk`` (many rows at once), every decision through
``review_post``. Each appends to its village's hash chain while holding the village's
``PointsChainHead`` row locked, and moves the household's ``PointsBalance`` in the same transaction.

Locking order, everywhere: chain heads (by village id, ascending), then balances. A posting that
takes points away (an approved deduction, a reversal, a redemption) moves the balance with
``UPDATE … WHERE approved_total >= n``: zero rows updated means the household has too few points,
and the whole posting is refused, whatever runs beside it.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from xiangzhi.lib import hashchain
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.points.errors import InsufficientPoints
from xiangzhi.points.models import (
    EARNING_KINDS,
    REVIEWED_KINDS,
    EntryKind,
    PointsBalance,
    PointsChainHead,
    PointsEntry,
    PointsReview,
    PointsRule,
    ReviewDecision,
)
from xiangzhi.regions.selectors import township_ids

# What each chain hashes (attribute names); the row's id is left out so rows can be hashed before
# they are inserted, in bulk. (village_id, seq) identifies a row within the chain.
ENTRY_FIELDS = ("village_id", "seq", "household_id", "kind", "rule_id", "rule_code", "rule_name", "category_code",
                "category_name", "quantity", "points", "occurred_on", "recorded_at", "recorder_id", "note",
                "evidence_sha256", "reverses_id", "source", "idempotency_key")
REVIEW_FIELDS = ("village_id", "seq", "entry_id", "decision", "reason", "reviewer_id", "reviewed_at")
# Fields added to the entry after the chain began: hashed when set, left out of the row when empty,
# so a row written before the field existed hashes as it did then.
ENTRY_OPTIONAL_FIELDS = ("requested_by_id",)


def entry_row(entry: PointsEntry) -> dict:
    row = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    row.update({name: v for name in ENTRY_OPTIONAL_FIELDS if (v := getattr(entry, name)) is not None})
    return row


def review_row(review: PointsReview) -> dict:
    return {name: getattr(review, name) for name in REVIEW_FIELDS}


def head_lock(village_id: int) -> PointsChainHead:
    """The village's chain head, locked until the transaction ends. A service that checks something
    before posting (a cap, an idempotency key) locks first and checks under the lock."""
    PointsChainHead.objects.get_or_create(village_id=village_id)
    return PointsChainHead.objects.select_for_update().get(village_id=village_id)


def _earned_delta(entry: PointsEntry) -> int:
    """How an approved entry moves ``earned_total``: conduct additions count, and so do their reversals."""
    if entry.kind in EARNING_KINDS and entry.points > 0:
        return entry.points
    if entry.kind == EntryKind.REVERSAL and entry.reverses.kind in EARNING_KINDS and entry.reverses.points > 0:
        return entry.points
    return 0


def _balance_move(household_id: int, village_id: int, *, approved: int = 0, pending: int = 0, earned: int = 0,
                  now) -> None:
    """Move one household's totals; refuse (and change nothing) if the approved total would go below zero."""
    if not (approved or pending or earned):
        return
    rows = PointsBalance.objects.filter(pk=household_id)
    if approved < 0:
        rows = rows.filter(approved_total__gte=-approved)
    changed = rows.update(approved_total=F("approved_total") + approved, pending_total=F("pending_total") + pending,
                          earned_total=F("earned_total") + earned, updated_at=now)
    if changed:
        return
    current = PointsBalance.objects.filter(pk=household_id).values_list("approved_total", flat=True).first()
    if current is None and approved >= 0:
        try:
            with transaction.atomic():
                PointsBalance.objects.create(
                    household_id=household_id, village_id=village_id,
                    township_id=township_ids([village_id])[village_id], approved_total=approved,
                    pending_total=pending, earned_total=earned, updated_at=now,
                )
            return
        except IntegrityError:  # created beside us a moment ago: move it like any other
            return _balance_move(household_id, village_id, approved=approved, pending=pending, earned=earned,
                                 now=now)
    raise InsufficientPoints(f"积分不足：该户现有 {current or 0} 分，本次需减少 {-approved} 分，积分不能为负数")


@transaction.atomic
def entry_post(
    *, village_id: int, household_id: int, kind: str, points: int, occurred_on, recorder=None,
    rule: PointsRule | None = None, quantity: int = 1, note: str = "", evidence: ProcessedPhoto | None = None,
    reverses: PointsEntry | None = None, source: str = "", idempotency_key: str = "", request_hash: str = "",
    approve: bool | None = None, reviewer=None, requested_by=None, now=None,
) -> PointsEntry:
    """Append one entry to its village's chain and move the household's balance. Kinds that are not
    reviewed (``approve`` defaults to that) are approved at once, by ``reviewer`` or the recorder.
    ``requested_by``: who asked for the entry, when that is not who approved it (冲正, 更正)."""
    now = now or timezone.now()
    head = head_lock(village_id)
    if approve is None:
        approve = kind not in REVIEWED_KINDS
    entry = PointsEntry(
        village_id=village_id, seq=head.entry_seq + 1, household_id=household_id, kind=kind, points=points,
        quantity=quantity, occurred_on=occurred_on, recorded_at=now, recorder=recorder, note=note[:500],
        reverses=reverses, source=source, idempotency_key=idempotency_key, request_hash=request_hash,
        prev_hash=head.entry_hash, requested_by=requested_by,
    )
    entry.copy_rule(rule, reverses)
    if evidence is not None:
        evidence_store(entry, evidence)
    entry.hash = hashchain.link(entry.prev_hash, entry_row(entry))
    entry.save(force_insert=True)
    PointsChainHead.objects.filter(pk=village_id).update(entry_seq=entry.seq, entry_hash=entry.hash)
    head.entry_seq, head.entry_hash = entry.seq, entry.hash
    if approve:
        _balance_move(household_id, village_id, approved=points, earned=_earned_delta(entry), now=now)
        review_post(entry=entry, decision=ReviewDecision.APPROVED, reviewer=reviewer or recorder, now=now,
                      head=head, move_balance=False)
    else:
        _balance_move(household_id, village_id, pending=points, now=now)
    return entry


def evidence_store(entry: PointsEntry, photo: ProcessedPhoto) -> None:
    """Save the photo and its thumbnail and put them, with the photo's SHA-256, on the unsaved entry.
    The chain hashes the SHA-256, so a photo swapped on disk afterwards no longer matches its row."""
    entry.evidence_sha256 = hashlib.sha256(photo.image).hexdigest()
    stem = f"{entry.village_id}-{entry.evidence_sha256[:16]}.jpg"
    entry.evidence.save(stem, ContentFile(photo.image), save=False)
    entry.evidence_thumbnail.save(stem, ContentFile(photo.thumbnail), save=False)


@transaction.atomic
def review_post(*, entry: PointsEntry, decision: str, reason: str = "", reviewer=None, now=None,
                  head: PointsChainHead | None = None, move_balance: bool = True) -> PointsReview:
    """Append the decision on a pending entry to its village's review chain and move the balance
    from pending to approved (or out of pending, if rejected)."""
    now = now or timezone.now()
    head = head or head_lock(entry.village_id)
    review = PointsReview(entry=entry, village_id=entry.village_id, seq=head.review_seq + 1, decision=decision,
                          reason=reason[:500], reviewer=reviewer, reviewed_at=now, prev_hash=head.review_hash)
    review.hash = hashchain.link(review.prev_hash, review_row(review))
    review.save(force_insert=True)
    PointsChainHead.objects.filter(pk=entry.village_id).update(review_seq=review.seq, review_hash=review.hash)
    head.review_seq, head.review_hash = review.seq, review.hash
    if move_balance:
        if decision == ReviewDecision.APPROVED:
            _balance_move(entry.household_id, entry.village_id, approved=entry.points, pending=-entry.points,
                          earned=_earned_delta(entry), now=now)
        else:
            _balance_move(entry.household_id, entry.village_id, pending=-entry.points, now=now)
    return review


@transaction.atomic
def review_post_bulk(entries: list[PointsEntry], *, decision: str, reason: str = "", reviewer=None,
                     now=None) -> list[PointsReview]:
    """``review_post`` for many pending entries, one decision for all: each village's review chain is
    extended in memory from its locked head, in the order given (the chain ``review_post`` one entry
    after another would write), the reviews go in with one insert and the balances move by each
    household's sums; if an approved total would go below zero, nothing is written."""
    now = now or timezone.now()
    heads = {vid: head_lock(vid) for vid in sorted({e.village_id for e in entries})}
    reviews: list[PointsReview] = []
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    village_of: dict[int, int] = {}
    for entry in entries:
        head = heads[entry.village_id]
        review = PointsReview(entry=entry, village_id=entry.village_id, seq=head.review_seq + 1, decision=decision,
                              reason=reason[:500], reviewer=reviewer, reviewed_at=now, prev_hash=head.review_hash)
        review.hash = hashchain.link(review.prev_hash, review_row(review))
        head.review_seq, head.review_hash = review.seq, review.hash
        reviews.append(review)
        delta = deltas[entry.household_id]
        village_of.setdefault(entry.household_id, entry.village_id)
        delta[1] -= entry.points
        if decision == ReviewDecision.APPROVED:
            delta[0] += entry.points
            delta[2] += _earned_delta(entry)
    _default_insert(PointsReview, reviews)
    for vid, head in heads.items():
        PointsChainHead.objects.filter(pk=vid).update(review_seq=head.review_seq, review_hash=head.review_hash)
    _balances_move(deltas, village_of, now)
    return reviews


# --- many rows at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A review to write with a bulk posting."""

    decision: str
    reviewer_id: int | None
    reviewed_at: object
    reason: str = ""


def _default_insert(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=1000)


@transaction.atomic
def entry_post_bulk(entries: list[PointsEntry], decisions: list[Decision | None] | None = None, *,
              insert: Callable[[type, list], list] = _default_insert, now=None) -> list[PointsEntry]:
    """Append many entries (unsaved, every field but the chain's set) and their reviews at once: the
    chains are computed in memory from the locked heads and written with one bulk insert per table.
    Kinds that are not reviewed get an approval at ``recorded_at`` when ``decisions`` has none for them.
    Balances move by each household's sum; if any approved total would go below zero, nothing is
    written. Reviews join their village's chain in ``reviewed_at`` order."""
    if not entries:
        return []
    now = now or timezone.now()
    decisions = list(decisions) if decisions is not None else [None] * len(entries)
    for i, (entry, decision) in enumerate(zip(entries, decisions, strict=True)):
        if decision is None and entry.kind not in REVIEWED_KINDS:
            decisions[i] = Decision(ReviewDecision.APPROVED, entry.recorder_id, entry.recorded_at)
    by_village: dict[int, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        by_village[entry.village_id].append(i)
    heads = {vid: head_lock(vid) for vid in sorted(by_village)}

    for vid, indexes in by_village.items():
        head = heads[vid]
        for i in indexes:
            entry = entries[i]
            entry.seq = head.entry_seq + 1
            entry.prev_hash = head.entry_hash
            entry.hash = hashchain.link(entry.prev_hash, entry_row(entry))
            head.entry_seq, head.entry_hash = entry.seq, entry.hash
    entries = insert(PointsEntry, entries)

    reviews: list[PointsReview] = []
    for vid, indexes in by_village.items():
        head = heads[vid]
        todo = sorted((i for i in indexes if decisions[i] is not None),
                      key=lambda i: (decisions[i].reviewed_at, entries[i].seq))
        for i in todo:
            d = decisions[i]
            review = PointsReview(entry_id=entries[i].pk, village_id=vid, seq=head.review_seq + 1, decision=d.decision,
                                  reason=d.reason[:500], reviewer_id=d.reviewer_id, reviewed_at=d.reviewed_at,
                                  prev_hash=head.review_hash)
            review.hash = hashchain.link(review.prev_hash, review_row(review))
            head.review_seq, head.review_hash = review.seq, review.hash
            reviews.append(review)
    insert(PointsReview, reviews)
    for vid, head in heads.items():
        PointsChainHead.objects.filter(pk=vid).update(entry_seq=head.entry_seq, entry_hash=head.entry_hash,
                                                      review_seq=head.review_seq, review_hash=head.review_hash)

    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    village_of: dict[int, int] = {}
    for entry, d in zip(entries, decisions, strict=True):
        delta = deltas[entry.household_id]
        village_of.setdefault(entry.household_id, entry.village_id)
        if d is None:
            delta[1] += entry.points
        elif d.decision == ReviewDecision.APPROVED:
            delta[0] += entry.points
            delta[2] += _earned_delta(entry)
    _balances_move(deltas, village_of, now, insert)
    return entries


def _balances_move(deltas: dict[int, list[int]], village_of: dict[int, int], now, insert=_default_insert) -> None:
    """Move many households' totals at once: read them locked, add, refuse if any would go below
    zero, write the new values back with one ``executemany`` (households whose totals do not move —
    a settlement's expiry and carry-over of the same points — are left alone)."""
    deltas = {h: d for h, d in deltas.items() if any(d)}
    if not deltas:
        return
    existing = {b.pk: b for b in PointsBalance.objects.select_for_update().filter(pk__in=list(deltas))}
    towns = township_ids({village_of[h] for h in deltas if h not in existing})
    new, changed = [], []
    for household_id, (approved, pending, earned) in deltas.items():
        balance = existing.get(household_id)
        if balance is None:
            vid = village_of[household_id]
            balance = PointsBalance(household_id=household_id, village_id=vid, township_id=towns[vid])
            new.append(balance)
        else:
            changed.append(balance)
        balance.approved_total += approved
        balance.pending_total += pending
        balance.earned_total += earned
        balance.updated_at = now
        if balance.approved_total < 0:
            raise InsufficientPoints(
                f"积分不足：户 {household_id} 的积分将为 {balance.approved_total} 分，积分不能为负数")
    insert(PointsBalance, new)
    if changed:
        # Django's bulk_update builds a CASE per column per row; the same absolute values, under the
        # same row locks, go faster as one parameterised UPDATE executed many times.
        conn = connections[PointsBalance.objects.db]
        table = conn.ops.quote_name(PointsBalance._meta.db_table)
        stamp = PointsBalance._meta.get_field("updated_at").get_db_prep_save(now, conn)
        with conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET approved_total = %s, pending_total = %s, earned_total = %s, "  # noqa: S608
                "updated_at = %s WHERE household_id = %s",
                [(b.approved_total, b.pending_total, b.earned_total, stamp, b.pk) for b in changed],
            )


# --- proofs -------------------------------------------------------------------------------------

BREAK_MESSAGES = {
    "seq_gap": "序号不连续：有行被删除或插入",
    "prev_mismatch": "与前一行的链接不符：行被移动或替换",
    "hash_mismatch": "内容与哈希不符：该行被改动",
    "head_mismatch": "链尾与链头记录不符：末尾的行被删除，或链头被改动",
}
TABLE_NAMES = {"entry": "积分记录", "review": "审核记录"}


@dataclass(frozen=True)
class LedgerBreak:
    """The first row at which a village's chains stop holding."""

    village_id: int
    table: str  # "entry" or "review"
    seq: int | None
    row_id: int | None
    code: str

    @property
    def message(self) -> str:
        where = f"第 {self.seq} 条" if self.seq is not None else "链尾"
        row = f"（id {self.row_id}）" if self.row_id is not None else ""
        return f"{TABLE_NAMES[self.table]}{where}{row}：{BREAK_MESSAGES[self.code]}"


def _walk(qs, fields: tuple[str, ...], last_id: list, optional: tuple[str, ...] = ()) -> Iterator[tuple]:
    names = fields + optional
    for values in qs.values_list("id", "prev_hash", "hash", *names).iterator(chunk_size=2000):
        last_id[0] = values[0]
        row = dict(zip(names, values[3:], strict=True))
        for name in optional:
            if row[name] is None:
                del row[name]
        yield row["seq"], row, values[1], values[2]


def chain_verify(village_id: int) -> LedgerBreak | None:
    head = PointsChainHead.objects.filter(pk=village_id).first()
    chains = (
        ("entry", PointsEntry.objects.filter(village_id=village_id).order_by("seq"), ENTRY_FIELDS,
         ENTRY_OPTIONAL_FIELDS, (head.entry_seq, head.entry_hash) if head else (0, hashchain.GENESIS)),
        ("review", PointsReview.objects.filter(village_id=village_id).order_by("seq"), REVIEW_FIELDS, (),
         (head.review_seq, head.review_hash) if head else (0, hashchain.GENESIS)),
    )
    for table, qs, fields, optional, end in chains:
        last_id: list = [None]
        broken = hashchain.verify(_walk(qs, fields, last_id, optional), head=end)
        if broken is not None:
            row_id = last_id[0] if broken.code != "head_mismatch" else None
            return LedgerBreak(village_id, table, broken.seq if broken.seq is not None else end[0], row_id,
                               broken.code)
    return None


@dataclass(frozen=True)
class BalanceMismatch:
    household_id: int
    field: str
    stored: int
    ledger: int


def totals_from_entries(household_ids: list[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """(approved, pending, earned) per household, summed from the ledger itself."""
    approved = Q(review__decision=ReviewDecision.APPROVED)
    earning = Q(kind__in=EARNING_KINDS, points__gt=0) | Q(
        kind=EntryKind.REVERSAL, reverses__kind__in=EARNING_KINDS, reverses__points__gt=0
    )
    qs = PointsEntry.objects.all()
    if household_ids is not None:
        qs = qs.filter(household_id__in=household_ids)
    rows = qs.values("household_id").order_by().annotate(
        approved=Coalesce(Sum("points", filter=approved), 0),
        pending=Coalesce(Sum("points", filter=Q(review__isnull=True)), 0),
        earned=Coalesce(Sum("points", filter=approved & earning), 0),
    )
    return {r["household_id"]: (r["approved"], r["pending"], r["earned"]) for r in rows}


def balance_mismatch_list(household_ids: list[int] | None = None) -> list[BalanceMismatch]:
    """Every household's kept totals against the ledger's sums; empty when they agree."""
    ledger = totals_from_entries(household_ids)
    stored_qs = PointsBalance.objects.all()
    if household_ids is not None:
        stored_qs = stored_qs.filter(pk__in=household_ids)
    stored = {h: (a, p, e) for h, a, p, e in
              stored_qs.values_list("household_id", "approved_total", "pending_total", "earned_total")}
    out = []
    for household_id in sorted(set(ledger) | set(stored)):
        have = stored.get(household_id, (0, 0, 0))
        want = ledger.get(household_id, (0, 0, 0))
        for name, s, w in zip(("approved_total", "pending_total", "earned_total"), have, want, strict=True):
            if s != w:
                out.append(BalanceMismatch(household_id, name, s, w))
    return out
