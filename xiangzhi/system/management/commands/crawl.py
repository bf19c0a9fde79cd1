"""``xiangzhi crawl``: walk the site as each role would, against this database, and report.

For a check after an upgrade or on a freshly built demo: one account per role (or the named ones)
opens every link reachable from its home page, GET only, a few URLs of each shape, in process
(no server needed). Exit status 1 when a page answers a server error, a menu entry does not
answer 200, or a page takes longer than ``--slow`` seconds.
"""

from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from xiangzhi.accounts.models import Role, User
from xiangzhi.system.crawl import crawl


class Command(BaseCommand):
    help = "以每个角色的账号遍历网站的全部链接，检查服务器错误、菜单和响应时间"

    def add_arguments(self, parser):
        parser.add_argument("--user", action="append", default=[], help="用户名（可多次）；默认每个角色取第一个账号")
        parser.add_argument("--per-shape", type=int, default=2, help="每种网址形态最多打开几个")
        parser.add_argument("--per-path", type=int, default=6, help="同一路径（不论查询参数）最多打开几个")
        parser.add_argument("--slow", type=float, default=1.0, help="超过多少秒算慢")
        parser.add_argument("--max-pages", type=int, default=600, help="每个账号最多打开多少页")

    def handle(self, *args, user, per_shape, per_path, slow, max_pages, **options):
        if user:
            accounts = list(User.objects.filter(username__in=user, is_active=True))
            missing = set(user) - {a.username for a in accounts}
            if missing:
                raise CommandError(f"找不到账号：{'、'.join(sorted(missing))}")
        else:
            accounts = [a for role in Role if (a := User.objects.filter(role=role, is_active=True)
                                                .order_by("id").first())]
        host = "127.0.0.1"
        failed = False
        total_pages, shapes = 0, set()
        for account in accounts:
            client = Client(raise_request_exception=False, HTTP_HOST=host)
            client.force_login(account)
            report = crawl(client, label=account.role, per_shape=per_shape, per_path=per_path, max_pages=max_pages,
                           host=host)
            client.logout()
            errors, slow_pages, menu = report.server_errors(), report.slow(slow), report.menu_failures()
            total_pages += len(report.pages)
            shapes |= report.shapes
            worst = max((p.seconds for p in report.pages), default=0.0)
            self.stdout.write(
                f"{account.get_role_display():<10} {account.username:<24} 页面 {len(report.pages):>4}  "
                f"形态 {len(report.shapes):>3}  最慢 {worst:.2f} 秒  服务器错误 {len(errors)}  "
                f"菜单失败 {len(menu)}  慢 {len(slow_pages)}"
            )
            for p in errors:
                self.stdout.write(self.style.ERROR(f"  {p.status} {p.url}（来自 {p.found_on or '首页'}）"))
            for p in menu:
                self.stdout.write(self.style.ERROR(f"  菜单 {p.url} 返回 {p.status}"))
            for p in slow_pages:
                self.stdout.write(self.style.WARNING(f"  慢 {p.seconds:.2f} 秒 {p.url}"))
            for p in report.downloads():
                self.stdout.write(f"  下载 {p.seconds:.2f} 秒 {p.url}（{p.status}）")
            failed = failed or bool(errors or menu or slow_pages)
        self.stdout.write(f"共 {len(accounts)} 个账号，打开 {total_pages:,} 页，{len(shapes)} 种网址形态")
        if failed:
            raise SystemExit(1)
