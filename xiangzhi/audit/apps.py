from django.apps import AppConfig


class AuditConfig(AppConfig):
    """审计日志: one append-only trail of reveals, exports, imports, publications, configuration changes
    and admin actions. It stands right above core so every app, accounts included, can record into it."""

    name = "xiangzhi.audit"
    verbose_name = "审计日志"
