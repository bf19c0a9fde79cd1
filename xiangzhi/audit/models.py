from django.conf import settings
from django.db import models
from django.utils import timezone

from xiangzhi.core.models import AppendOnly


class AuditAction(models.TextChoices):
    REVEAL = "reveal", "查看敏感信息"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    PUBLISH = "publish", "发布/公示"
    CONFIG = "config", "配置变更"
    ADMIN = "admin", "后台操作"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKED = "locked", "账号锁定"


class AuditEvent(AppendOnly):
    """One thing done that a county must be able to account for later: who, when, what, on what, where.
    ``scope_path`` is the region/grid path the event concerns (a prefix match decides who may read it;
    empty for county-wide events, which only the county sees). ``detail`` never holds a plain ID number
    or phone: masked copies at most."""

    append_only_noun = "审计日志"

    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    # As it was when the event happened: a later rename or a deleted account does not rewrite the trail.
    actor_name = models.CharField("操作人姓名", max_length=100, blank=True)
    action = models.CharField("类别", max_length=16, choices=AuditAction.choices)
    summary = models.CharField("摘要", max_length=300)
    subject = models.CharField("对象", max_length=120, blank=True)
    scope_path = models.CharField("所属区域路径", max_length=255, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        # Newest first, within a scope (a path prefix), for a person (a name prefix) or of one kind. On
        # PostgreSQL the text columns are indexed with the pattern operators, so that ``LIKE 'prefix%'``
        # uses them whatever the database's collation; SQLite asks the same prefixes as ranges.
        indexes = [
            models.Index(fields=["scope_path", "at"], name="audit_scope_at",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["actor_name", "at"], name="audit_actor_at",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"

    def __str__(self) -> str:
        return f"{self.actor_name or '系统'} {self.get_action_display()}：{self.summary}"
