"""What the running platform records about itself: the worker's heartbeat, each periodic task's last run,
errors, and the daily size of the database and the uploads."""

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from xiangzhi.system import sizes
from xiangzhi.system.models import ErrorRecord, PeriodicRun, SizeSample, WorkerHeartbeat

ERROR_KEEP_DAYS = 30
ERRORS_PER_MINUTE = 60  # an error storm writes this many records a minute; the log files keep every line


def worker_beat(name: str = "huey") -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


@contextmanager
def periodic_run(name: str) -> Iterator[None]:
    """Record a periodic task's run around its work: started, finished, seconds, and the error if it failed
    (the error is raised on: huey logs it and the task's own retry rules apply)."""
    started = timezone.now()
    clock = time.perf_counter()
    PeriodicRun.objects.update_or_create(name=name, defaults={"started_at": started, "finished_at": None})
    try:
        yield
    except Exception as exc:
        _periodic_finish(name, clock, error=f"{exc.__class__.__name__}: {exc}"[:500])
        raise
    _periodic_finish(name, clock, error="")


def _periodic_finish(name: str, clock: float, *, error: str) -> None:
    now = timezone.now()
    changes = {"finished_at": now, "seconds": round(time.perf_counter() - clock, 3), "ok": not error,
               "error": error, "runs": F("runs") + 1}
    if error:
        changes["failures"] = F("failures") + 1
    else:
        changes["last_ok_at"] = now
    PeriodicRun.objects.filter(name=name).update(**changes)


def error_record(*, logger: str, message: str, context: str = "", at: dt.datetime | None = None) -> bool:
    """Keep an error for the status page; ``False`` when it was not kept (a transaction already failing, past
    the minute's limit, or the database itself failing: the log line is the record then). Written in a
    savepoint, so a failed write leaves the surrounding work as it was."""
    if connection.in_atomic_block and connection.needs_rollback:
        return False
    at = at or timezone.now()
    try:
        with transaction.atomic():
            if ErrorRecord.objects.filter(at__gte=at - dt.timedelta(minutes=1)).count() >= ERRORS_PER_MINUTE:
                return False
            ErrorRecord.objects.create(at=at, logger=logger[:100], message=message[:300], context=context[:300])
    except Exception:  # recording an error must never raise one
        return False
    return True


def errors_prune(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = ErrorRecord.objects.filter(at__lt=now - dt.timedelta(days=ERROR_KEEP_DAYS)).delete()
    return deleted


@transaction.atomic
def size_sample(today: dt.date | None = None) -> SizeSample:
    """Measure the database and the uploads once for the day (again the same day: the later figure)."""
    today = today or timezone.localdate()
    sample, _ = SizeSample.objects.update_or_create(day=today, defaults={
        "database_bytes": sizes.database_bytes(), "media_bytes": sizes.media_bytes(), "taken_at": timezone.now()})
    return sample
