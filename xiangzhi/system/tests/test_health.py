import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.system.models import WorkerHeartbeat
from xiangzhi.system.services import worker_beat


@pytest.mark.django_db
def test_health_reports_database_and_an_unknown_worker(client):
    body = client.get("/healthz").json()
    assert body["database"]["status"] == "ok"
    assert body["worker"]["status"] == "unknown"
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_health_is_ok_after_a_fresh_heartbeat_and_stale_after_silence(client):
    worker_beat()
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["worker"]["status"] == "ok"
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - dt.timedelta(minutes=10))
    assert client.get("/healthz").json()["worker"]["status"] == "stale"


@pytest.mark.django_db
def test_the_periodic_heartbeat_task_writes_the_beat(settings):
    from xiangzhi.system.tasks import heartbeat

    heartbeat.call_local()
    assert WorkerHeartbeat.objects.filter(name="huey").exists()
