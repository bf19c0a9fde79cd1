"""``xiangzhi upgrade``: back up, rehearse the migrations on a copy, apply them, verify (``backups/upgrade.py``).

Exit status: 0 upgraded and verified (or nothing to do), 1 upgraded but the check found problems (roll back
with the archive named), 2 stopped before the live database changed.
"""

from django.core.management.base import BaseCommand

from xiangzhi.backups.errors import BackupError
from xiangzhi.backups.upgrade import upgrade


class Command(BaseCommand):
    help = "升级：先备份，再在副本上演练迁移，成功后迁移正式数据库并校验积分台账"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="升级前备份写到哪个目录（默认 XIANGZHI_BACKUP_DIR）")

    def handle(self, *args, dir=None, **options):
        try:
            report = upgrade(dest_dir=dir, say=self.stdout.write)
        except BackupError as exc:
            self.stderr.write(f"升级没有进行：{exc}")
            raise SystemExit(2) from None
        if report.archive is None:
            return
        rollback = (f"如需回退：装回旧版本代码，建一个空数据库，运行 xiangzhi restore {report.archive}")
        if report.problems:
            self.stdout.write(self.style.ERROR(f"已迁移，但校验发现 {len(report.problems)} 个问题："))
            for problem in report.problems[:50]:
                self.stdout.write(f"  {problem}")
            self.stdout.write(rollback)
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(
            f"升级完成：{len(report.pending)} 个迁移，副本演练 {report.rehearsal_seconds:.1f} 秒，"
            f"正式迁移 {report.apply_seconds:.1f} 秒；积分台账、链头和公示哈希校验通过"))
        self.stdout.write(rollback)
