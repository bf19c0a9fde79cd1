from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """备份与恢复: one encrypted archive of the database, the uploaded files and the settings, and its
    restore into an empty instance, checked against the archive's manifest."""

    name = "xiangzhi.backups"
    verbose_name = "备份与恢复"
