"""Every state change of the monthly inspection: start, GPS fix, findings, finish (交办), and each
task's way to done (整改 → 核验销号, or back), with the deadline sweep (督办)."""

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import Conflict, Invalid, NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.inspections.models import (
    ITEMS_BY_CODE,
    Finding,
    FindingPhoto,
    Inspection,
    TaskEvent,
    TaskEventAction,
    TaskState,
)
from xiangzhi.inspections.rules import can_complete_tasks, can_inspect, can_verify_tasks
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import locate

# A finding is a record, not an album: the problem in a few pictures.
PHOTO_MAX_COUNT = 3
SWEEP_BATCH = 500


class InspectionError(Invalid):
    """An inspection change refused, with the reason in Chinese."""


class InspectionConflict(InspectionError, Conflict):
    code = "conflict"


def month_closes_on(month: dt.date) -> dt.date:
    """The day a month's inspections close: ``INSPECTION_MONTH_CLOSES_DAY`` of the next month (the
    month's inspections may still be entered until the end of that day)."""
    year, number = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    day = min(settings.INSPECTION_MONTH_CLOSES_DAY, calendar.monthrange(year, number)[1])
    return dt.date(year, number, day)


def month_open(month: dt.date, today: dt.date) -> bool:
    return month <= today.replace(day=1) and today <= month_closes_on(month)


def _check_month_open(month: dt.date, today: dt.date) -> None:
    if month > today.replace(day=1):
        raise InspectionError("不能排查未到的月份", fields=field_error("month", "未到"), code="month_future")
    if today > month_closes_on(month):
        raise InspectionConflict(
            f"{month.year}年{month.month}月的排查已于{month_closes_on(month):%Y-%m-%d}截止，不能再登记",
            fields=field_error("month", "已截止"), code="month_closed",
        )


def _check_in_scope(user: User, village: Region) -> None:
    if not scope_of(user).covers_path(village.path):
        raise NotFound


def _event(finding: Finding, action: str, before: str, actor: User | None, note: str,
           at: dt.datetime) -> TaskEvent:
    return TaskEvent(finding=finding, action=action, from_state=before, to_state=finding.state, actor=actor,
                     note=note, at=at)


def _attach(finding: Finding, photos: Sequence[ProcessedPhoto], stage: str) -> None:
    start = finding.photos.count()
    for i, photo in enumerate(photos, start=start + 1):
        row = FindingPhoto(finding=finding, stage=stage)
        row.attach(photo, f"finding-{finding.pk}-{i}.jpg")
        row.save()


def inspection_start(*, inspector: User, village: Region, month: dt.date | None = None,
                     now: dt.datetime | None = None) -> Inspection:
    """Start this month's (or, until it closes, last month's) inspection of a village in the
    inspector's scope. One per village and month: an unfinished one is continued, a finished one
    stands (refused)."""
    require(can_inspect(inspector), "只有督查员可以开展每月排查")
    if village.level != RegionLevel.VILLAGE:
        raise InspectionError("请选择村或社区", fields=field_error("village", "不是村/社区"))
    _check_in_scope(inspector, village)
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = (month or today).replace(day=1)
    _check_month_open(month, today)
    existing = Inspection.objects.filter(village=village, month=month).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Inspection.objects.create(village=village, month=month, inspector=inspector, started_at=now)
        except IntegrityError:  # started at the same moment by someone else: theirs stands
            existing = Inspection.objects.get(village=village, month=month)
    if existing.is_finished:
        raise InspectionConflict(f"{village.name}{month.year}年{month.month}月的排查已经完成",
                                 code="already_finished")
    return existing


def _locked_open(inspection: Inspection, inspector: User, today: dt.date) -> Inspection:
    require(can_inspect(inspector), "只有督查员可以开展每月排查")
    _check_in_scope(inspector, inspection.village)
    row = Inspection.objects.select_for_update().select_related("village").get(pk=inspection.pk)
    if row.is_finished:
        raise InspectionConflict("这次排查已经完成，不能再修改", code="already_finished")
    _check_month_open(row.month, today)
    return row


def inspection_fix(*, inspector: User, inspection: Inspection, lon: float, lat: float,
                   now: dt.datetime | None = None) -> Inspection:
    """Keep the phone's GPS fix, which must lie inside the village (on its grid map)."""
    now = now or timezone.now()
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InspectionError("经纬度超出范围", fields=field_error("lon", "超出范围"))
    with transaction.atomic():
        row = _locked_open(inspection, inspector, timezone.localdate(now))
        grid = locate(lon, lat)
        if grid is None or not grid.path.startswith(row.village.path):
            raise InspectionError(f"定位不在{row.village.name}范围内，请到村里再定位",
                                  fields=field_error("lon", "不在本村"), code="outside_village")
        row.lon, row.lat, row.fixed_at = lon, lat, now
        row.save(update_fields=["lon", "lat", "fixed_at"])
    return row


def finding_add(*, inspector: User, inspection: Inspection, item_code: str, text_: str,
                photos: Sequence[ProcessedPhoto] = (), now: dt.datetime | None = None) -> Finding:
    """Record a problem found against a 六零 sub-item; it costs the item's points."""
    now = now or timezone.now()
    item = ITEMS_BY_CODE.get(item_code)
    if item is None:
        raise InspectionError("请选择排查项目", fields=field_error("item_code", "不是可选的项目"))
    body = text(text_, "text", "发现问题", 500, required=True, error=InspectionError)
    if len(photos) > PHOTO_MAX_COUNT:
        raise InspectionError(f"最多上传 {PHOTO_MAX_COUNT} 张照片", fields=field_error("photos", "太多"))
    with transaction.atomic():
        row = _locked_open(inspection, inspector, timezone.localdate(now))
        finding = Finding.objects.create(
            inspection=row, village=row.village, item_code=item.code, text=body, points=item.points,
            overdue_points=item.overdue_points, found_on=timezone.localdate(now),
        )
        _attach(finding, photos, FindingPhoto.Stage.FOUND)
    return finding


