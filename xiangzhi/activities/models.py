"""志愿服务活动: a village's volunteer activity, the households that sign up for it, who turned up
(check-in), and the points it awards — once, to every household checked in, through the points
ledger. Each state change happens at most once, so the activity keeps who and when on its own row
(created, sign-up closed, cancelled with a reason, awarded) rather than in a separate history.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ActivityState(models.TextChoices):
    OPEN = "open", "报名中"
    CLOSED = "closed", "报名截止"
    AWARDED = "awarded", "已记分"
    CANCELLED = "cancelled", "已取消"


# States from which the activity can still be awarded or cancelled.
LIVE_STATES = (ActivityState.OPEN, ActivityState.CLOSED)


class Activity(models.Model):
    village = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="activities",
                                verbose_name="村/社区")
    title = models.CharField("活动名称", max_length=100)
    description = models.TextField("活动内容", blank=True)
    place = models.CharField("地点", max_length=100)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额（人）", null=True, blank=True, help_text="为空表示不限")
    rule = models.ForeignKey("points.PointsRule", on_delete=models.PROTECT, related_name="activities",
                             verbose_name="积分细则条目", help_text="本村施行的积分细则中的加分项")
    points = models.PositiveSmallIntegerField("每户积分", help_text="不能超过该条目在本村的分值")
    state = models.CharField("状态", max_length=10, choices=ActivityState.choices, default=ActivityState.OPEN)
    created_at = models.DateTimeField("发起时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="发起人")
    closed_at = models.DateTimeField("截止报名时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    awarded_at = models.DateTimeField("记分时间", null=True, blank=True)
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="记分人")

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = "志愿服务活动"
        verbose_name_plural = "志愿服务活动"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(condition=Q(points__gt=0), name="activity_points_positive"),
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                                   name="activity_capacity_positive"),
            models.CheckConstraint(condition=~Q(state=ActivityState.AWARDED) | Q(awarded_at__isnull=False),
                                   name="activity_awarded_has_time"),
            models.CheckConstraint(condition=~Q(state=ActivityState.CANCELLED) | Q(cancelled_at__isnull=False),
                                   name="activity_cancelled_has_time"),
        ]
        indexes = [models.Index(fields=["village", "starts_at"], name="activity_village_start")]

    def __str__(self) -> str:
        return f"{self.title}（{self.starts_at:%Y-%m-%d}）"

    @property
    def places_left(self) -> int | None:
        """Places not taken (needs the selectors' ``signed_up_people``); None without a limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - (getattr(self, "signed_up_people", 0) or 0), 0)

    @property
    def is_full(self) -> bool:
        """Every place taken (needs the selectors' ``signed_up_people``): 已满, not 报名中."""
        return self.state == ActivityState.OPEN and self.places_left == 0

    @property
    def is_signup_open(self) -> bool:
        return (self.state == ActivityState.OPEN and timezone.now() < self.starts_at
                and self.places_left != 0)

    @property
    def has_started(self) -> bool:
        return timezone.now() >= self.starts_at


class ActivitySignup(models.Model):
    """One household's sign-up (the household is the unit of points). A withdrawn sign-up stays as
    it was, and the household may sign up again: one sign-up not withdrawn per household and activity."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="activity_signups",
                                  verbose_name="户")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="参加人")
    people = models.PositiveSmallIntegerField("人数", default=1)
    signed_up_at = models.DateTimeField("报名时间")
    signed_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name="报名人")
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name="签到登记人")
    withdrawn_at = models.DateTimeField("取消报名时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    award_entry = models.OneToOneField("points.PointsEntry", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="activity_signup", verbose_name="积分记录")
    award_note = models.CharField("未记分原因", max_length=200, blank=True)

    class Meta:
        ordering = ["signed_up_at", "id"]
        verbose_name = "活动报名"
        verbose_name_plural = "活动报名"
        constraints = [
            models.UniqueConstraint(fields=["activity", "household"], condition=Q(withdrawn_at__isnull=True),
                                    name="activity_signup_once"),
            models.CheckConstraint(condition=Q(people__gte=1), name="activity_signup_people"),
            models.CheckConstraint(condition=Q(withdrawn_at__isnull=True) | Q(checked_in_at__isnull=True),
                                   name="activity_signup_withdrawn_not_present"),
        ]
        indexes = [models.Index(fields=["household", "checked_in_at"], name="activity_signup_household")]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.household_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def attendee(self) -> str:
        if self.resident_id:
            return self.resident.name
        return self.household.head_name
