from django.apps import AppConfig


class SystemConfig(AppConfig):
    name = "xiangzhi.system"
    verbose_name = "系统"
