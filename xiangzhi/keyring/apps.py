from django.apps import AppConfig


class KeyringConfig(AppConfig):
    """密钥: the ring of data keys, their rotation and the printed recovery sheet. It stands right above
    the audit trail: it finds the encrypted columns of every app through the app registry, imports none."""

    name = "xiangzhi.keyring"
    verbose_name = "密钥"
