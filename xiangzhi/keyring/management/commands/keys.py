"""``xiangzhi keys``: the data key ring — status, rotate, the recovery sheet, recover."""

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from xiangzhi.keyring import selectors, services
from xiangzhi.keyring.errors import KeyringError
from xiangzhi.keyring.models import KeyRotation
from xiangzhi.lib import keys, keysheet


def _stamp(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class Command(BaseCommand):
    help = "数据密钥：查看（status）、轮换（rotate）、导出恢复单（sheet）、从恢复单恢复（recover）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="密钥环：各版本、编号、当前版本、轮换进度、恢复单导出情况")
        rotate = sub.add_parser("rotate", help="换用新的数据密钥并重新加密所有加密字段（网站可照常运行）")
        rotate.add_argument("--resume", action="store_true", help="继续一次中断的轮换")
        rotate.add_argument("--batch-size", type=int, default=services.BATCH_SIZE, help="每批行数（一批一个事务）")
        rotate.add_argument("--grace", type=float, default=services.RETIRE_GRACE_SECONDS,
                            help="新密钥启用后等待多少秒再做最后检查并退役旧密钥")
        rotate.add_argument("--by", default="", help="操作人姓名（记入审计日志）")
        sheet = sub.add_parser("sheet", help="导出当前数据密钥的恢复单（每个版本只能导出一次）")
        sheet.add_argument("--out", help="写到哪个文件（默认：当前目录下 密钥恢复单-vN.html）")
        sheet.add_argument("--by", default="", help="导出人姓名（记入审计日志；默认为系统登录名）")
        recover = sub.add_parser("recover", help="按恢复单上的词（或二维码内容）写回密钥文件")
        recover.add_argument("kind", choices=["data", "lookup", "backup"], help="哪一个密钥")
        recover.add_argument("--version", type=int, help="数据密钥的版本号（恢复单上的 vN）")
        recover.add_argument("--file", help="从文件读词；不给则从标准输入读")
        recover.add_argument("--id", default="", help="恢复单上印的编号，再核对一次")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (KeyringError, keys.KeyRingError) as exc:
            raise CommandError(str(exc)) from None

    # status -------------------------------------------------------------------------------------

    def _status(self, **options: Any) -> None:
        status = selectors.keys_status()
        self.stdout.write(f"密钥目录：{keys.key_dir()}")
        self.stdout.write(f"数据密钥（当前 v{status.current_version}）：")
        for v in status.versions:
            mark = "当前" if v.current else "旧密钥，待轮换完成后退役"
            source = "（来自 DATA_KEY 设置）" if v.from_setting else ""
            sheet = (f"恢复单 {_stamp(v.sheet_exported_at)} 由 {v.sheet_exported_by} 导出" if v.sheet_exported_at
                     else "恢复单未导出")
            self.stdout.write(f"  v{v.version}  编号 {v.key_id}  {mark}{source}  {sheet}")
        kept = "lookup.key" if status.lookup_kept else "由 v1 推导（尚未单独保存；首次轮换或导出恢复单时保存）"
        self.stdout.write(f"查询密钥：编号 {status.lookup_key_id}，{kept}")
        self.stdout.write(f"备份密钥：编号 {keys.backup_key_id()}")
        if status.rotation is not None:
            r = status.rotation
            runner = f"，执行者 {r.runner}，最近心跳 {_stamp(r.beat_at)}" if r.runner else "，当前无进程执行"
            self.stdout.write(f"轮换：v{r.from_version} → v{r.to_version or '?'} 进行中 {r.percent}%"
                              f"（{r.done}/{r.total} 行），开始于 {_stamp(r.started_at)}{runner}")
        elif status.last_rotation is not None:
            last = status.last_rotation
            retired = "、".join(f"v{v}" for v in last.retired) or "无"
            self.stdout.write(f"上次轮换：v{last.from_version} → v{last.to_version}，完成于 "
                              f"{_stamp(last.finished_at)}，退役 {retired}")
        else:
            self.stdout.write("轮换：从未轮换")
        if not status.sheet_exported:
            self.stdout.write(f"提醒：当前数据密钥 v{status.current_version} 的恢复单还没有导出"
                              "（xiangzhi keys sheet）。")

    # rotate -------------------------------------------------------------------------------------

    def _rotate(self, *, resume: bool, batch_size: int, grace: float, by: str, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size 至少为 1")
        by = by or getpass.getuser()
        if resume:
            rotation = services.rotation_active()
            if rotation is None:
                raise CommandError("没有未完成的密钥轮换")
            self.stdout.write(f"继续轮换 v{rotation.from_version} → v{rotation.to_version or '?'}"
                              f"（已处理 {rotation.done}/{rotation.total} 行）")
        else:
            rotation = services.rotation_start(by=by)
            self.stdout.write(f"新数据密钥 v{rotation.to_version}（编号 {rotation.to_key_id}）已启用："
                              "新写入的值立即使用它。")
            self.stdout.write(f"开始重新加密 {rotation.total} 行（每批 {batch_size} 行）……")
        if grace > 0:
            self.stdout.write(f"全部处理完后，从新密钥启用起等满 {grace:g} 秒，让每个进程都换用新密钥，再做最后检查。")

        def progress(r: KeyRotation) -> None:
            self.stdout.write(f"  {selectors.rotation_percent(r)}%（{r.done}/{r.total} 行）")

        outcome = services.rotation_run(rotation, batch_size=batch_size, grace=grace, on_batch=progress)
        if outcome.lost:
            self.stdout.write(f"有 {outcome.lost} 行在读取与写回之间被修改，保留了修改后的值。")
        self.stdout.write(outcome.message)
        if outcome.finished and 1 in outcome.rotation.retired:
            self.stdout.write("注意：v1 的原始密钥仍在 XIANGZHI_DATA_KEY 或 var/data.key 中，乡治已不再使用它。"
                              "轮换前做的备份仍要用 v1 恢复：确认 v1 的恢复单在保险柜中后，再删除它。")
        if outcome.finished:
            self.stdout.write("请导出新密钥的恢复单：xiangzhi keys sheet")

    # sheet --------------------------------------------------------------------------------------

    def _sheet(self, *, out: str | None, by: str, **options: Any) -> None:
        by = by or getpass.getuser()
        current = keys.ring(fresh=True).current
        path = Path(out) if out else Path.cwd() / f"密钥恢复单-v{current.version}.html"
        sheet = services.sheet_export(out=path, by=by)
        self.stdout.write(f"已导出数据密钥 v{sheet.version}（编号 {sheet.key_id}）的恢复单：{path}")
        self.stdout.write("用浏览器打开并打印（A4 一页），打印后立即删除这个文件。每个版本只能导出这一次。")

    # recover ------------------------------------------------------------------------------------

    def _recover(self, *, kind: str, version: int | None, file: str | None, id: str, **options: Any) -> None:
        if kind == "data" and not version:
            raise CommandError("恢复数据密钥要用 --version 给出版本号（恢复单上的 vN）")
        if file:
            text = Path(file).read_text(encoding="utf-8")
        else:
            if sys.stdin.isatty():
                self.stdout.write(f"请输入恢复单上的 {keysheet.WORDS} 个词（可有空格或编号），"
                                  "或扫码得到的文字，回车结束：")
            text = sys.stdin.readline()
        recovered = services.key_recover(kind=kind, text=text, version=version, expect_id=id)
        where = "已写入密钥目录" if recovered.written else "密钥目录中已有同一把密钥，未改动"
        self.stdout.write(f"{recovered.label}（编号 {recovered.key_id}）校验通过，{where}：{keys.key_dir()}")
