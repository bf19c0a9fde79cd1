"""``xiangzhi restore ARCHIVE``: into an empty instance, then check the copy against the archive.

Exit status: 0 the copy is whole, 1 it is not (the problems are listed), 2 refused (nothing written).
"""

from django.core.management.base import BaseCommand

from xiangzhi.backups import services
from xiangzhi.backups.errors import RestoreRefused

SHOWN = 50


class Command(BaseCommand):
    help = "恢复：把备份文件恢复到一个空的实例（新建的空数据库、空的上传目录），然后核对副本是否完整"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份文件（.xzbackup）")
        parser.add_argument("--verify", action="store_true",
                            help="不恢复，只拿本机的数据库和文件与这个备份的清单核对")

    def handle(self, *args, archive, verify, **options):
        try:
            if verify:
                services.archive_read_header(archive)
                self.stdout.write("正在读取备份的清单…")
                manifest = services.archive_manifest(archive)
                target = services.Target.from_settings()
                problems = services.restore_verify(manifest, media_root=target.media_root)
                notes: list[str] = []
            else:
                report = services.restore_run(archive, services.Target.from_settings(), say=self.stdout.write)
                self.stdout.write(f"已恢复：{report.tables} 张表、{report.rows:,} 行，上传的文件 {report.files:,} 个，"
                                  f"用时 {report.seconds:.1f} 秒")
                problems, notes = report.problems, report.notes
        except RestoreRefused as exc:
            self.stderr.write(f"拒绝恢复：{exc}")
            raise SystemExit(2) from None
        for note in notes:
            self.stdout.write(self.style.WARNING(note))
        if not problems:
            self.stdout.write(self.style.SUCCESS("副本完整"))
            return
        self.stdout.write(self.style.ERROR(f"副本不完整，{len(problems)} 个问题："))
        for problem in problems[:SHOWN]:
            self.stdout.write(f"  {problem}")
        if len(problems) > SHOWN:
            self.stdout.write(f"  …还有 {len(problems) - SHOWN} 个")
        raise SystemExit(1)
