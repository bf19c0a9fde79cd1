"""``xiangzhi backup``: one encrypted archive of the database, the uploaded files and the settings."""

from django.conf import settings
from django.core.management.base import BaseCommand

from xiangzhi.backups import selectors, services
from xiangzhi.backups.errors import BackupError
from xiangzhi.backups.models import BackupKind


def size_text(size: int | None) -> str:
    size = size or 0
    if size >= 1024 * 1024 * 1024:
        return f"{size / 1024 / 1024 / 1024:.2f} GB"
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.1f} KB"


class Command(BaseCommand):
    help = "备份：把数据库、上传的文件和配置写成一个加密的备份文件"

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=None, help="备份目录；默认 XIANGZHI_BACKUP_DIR（var/backups）")
        parser.add_argument("--kind", choices=BackupKind.values, default=BackupKind.MANUAL,
                            help="manual：手动（默认）；daily：每日；before_upgrade：升级前")
        parser.add_argument("--list", action="store_true", help="只列出备份目录里的备份文件")

    def handle(self, *args, dir, kind, list, **options):
        folder = dir or settings.BACKUP_DIR
        if list:
            archives = selectors.archive_list(folder)
            self.stdout.write(f"{folder}：{len(archives)} 个备份")
            for a in archives:
                kind_label = BackupKind(a.kind).label if a.kind in BackupKind.values else a.kind
                self.stdout.write(f"  {a.at:%Y-%m-%d %H:%M}  {kind_label:<4}  {size_text(a.size_bytes):>10}  {a.name}")
            return
        self.stdout.write(f"正在备份到 {folder} …")
        try:
            run = services.backup_make(kind, folder)
        except BackupError as exc:
            self.stderr.write(f"备份失败：{exc}")
            raise SystemExit(1) from None
        where = f"{run.directory}/{run.file_name}"
        self.stdout.write(self.style.SUCCESS(
            f"备份完成：{where}（{size_text(run.size_bytes)}，用时 {run.seconds or 0:.1f} 秒）"))
        self.stdout.write("备份里没有密钥：恢复时需要本机的备份密钥和数据密钥（见 README「备份与恢复」）")
