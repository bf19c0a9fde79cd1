from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    """配置: the county's settings with township overrides, and the history of every configuration change
    (category terms, the holiday calendar, catalogues). It stands right above regions and accounts, so
    people, cases and grid work read their settings from it."""

    name = "xiangzhi.configuration"
    verbose_name = "配置"
