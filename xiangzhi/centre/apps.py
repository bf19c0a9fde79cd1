from django.apps import AppConfig


class CentreConfig(AppConfig):
    """指挥中心 (五个一): reads every other app through its selectors; no app imports it."""

    name = "xiangzhi.centre"
    verbose_name = "指挥中心"
