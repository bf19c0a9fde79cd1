"""Every backup leaves a ``BackupRun``: started, then ok or failed (with the reason in Chinese). The
archive's own file is named in it; ``pruned_at`` marks an archive the retention removed."""

from django.db import models


class BackupKind(models.TextChoices):
    MANUAL = "manual", "手动"
    DAILY = "daily", "每日"
    BEFORE_UPGRADE = "before_upgrade", "升级前"


class RunStatus(models.TextChoices):
    RUNNING = "running", "进行中"
    OK = "ok", "成功"
    FAILED = "failed", "失败"


class BackupRun(models.Model):
    kind = models.CharField("类别", max_length=20, choices=BackupKind.choices)
    status = models.CharField("状态", max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    directory = models.CharField("目录", max_length=500)
    file_name = models.CharField("文件名", max_length=200)
    size_bytes = models.BigIntegerField("大小（字节）", null=True, blank=True)
    seconds = models.FloatField("用时（秒）", null=True, blank=True)
    error = models.TextField("失败原因", blank=True)
    pruned_at = models.DateTimeField("按保留规则删除的时间", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "备份记录"
        verbose_name_plural = "备份记录"
        indexes = [models.Index(fields=["status", "started_at"], name="backup_run_status_started")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}备份 {self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"
