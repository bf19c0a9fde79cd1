"""``xiangzhi demo``: a whole demo county in one command, then the platform serving it."""

import argparse
import os
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from xiangzhi.demo.builder import build_demo, iter_logins, summary_counts
from xiangzhi.demo.plan import SCALES
from xiangzhi.system.services import size_sample

SCALE_NAMES = {"street": "街道（章丘区文祖街道）", "county": "区县（滨州市沾化区）"}


class Command(BaseCommand):
    help = "生成演示数据（清空现有数据）并启动平台"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=SCALES, default="street", help="street：文祖街道；county：沾化区")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子；同一种子生成相同的数据")
        parser.add_argument("--no-serve", action="store_true", help="只生成数据，不启动网站")
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        # For tests and quick looks: only the first N villages of each township.
        parser.add_argument("--villages", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, scale, seed, no_serve, bind, villages, **options):
        if villages is not None and villages < 1:
            raise CommandError("--villages 至少为 1")
        started = time.monotonic()
        self.stdout.write("正在迁移数据库…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"正在生成演示数据：{SCALE_NAMES[scale]}，种子 {seed}")
        report = build_demo(scale, seed, self.stdout, villages=villages)
        total = time.monotonic() - started

        c = summary_counts(report)
        micro = f"，微网格 {c['micro_grids']:,}" if c["micro_grids"] else ""
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("演示数据已生成"))
        self.stdout.write(f"  行政区域 {c['regions']:,} 个；三级网格 {c['grids_level3']:,} 个{micro}")
        self.stdout.write(f"  户 {c['households']:,}；居民 {c['residents']:,}；重点人员 {c['key_people']:,}")
        self.stdout.write(f"  账号 {c['accounts']:,} 个")
        self.stdout.write(
            f"  生成用时 {report.elapsed:.1f} 秒（共 {total:.1f} 秒），写入 {report.total_rows:,} 行，"
            f"{report.rows_per_second:,.0f} 行/秒"
        )
        self.stdout.write(f"  全部账号见 {report.accounts_file}")
        self.write_steps(report.steps)
        self.stdout.write("")
        self.stdout.write("每个角色一个演示账号：")
        rows = [("角色", "用户名", "密码", "管辖范围")] + [
            (a["role_name"], a["username"], a["password"], a["scope_code"]) for a in iter_logins(report)
        ]
        widths = [max(_width(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            self.stdout.write("  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)))
        register = report.register
        if register is not None and register.household_id:
            self.stdout.write("")
            self.stdout.write("户籍变动可以先看：")
            page = f"/people/households/{register.household_id}/"
            self.stdout.write(f"  户 {register.household_number} 的变动历史：{page}")
            if register.waiting:
                self.stdout.write(f"  村干部 {register.cadre} 有 {register.waiting} 条变动待确认：/people/changes/")

        size_sample()  # the status page's first size figure: the county as built
        self.stdout.write("")
        self.stdout.write("运行状态（县级管理员 → 基础信息 → 运行状态）：/system/status/")
        self.stdout.write(f"  日志：{settings.LOG_DIR or '只输出到终端'}；每日备份写到 {settings.BACKUP_DIR}"
                          "（后台任务启动后一刻钟内写出今天的第一份）")
        if no_serve:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        # The demo answers plain HTTP on localhost; the web and worker processes inherit this.
        os.environ["XIANGZHI_HTTPS"] = "0"
        call_command("serve", bind=bind)

    def write_steps(self, steps: list[tuple[str, float]]) -> None:
        """Each step's seconds, in build order, with its share of the build: a step that slows down
        shows here first."""
        if not steps:
            return
        total = sum(seconds for _, seconds in steps) or 1.0
        width = max(_width(name) for name, _ in steps)
        self.stdout.write("")
        self.stdout.write("各步骤用时：")
        for name, seconds in steps:
            self.stdout.write(f"  {_pad(name, width)}  {seconds:7.1f} 秒  {seconds / total:4.0%}")


def _width(text: str) -> int:
    """Display width: a Chinese character takes two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
