"""Every state change of a case. Pages, the API, Open311, imports and the background sweep all
call these functions; each writes one immutable Transition row per action."""

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.cases import rules, tasks

# The catalog and the working calendar, which the county keeps in pages (``catalog``).
from xiangzhi.cases.catalog import CategoryInput as CategoryInput
from xiangzhi.cases.catalog import calendar_year_set as calendar_year_set
from xiangzhi.cases.catalog import category_create as category_create
from xiangzhi.cases.catalog import category_retire as category_retire
from xiangzhi.cases.catalog import category_update as category_update
from xiangzhi.cases.errors import CaseError, TransitionError
from xiangzhi.cases.models import (
    OPEN_STATUSES,
    OTHER_CATEGORY,
    Case,
    Category,
    CategoryTerms,
    Channel,
    Evaluation,
    HandlingLevel,
    IdempotencyRecord,
    OverdueAction,
    Photo,
    Status,
    Transition,
)
from xiangzhi.cases.routing import Route, category_get_active, department_route, route, terms_in_force
from xiangzhi.cases.rules import LADDER, TRANSITIONS, level_down, level_up, target_of
from xiangzhi.cases.selectors import case_duplicate_list, case_owner_ids
from xiangzhi.cases.suggestions import CategorySuggestion, category_for_report
from xiangzhi.cases.suggestions import category_suggester_refresh as category_suggester_refresh
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Conflict, Forbidden
from xiangzhi.core.idempotency import check_replay
from xiangzhi.core.inputs import require
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.notifications.services import Message, notify, notify_many
from xiangzhi.people.models import Place
from xiangzhi.points.services import entry_award_for_case
from xiangzhi.regions.models import Department, Region

logger = logging.getLogger("xiangzhi.cases")


@dataclass
class ReportResult:
    case: Case
    created: bool

    @cached_property
    def duplicates(self) -> list[Case]:
        """疑似重复件 of a new case, looked up when asked for (the page shows them; the API does not)."""
        return case_duplicate_list(self.case) if self.created else []


