from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "xiangzhi.inspections"
    verbose_name = "每月排查"
