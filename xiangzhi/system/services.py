from django.utils import timezone

from xiangzhi.system.models import WorkerHeartbeat


def worker_beat(name: str = "huey") -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
