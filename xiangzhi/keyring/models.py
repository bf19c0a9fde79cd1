from django.db import models
from django.db.models import Q
from django.utils import timezone


class KeyRotation(models.Model):
    """One rotation of the data key: from the version current when it started to a new one, the
    progress of the re-encryption table by table, and which versions were retired at the end.
    ``active`` is True while it is unfinished (at most one such row) and NULL after."""

    from_version = models.PositiveIntegerField("原版本")
    to_version = models.PositiveIntegerField("新版本", null=True, blank=True)
    to_key_id = models.CharField("新密钥编号", max_length=16, blank=True)
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    started_by = models.CharField("发起人", max_length=100, blank=True)
    # When the new key became current: the old key is retired only after every process has seen it.
    switched_at = models.DateTimeField("新密钥启用时间", null=True, blank=True)
    # When the first pass over every table ended: a page holding a row read before its batch may still save
    # the old value back, so the final scan waits the grace period after this too.
    passed_at = models.DateTimeField("首轮处理完成时间", null=True, blank=True)
    total = models.PositiveIntegerField("需重新加密的行数", default=0)
    done = models.PositiveIntegerField("已处理行数", default=0)
    # {"people.resident": {"after": <last pk done>, "done": false}, …}: where a resumed run goes on.
    positions = models.JSONField("各表进度", default=dict, blank=True)
    runner = models.CharField("执行者", max_length=120, blank=True)  # host:pid:thread of the run holding it
    beat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    retired = models.JSONField("退役的版本", default=list, blank=True)
    active = models.BooleanField("进行中", null=True, default=True)

    class Meta:
        verbose_name = "密钥轮换"
        verbose_name_plural = verbose_name
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="keyrotation_one_active"),
        ]

    def __str__(self) -> str:
        return f"v{self.from_version} → v{self.to_version or '?'}"


class KeySheet(models.Model):
    """A recovery sheet exported for one data key version: only once (the row is the refusal's ground)."""

    version = models.PositiveIntegerField("数据密钥版本", unique=True)
    key_id = models.CharField("数据密钥编号", max_length=16)
    lookup_key_id = models.CharField("查询密钥编号", max_length=16)
    backup_key_id = models.CharField("备份密钥编号", max_length=16)
    exported_at = models.DateTimeField("导出时间", default=timezone.now)
    exported_by = models.CharField("导出人", max_length=100)

    class Meta:
        verbose_name = "密钥恢复单"
        verbose_name_plural = verbose_name
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"
