"""一季一公示: publishing each village's quarterly notice and answering its objections. Other apps
reach these through ``points.services``; reading a notice and proving it (``notice_verify``) are
``points.notice_selectors``, named in ``points.selectors`` too.

A notice is computed from the ledger under the village's chain-head lock and stored with the ends of
both chains at that moment (the anchor) and a SHA-256 over its canonical encoding. Corrections made
after publication (an upheld objection) come later in the chain and change the next notice, never
this one.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_event, audit_record, audit_record_many
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Forbidden, NotFound, field_error
from xiangzhi.notifications.services import notify
from xiangzhi.people.models import Household
from xiangzhi.points import ledger
from xiangzhi.points.errors import AlreadyDone, PointsConflict, PointsError
from xiangzhi.points.models import (
    EntryKind,
    NoticeState,
    ObjectionState,
    PointsCycle,
    PointsNotice,
    PointsObjection,
)
from xiangzhi.points.notice_selectors import Anchor, notice_digest, notice_rows
from xiangzhi.points.rules import may_object, why_not_resolve
from xiangzhi.points.selectors import notice_categories, policy_for
from xiangzhi.regions.models import Region, RegionLevel

OBJECTION_MIN, OBJECTION_MAX = 5, 500
MAX_CORRECTION = 1000


# --- publishing ---------------------------------------------------------------------------------


def notice_publish(*, village: Region, period_start: dt.date, period_end: dt.date, objection_days: int,
                   cycle: PointsCycle | None = None, actor=None, now: dt.datetime | None = None) -> PointsNotice:
    """Publish the village's list for the period, once: a second call returns the first notice."""
    if village.level != RegionLevel.VILLAGE:
        raise PointsError("积分按村（社区）公示")
    now = now or timezone.now()
    with transaction.atomic():
        head = ledger.head_lock(village.pk)
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
        audit_record(actor=actor, action=AuditAction.PUBLISH,
                     summary=f"公示{village.name}{_period(period_start, period_end)}积分（{len(notice.rows)} 户）",
                     scope_path=village.path, subject=f"points.pointsnotice:{notice.pk}", at=now)
    return notice


def _period(start: dt.date, end: dt.date) -> str:
    return f"{start:%Y年%m月%d日}至{end:%Y年%m月%d日}"


def notices_publish_for_cycle(*, cycle: PointsCycle, now: dt.datetime | None = None) -> list[PointsNotice]:
    """The quarter's notice for every village of the cycle's township (the worker, as the cycle opens)."""
    days = policy_for(cycle.township_id).objection_days
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=cycle.township.path).order_by("pk")
    return [notice_publish(village=v, period_start=cycle.period_start, period_end=cycle.period_end,
                           objection_days=days, cycle=cycle, now=now) for v in villages]


def notices_close_due(today: dt.date) -> int:
    """Notices whose objection window has passed stop taking objections."""
    with transaction.atomic():
        due = list(PointsNotice.objects.filter(state=NoticeState.OPEN, objection_until__lt=today)
                   .select_for_update().select_related("village").only(
                       "pk", "period_start", "period_end", "village__name", "village__path"))
        closed = PointsNotice.objects.filter(pk__in=[n.pk for n in due], state=NoticeState.OPEN).update(
            state=NoticeState.FINAL)
        audit_record_many(audit_event(
            actor=None, action=AuditAction.PUBLISH, scope_path=n.village.path,
            summary=f"{n.village.name}{_period(n.period_start, n.period_end)}积分公示期满，不再受理异议",
            subject=f"points.pointsnotice:{n.pk}") for n in due)
    return closed


# --- objections ---------------------------------------------------------------------------------


def _objection_text(value: str, what: str, low: int = OBJECTION_MIN) -> str:
    value = (value or "").strip()
    if len(value) < low:
        raise PointsError(f"请写明{what}（至少 {low} 个字）", fields=field_error("text", "太短"))
    if len(value) > OBJECTION_MAX:
        raise PointsError(f"{what}不能超过 {OBJECTION_MAX} 字", fields=field_error("text", "太长"))
    return value


def objection_file(*, actor, notice: PointsNotice, household: Household, text: str,
                   now: dt.datetime | None = None) -> PointsObjection:
    """A villager questions one household's row while the notice takes objections."""
    if not may_object(actor, notice):
        raise Forbidden("只有本村村民和村干部可以对本村公示提出异议")
    now = now or timezone.now()
    if notice.state != NoticeState.OPEN or timezone.localdate(now) > notice.objection_until:
        raise PointsConflict(f"异议期已于{day_text(notice.objection_until)}结束",
                             code="window_closed")
    if household.pk not in {r["household"] for r in notice.rows}:
        raise PointsError("该户不在本次公示名单中", fields=field_error("household", "不在名单中"))
    text = _objection_text(text, "异议内容")
    if PointsObjection.objects.filter(notice=notice, household=household, filed_by=actor,
                                      state=ObjectionState.OPEN).exists():
        raise PointsConflict("您对该户的异议正在处理中，请勿重复提出", code="conflict")
    return PointsObjection.objects.create(notice=notice, household=household, filed_by=actor, filed_at=now, text=text)


def objection_resolve(*, actor, objection: PointsObjection, upheld: bool, resolution: str,
                      correction: int | None = None, now: dt.datetime | None = None) -> PointsObjection:
    """Answer an objection once, with the outcome written down. An upheld objection may correct the
    household's points: a ``correction`` entry in the ledger, asked for by whoever filed the objection
    and approved by ``actor`` as it posts (never the same person: ``rules.why_not_resolve``; a
    correction that takes points away needs the household to have them)."""
    if not scope_of(actor).covers_path(objection.notice.village.path):
        raise NotFound()
    if why := why_not_resolve(actor, objection):
        raise Forbidden(why)
    resolution = _objection_text(resolution, "处理结果", low=2)
    if correction is not None:
        if not upheld:
            raise PointsError("未采纳的异议不更正积分", fields=field_error("correction", "应为空"))
        if correction == 0 or abs(correction) > MAX_CORRECTION:
            raise PointsError(f"更正分值应为非零整数，绝对值不超过 {MAX_CORRECTION}",
                              fields=field_error("correction", "超出范围"))
    now = now or timezone.now()
    notice = objection.notice
    try:
        with transaction.atomic():
            ledger.head_lock(notice.village_id)
            won = PointsObjection.objects.filter(pk=objection.pk, state=ObjectionState.OPEN).update(
                state=ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED, resolution=resolution,
                resolved_by=actor, resolved_at=now)
            if not won:
                raise AlreadyDone("该异议已处理")
            if correction:
                entry = ledger.entry_post(
                    village_id=notice.village_id, household_id=objection.household_id, kind=EntryKind.CORRECTION,
                    points=correction, occurred_on=timezone.localdate(now), recorder=actor, reviewer=actor,
                    requested_by=objection.filed_by, source=f"objection:{objection.pk}", now=now,
                    note=f"{notice.period_label}公示异议更正：{resolution}"[:500],
                )
                PointsObjection.objects.filter(pk=objection.pk).update(correction=entry)
    except IntegrityError:
        raise AlreadyDone("该异议已处理") from None
    objection.refresh_from_db()
    _filer_tell(objection)
    return objection


def _filer_tell(objection: PointsObjection) -> None:
    verdict = objection.get_state_display()
    notify(recipients=[objection.filed_by_id], kind="points_objection",
           title=f"您对{objection.notice.period_label}积分公示的异议{verdict}",
           body=objection.resolution, link=f"/points/notices/{objection.notice_id}/")
