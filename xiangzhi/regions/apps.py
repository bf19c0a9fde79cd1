from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "xiangzhi.regions"
    verbose_name = "组织与网格"
