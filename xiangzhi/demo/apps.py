from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "xiangzhi.demo"
    verbose_name = "演示数据"
