"""``/metrics``: the status page's figures in Prometheus' text format, for counties that run monitoring.

Counts and times only, never a person. Built per request from ``selectors.status_now`` through
``prometheus_client``'s collector interface, so the text follows the exposition format exactly.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from xiangzhi.system.selectors import Status


class StatusCollector(Collector):
    def __init__(self, status: Status):
        self.status = status

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        s = self.status
        yield GaugeMetricFamily("xiangzhi_up", "1 while the site answers and reaches its database", value=1)
        yield GaugeMetricFamily("xiangzhi_database_bytes", "Size of the database on disk",
                                value=s.growth.database_bytes)
        yield GaugeMetricFamily("xiangzhi_media_bytes", "Size of the uploaded files", value=s.growth.media_bytes)
        if s.queue.pending is not None:
            yield GaugeMetricFamily("xiangzhi_queue_pending", "Background tasks waiting in the queue",
                                    value=s.queue.pending)
        if s.queue.worker_age_seconds is not None:
            yield GaugeMetricFamily("xiangzhi_worker_heartbeat_age_seconds",
                                    "Seconds since the background worker's last heartbeat",
                                    value=s.queue.worker_age_seconds)
        started = GaugeMetricFamily("xiangzhi_periodic_last_start_timestamp_seconds",
                                    "When each periodic task last started", labels=["task"])
        succeeded = GaugeMetricFamily("xiangzhi_periodic_last_success_timestamp_seconds",
                                      "When each periodic task last finished without error", labels=["task"])
        took = GaugeMetricFamily("xiangzhi_periodic_last_duration_seconds",
                                 "How long each periodic task's last run took", labels=["task"])
        failures = CounterMetricFamily("xiangzhi_periodic_failures", "Failed runs of each periodic task",
                                       labels=["task"])
        late = GaugeMetricFamily("xiangzhi_periodic_late", "1 when a periodic task failed or is overdue",
                                 labels=["task"])
        for line in s.tasks:
            name = line.periodic.name
            late.add_metric([name], 0 if line.state == "ok" else 1)
            if line.run is None:
                continue
            started.add_metric([name], line.run.started_at.timestamp())
            if line.run.last_ok_at:
                succeeded.add_metric([name], line.run.last_ok_at.timestamp())
            if line.run.seconds is not None:
                took.add_metric([name], line.run.seconds)
            failures.add_metric([name], line.run.failures)
        yield from (started, succeeded, took, failures, late)
        yield GaugeMetricFamily("xiangzhi_errors_last_day", "Errors logged in the last 24 hours", value=s.errors_day)
        free = GaugeMetricFamily("xiangzhi_disk_free_bytes", "Free bytes on each disk the platform writes",
                                 labels=["path"])
        total = GaugeMetricFamily("xiangzhi_disk_total_bytes", "Size of each disk the platform writes",
                                  labels=["path"])
        for disk in s.disks:
            free.add_metric([disk.path], disk.free)
            total.add_metric([disk.path], disk.total)
        yield from (free, total)
        backup = s.backup
        yield GaugeMetricFamily("xiangzhi_backup_alert", "1 when the last backup failed or none succeeded in 26 hours",
                                value=1 if backup.alert else 0)
        if backup.last_ok is not None and backup.last_ok.finished_at is not None:
            yield GaugeMetricFamily("xiangzhi_backup_last_success_timestamp_seconds",
                                    "When the last good backup finished", value=backup.last_ok.finished_at.timestamp())
            yield GaugeMetricFamily("xiangzhi_backup_last_bytes", "Size of the last good backup archive",
                                    value=backup.last_ok.size_bytes or 0)
        yield GaugeMetricFamily("xiangzhi_backup_kept_bytes", "Bytes of the backup archives kept",
                                value=backup.size_bytes)
        rotation = s.keys.rotation
        yield GaugeMetricFamily("xiangzhi_key_rotation_ratio", "Share of protected values under the new data key "
                                "while a rotation runs (1 when none runs)",
                                value=1.0 if rotation is None else rotation.percent / 100)
        yield GaugeMetricFamily("xiangzhi_key_sheet_exported", "1 when the current data key's recovery sheet was "
                                "exported", value=1 if s.keys.sheet_exported else 0)


def metrics_text(status: Status) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatusCollector(status))
    return generate_latest(registry)
