from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "xiangzhi.duties"
    verbose_name = "三张清单"
