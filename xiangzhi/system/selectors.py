"""What the county admin's status page and ``/metrics`` show: the running platform as a whole."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

from xiangzhi.backups.selectors import BackupStatus, backup_status
from xiangzhi.core.display import moment_text
from xiangzhi.keyring.selectors import KeysStatus, keys_status
from xiangzhi.system import sizes
from xiangzhi.system.models import ErrorRecord, PeriodicRun, SizeSample, WorkerHeartbeat
from xiangzhi.system.schedule import PERIODIC, Periodic

WORKER_STALE_SECONDS = 150
DISK_LOW_SHARE = 0.10  # less than a tenth of a disk free is a warning
LATE_FACTOR = 2  # a task is late when its last start is older than twice its period (plus a minute)


@dataclass(frozen=True)
class Check:
    """One line of the page's summary: ``state`` is ok, warn or bad."""

    label: str
    state: str
    text: str


@dataclass(frozen=True)
class TaskLine:
    periodic: Periodic
    run: PeriodicRun | None
    late: bool

    @property
    def state(self) -> str:
        if self.run is None:
            return "warn"
        if not self.run.ok or self.late:
            return "bad"
        return "ok"


@dataclass
class Queue:
    pending: int | None
    by_task: list[tuple[str, int]]
    worker_beat_at: dt.datetime | None
    worker_age_seconds: float | None
    error: str = ""

    @property
    def worker_state(self) -> str:
        if self.worker_age_seconds is None:
            return "unknown"
        return "stale" if self.worker_age_seconds > WORKER_STALE_SECONDS else "ok"


@dataclass
class Growth:
    database_bytes: int
    media_bytes: int
    database_per_day: float | None  # bytes a day over the samples of the last 30 days
    media_per_day: float | None
    samples: list[SizeSample]


@dataclass
class Status:
    checked_at: dt.datetime
    vendor: str
    growth: Growth
    queue: Queue
    tasks: list[TaskLine]
    disks: list[sizes.Disk]
    errors_day: int
    errors_latest: list[ErrorRecord]
    backup: BackupStatus
    keys: KeysStatus
    log_dir: str = ""
    log_keep_days: int = 0
    checks: list[Check] = field(default_factory=list)

    @property
    def state(self) -> str:
        states = {c.state for c in self.checks}
        return "bad" if "bad" in states else "warn" if "warn" in states else "ok"


def queue_now() -> Queue:
    beat = WorkerHeartbeat.objects.filter(name="huey").values_list("beat_at", flat=True).first()
    age = (timezone.now() - beat).total_seconds() if beat else None
    try:
        from huey.contrib.djhuey import HUEY

        tasks = HUEY.pending(limit=1000)
        counts: dict[str, int] = {}
        for task in tasks:
            counts[task.name] = counts.get(task.name, 0) + 1
        pending = HUEY.pending_count()
        return Queue(pending, sorted(counts.items(), key=lambda kv: -kv[1])[:10], beat, age)
    except Exception as exc:  # the queue's store being down is what the page is for
        return Queue(None, [], beat, age, error=exc.__class__.__name__)


def tasks_now(now: dt.datetime) -> list[TaskLine]:
    runs = {r.name: r for r in PeriodicRun.objects.all()}
    lines = []
    for periodic in PERIODIC:
        run = runs.get(periodic.name)
        late = run is not None and (now - run.started_at).total_seconds() > LATE_FACTOR * periodic.every_seconds + 60
        lines.append(TaskLine(periodic, run, late))
    return lines


def growth_now(today: dt.date) -> Growth:
    samples = list(SizeSample.objects.filter(day__gte=today - dt.timedelta(days=30)).order_by("day"))
    database = sizes.database_bytes()
    # Walking every upload is slow at county scale: the day's sample says it (taken at 01:50), else walk now.
    media = samples[-1].media_bytes if samples and samples[-1].day >= today - dt.timedelta(days=1) \
        else sizes.media_bytes()
    per_day_db = per_day_media = None
    if samples and (today - samples[0].day).days > 0:
        days = (today - samples[0].day).days
        per_day_db = (database - samples[0].database_bytes) / days
        per_day_media = (media - samples[0].media_bytes) / days
    return Growth(database, media, per_day_db, per_day_media, samples)