def case_report(
    *, channel: str, category: Category | None = None, title: str = "", description: str = "",
    lon: float | None = None,
    lat: float | None = None, address: str = "", place: Place | None = None, reporter: User | None = None,
    reporter_name: str = "",
    reporter_phone: str = "", is_proactive: bool = False, photos: Sequence[ProcessedPhoto] = (),
    fallback_region: Region | None = None,
    idempotency_key: str | None = None, idempotency_owner: str | None = None, fingerprint: str | None = None,
    now: dt.datetime | None = None, suggested: CategorySuggestion | None = None,
) -> ReportResult:
    """One intake for every channel. Routes by location and category; a retried submission with the
    same Idempotency-Key returns the first case.

    A report must say what is wrong: a photo, some words (title or description) or a category that
    names the problem. A person's words go to the category suggester, whose first choice is kept on the
    case (the dispatcher sees it where it differs from the category); a report without a category files
    under that first choice when the suggester is sure enough, else under 其他; without a title it gets
    one made of the category and the place (``_title_for``). A grid worker's report in a grid he staffs
    is his own to handle (``rules.takes_own_report``): it is accepted, dispatched to him and started at once,
    each step recorded with his name, and nobody is told of a case that never waits.

    Four writes: the case, its number, the report transition and the key (photos add theirs; a
    worker's own report one more, its three steps). The key's unique constraint decides a retry, so
    a first submission pays no lookup for it: a retry's writes are rolled back and the first case is
    returned. The owners' notices are written by the worker once the report has committed."""
    title = (title or "").strip()
    description = (description or "").strip()
    if not (photos or title or description or (category is not None and category.code != OTHER_CATEGORY)):
        raise CaseError("请拍一张照片，或写几个字说明情况")
    if len(title) > 100:
        raise CaseError("标题不能超过100字")
    words = " ".join(part for part in (title, description) if part)
    if suggested is None and words and channel != Channel.DEVICE:  # a person's words: what do they suggest?
        taken, suggested = category_for_report(words)
        category = category or taken  # the reporter's choice stands; without one, the suggester's when sure
    if category is None:
        category = category_get_active(OTHER_CATEGORY)
        if category is None:
            raise CaseError("请选择事件类别")
    if not category.is_active:
        raise CaseError("该事件类别已停用")
    if place is not None:  # the report names a facility (「路灯 · 17号杆」): it is where the case is
        lon, lat = place.lon, place.lat
    if (lon is None) != (lat is None):
        raise CaseError("经度和纬度要同时提供")
    if lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CaseError("坐标超出经纬度范围")
    if len(photos) > settings.CASE_PHOTO_MAX_COUNT:
        raise CaseError(f"最多上传 {settings.CASE_PHOTO_MAX_COUNT} 张照片")
    if reporter_phone and not (reporter_phone.isdigit() and len(reporter_phone) == 11):
        raise CaseError("联系电话应为11位手机号")
    if idempotency_key:
        owner = idempotency_owner or (f"user:{reporter.pk}" if reporter else "anonymous")
    fingerprint = fingerprint or ""
    now = now or timezone.now()
    where = route(category=category, lon=lon, lat=lat,
                  fallback_region=fallback_region or (lambda: _reporter_region(reporter)))
    title = title or _title_for(category, where, now)
    terms = terms_in_force(category)  # the case keeps to these, whatever the county changes later
    try:
        with transaction.atomic():
            case = Case(
                number=f"TMP{now:%H%M%S%f}",
                category=category, terms=terms, channel=channel, title=title, description=description,
                lon=lon, lat=lat, address=address.strip()[:200], place=place, grid=where.grid, region=where.region,
                scope_path=where.scope_path, status=Status.REPORTED, handling_level=where.level,
                assignee_department=where.department, reporter=reporter,
                reporter_name=(reporter_name or (reporter.full_name if reporter else ""))[:50],
                is_proactive=is_proactive, created_at=now, step_started_at=now,
                suggested_category=suggested.category if suggested else None,
                suggested_score=round(suggested.score, 4) if suggested else None,
                close_due_at=rules.calendar().add_working_hours(now, rules.total_hours(terms or category)),
            )
            if reporter_phone:
                case.reporter_phone_encrypted = crypto.encrypt(reporter_phone)
                case.reporter_phone_masked = idnumber.mask_phone(reporter_phone)
            own_steps = rules.walk(Status.REPORTED, rules.OWN_REPORT_STEPS) if rules.takes_own_report(
                reporter, case) else []
            if own_steps:  # the case is saved where its steps end; the steps are written below
                case.status, case.assignee_user, case.accepted_at = own_steps[-1][2], reporter, now
            rules.set_step_clock(case, started=now)
            case.save()
            if idempotency_key:  # before anything else is written: a retry stops here
                IdempotencyRecord.objects.create(owner=owner, key=idempotency_key, request_hash=fingerprint,
                                                 case=case)
            case.number = f"{timezone.localtime(now):%Y%m%d}{case.pk:07d}"  # the county's date, not UTC's
            Case.objects.filter(pk=case.pk).update(number=case.number)
            note = "不在任何网格内，进入乡镇分拨队列" if where.triage else ""
            report = Transition.objects.create(
                case=case, action="report", from_status="", to_status=Status.REPORTED, to_level=where.level,
                actor=reporter, department=where.department, note=note, created_at=now,
                list_version_id=where.list_version_id,
            )
            _save_photos(case, report, photos)
            if own_steps:
                Transition.objects.bulk_create([
                    Transition(case=case, action=action, from_status=before, to_status=after,
                               from_level=where.level, to_level=where.level, actor=reporter,
                               note=OWN_REPORT_NOTES.get(action, ""), created_at=now)
                    for action, before, after in own_steps
                ])
            else:
                _notify_owners_after_commit(case, "case_new", f"新事件：{case.title}")
    except IntegrityError:
        if idempotency_key:
            replay = _idempotent_replay(owner, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        raise
    return ReportResult(case=case, created=True)


OWN_REPORT_NOTES = {"accept": "本人巡查上报，系统自动受理", "dispatch": "自办自结"}


def _title_for(category: Category, where: Route, now: dt.datetime) -> str:
    """A plain title for a report that came without one: what (the category; 随手拍 for 其他) and
    where (the village of the grid it lies in; the day when it lies in none), 「路灯损坏 · 文祖村」."""
    what = "随手拍" if category.code == OTHER_CATEGORY else category.name
    place = where.region.name if where.grid is not None else day_text(now, today=timezone.localdate(now))
    return f"{what} · {place}"[:100]


def _reporter_region(reporter: User | None) -> Region | None:
    """Where a report without a usable location goes: the reporter's household's village, else the
    reporter's own region (looked up only when the location falls outside every grid)."""
    if reporter is None:
        return None
    if reporter.household is not None:
        return reporter.household.grid.region
    if getattr(reporter, "region_id", None):
        return reporter.region
    return None


def _idempotent_replay(owner: str, key: str, fingerprint: str) -> ReportResult | None:
    record = IdempotencyRecord.objects.select_related("case").filter(owner=owner, key=key).first()
    if record is None:
        return None
    check_replay(record.request_hash, fingerprint, "提交")
    return ReportResult(case=record.case, created=False)


def _save_photos(case: Case, transition: Transition, photos: Iterable[ProcessedPhoto]) -> None:
    for i, photo in enumerate(photos, start=1):
        row = Photo(case=case, transition=transition)
        row.attach(photo, f"{case.number}-{transition.pk}-{i}.jpg")
        row.save()


# --- the one way a case changes state ---------------------------------------------------------

_MOVABLE = ["status", "handling_level", "assignee_department", "assignee_user", "step_started_at", "due_at",
            "warn_at", "warned_at", "overdue_at", "suspended_from", "rework_count", "escalation_count",
            "supervise_count", "accepted_at", "handled_at", "closed_at", "closed_on_time", "closed_level",
            "evaluation", "evaluation_comment", "evaluated_at", "close_due_at", "duplicate_of", "updated_at",
            "category", "terms", "category_confirmed_at", "category_confirmed_by"]


def _move(case: Case, *, action: str, actor: User | None, to_status: str | None = None, note: str = "",
          now: dt.datetime | None = None, keep_clock: bool = False, photos: Iterable[ProcessedPhoto] = (),
          list_version_id: int | None = None, **changes: Any) -> Transition:
    """Apply ``changes`` and the new status only if nobody changed the case meanwhile
    (``UPDATE … WHERE status = old``); then record the transition and restart the step clock."""
    now = now or timezone.now()
    from_status, from_level = case.status, case.handling_level
    allowed_target = target_of(action, from_status) if action in TRANSITIONS else None
    target = to_status or allowed_target
    assert target is not None  # an action without a target of its own names one (``to_status``)
    for name, value in changes.items():
        setattr(case, name, value)
    case.status = target
    case.updated_at = now
    if target != from_status or "handling_level" in changes:
        rules.set_step_clock(case, started=now, keep_running=keep_clock)
    values = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.name in _MOVABLE}
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, status=from_status).update(**values)
        if not updated:
            raise TransitionError("事件状态已被他人更新，请刷新后重试")
        transition = Transition.objects.create(
            case=case, action=action, from_status=from_status, to_status=target, from_level=from_level,
            to_level=case.handling_level, actor=actor, department=case.assignee_department, note=note,
            created_at=now, list_version_id=list_version_id,
        )
        _save_photos(case, transition, photos)
    return transition