def village_owner(village: Region) -> User | None:
    """Who answers for a village's tasks: its (first) active village cadre account."""
    return User.objects.filter(role=Role.VILLAGE_CADRE, region=village, is_active=True).order_by("id").first()


def inspection_finish(*, inspector: User, inspection: Inspection, note: str = "",
                      now: dt.datetime | None = None) -> Inspection:
    """Finish the inspection (it needs a GPS fix in the village) and hand every finding to the village
    as a task (交办): the village cadre as owner, a deadline by item."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    body = text(note, "note", "排查情况", 2000, error=InspectionError)
    with transaction.atomic():
        row = _locked_open(inspection, inspector, today)
        if row.fixed_at is None:
            raise InspectionError("请先在村里定位，再完成排查", fields=field_error("lon", "未定位"), code="no_fix")
        row.finished_at, row.note = now, body
        row.save(update_fields=["finished_at", "note"])
        owner = village_owner(row.village)
        events = []
        for finding in Finding.objects.select_for_update().filter(inspection=row, state=TaskState.DRAFT):
            finding.state, finding.owner = TaskState.OPEN, owner
            finding.due_on = today + dt.timedelta(days=finding.item.deadline_days)
            finding.save(update_fields=["state", "owner", "due_on"])
            events.append(_event(finding, TaskEventAction.ASSIGN, TaskState.DRAFT, inspector,
                                 f"交办{row.village.name}，{finding.due_on:%Y-%m-%d}前整改", now))
        TaskEvent.objects.bulk_create(events)
    return row


def _locked_task(finding: Finding, actor: User) -> Finding:
    _check_in_scope(actor, finding.village)
    return Finding.objects.select_for_update().select_related("village").get(pk=finding.pk)


def task_complete(*, actor: User, finding: Finding, note: str, photos: Sequence[ProcessedPhoto] = (),
                  now: dt.datetime | None = None) -> Finding:
    """The village reports a task put right, saying how (with photos if it has them)."""
    require(can_complete_tasks(actor), "只有村两委可以报告整改完成")
    now = now or timezone.now()
    body = text(note, "note", "整改情况", 500, required=True, error=InspectionError)
    if len(photos) > PHOTO_MAX_COUNT:
        raise InspectionError(f"最多上传 {PHOTO_MAX_COUNT} 张照片", fields=field_error("photos", "太多"))
    with transaction.atomic():
        row = _locked_task(finding, actor)
        if row.state != TaskState.OPEN:
            raise InspectionConflict(f"该问题{row.get_state_display()}，不能再报告完成", code="not_open")
        before = row.state
        row.state, row.done_at = TaskState.DONE, now
        fields = ["state", "done_at"]
        if row.due_on is not None and timezone.localdate(now) > row.due_on and not row.ever_overdue:
            row.ever_overdue, row.overdue_at = True, now
            fields += ["ever_overdue", "overdue_at"]
        row.save(update_fields=fields)
        _attach(row, photos, FindingPhoto.Stage.FIXED)
        _event(row, TaskEventAction.COMPLETE, before, actor, body, now).save()
    return row


def task_verify(*, actor: User, finding: Finding, accept: bool, note: str = "",
                now: dt.datetime | None = None) -> Finding:
    """The inspector (or the township) checks a task reported done: 销号, or back to the village with
    the reason."""
    require(can_verify_tasks(actor), "只有督查员或乡镇可以核验整改")
    now = now or timezone.now()
    body = text(note, "note", "退回理由" if not accept else "核验意见", 500, required=not accept,
                error=InspectionError)
    with transaction.atomic():
        row = _locked_task(finding, actor)
        if row.state != TaskState.DONE:
            raise InspectionConflict(f"该问题{row.get_state_display()}，不能核验", code="not_done")
        before = row.state
        if accept:
            row.state, row.closed_at = TaskState.CLOSED, now
            row.save(update_fields=["state", "closed_at"])
        else:
            row.state, row.done_at = TaskState.OPEN, None
            row.save(update_fields=["state", "done_at"])
        _event(row, TaskEventAction.VERIFY if accept else TaskEventAction.REOPEN, before, actor, body, now).save()
    return row


@dataclass
class SweepResult:
    overdue: int = 0


def task_overdue_sweep(now: dt.datetime | None = None) -> SweepResult:
    """督办: flag open tasks past their deadline, once each. Each batch claims its rows by
    ``UPDATE … WHERE state = open AND overdue_at IS NULL``; a row another worker flagged is skipped."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = SweepResult()
    ids = list(Finding.objects.filter(state=TaskState.OPEN, overdue_at__isnull=True, due_on__lt=today)
               .values_list("id", flat=True))
    for i in range(0, len(ids), SWEEP_BATCH):
        batch = ids[i:i + SWEEP_BATCH]
        with transaction.atomic():
            won = list(Finding.objects.select_for_update(skip_locked=True)
                       .filter(pk__in=batch, state=TaskState.OPEN, overdue_at__isnull=True)
                       .values_list("id", flat=True))
            Finding.objects.filter(pk__in=won).update(overdue_at=now, ever_overdue=True)
            TaskEvent.objects.bulk_create([
                TaskEvent(finding_id=pk, action=TaskEventAction.OVERDUE, from_state=TaskState.OPEN,
                          to_state=TaskState.OPEN, note="系统：已超过整改期限", at=now)
                for pk in won
            ])
            result.overdue += len(won)
    return result
