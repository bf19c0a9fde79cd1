import time

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from xiangzhi.system.models import WorkerHeartbeat

WORKER_STALE_SECONDS = 150


@never_cache
def healthz(request):
    """Database and background-worker status; 503 when the database is down."""
    started = time.perf_counter()
    body: dict = {"status": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        body["database"] = {"status": "ok", "vendor": connection.vendor,
                            "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # the point of a health check is to report any failure
        body["status"] = "error"
        body["database"] = {"status": "error", "error": exc.__class__.__name__}
        return JsonResponse(body, status=503)

    beat = WorkerHeartbeat.objects.filter(name="huey").values_list("beat_at", flat=True).first()
    worker: dict = {"status": "ok" if beat else "unknown", "last_beat": beat.isoformat() if beat else None}
    if beat:
        age = (timezone.now() - beat).total_seconds()
        worker["age_seconds"] = round(age)
        if age > WORKER_STALE_SECONDS:
            worker["status"] = "stale"
    try:
        from huey.contrib.djhuey import HUEY

        worker["pending_tasks"] = HUEY.pending_count()
    except Exception as exc:
        worker["queue_error"] = exc.__class__.__name__
    body["worker"] = worker
    if worker["status"] != "ok":
        body["status"] = "degraded"
    return JsonResponse(body)
