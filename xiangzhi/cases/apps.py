from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "xiangzhi.cases"
    verbose_name = "事件工单"
