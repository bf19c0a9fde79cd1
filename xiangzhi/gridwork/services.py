"""Every state change of grid work: patrols and their tracks, daily logs, visits."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import Conflict, Invalid, NotFound
from xiangzhi.core.idempotency import clean_key
from xiangzhi.core.inputs import require
from xiangzhi.gridwork.models import COUNTING_OUTCOMES, DailyLog, Patrol, TrackPoint, Visit, VisitOutcome, VisitPhoto
from xiangzhi.gridwork.rules import can_patrol, can_visit
from xiangzhi.lib.geo_distance import path_length_m
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.people.models import KeyPerson
from xiangzhi.people.selectors import visit_cycles
from xiangzhi.regions.models import Grid, GridAssignment
from xiangzhi.regions.selectors import WORKER_DUTIES

MAX_POINTS_PER_CALL = 500
# Phones keep their own clocks; a fix stamped a little before the start or after "now" is still real.
CLOCK_SKEW = dt.timedelta(minutes=5)
# Fixes the phone itself calls vaguer than this are kept on the track but left out of the distance.
MAX_ACCURACY_FOR_DISTANCE_M = 100.0
# A patrol nobody stopped is closed by the background sweep after this long.
PATROL_MAX_DURATION = dt.timedelta(hours=12)
# A visit may be entered afterwards (补录), but not long afterwards: timeliness is judged on it.
VISIT_BACKFILL = dt.timedelta(days=7)
TEXT_MAX = 2000
# A visit is a record, not an album: a few photos (the person's home, a hazard found, a signed form).
VISIT_PHOTO_MAX_COUNT = 3


class GridworkError(Invalid):
    """A grid-work change refused, with the reason in Chinese; ``fields`` name the bad inputs."""


class GridworkConflict(GridworkError, Conflict):
    """The patrol's present state refuses the change."""

    code = "conflict"


def _check_lon_lat(lon: float, lat: float) -> str | None:
    if not -180 <= lon <= 180:
        return "经度应在 -180～180 之间"
    if not -90 <= lat <= 90:
        return "纬度应在 -90～90 之间"
    return None


# --- patrols ----------------------------------------------------------------------------------


def patrol_start(*, worker: User, grid: Grid, note: str = "") -> Patrol:
    """Open a patrol of ``grid``. One open patrol per worker; the grid must be one the worker staffs."""
    require(can_patrol(worker), "只有网格长、网格员可以开始巡查")
    if not grid.is_active or not scope_of(worker).covers_path(grid.path):
        raise NotFound
    open_exists = GridworkConflict("已有进行中的巡查，请先结束它", code="patrol_open")
    if Patrol.objects.filter(worker=worker, ended_at__isnull=True).exists():
        raise open_exists
    try:
        with transaction.atomic():
            return Patrol.objects.create(worker=worker, grid=grid, started_at=timezone.now(), note=note[:200])
    except IntegrityError:  # two taps raced; the partial unique constraint kept one
        raise open_exists from None


@dataclass(frozen=True)
class TrackFix:
    recorded_at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class PointsResult:
    accepted: int
    duplicates: int
    point_count: int


def patrol_record_points(*, patrol: Patrol, actor: User, points: Iterable[TrackFix]) -> PointsResult:
    """Append GPS fixes to the worker's own patrol. A batch with any bad fix saves nothing; fixes
    already stored (same timestamp) are skipped, so a phone may resend a batch it is unsure of.
    Late batches for a stopped patrol are taken if they fall inside it, and its distance is redone."""
    require(actor.pk == patrol.worker_id, "只能记录自己的巡查轨迹")
    points = list(points)
    if len(points) > MAX_POINTS_PER_CALL:
        raise GridworkError(f"每次最多上传 {MAX_POINTS_PER_CALL} 个定位点")
    now = timezone.now()
    errors = []
    for i, p in enumerate(points):
        message = None
        if p.recorded_at is None or timezone.is_naive(p.recorded_at):
            message = "定位时间须带时区"
        elif p.recorded_at < patrol.started_at - CLOCK_SKEW:
            message = "定位时间早于巡查开始时间，请检查手机时间"
        elif p.recorded_at > now + CLOCK_SKEW or (patrol.ended_at and p.recorded_at > patrol.ended_at + CLOCK_SKEW):
            message = "定位时间晚于当前时间或巡查结束时间，请检查手机时间"
        elif bad := _check_lon_lat(p.lon, p.lat):
            message = bad
        elif p.accuracy_m is not None and p.accuracy_m < 0:
            message = "精度不能为负数"
        if message:
            errors.append({"field": f"points[{i}]", "message": message})
    if errors:
        raise GridworkError("定位点有误，本批未保存", fields=errors)

    with transaction.atomic():
        locked = Patrol.objects.select_for_update().get(pk=patrol.pk)
        fresh: dict[dt.datetime, TrackFix] = {}
        for p in points:
            fresh.setdefault(p.recorded_at, p)
        stored = set(
            TrackPoint.objects.filter(patrol=locked, recorded_at__in=list(fresh)).values_list("recorded_at", flat=True)
        )
        rows = [
            TrackPoint(patrol=locked, recorded_at=p.recorded_at, lon=p.lon, lat=p.lat, accuracy_m=p.accuracy_m)
            for at, p in fresh.items()
            if at not in stored
        ]
        TrackPoint.objects.bulk_create(rows, ignore_conflicts=True)
        if locked.ended_at is not None:
            distance, count = _track_figures(locked)
            Patrol.objects.filter(pk=locked.pk).update(distance_m=distance, point_count=count)
        elif rows:
            Patrol.objects.filter(pk=locked.pk).update(point_count=F("point_count") + len(rows))
        locked.refresh_from_db(fields=["point_count", "distance_m"])
    patrol.point_count, patrol.distance_m = locked.point_count, locked.distance_m
    return PointsResult(accepted=len(rows), duplicates=len(points) - len(rows), point_count=locked.point_count)


