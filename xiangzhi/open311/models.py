import hashlib
import secrets

from django.db import models


class Open311Client(models.Model):
    """An outside system that files and reads cases through Open311 GeoReport v2 (a hotline platform,
    a township mini-program…). Only the key's SHA-256 is stored; the key is shown once, when issued.
    ``region`` is its scope: it files cases located there and reads that region's cases."""

    name = models.CharField("名称", max_length=100)
    key_digest = models.CharField(max_length=64, unique=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name="服务区域")
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "Open311 客户端"
        verbose_name_plural = "Open311 客户端"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "o311_" + secrets.token_urlsafe(32)


class Submission(models.Model):
    """Which client filed which case, with the client's own identifiers. The client reads its own
    submissions in full; everybody else gets the public-safe view."""

    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="submissions")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="open311_submission")
    device_id = models.CharField("设备标识", max_length=100, blank=True)
    account_id = models.CharField("客户端账号", max_length=100, blank=True)
    media_url = models.URLField("照片链接", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "Open311 提交记录"
        verbose_name_plural = "Open311 提交记录"

    def __str__(self) -> str:
        return f"{self.client} → {self.case_id}"
