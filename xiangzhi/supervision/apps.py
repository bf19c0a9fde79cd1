from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "xiangzhi.supervision"
    verbose_name = "一村一码"
