"""C4 grid work (网格员工作通): patrols with their GPS tracks, daily logs; and C2's visits to key people."""

from django.conf import settings
from django.db import models

from xiangzhi.core.models import StoredPhoto


class Patrol(models.Model):
    """巡查: one stretch of a worker walking their grid, from start to stop. ``distance_m`` and
    ``point_count`` are set from the track when the patrol stops."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols", verbose_name="网格员"
    )
    grid = models.ForeignKey("regions.Grid", on_delete=models.PROTECT, related_name="patrols", verbose_name="网格")
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    distance_m = models.PositiveIntegerField("里程（米）", default=0)
    point_count = models.PositiveIntegerField("定位点数", default=0)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "巡查"
        verbose_name_plural = "巡查"
        constraints = [
            models.UniqueConstraint(
                fields=["worker"], condition=models.Q(ended_at__isnull=True), name="one_open_patrol_per_worker"
            )
        ]
        indexes = [models.Index(fields=["worker", "started_at"]), models.Index(fields=["grid", "started_at"])]

    def __str__(self) -> str:
        return f"{self.worker} 巡查 {self.grid} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def duration(self):
        return (self.ended_at - self.started_at) if self.ended_at else None

    @property
    def distance_km(self) -> float:
        return round(self.distance_m / 1000, 2)

    @property
    def duration_minutes(self) -> int | None:
        return round(self.duration.total_seconds() / 60) if self.ended_at else None


class TrackPoint(models.Model):
    """One GPS fix of a patrol (工作轨迹). Appended in batches, never edited."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="points")
    recorded_at = models.DateTimeField("定位时间")
    lon = models.FloatField("经度")
    lat = models.FloatField("纬度")
    accuracy_m = models.FloatField("精度（米）", null=True, blank=True)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = "轨迹点"
        verbose_name_plural = "轨迹点"
        constraints = [models.UniqueConstraint(fields=["patrol", "recorded_at"], name="track_point_once")]

    def __str__(self) -> str:
        return f"{self.lon:.6f},{self.lat:.6f} @ {self.recorded_at:%H:%M:%S}"


class DailyLog(models.Model):
    """工作日志: one per worker per day, editable on that day only."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="daily_logs", verbose_name="网格员"
    )
    date = models.DateField("日期")
    grid = models.ForeignKey(
        "regions.Grid", on_delete=models.PROTECT, null=True, blank=True, related_name="daily_logs", verbose_name="网格"
    )
    text = models.TextField("内容", max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = "工作日志"
        verbose_name_plural = "工作日志"
        constraints = [models.UniqueConstraint(fields=["worker", "date"], name="daily_log_once_per_day")]

    def __str__(self) -> str:
        return f"{self.worker} {self.date:%Y-%m-%d}"


class VisitOutcome(models.TextChoices):
    NORMAL = "normal", "正常"
    ISSUE_FOUND = "issue_found", "发现问题"
    NOT_MET = "not_met", "未见到本人"


# A visit that did not meet the person does not fulfil the cycle (四到四访 means seeing them).
COUNTING_OUTCOMES = (VisitOutcome.NORMAL, VisitOutcome.ISSUE_FOUND)


class Visit(models.Model):
    """走访: who visited which key person, when, where, with what outcome. ``due_on`` is the due date
    that applied when the visit was recorded, so "on time" never changes afterwards."""

    key_person = models.ForeignKey(
        "people.KeyPerson", on_delete=models.PROTECT, related_name="visits", verbose_name="重点人员"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name="走访人"
    )
    visited_at = models.DateTimeField("走访时间")
    # The local date of ``visited_at``, kept beside it so due dates are pure date arithmetic in SQL.
    visited_on = models.DateField("走访日期")
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    place = models.CharField("地点", max_length=200, blank=True)
    notes = models.TextField("走访情况", max_length=2000, blank=True)
    outcome = models.CharField("结果", max_length=16, choices=VisitOutcome.choices)
    due_on = models.DateField("应访日期")
    # The form's submission id (Idempotency-Key): a phone resending the same visit gets the first one.
    submission_key = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_at"]
        verbose_name = "走访"
        verbose_name_plural = "走访"
        indexes = [models.Index(fields=["key_person", "visited_at"]), models.Index(fields=["visitor", "visited_at"])]
        constraints = [
            models.UniqueConstraint(fields=["visitor", "submission_key"], condition=~models.Q(submission_key=""),
                                    name="visit_submission_once")
        ]

    def __str__(self) -> str:
        return f"{self.visitor} 走访 {self.key_person} {self.visited_at:%Y-%m-%d}"

    @property
    def counts(self) -> bool:
        return self.outcome in COUNTING_OUTCOMES

    @property
    def on_time(self) -> bool:
        return self.counts and self.visited_on <= self.due_on


class VisitPhoto(StoredPhoto):
    """A photo taken on a visit: re-encoded without EXIF (``lib.photos``), with a thumbnail, the way
    case photos are kept."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to="visits/%Y/%m/")
    thumbnail = models.FileField(upload_to="visits/%Y/%m/thumbs/")

    class Meta:
        ordering = ["id"]
        verbose_name = "走访照片"
        verbose_name_plural = "走访照片"