def _reason(note: str, what: str) -> str:
    note = (note or "").strip()
    if len(note) < 2:
        raise CaseError(f"请填写{what}")
    return note


def _confirmed(case: Case, actor: User, now: dt.datetime) -> dict[str, Any]:
    """A dispatcher who accepts or dispatches a case agrees with its category: from then on it is a
    labelled example for the category suggester (``selectors.category_examples``). The first one counts."""
    if case.category_confirmed_at is not None:
        return {}
    return {"category_confirmed_at": now, "category_confirmed_by": actor}


@transaction.atomic
def case_accept(*, case: Case, actor: User, note: str = "", handle_myself: bool = False) -> Case:
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以受理")
    now = timezone.now()
    _move(case, action="accept", actor=actor, note=note, now=now, accepted_at=now, **_confirmed(case, actor, now))
    _notify_reporter_progress(case, actor, "case_accepted", f"您反映的事件已受理：{case.title}")
    if handle_myself:
        _move(case, action="dispatch", actor=actor, note="自办自结", now=now, assignee_user=actor)
        _move(case, action="start", actor=actor, now=now)
    else:
        _notify_owners(case, "case_accepted", f"事件已受理：{case.title}")
    return case


@transaction.atomic
def case_reject(*, case: Case, actor: User, reason: str, duplicate_of: Case | None = None) -> Case:
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以作出不予受理")
    note = _reason(reason, "不予受理的理由")
    if duplicate_of is not None:
        return case_merge(case=case, into=duplicate_of, actor=actor, note=note)
    _move(case, action="reject", actor=actor, note=note)
    _notify_reporter(case, "case_rejected", f"您反映的事件不予受理：{note}")
    return case


