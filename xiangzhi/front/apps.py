from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "xiangzhi.front"
    verbose_name = "页面"
