from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xiangzhi.accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from xiangzhi.accounts import checks  # noqa: F401  (registers the SMS backend check)
