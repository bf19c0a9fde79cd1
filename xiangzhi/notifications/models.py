from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """One message in one user's inbox. The inbox row is the record; channels (log, SMS, WeChat, email)
    are extra deliveries whose outcome is kept in ``deliveries`` as ``{channel: "sent" | "skipped: …" |
    "failed: …"}``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name="接收人"
    )
    kind = models.CharField("类型", max_length=32)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    deliveries = models.JSONField("投递结果", default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]
        verbose_name = "消息"
        verbose_name_plural = "消息"

    def __str__(self) -> str:
        return f"{self.recipient}：{self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "消息")


# Labels for the kinds known today; the app sending a notification owns its kind code, and an unknown
# code is shown as plain "消息".
KIND_LABELS = {
    "case_new": "新事件",
    "case_accepted": "事件受理",
    "case_rejected": "不予受理",
    "case_assigned": "事件派遣",
    "case_rework": "返工",
    "case_handled": "事件处理",
    "case_closed": "事件办结",
    "case_reopened": "重新核查",
    "case_escalated": "事件上报",
    "case_handed_back": "事件回退",
    "case_merged": "事件合并",
    "case_overdue": "事件超期",
    "case_supervised": "督办",
    "visit_due": "走访到期",
    "case_due_soon": "即将超时",
    "points_cycle": "积分周期",
    "points_objection": "积分异议",
    "announcement": "通知公告",
    "announcement_reminder": "通知提醒",
    "poll_open": "民意调查",
    "commitment_assigned": "承诺事项",
    "commitment_reopened": "承诺退回",
    "meeting_returned": "会议退回",
}