@transaction.atomic
def case_dispatch(*, case: Case, actor: User, level: str | None = None, department: Department | None = None,
                  assignee: User | None = None, note: str = "") -> Case:
    """派遣: to a handler at the same or a lower level, to a department (网格吹哨、部门报到), or to a person."""
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以派遣")
    if department is not None:
        if not case.scope_path.startswith(department.region.path) or not department.is_active:
            raise CaseError("只能派往事件所在乡镇或区县的职能部门")
        level = HandlingLevel.DEPARTMENT
    level = level or case.handling_level
    if level not in HandlingLevel.values:
        raise CaseError("未知的处置层级")
    routed_by = None  # the version of the duty lists that chose the department, if they did
    if level == HandlingLevel.DEPARTMENT and department is None:
        department, routed_by = department_route(case.category, case.region)
        if department is None:
            raise CaseError("该类别没有对应的职能部门，请指定部门")
    if level in (HandlingLevel.GRID,) and case.grid is None:
        raise CaseError("该事件不在任何网格内，不能派往网格")
    if assignee is not None and not rules.can_be_assigned(
        assignee, case, level=level, department_id=department.pk if department is not None else None
    ):
        raise CaseError("只能派给在该事件所在地负责该层级办理的在岗工作人员")
    now = timezone.now()
    _move(case, action="dispatch", actor=actor, note=note, handling_level=level, list_version_id=routed_by,
          assignee_department=department if level == HandlingLevel.DEPARTMENT else None, assignee_user=assignee,
          now=now, **_confirmed(case, actor, now))
    _notify_owners(case, "case_assigned", f"新派遣事件：{case.title}")
    return case


@transaction.atomic
def case_recategorise(*, case: Case, actor: User, category: Category, note: str = "") -> Case:
    """改类别: a dispatcher corrects the category the reporter, the hotline or the suggester chose, while the
    case waits to be accepted or dispatched. The case takes the new category's terms in force (its time
    limit to close counts from the report, as if reported so), and while it waits to be accepted (待受理)
    the new category's route: the level and department that would have received it. The step's clock
    keeps running. The correction is a labelled example for the category suggester."""
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以更改类别")
    if not category.is_active:
        raise CaseError("该事件类别已停用")
    if category.pk == case.category_id:
        raise Conflict("类别没有变化：事件已是这一类")
    before = case.category
    terms = terms_in_force(category)
    now = timezone.now()
    changes: dict[str, Any] = {
        "category": category, "terms": terms, "category_confirmed_at": now, "category_confirmed_by": actor,
        "close_due_at": rules.calendar().add_working_hours(case.created_at, rules.total_hours(terms or category)),
    }
    routed_by, owners = None, (case.handling_level, case.assignee_department_id)
    if case.status == Status.REPORTED:
        where = route(category=category, lon=case.lon, lat=case.lat, fallback_region=case.region)
        if where.scope_path == case.scope_path:
            changes.update(handling_level=where.level, assignee_department=where.department)
            routed_by = where.list_version_id
    text = f"类别：{before.name} → {category.name}"
    note = (note or "").strip()
    target_of("recategorise", case.status)
    _move(case, action="recategorise", actor=actor, to_status=case.status, note=f"{text}。{note}" if note else text,
          now=now, keep_clock=True, list_version_id=routed_by, **changes)
    if (case.handling_level, case.assignee_department_id) != owners:  # in another desk's queue now
        _notify_owners_after_commit(case, "case_new", f"新事件：{case.title}")
    return case


@transaction.atomic
def case_start(*, case: Case, actor: User, note: str = "") -> Case:
    require(rules.is_owner(actor, case), "只有承办人员可以开始处置")
    _move(case, action="start", actor=actor, note=note, keep_clock=True,
          assignee_user=case.assignee_user or actor)
    return case


@transaction.atomic
def case_handle(*, case: Case, actor: User, note: str, photos: Sequence[ProcessedPhoto] = ()) -> Case:
    require(rules.is_owner(actor, case), "只有承办人员可以提交处置结果")
    note = _reason(note, "处置情况")
    now = timezone.now()
    _move(case, action="handle", actor=actor, note=note, now=now, photos=photos, handled_at=now)
    _notify_reporter_progress(case, actor, "case_handled", f"您反映的事件已处理，正在核查：{case.title}")
    return case


def _last_handler_id(case: Case) -> int | None:
    return case.transitions.filter(action="handle").order_by("-created_at", "-id").values_list(
        "actor_id", flat=True).first()