def _track_figures(patrol: Patrol) -> tuple[int, int]:
    """(distance in metres over the fixes precise enough, number of fixes)."""
    fixes = list(patrol.points.order_by("recorded_at").values_list("lon", "lat", "accuracy_m"))
    usable = ((lon, lat) for lon, lat, acc in fixes if acc is None or acc <= MAX_ACCURACY_FOR_DISTANCE_M)
    return round(path_length_m(usable)), len(fixes)


def _finish(patrol: Patrol, *, ended_at: dt.datetime, note: str | None = None) -> bool:
    """Close the patrol if it is still open (a conditional update: only one closer wins)."""
    distance, count = _track_figures(patrol)
    values = {"ended_at": ended_at, "distance_m": distance, "point_count": count}
    if note is not None:
        values["note"] = note[:200]
    if not Patrol.objects.filter(pk=patrol.pk, ended_at__isnull=True).update(**values):
        return False
    for name, value in values.items():
        setattr(patrol, name, value)
    return True


def patrol_stop(*, patrol: Patrol, actor: User, note: str | None = None) -> Patrol:
    """End the worker's own open patrol and compute its distance from the track."""
    require(actor.pk == patrol.worker_id, "只能结束自己的巡查")
    with transaction.atomic():
        locked = Patrol.objects.select_for_update().get(pk=patrol.pk)
        if locked.ended_at is not None or not _finish(locked, ended_at=timezone.now(), note=note):
            raise GridworkConflict("这次巡查已经结束", code="patrol_ended")
    for name in ("ended_at", "distance_m", "point_count", "note"):
        setattr(patrol, name, getattr(locked, name))
    return patrol


def patrol_close_stale(*, now: dt.datetime | None = None) -> int:
    """The background sweep: patrols left open longer than ``PATROL_MAX_DURATION`` end at their last
    fix (or their start, without one). Returns how many it closed."""
    now = now or timezone.now()
    closed = 0
    stale = Patrol.objects.filter(ended_at__isnull=True, started_at__lt=now - PATROL_MAX_DURATION)
    for patrol in stale.annotate(last_fix=Max("points__recorded_at")).order_by("pk")[:500]:
        ended_at = min(max(patrol.last_fix or patrol.started_at, patrol.started_at),
                       patrol.started_at + PATROL_MAX_DURATION)
        with transaction.atomic():
            closed += _finish(patrol, ended_at=ended_at, note=(patrol.note + " 超时自动结束").strip())
    return closed


# --- daily log --------------------------------------------------------------------------------


def daily_log_save(*, worker: User, date: dt.date, text: str) -> DailyLog:
    """Write or rewrite the worker's log for ``date``, which must be today."""
    require(can_patrol(worker), "只有网格长、网格员填写工作日志")
    if date != timezone.localdate():
        raise GridworkError("只能填写或修改当天的工作日志", fields=[{"field": "date", "message": "只能是今天"}])
    text = (text or "").strip()
    if not text:
        raise GridworkError("请填写日志内容", fields=[{"field": "text", "message": "必填"}])
    if len(text) > TEXT_MAX:
        raise GridworkError(f"日志最多 {TEXT_MAX} 字", fields=[{"field": "text", "message": "太长"}])
    grid_id = (
        GridAssignment.objects.filter(user=worker, ended_on__isnull=True, duty__in=WORKER_DUTIES)
        .order_by("id").values_list("grid_id", flat=True).first()
    )
    for _ in range(2):
        try:
            with transaction.atomic():
                log, _created = DailyLog.objects.update_or_create(
                    worker=worker, date=date, defaults={"text": text, "grid_id": grid_id}
                )
                return log
        except IntegrityError:  # the same worker saved twice at once; the second pass updates
            continue
    raise GridworkConflict("保存失败，请重试")


