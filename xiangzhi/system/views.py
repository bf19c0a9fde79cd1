import hmac
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from xiangzhi.backups.selectors import backup_status
from xiangzhi.system.metrics import metrics_text
from xiangzhi.system.models import WorkerHeartbeat
from xiangzhi.system.rules import can_see_status
from xiangzhi.system.selectors import status_now

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
    backup = backup_status()  # a failed backup, or none good for 26 hours while backups are on
    body["backup"] = backup.as_json()
    if backup.alert:
        body["status"] = "degraded"
    return JsonResponse(body)


@login_required
def status(request):
    """运行状态: the installation as the county's IT person needs to see it, on one page."""
    if not can_see_status(request.user):
        raise PermissionDenied
    return render(request, "system/status.html", {"status": status_now()})


@never_cache
def metrics(request):
    """Prometheus text. A county's monitoring sends ``Authorization: Bearer <METRICS_TOKEN>``; a signed-in
    county admin may read it too. Without a token configured, only the admin."""
    token = getattr(settings, "METRICS_TOKEN", "")
    sent = request.headers.get("Authorization", "")
    allowed = bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if not allowed and not can_see_status(request.user):
        signed_in = request.user.is_authenticated
        return HttpResponse("只有县级管理员可以查看\n" if signed_in else "需要监控令牌（METRICS_TOKEN）\n",
                            status=403 if signed_in else 401, content_type="text/plain; charset=utf-8",
                            headers={} if signed_in else {"WWW-Authenticate": "Bearer"})
    return HttpResponse(metrics_text(status_now()), content_type=CONTENT_TYPE_LATEST)