@transaction.atomic
def case_verify(*, case: Case, actor: User, passed: bool, note: str = "", photos: Sequence[ProcessedPhoto] = (),
                close: bool = False) -> Case:
    """核查 on site; ``close`` closes a passed case in the same step (核查通过并结案)."""
    require(rules.can_verify(actor, case), "无权核查此事件")
    if _last_handler_id(case) == actor.id:
        raise Forbidden("不能核查自己处置的事件")
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
def case_close(*, case: Case, actor: User, note: str = "") -> Case:
    require(rules.can_verify(actor, case), "无权结案")
    now = timezone.now()
    on_time = case.close_due_at is None or now <= case.close_due_at
    _move(case, action="close", actor=actor, note=note, now=now, closed_at=now, closed_on_time=on_time,
          closed_level=case.handling_level)
    # A villager whose report proved real earns the rulebook's points (pending the monthly review).
    entry_award_for_case(case=case, actor=actor, now=now)
    for merged in case.duplicates.filter(status=Status.MERGED):
        _move(merged, action="close_merged", actor=actor, note=f"随 {case.number} 结案", now=now, closed_at=now,
              closed_on_time=on_time, closed_level=case.handling_level)
        _notify_reporter(merged, "case_closed", f"您反映的事件已办结：{merged.title}")
    _notify_reporter(case, "case_closed", f"您反映的事件已办结，请评价：{case.title}")
    return case


@transaction.atomic
def case_evaluate(*, case: Case, actor: User, evaluation: str, comment: str = "") -> Case:
    require(rules.can_evaluate(actor, case), "只有报告人可以评价")
    return _evaluate(case, actor=actor, evaluation=evaluation, comment=comment)


@transaction.atomic
def case_evaluate_by_link(*, case: Case, evaluation: str, comment: str = "") -> Case:
    """The rating of a case reported without an account (码上办), by whoever holds its follow link: the
    caller has checked the link. A case with a reporter's account is rated only by him."""
    if case.reporter_id is not None or case.is_proactive or case.channel != Channel.QR:
        raise Forbidden("只有报告人可以评价")
    return _evaluate(case, actor=None, evaluation=evaluation, comment=comment)


# 电话回访: what the call's transition says, and the answer the form gives for a call nobody took.
PHONE_VISIT_NOTE = "电话回访"
PHONE_UNANSWERED = "unanswered"
PHONE_UNANSWERED_NOTE = "电话回访未接通"


def awaiting_evaluation_q() -> Q:
    """Closed and not rated since it closed (a rating before a reopening was of the earlier closure)."""
    return Q(status=Status.CLOSED) & (Q(evaluated_at__isnull=True) | Q(evaluated_at__lt=F("closed_at")))


@transaction.atomic
def case_evaluate_by_phone(*, case: Case, actor: User, evaluation: str, comment: str = "") -> Case:
    """电话回访: staff call the reporter of a case filed without an account (12345, Open311, 码上办, a
    device's keeper) and record the rating he gave with his words, or that the call went unanswered
    (``PHONE_UNANSWERED``: a ``visit_call`` row in the history, the case still waits for its rating).
    A rating is an evaluation like the reporter's own (``_evaluate``), its row noted 电话回访 and made
    by the staff member; the figures count it like any other. Only staff who steer the case may; a
    reporter with an account rates his case himself, and a case rated since it closed is not rated
    again."""
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以记录电话回访")
    if case.reporter_id is not None or case.is_proactive:
        raise Forbidden("报告人有账号，由本人评价；网格员主动发现的事件无需回访")
    if case.evaluated_at is not None and (case.closed_at is None or case.evaluated_at >= case.closed_at):
        raise TransitionError("该事件已评价")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise CaseError("群众意见不能超过500字")
    if evaluation == PHONE_UNANSWERED:
        target_of("evaluate", case.status)  # a call is made about a closed case only
        _move(case, action="visit_call", actor=actor, to_status=case.status,
              note=f"{PHONE_UNANSWERED_NOTE}：{comment}" if comment else PHONE_UNANSWERED_NOTE)
        return case
    note = f"{PHONE_VISIT_NOTE}：{comment}" if comment else PHONE_VISIT_NOTE
    return _evaluate(case, actor=actor, evaluation=evaluation, comment=comment, note=note)


