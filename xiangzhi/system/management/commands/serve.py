"""Web and background worker in one command: gunicorn serves the site, huey's consumer runs the
deadlines, sweeps and imports. Either one stopping stops both."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

# gunicorn's access line with the request's path but not its query string (``%(U)s`` rather than
# ``%(r)s``): an Open311 client's api_key may travel there.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def web_command(bind: str, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "xiangzhi.wsgi:application",
        "--bind", bind, "--workers", str(workers), "--threads", str(threads),
        "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT,
        "--graceful-timeout", "10", "--timeout", "120",
    ]


class Command(BaseCommand):
    help = "启动网站和后台任务（web + worker）"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
        parser.add_argument("--no-worker", action="store_true", help="只启动网站，不启动后台任务")

    def handle(self, *args, bind, web_workers, threads, no_worker, **options):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")}
        web = web_command(bind, web_workers, threads)
        worker = [sys.executable, "-m", "xiangzhi", "run_huey", "--flush-locks"]
        procs = {"web": subprocess.Popen(web, env=env)}
        if not no_worker:
            procs["worker"] = subprocess.Popen(worker, env=env)
        self.stdout.write(f"乡治已启动：http://{bind}/   （Ctrl+C 停止）")

        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        code = 0
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} 已退出（{proc.returncode}），正在停止其余进程")
                        code = proc.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if code:
            sys.exit(code)
