from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "xiangzhi.devices"
    verbose_name = "设备告警"