def _evaluate(case: Case, *, actor: User | None, evaluation: str, comment: str, note: str | None = None) -> Case:
    if evaluation not in Evaluation.values:
        raise CaseError("评价应为满意、基本满意或不满意")
    now = timezone.now()
    fields: dict[str, Any] = {"evaluation": evaluation, "evaluation_comment": comment.strip()[:500],
                              "evaluated_at": now}
    target_of("evaluate", case.status)
    note = comment if note is None else note
    if evaluation == Evaluation.DISSATISFIED and settings.CASE_REOPEN_ON_DISSATISFIED:
        # 不满意: back to the verifier for review; its closure no longer stands.
        _move(case, action="reopen", actor=actor, to_status=Status.HANDLED, note=note, now=now,
              closed_at=None, closed_on_time=None, closed_level="", **fields)
        _notify_owners(case, "case_reopened", f"群众不满意，事件重新核查：{case.title}")
    else:
        _move(case, action="evaluate", actor=actor, to_status=Status.EVALUATED, note=note, now=now, **fields)
    return case


@transaction.atomic
def case_archive(*, case: Case, actor: User | None = None, note: str = "") -> Case:
    if actor is not None:
        require(rules.can_verify(actor, case), "无权归档")
    _move(case, action="archive", actor=actor, note=note)
    return case


@transaction.atomic
def case_escalate(*, case: Case, actor: User, note: str, to_level: str | None = None, system: bool = False) -> Case:
    """上报 / 吹哨: one level up, or straight to a named higher level (网格吹哨直达乡镇)."""
    if not system:
        require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以上报")
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
def case_hand_back(*, case: Case, actor: User, note: str) -> Case:
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以回退")
    note = _reason(note, "回退理由")
    down = level_down(case.handling_level)
    if down is None or (down == HandlingLevel.GRID and case.grid is None):
        raise TransitionError("已是最低处置层级，不能回退")
    _move(case, action="hand_back", actor=actor, note=note, handling_level=down, assignee_department=None,
          assignee_user=None)
    _notify_owners(case, "case_handed_back", f"上级回退事件：{case.title}")
    return case


@transaction.atomic
def case_reassign(*, case: Case, actor: User, assignee: User | None, note: str = "") -> Case:
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以改派")
    if assignee is None or not rules.can_be_assigned(assignee, case):
        raise CaseError("只能改派给在该事件所在地负责本级办理的在岗工作人员")
    _move(case, action="reassign", actor=actor, note=note, keep_clock=True, to_status=Status.DISPATCHED,
          assignee_user=assignee)
    _notify_users([assignee], case, "case_assigned", f"改派给您的事件：{case.title}")
    return case


@transaction.atomic
def case_suspend(*, case: Case, actor: User, reason: str) -> Case:
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以缓办")
    note = _reason(reason, "缓办理由")
    _move(case, action="suspend", actor=actor, note=note, suspended_from=case.status)
    return case


@transaction.atomic
def case_resume(*, case: Case, actor: User, note: str = "") -> Case:
    require(rules.can_steer(actor, case), "只有本级承办人员或上级管理人员可以恢复办理")
    now = timezone.now()
    suspended_at = case.step_started_at
    # The time spent suspended does not count against the closure deadline.
    _move(case, action="resume", actor=actor, to_status=case.suspended_from or Status.ACCEPTED, note=note,
          now=now, suspended_from="", close_due_at=rules.extend(case.close_due_at, suspended_at, now))
    return case


@transaction.atomic
def case_supervise(*, case: Case, actor: User, note: str) -> Case:
    """督办: a push from the township or county; no state change, a record and a notice."""
    require(rules.is_manager(actor, case), "只有乡镇、区县管理人员可以督办")
    note = _reason(note, "督办意见")
    target_of("supervise", case.status)
    _move(case, action="supervise", actor=actor, to_status=case.status, note=note,
          supervise_count=case.supervise_count + 1)
    _notify_owners(case, "case_supervised", f"督办：{case.title}（{note}）")
    return case


@transaction.atomic
def case_merge(*, case: Case, into: Case, actor: User, note: str = "") -> Case:
    """Merge a duplicate into the case it repeats; it closes with that case and its reporter is told."""
    require(rules.can_steer(actor, case) and rules.can_see(actor, into), "无权合并这两个事件")
    if into.pk == case.pk or into.duplicate_of_id is not None:
        raise CaseError("不能合并到自身或已被合并的事件")
    if not into.is_open:
        raise CaseError("只能合并到尚未办结的事件")
    _move(case, action="merge", actor=actor, note=note or f"与 {into.number} 重复，已合并", duplicate_of=into)
    _notify_reporter(case, "case_merged", f"您反映的事件与 {into.number} 相同，已合并办理")
    return case


# --- notices ------------------------------------------------------------------------------------

def _notice(case: Case, kind: str, title: str) -> dict[str, str]:
    return {"kind": kind, "title": title, "body": f"{case.number} {case.title}", "link": f"/cases/{case.pk}/"}


