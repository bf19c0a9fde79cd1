from django.db import models
from django.utils import timezone


class SuggesterModel(models.Model):
    """One trained version of the category suggester. ``weights`` is an ``.npz`` of plain arrays (the character
    vocabulary and idf, both heads' weights; see ``engine.model_to_bytes``), never a pickle. The newest row
    answers; the shipped base model answers while there is none."""

    created_at = models.DateTimeField("训练时间", default=timezone.now)
    base_examples = models.PositiveIntegerField("基础样本数")
    county_examples = models.PositiveIntegerField("本县样本数")
    categories = models.JSONField("已学类别", default=list)
    accuracy = models.FloatField("交叉验证准确率", null=True, blank=True)
    has_e5 = models.BooleanField("含语义部分", default=False)
    weights = models.BinaryField("模型参数")

    class Meta:
        ordering = ["-id"]
        verbose_name = "分类建议模型"
        verbose_name_plural = "分类建议模型"

    def __str__(self) -> str:
        return f"分类建议模型 #{self.pk}（{self.created_at:%Y-%m-%d %H:%M}）"
