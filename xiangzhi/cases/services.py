"""Every state change of a case. Pages, the API, Open311, imports and the background sweep all
call these functions; each writes one immutable Transition row per action."""

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.cases import deadlines, rules
from xiangzhi.cases.models import (
    Case,
    Category,
    Evaluation,
    HandlingLevel,
    IdempotencyRecord,
    Photo,
    Status,
    Transition,
)
from xiangzhi.cases.routing import department_for, route
from xiangzhi.cases.workflow import LADDER, TRANSITIONS, TransitionError, level_down, level_up, target_of
from xiangzhi.core.errors import IdempotencyConflict, Invalid
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.photos import ProcessedPhoto


class CaseError(Invalid):
    """Input a case service refuses, with the reason in Chinese."""


@dataclass
class ReportResult:
    case: Case
    created: bool
    duplicates: list[Case] = field(default_factory=list)


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def case_report(
    *, channel: str, category: Category, title: str, description: str = "", lon: float | None = None,
    lat: float | None = None, address: str = "", reporter=None, reporter_name: str = "", reporter_phone: str = "",
    is_proactive: bool = False, photos: list[ProcessedPhoto] = (), fallback_region=None,
    idempotency_key: str | None = None, idempotency_owner: str | None = None, fingerprint: str | None = None,
    now: dt.datetime | None = None,
) -> ReportResult:
    """One intake for every channel. Routes by location and category; a retried submission with the
    same Idempotency-Key returns the first case."""
    title = (title or "").strip()
    if not title:
        raise CaseError("请填写事件标题")
    if len(title) > 100:
        raise CaseError("标题不能超过100字")
    if not category.is_active:
        raise CaseError("该事件类别已停用")
    if (lon is None) != (lat is None):
        raise CaseError("经度和纬度要同时提供")
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CaseError("坐标超出经纬度范围")
    if len(photos) > settings.CASE_PHOTO_MAX_COUNT:
        raise CaseError(f"最多上传 {settings.CASE_PHOTO_MAX_COUNT} 张照片")
    if reporter_phone and not (reporter_phone.isdigit() and len(reporter_phone) == 11):
        raise CaseError("联系电话应为11位手机号")
    if idempotency_key:
        owner = idempotency_owner or (f"user:{reporter.pk}" if reporter else "anonymous")
        fingerprint = fingerprint or ""
        previous = _idempotent_replay(owner, idempotency_key, fingerprint)
        if previous is not None:
            return previous
    now = now or timezone.now()
    where = route(category=category, lon=lon, lat=lat,
                  fallback_region=fallback_region or (lambda: _reporter_region(reporter)))
    try:
        with transaction.atomic():
            case = Case(
                number=f"TMP{now:%H%M%S%f}",
                category=category, channel=channel, title=title, description=description.strip(),
                lon=lon, lat=lat, address=address.strip()[:200], grid=where.grid, region=where.region,
                scope_path=where.scope_path, status=Status.REPORTED, handling_level=where.level,
                assignee_department=where.department, reporter=reporter,
                reporter_name=(reporter_name or (reporter.full_name if reporter else ""))[:50],
                is_proactive=is_proactive, created_at=now, step_started_at=now,
                close_due_at=deadlines.calendar().add_working_hours(now, deadlines.total_hours(category)),
            )
            if reporter_phone:
                case.reporter_phone_encrypted = crypto.encrypt(reporter_phone)
                case.reporter_phone_masked = idnumber.mask_phone(reporter_phone)
            deadlines.set_step_clock(case, started=now)
            case.save()
            case.number = f"{timezone.localtime(now):%Y%m%d}{case.pk:07d}"  # the county's date, not UTC's
            Case.objects.filter(pk=case.pk).update(number=case.number)
            note = "不在任何网格内，进入乡镇分拨队列" if where.triage else ""
            report = Transition.objects.create(
                case=case, action="report", from_status="", to_status=Status.REPORTED, to_level=where.level,
                actor=reporter, department=where.department, note=note, created_at=now,
            )
            _save_photos(case, report, photos)
            if idempotency_key:
                IdempotencyRecord.objects.create(owner=owner, key=idempotency_key, request_hash=fingerprint,
                                                 case=case)
            _notify_owners(case, "case_new", f"新事件：{case.title}")
    except IntegrityError:
        if idempotency_key:
            replay = _idempotent_replay(owner, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        raise
    return ReportResult(case=case, created=True, duplicates=duplicate_candidates(case))


def _reporter_region(reporter):
    """Where a report without a usable location goes: the reporter's household's village, else the
    reporter's own region (looked up only when the location falls outside every grid)."""
    if reporter is None:
        return None
    if getattr(reporter, "household_id", None):
        return reporter.household.grid.region
    if getattr(reporter, "region_id", None):
        return reporter.region
    return None


def _idempotent_replay(owner: str, key: str, fingerprint: str) -> ReportResult | None:
    record = IdempotencyRecord.objects.select_related("case").filter(owner=owner, key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyConflict("该 Idempotency-Key 已用于另一份不同的提交")
    return ReportResult(case=record.case, created=False)


def _save_photos(case: Case, transition: Transition, photos) -> None:
    for i, photo in enumerate(photos, start=1):
        row = Photo(case=case, transition=transition, width=photo.width, height=photo.height,
                    size_bytes=len(photo.image))
        row.image.save(f"{case.number}-{transition.pk}-{i}.jpg", ContentFile(photo.image), save=False)
        row.thumbnail.save(f"{case.number}-{transition.pk}-{i}.jpg", ContentFile(photo.thumbnail), save=False)
        row.save()


# --- the one way a case changes state ---------------------------------------------------------

_MOVABLE = ["status", "handling_level", "assignee_department", "assignee_user", "step_started_at", "due_at",
            "warn_at", "warned_at", "overdue_at", "suspended_from", "rework_count", "escalation_count",
            "supervise_count", "accepted_at", "handled_at", "closed_at", "closed_on_time", "closed_level",
            "evaluation", "evaluation_comment", "evaluated_at", "close_due_at", "duplicate_of", "updated_at"]


def _move(case: Case, *, action: str, actor, to_status: str | None = None, note: str = "", now=None,
          keep_clock: bool = False, photos=(), **changes) -> Transition:
    """Apply ``changes`` and the new status only if nobody changed the case meanwhile
    (``UPDATE … WHERE status = old``); then record the transition and restart the step clock."""
    now = now or timezone.now()
    from_status, from_level = case.status, case.handling_level
    allowed_target = target_of(action, from_status) if action in TRANSITIONS else None
    target = to_status or allowed_target
    for name, value in changes.items():
        setattr(case, name, value)
    case.status = target
    case.updated_at = now
    if target != from_status or "handling_level" in changes:
        deadlines.set_step_clock(case, started=now, keep_running=keep_clock)
    values = {}
    for name in _MOVABLE:
        f = Case._meta.get_field(name)
        values[f.attname] = getattr(case, f.attname)
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=from_status).update(**values)
        if not updated:
            raise TransitionError("事件状态已被他人更新，请刷新后重试")
        transition = Transition.objects.create(
            case=case, action=action, from_status=from_status, to_status=target, from_level=from_level,
            to_level=case.handling_level, actor=actor, department=case.assignee_department, note=note,
            created_at=now,
        )
        _save_photos(case, transition, photos)
    return transition


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _reason(note: str, what: str) -> str:
    note = (note or "").strip()
    if len(note) < 2:
        raise CaseError(f"请填写{what}")
    return note


@transaction.atomic
def case_accept(*, case: Case, actor, note: str = "", handle_myself: bool = False) -> Case:
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以受理")
    now = timezone.now()
    _move(case, action="accept", actor=actor, note=note, now=now, accepted_at=now)
    if handle_myself:
        _move(case, action="dispatch", actor=actor, note="自办自结", now=now, assignee_user=actor)
        _move(case, action="start", actor=actor, now=now)
    else:
        _notify_owners(case, "case_accepted", f"事件已受理：{case.title}")
    return case


@transaction.atomic
def case_reject(*, case: Case, actor, reason: str, duplicate_of: Case | None = None) -> Case:
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以作出不予受理")
    note = _reason(reason, "不予受理的理由")
    if duplicate_of is not None:
        return case_merge(case=case, into=duplicate_of, actor=actor, note=note)
    _move(case, action="reject", actor=actor, note=note)
    _notify_reporter(case, "case_rejected", f"您反映的事件不予受理：{note}")
    return case


@transaction.atomic
def case_dispatch(*, case: Case, actor, level: str | None = None, department=None, assignee=None,
                  note: str = "") -> Case:
    """派遣: to a handler at the same or a lower level, to a department (网格吹哨、部门报到), or to a person."""
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以派遣")
    if department is not None:
        if not case.scope_path.startswith(department.region.path) or not department.is_active:
            raise CaseError("只能派往事件所在乡镇或区县的职能部门")
        level = HandlingLevel.DEPARTMENT
    level = level or case.handling_level
    if level not in HandlingLevel.values:
        raise CaseError("未知的处置层级")
    if level == HandlingLevel.DEPARTMENT and department is None:
        department = department_for(case.category, case.region)
        if department is None:
            raise CaseError("该类别没有对应的职能部门，请指定部门")
    if level in (HandlingLevel.GRID,) and case.grid is None:
        raise CaseError("该事件不在任何网格内，不能派往网格")
    if assignee is not None and not rules.can_be_assigned(
        assignee, case, level=level, department_id=department.pk if department is not None else None
    ):
        raise CaseError("只能派给在该事件所在地负责该层级办理的在岗工作人员")
    _move(case, action="dispatch", actor=actor, note=note, handling_level=level,
          assignee_department=department if level == HandlingLevel.DEPARTMENT else None, assignee_user=assignee)
    _notify_owners(case, "case_assigned", f"新派遣事件：{case.title}")
    return case


@transaction.atomic
def case_start(*, case: Case, actor, note: str = "") -> Case:
    _require(rules.is_owner(actor, case), "只有承办人员可以开始处置")
    _move(case, action="start", actor=actor, note=note, keep_clock=True,
          assignee_user=case.assignee_user or actor)
    return case


@transaction.atomic
def case_handle(*, case: Case, actor, note: str, photos=()) -> Case:
    _require(rules.is_owner(actor, case), "只有承办人员可以提交处置结果")
    note = _reason(note, "处置情况")
    now = timezone.now()
    _move(case, action="handle", actor=actor, note=note, now=now, photos=photos, handled_at=now)
    return case


def _last_handler_id(case: Case):
    return case.transitions.filter(action="handle").order_by("-created_at", "-id").values_list(
        "actor_id", flat=True).first()


@transaction.atomic
def case_verify(*, case: Case, actor, passed: bool, note: str = "", photos=(), close: bool = False) -> Case:
    """核查 on site; ``close`` closes a passed case in the same step (核查通过并结案)."""
    _require(rules.can_verify(actor, case), "无权核查此事件")
    if _last_handler_id(case) == actor.id:
        raise PermissionDenied("不能核查自己处置的事件")
    if passed:
        _move(case, action="verify_pass", actor=actor, note=note, photos=photos)
        if close:
            case_close(case=case, actor=actor)
    else:
        note = _reason(note, "返工原因")
        _move(case, action="verify_fail", actor=actor, note=note, photos=photos,
              rework_count=case.rework_count + 1)
        _notify_owners(case, "case_rework", f"事件核查不通过，请返工：{case.title}")
    return case


@transaction.atomic
def case_close(*, case: Case, actor, note: str = "") -> Case:
    _require(rules.can_verify(actor, case), "无权结案")
    now = timezone.now()
    on_time = case.close_due_at is None or now <= case.close_due_at
    _move(case, action="close", actor=actor, note=note, now=now, closed_at=now, closed_on_time=on_time,
          closed_level=case.handling_level)
    # A villager whose report proved real earns the rulebook's points (pending the monthly review).
    from xiangzhi.points.services import entry_award_for_case

    entry_award_for_case(case=case, actor=actor, now=now)
    for merged in case.duplicates.filter(status=Status.MERGED):
        _move(merged, action="close_merged", actor=actor, note=f"随 {case.number} 结案", now=now, closed_at=now,
              closed_on_time=on_time, closed_level=case.handling_level)
        _notify_reporter(merged, "case_closed", f"您反映的事件已办结：{merged.title}")
    _notify_reporter(case, "case_closed", f"您反映的事件已办结，请评价：{case.title}")
    return case


@transaction.atomic
def case_evaluate(*, case: Case, actor, evaluation: str, comment: str = "") -> Case:
    _require(rules.can_evaluate(actor, case), "只有报告人可以评价")
    if evaluation not in Evaluation.values:
        raise CaseError("评价应为满意、基本满意或不满意")
    now = timezone.now()
    fields = {"evaluation": evaluation, "evaluation_comment": comment.strip()[:500], "evaluated_at": now}
    target_of("evaluate", case.status)
    if evaluation == Evaluation.DISSATISFIED and settings.CASE_REOPEN_ON_DISSATISFIED:
        # 不满意: back to the verifier for review; its closure no longer stands.
        _move(case, action="reopen", actor=actor, to_status=Status.HANDLED, note=comment, now=now,
              closed_at=None, closed_on_time=None, closed_level="", **fields)
        _notify_owners(case, "case_reopened", f"群众不满意，事件重新核查：{case.title}")
    else:
        _move(case, action="evaluate", actor=actor, to_status=Status.EVALUATED, note=comment, now=now, **fields)
    return case


@transaction.atomic
def case_archive(*, case: Case, actor=None, note: str = "") -> Case:
    if actor is not None:
        _require(rules.can_verify(actor, case), "无权归档")
    _move(case, action="archive", actor=actor, note=note)
    return case


@transaction.atomic
def case_escalate(*, case: Case, actor, note: str, to_level: str | None = None, system: bool = False) -> Case:
    """上报 / 吹哨: one level up, or straight to a named higher level (网格吹哨直达乡镇)."""
    if not system:
        _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以上报")
        note = _reason(note, "上报理由")
    up = level_up(case.handling_level)
    if up is None:
        raise TransitionError("已是最高处置层级，不能再上报")
    if to_level is not None:
        if to_level not in LADDER or LADDER.index(to_level) < LADDER.index(up):
            raise TransitionError("只能上报到更高的处置层级")
        up = to_level
    if case.status == Status.REPORTED:
        _move(case, action="accept", actor=actor, note="上报时一并受理", accepted_at=timezone.now())
    _move(case, action="escalate", actor=actor, note=note, handling_level=up, assignee_department=None,
          assignee_user=None, escalation_count=case.escalation_count + 1)
    _notify_owners(case, "case_escalated", f"下级上报事件：{case.title}")
    return case


@transaction.atomic
def case_hand_back(*, case: Case, actor, note: str) -> Case:
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以回退")
    note = _reason(note, "回退理由")
    down = level_down(case.handling_level)
    if down is None or (down == HandlingLevel.GRID and case.grid is None):
        raise TransitionError("已是最低处置层级，不能回退")
    _move(case, action="hand_back", actor=actor, note=note, handling_level=down, assignee_department=None,
          assignee_user=None)
    _notify_owners(case, "case_handed_back", f"上级回退事件：{case.title}")
    return case


@transaction.atomic
def case_reassign(*, case: Case, actor, assignee, note: str = "") -> Case:
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以改派")
    if assignee is None or not rules.can_be_assigned(assignee, case):
        raise CaseError("只能改派给在该事件所在地负责本级办理的在岗工作人员")
    _move(case, action="reassign", actor=actor, note=note, keep_clock=True, to_status=Status.DISPATCHED,
          assignee_user=assignee)
    _notify_users([assignee], case, "case_assigned", f"改派给您的事件：{case.title}")
    return case


@transaction.atomic
def case_suspend(*, case: Case, actor, reason: str) -> Case:
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以缓办")
    note = _reason(reason, "缓办理由")
    _move(case, action="suspend", actor=actor, note=note, suspended_from=case.status)
    return case


@transaction.atomic
def case_resume(*, case: Case, actor, note: str = "") -> Case:
    _require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以恢复办理")
    now = timezone.now()
    suspended_at = case.step_started_at
    # The time spent suspended does not count against the closure deadline.
    _move(case, action="resume", actor=actor, to_status=case.suspended_from or Status.ACCEPTED, note=note,
          now=now, suspended_from="", close_due_at=deadlines.extend(case.close_due_at, suspended_at, now))
    return case


@transaction.atomic
def case_supervise(*, case: Case, actor, note: str) -> Case:
    """督办: a push from the township or county; no state change, a record and a notice."""
    _require(rules.is_manager(actor, case), "只有乡镇、区县管理人员可以督办")
    note = _reason(note, "督办意见")
    target_of("supervise", case.status)
    _move(case, action="supervise", actor=actor, to_status=case.status, note=note,
          supervise_count=case.supervise_count + 1)
    _notify_owners(case, "case_supervised", f"督办：{case.title}（{note}）")
    return case


@transaction.atomic
def case_merge(*, case: Case, into: Case, actor, note: str = "") -> Case:
    """Merge a duplicate into the case it repeats; it closes with that case and its reporter is told."""
    _require(rules.can_steer(actor, case) and rules.can_see(actor, into), "无权合并这两个事件")
    if into.pk == case.pk or into.duplicate_of_id is not None:
        raise CaseError("不能合并到自身或已被合并的事件")
    if not into.is_open:
        raise CaseError("只能合并到尚未办结的事件")
    _move(case, action="merge", actor=actor, note=note or f"与 {into.number} 重复，已合并", duplicate_of=into)
    _notify_reporter(case, "case_merged", f"您反映的事件与 {into.number} 相同，已合并办理")
    return case


# --- duplicates ----------------------------------------------------------------------------------

def duplicate_candidates(case: Case) -> list[Case]:
    """Open cases of the same category within the configured distance and time window."""
    if case.lon is None:
        return []
    window = dt.timedelta(hours=settings.CASE_DUPLICATE_HOURS)
    meters = settings.CASE_DUPLICATE_METERS
    dlat = meters / 111_320
    dlon = meters / (111_320 * max(0.1, math.cos(math.radians(case.lat))))
    nearby = (
        Case.objects.filter(
            category=case.category, created_at__gte=case.created_at - window, created_at__lte=case.created_at,
            lon__range=(case.lon - dlon, case.lon + dlon), lat__range=(case.lat - dlat, case.lat + dlat),
            duplicate_of__isnull=True,
        )
        .exclude(pk=case.pk)
        .exclude(status__in=[Status.REJECTED, Status.MERGED])
        .order_by("created_at")
    )
    return [c for c in nearby if _meters(case, c) <= meters]


def _meters(a: Case, b: Case) -> float:
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dla, dlo = la2 - la1, math.radians(b.lon - a.lon)
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


# --- notices ------------------------------------------------------------------------------------

def _notify_users(users, case: Case, kind: str, title: str) -> None:
    from xiangzhi.notifications.services import notify

    notify(recipients=list(users), kind=kind, title=title, body=f"{case.number} {case.title}",
           link=f"/cases/{case.pk}/")


def _notify_owners(case: Case, kind: str, title: str) -> None:
    from xiangzhi.cases.selectors import owner_ids_of_cases

    _notify_users(owner_ids_of_cases([case])[case.pk], case, kind, title)


def _notify_reporter(case: Case, kind: str, title: str) -> None:
    if case.reporter_id:
        _notify_users([case.reporter], case, kind, title)