def _notify_users(users: Iterable[User | int], case: Case, kind: str, title: str) -> None:
    notify(recipients=list(users), **_notice(case, kind, title))


def _notify_owners(case: Case, kind: str, title: str) -> None:
    _notify_users(case_owner_ids([case])[case.pk], case, kind, title)


def _notify_owners_after_commit(case: Case, kind: str, title: str) -> None:
    """``_notify_owners`` for the intake: the worker looks the owners up and writes the notices once
    the report has committed (nothing for a report rolled back), for the level the case had now."""
    placed = {name: getattr(case, name) for name in tasks.OWNER_FIELDS}
    transaction.on_commit(partial(_owner_notice_enqueue, placed, _notice(case, kind, title)), robust=True)


def _owner_notice_enqueue(placed: dict[str, Any], notice: dict[str, str]) -> None:
    try:
        tasks.case_owners_notify(placed, notice)
    except Exception:
        # The queue is down: write the notices here rather than lose them.
        logger.exception("case %s: owner notice not queued, written in the request", placed["id"])
        tasks.case_owners_notify.call_local(placed, notice)


def _notify_reporter(case: Case, kind: str, title: str) -> None:
    if case.reporter is not None:
        _notify_users([case.reporter], case, kind, title)


def _notify_reporter_progress(case: Case, actor: User | None, kind: str, title: str) -> None:
    """A step of his report, told to the villager who made it (not to a worker about his own finding,
    nor to whoever took the step himself)."""
    if case.reporter_id is not None and not case.is_proactive and case.reporter_id != getattr(actor, "pk", None):
        _notify_reporter(case, kind, title)


# --- the deadline sweep -------------------------------------------------------------------------
#
# The background worker runs it every minute. Each case is claimed with a conditional
# ``UPDATE … WHERE overdue_at IS NULL … RETURNING id`` so two workers sweeping at once never act on
# the same case twice, and a worker that was down catches up on everything that fell due meanwhile.

SWEEP_BATCH = 2000


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)


def _sweep_claim(column: str, due_column: str, ids: list[int], now: dt.datetime, extra: str = "") -> list[int]:
    """Set ``column`` = now where it is still empty and ``due_column`` has passed (a case escalated
    meanwhile has a new clock); return the ids this call won."""
    if not ids:
        return []
    table = Case._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    # Table and column names are our own constants; every value is a bound parameter.
    sql = (f"UPDATE {table} SET {column} = %s{extra} WHERE id IN ({marks}) AND {column} IS NULL "  # noqa: S608
           f"AND {due_column} <= %s AND status IN ({statuses}) RETURNING id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *ids, now, *OPEN_STATUSES])
        return [row[0] for row in cursor.fetchall()]


def case_deadline_sweep(now: dt.datetime | None = None) -> SweepResult:
    """The minute sweep: warn before the step is due, mark overdue (escalating where the category says
    so) and archive closed cases whose evaluation window has passed."""
    now = now or timezone.now()
    result = SweepResult()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)

    due_soon = open_cases.filter(warn_at__lte=now, due_at__gt=now, warned_at__isnull=True)
    for ids in _sweep_batches(due_soon.values_list("id", flat=True)):
        with transaction.atomic():
            won = _sweep_claim("warned_at", "warn_at", ids, now)
            result.warned += won
            _sweep_record(won, "warn", now)
            _sweep_notify(won, "case_due_soon", "事件即将超时")

    overdue = open_cases.filter(due_at__lte=now, overdue_at__isnull=True)
    for ids in _sweep_batches(overdue.values_list("id", flat=True)):
        with transaction.atomic():
            won = _sweep_claim("overdue_at", "due_at", ids, now, extra=", ever_overdue = TRUE")
            result.overdue += won
            _sweep_record(won, "overdue", now)
            escalated = _sweep_escalate(won, now)
            result.escalated += escalated
            _sweep_notify(escalated, "case_escalated", "超时自动上报")
            moved_up = set(escalated)
            _sweep_notify([i for i in won if i not in moved_up], "case_overdue", "事件已超时")

    window = dt.timedelta(days=settings.CASE_EVALUATION_DAYS)
    stale = Case.objects.filter(status=Status.CLOSED, closed_at__lte=now - window).values_list("id", flat=True)
    for case in Case.objects.filter(pk__in=list(stale[:SWEEP_BATCH])).select_related("category"):
        try:
            case_archive(case=case, note=f"评价期（{settings.CASE_EVALUATION_DAYS}天）已过，自动归档")
        except TransitionError:
            continue  # someone evaluated or reopened it meanwhile
        result.archived.append(case.pk)
    return result


