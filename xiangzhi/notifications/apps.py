from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "xiangzhi.notifications"
    verbose_name = "消息"

    def ready(self) -> None:
        from xiangzhi.notifications import checks  # noqa: F401  (registers the channel configuration check)
