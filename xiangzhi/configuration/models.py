from django.conf import settings
from django.db import models
from django.utils import timezone

from xiangzhi.core.models import AppendOnly


class Setting(AppendOnly):
    """One value of a setting for a county (or, as an override, for a township): the value in force is
    the newest row. A row whose value is null lifts a township's override (the county's value applies
    again); nothing is ever changed or deleted, so the rows are the setting's history."""

    append_only_noun = "配置记录"

    key = models.CharField("配置项", max_length=64)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name="适用区域")
    value = models.JSONField("值", null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name="设置人")
    reason = models.CharField("理由", max_length=200)
    created_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["key", "region", "created_at"], name="setting_key_region_at")]
        verbose_name = "配置"
        verbose_name_plural = "配置"

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ConfigKind(models.TextChoices):
    SETTING = "setting", "参数"
    CATEGORY = "category", "事件类别"
    HOLIDAYS = "holidays", "节假日"
    KEY_CATEGORY = "key_category", "重点人群类别"
    RESIDENT_TAG = "resident_tag", "居民标签"
    PLACE_KIND = "place_kind", "部件与场所类别"


class ConfigChange(AppendOnly):
    """配置变更: one change of the county's configuration anywhere (a setting, a category's terms or name,
    a year's holidays, a catalogue row): what, before → after, who, why, where it applies, when."""

    append_only_noun = "配置变更记录"

    kind = models.CharField("类别", max_length=16, choices=ConfigKind.choices)
    code = models.CharField("对象代码", max_length=64)
    name = models.CharField("对象名称", max_length=100, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="操作人")
    reason = models.CharField("理由", max_length=200, blank=True)
    # The region the change applies to: the county's path, or a township's for its override.
    scope_path = models.CharField("适用区域路径", max_length=255, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "code", "at"], name="config_change_kind_code_at"),
                   models.Index(fields=["scope_path", "at"], name="config_change_scope_at")]
        verbose_name = "配置变更"
        verbose_name_plural = "配置变更"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name or self.code}"