def _sweep_batches(ids_qs: Iterable[int]) -> Iterator[list[int]]:
    ids = list(ids_qs)
    for i in range(0, len(ids), SWEEP_BATCH):
        yield ids[i:i + SWEEP_BATCH]


def _sweep_record(ids: list[int], action: str, now: dt.datetime) -> None:
    rows = Case.objects.filter(pk__in=ids).values_list("id", "status", "handling_level", "assignee_department_id")
    Transition.objects.bulk_create([
        Transition(case_id=pk, action=action, from_status=status, to_status=status, from_level=level,
                   to_level=level, department_id=dept, created_at=now,
                   note="系统：即将超时" if action == "warn" else "系统：已超过本环节时限")
        for pk, status, level, dept in rows
    ], batch_size=SWEEP_BATCH)


def _sweep_escalate(ids: list[int], now: dt.datetime) -> list[int]:
    """Cases whose category says so go one level up (the system's 上报), as ``case_escalate`` would
    move them, but in one UPDATE per group of cases sharing status, level and category (they share
    the new level and the new step clock). The rows are locked first: the caller's transaction holds
    them until the transitions are written. At the top level a case is only reported overdue."""
    # The case's own terms say whether it escalates (the category's, for a case written without terms).
    escalates = (Q(terms__overdue_action=OverdueAction.ESCALATE)
                 | Q(terms__isnull=True, category__overdue_action=OverdueAction.ESCALATE))
    rows = list(
        Case.objects.select_for_update(of=("self",))
        .filter(escalates, pk__in=ids, status__in=OPEN_STATUSES)
        .values_list("id", "status", "handling_level", "category_id", "terms_id", "assignee_department_id")
    )
    groups: dict[tuple[str, str, int, int | None], list[tuple[int, str, str, int, int | None, int | None]]] = {}
    for row in rows:
        if level_up(row[2]) is not None:
            groups.setdefault((row[1], row[2], row[3], row[4]), []).append(row)
    categories = Category.objects.in_bulk({key[2] for key in groups})
    terms = CategoryTerms.objects.in_bulk({key[3] for key in groups if key[3] is not None})
    transitions, escalated = [], []
    for (status, level, category_id, terms_id), members in groups.items():
        up = level_up(level)
        target = target_of("escalate", Status.ACCEPTED)
        assert up is not None and target is not None  # grouped below the top; escalating names its target
        moved = Case(category=categories[category_id], terms=terms.get(terms_id) if terms_id else None,
                     status=target)
        rules.set_step_clock(moved, started=now)
        changes = {
            "status": moved.status, "handling_level": up, "assignee_department": None, "assignee_user": None,
            "escalation_count": F("escalation_count") + 1, "step_started_at": now, "due_at": moved.due_at,
            "warn_at": moved.warn_at, "warned_at": None, "overdue_at": None, "updated_at": now,
        }
        if status == Status.REPORTED:
            changes["accepted_at"] = now
        member_ids = [m[0] for m in members]
        Case.objects.filter(pk__in=member_ids).update(**changes)
        for pk, _, _, _, _, dept in members:
            if status == Status.REPORTED:
                transitions.append(Transition(
                    case_id=pk, action="accept", from_status=status, to_status=Status.ACCEPTED, from_level=level,
                    to_level=level, department_id=dept, note="上报时一并受理", created_at=now))
            transitions.append(Transition(
                case_id=pk, action="escalate", from_status=Status.ACCEPTED if status == Status.REPORTED else status,
                to_status=moved.status, from_level=level, to_level=up, note="超时自动上报", created_at=now))
        escalated += member_ids
    Transition.objects.bulk_create(transitions, batch_size=SWEEP_BATCH)
    return sorted(escalated)


def _sweep_notify(ids: list[int], kind: str, title: str) -> None:
    """One notice per case to whoever staffs its level now: owners looked up for all cases at once."""
    if not ids:
        return
    cases = list(Case.objects.filter(pk__in=ids).only(
        "id", "number", "title", "handling_level", "grid_id", "scope_path", "assignee_department_id",
        "assignee_user_id"))
    owners = case_owner_ids(cases)
    notify_many(Message(tuple(owners[c.pk]), kind, f"{title}：{c.title}", f"{c.number} {c.title}", f"/cases/{c.pk}/")
                for c in cases)
