from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "xiangzhi.participation"
    verbose_name = "群众参与"
