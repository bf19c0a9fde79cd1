from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "xiangzhi.triage"
    verbose_name = "分类建议"