def status_now() -> Status:
    now = timezone.now()
    since = now - dt.timedelta(days=1)
    status = Status(
        checked_at=now,
        vendor=connection.vendor,
        growth=growth_now(timezone.localdate(now)),
        queue=queue_now(),
        tasks=tasks_now(now),
        disks=sizes.disks(),
        errors_day=ErrorRecord.objects.filter(at__gte=since).count(),
        errors_latest=list(ErrorRecord.objects.filter(at__gte=since).order_by("-at")[:10]),
        backup=backup_status(now),
        keys=keys_status(),
        log_dir=str(getattr(settings, "LOG_DIR", "") or ""),
        log_keep_days=int(getattr(settings, "LOG_KEEP_DAYS", 0)),
    )
    status.checks = _checks(status)
    return status


def _checks(status: Status) -> list[Check]:
    checks = []
    queue = status.queue
    if queue.worker_state == "unknown":
        checks.append(Check("后台任务", "bad", "后台任务从未运行：请用 xiangzhi serve 同时启动网站和后台任务"))
    elif queue.worker_state == "stale":
        checks.append(Check("后台任务", "bad", f"后台任务已 {_ago(queue.worker_age_seconds or 0)}没有心跳"))
    else:
        waiting = "未知" if queue.pending is None else f"{queue.pending:,}"
        checks.append(Check("后台任务", "ok", f"正常，排队 {waiting} 个"))
    if queue.error:
        checks.append(Check("任务队列", "bad", f"读不到任务队列（{queue.error}）"))
    late = [t for t in status.tasks if t.state == "bad"]
    if late:
        names = "、".join(t.periodic.label for t in late[:3])
        checks.append(Check("定时任务", "bad", f"{len(late)} 项失败或逾期未运行：{names}"))
    else:
        checks.append(Check("定时任务", "ok", "都按时运行"))
    backup = status.backup
    if backup.alert:
        checks.append(Check("备份", "bad", backup.alert))
    elif backup.last_ok is not None:
        checks.append(Check("备份", "ok", f"最近一次成功：{moment_text(backup.last_ok.finished_at)}，"
                                          f"保留 {backup.count} 份"))
    else:
        checks.append(Check("备份", "warn", "还没有备份：设置 XIANGZHI_BACKUP_DIR 后每天 02:30 自动备份，"
                                            "也可运行 xiangzhi backup"))
    keys = status.keys
    if keys.rotation is not None:
        turn = keys.rotation
        checks.append(Check("密钥", "warn", f"正在更换数据密钥：{turn.percent:.0f}%（v{turn.from_version} → "
                                            f"v{turn.to_version}），完成前旧密钥保留"))
    elif not keys.sheet_exported:
        checks.append(Check("密钥", "warn", f"当前数据密钥 v{keys.current_version} 的恢复单还没有打印："
                                            "运行 xiangzhi keys sheet，打印后存入保险柜"))
    else:
        checks.append(Check("密钥", "ok", f"数据密钥 v{keys.current_version}，恢复单已于 "
                                          f"{moment_text(keys.sheet_exported_at)} 打印"))
    low = [d for d in status.disks if d.free_share < DISK_LOW_SHARE]
    if low:
        checks.append(Check("磁盘", "bad", "、".join(f"{d.label}仅剩 {d.free_share:.1%}" for d in low)))
    else:
        checks.append(Check("磁盘", "ok", "空间充足"))
    if status.errors_day:
        checks.append(Check("错误", "warn", f"最近一天 {status.errors_day} 次"))
    else:
        checks.append(Check("错误", "ok", "最近一天没有"))
    return checks


def _ago(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)} 分钟"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} 小时"
    return f"{seconds / 86400:.1f} 天"


