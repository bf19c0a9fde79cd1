from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "xiangzhi.people"
    verbose_name = "人口与要素"