# --- visits -----------------------------------------------------------------------------------


def visit_due_on(*, key_person: KeyPerson, before: dt.datetime) -> dt.date:
    """The due date in force at ``before``: the last visit that met the person before then (or the
    registration date) plus the category's cycle where the person lives (the township's own, if it keeps
    one)."""
    last = Visit.objects.filter(
        key_person=key_person, outcome__in=COUNTING_OUTCOMES, visited_at__lt=before
    ).order_by("-visited_at").values_list("visited_on", flat=True).first()
    basis = last or key_person.registered_on
    cycle = visit_cycles(active_only=False).days(key_person.category_id, key_person.resident.household.grid.path)
    return basis + dt.timedelta(days=cycle or key_person.category.visit_cycle_days)


def visit_record(
    *, key_person: KeyPerson, visitor: User, visited_at: dt.datetime, notes: str, outcome: str,
    lon: float | None = None, lat: float | None = None, place: str = "",
    photos: Sequence[ProcessedPhoto] = (), submission_key: str | None = None,
) -> Visit:
    """Record a visit to a key person in the visitor's scope. The visit may not lie in the future,
    before the person's registration, or more than ``VISIT_BACKFILL`` back. With ``submission_key``
    (the form's submission id) a resent visit returns the one already recorded, photos and all."""
    require(can_visit(visitor), "只有网格长、网格员、村两委可以登记走访")
    grid_path = key_person.resident.household.grid.path
    if not scope_of(visitor).covers_path(grid_path):
        raise NotFound
    key = clean_key(submission_key)
    if key and (done := Visit.objects.filter(visitor=visitor, submission_key=key).first()) is not None:
        if done.key_person_id != key_person.pk:
            raise GridworkConflict("该提交编号已用于另一次走访", code="submission_reused")
        return done
    errors = []
    if len(photos) > VISIT_PHOTO_MAX_COUNT:
        errors.append({"field": "photos", "message": f"最多上传 {VISIT_PHOTO_MAX_COUNT} 张照片"})
    now = timezone.now()
    if visited_at is None or timezone.is_naive(visited_at):
        errors.append({"field": "visited_at", "message": "走访时间须带时区"})
    elif visited_at > now + CLOCK_SKEW:
        errors.append({"field": "visited_at", "message": "走访时间不能晚于现在"})
    elif visited_at < now - VISIT_BACKFILL:
        errors.append({"field": "visited_at", "message": f"只能补录 {VISIT_BACKFILL.days} 天内的走访"})
    elif timezone.localtime(visited_at).date() < key_person.registered_on:
        errors.append({"field": "visited_at", "message": "走访时间早于登记日期"})
    if outcome not in VisitOutcome.values:
        errors.append({"field": "outcome", "message": "不是可选的值"})
    if (lon is None) != (lat is None):
        errors.append({"field": "lon", "message": "经纬度须同时提供"})
    elif lon is not None and lat is not None and (bad := _check_lon_lat(lon, lat)):
        errors.append({"field": "lon", "message": bad})
    notes, place = (notes or "").strip(), (place or "").strip()
    if len(notes) > TEXT_MAX:
        errors.append({"field": "notes", "message": "太长"})
    if len(place) > 200:
        errors.append({"field": "place", "message": "太长"})
    if not key_person.is_active:
        errors.append({"field": "key_person_id", "message": "该人员已不在册"})
    if errors:
        raise GridworkError(errors[0]["message"], fields=errors)
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                key_person=key_person, visitor=visitor, visited_at=visited_at,
                visited_on=timezone.localtime(visited_at).date(), lon=lon, lat=lat, place=place,
                notes=notes, outcome=outcome, due_on=visit_due_on(key_person=key_person, before=visited_at),
                submission_key=key,
            )
            for i, photo in enumerate(photos, start=1):
                row = VisitPhoto(visit=visit)
                row.attach(photo, f"visit-{visit.pk}-{i}.jpg")
                row.save()
    except IntegrityError:  # the same submission sent twice at once: the first one stands
        done = Visit.objects.filter(visitor=visitor, submission_key=key).first() if key else None
        if done is None:
            raise
        return done
    return visit
