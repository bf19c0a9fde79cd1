from django.db import models


class WorkerHeartbeat(models.Model):
    """The background worker writes here every minute; /healthz reads it."""

    name = models.CharField(max_length=50, unique=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = "后台任务心跳"
        verbose_name_plural = "后台任务心跳"

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class PeriodicRun(models.Model):
    """The last run of each periodic task (``xiangzhi/system/tasks.py``): the status page and ``/metrics``
    read when each sweep last ran, how long it took and whether it failed."""

    name = models.CharField("任务", max_length=80, unique=True)
    started_at = models.DateTimeField("开始于")
    finished_at = models.DateTimeField("结束于", null=True, blank=True)
    seconds = models.FloatField("用时（秒）", null=True, blank=True)
    ok = models.BooleanField("成功", default=True)
    error = models.CharField("错误", max_length=500, blank=True)
    runs = models.PositiveIntegerField("运行次数", default=0)
    failures = models.PositiveIntegerField("失败次数", default=0)
    last_ok_at = models.DateTimeField("最近成功于", null=True, blank=True)

    class Meta:
        verbose_name = "定时任务运行"
        verbose_name_plural = "定时任务运行"

    def __str__(self) -> str:
        return f"{self.name} @ {self.started_at:%Y-%m-%d %H:%M:%S}"


class ErrorRecord(models.Model):
    """An error the platform logged (a failed request, a failed task): counted on the status page for a day
    and kept 30 days. The log files hold the whole line; this keeps what the county admin needs to see."""

    at = models.DateTimeField("时间", db_index=True)
    logger = models.CharField("来源", max_length=100)
    message = models.CharField("内容", max_length=300)
    context = models.CharField("请求", max_length=300, blank=True)

    class Meta:
        verbose_name = "错误记录"
        verbose_name_plural = "错误记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.logger}"


class SizeSample(models.Model):
    """The database's and the uploads' size, once a day: the status page's growth figures."""

    day = models.DateField("日期", unique=True)
    database_bytes = models.BigIntegerField("数据库字节")
    media_bytes = models.BigIntegerField("上传文件字节")
    taken_at = models.DateTimeField("测于")

    class Meta:
        verbose_name = "容量记录"
        verbose_name_plural = "容量记录"
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"
