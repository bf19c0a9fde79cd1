from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "xiangzhi.points"
    verbose_name = "户积分"
