from django.db import models


class DeviceSource(models.Model):
    """A system that posts sensor alarms (烟感, 水位, 井盖, 电气火灾…) to the webhook. Each signs its
    requests with its own secret, kept encrypted like ID numbers; its region bounds where its alarms
    may land and is where an alarm without a location goes."""

    name = models.CharField("名称", max_length=50, unique=True,
                            help_text="请求体中的 source 字段；也是告警去重的范围，登记后不可更改")
    secret_encrypted = models.CharField(max_length=200, editable=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="所属区域")
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    last_alarm_at = models.DateTimeField("最近告警", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "告警数据源"
        verbose_name_plural = "告警数据源"

    def __str__(self) -> str:
        return self.name
