from django.apps import AppConfig


class GridworkConfig(AppConfig):
    name = "xiangzhi.gridwork"
    verbose_name = "网格员工作"
