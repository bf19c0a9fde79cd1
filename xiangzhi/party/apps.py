from django.apps import AppConfig


class PartyConfig(AppConfig):
    name = "xiangzhi.party"
    verbose_name = "党组织"
