from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "xiangzhi.activities"
    verbose_name = "志愿服务活动"
