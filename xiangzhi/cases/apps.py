from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "xiangzhi.cases"
    verbose_name = "事件工单"

    def ready(self) -> None:
        # The duty lists (三张清单) stand below cases: they learn the category codes and whom to tell when
        # a county's lists change (routing reloads) once the registry is complete.
        from xiangzhi.cases import routing

        routing.connect()
