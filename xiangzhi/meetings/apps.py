from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "xiangzhi.meetings"
    verbose_name = "阳光报告会与四议两公开"
