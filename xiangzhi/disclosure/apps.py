from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "xiangzhi.disclosure"
    verbose_name = "村务公开"
