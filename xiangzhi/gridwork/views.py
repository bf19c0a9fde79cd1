import datetime as dt
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.display import figure_text, km_text
from xiangzhi.core.inputs import require
from xiangzhi.gridwork import selectors, services
from xiangzhi.gridwork.forms import VisitForm
from xiangzhi.gridwork.rules import can_patrol, can_supervise, can_visit
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.regions.selectors import grid_get_for_user

UPCOMING_DAYS = 7  # the worker's lists also show who falls due within the coming week
CASES_SHOWN = 10  # the day page lists the most urgent cases; the inbox has them all


def _split_due(rows):
    return {
        "overdue": [r for r in rows if r.days_overdue > 0],
        "due_today": [r for r in rows if r.days_overdue == 0],
        "upcoming": [r for r in rows if r.days_overdue < 0],
    }


@login_required
def day(request):
    """网格员的一天: the cases waiting on them, the patrol button, due visits, today's log."""
    user = request.user
    require(can_patrol(user))
    now = timezone.now()
    today = timezone.localdate(now)
    since = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    todays = list(selectors.patrol_list_for_user(user, worker=user).filter(started_at__gte=since))
    due = selectors.visits_due_for_user(user, within_days=UPCOMING_DAYS)
    log = selectors.daily_log_get_for_user(user, today)
    return render(request, "gridwork/day.html", {
        "today": today,
        "now": now,
        "cases": selectors.worker_cases(user, now=now, limit=CASES_SHOWN),
        "open_patrol": selectors.patrol_open_for_user(user),
        "grids": list(selectors.grid_list_for_worker(user)),
        "todays_patrols": todays,
        "todays_distance_km": round(sum(p.distance_m for p in todays) / 1000, 2),
        "due": _split_due(due),
        "due_shown": [r for r in due if r.days_overdue >= 0][:10],
        "log": log,
        "log_text": log.text if log else "",
    })


@login_required
@require_POST
def patrol_start(request):
    user = request.user
    require(can_patrol(user))
    current = selectors.patrol_open_for_user(user)
    if current is not None:
        messages.info(request, "您有一次巡查尚未结束，已为您打开。")
        return redirect("gridwork:patrol", patrol_id=current.pk)
    code = request.POST.get("grid")
    grid = grid_get_for_user(user, code) if code else selectors.grid_list_for_worker(user).first()
    if grid is None:
        messages.error(request, "您还没有分配网格，无法开始巡查。")
        return redirect("gridwork:day")
    try:
        patrol = services.patrol_start(worker=user, grid=grid)
    except services.GridworkError as exc:
        messages.error(request, str(exc))
        return redirect("gridwork:day")
    return redirect("gridwork:patrol", patrol_id=patrol.pk)


@login_required
def patrol_detail(request, patrol_id: int):
    """The patrol's track; on the worker's own open patrol, the recorder and the sheets that report,
    visit and write the log without leaving the page (the recorder goes on underneath)."""
    patrol = selectors.patrol_get_for_user(request.user, patrol_id)
    recording = patrol.is_open and patrol.worker_id == request.user.pk
    log = selectors.daily_log_get_for_user(request.user, timezone.localdate()) if recording else None
    return render(request, "gridwork/patrol.html", {
        "patrol": patrol,
        "recording": recording,
        "track": selectors.patrol_track(patrol),
        "boundary": patrol.grid.boundary,
        "points_url": f"/api/v1/work/patrols/{patrol.pk}/points",
        "max_accuracy_m": services.MAX_ACCURACY_FOR_DISTANCE_M,
        "activity": selectors.patrol_activity_for_user(request.user, patrol),
        "log": log,
        "log_text": log.text if log else "",
    })


@login_required
def patrol_activity(request, patrol_id: int):
    """The reports and visits made during the patrol: the list the patrol page refreshes after a sheet."""
    patrol = selectors.patrol_get_for_user(request.user, patrol_id)
    return render(request, "gridwork/_patrol_activity.html", {
        "patrol": patrol, "activity": selectors.patrol_activity_for_user(request.user, patrol),
    })


@login_required
def patrol_due(request, patrol_id: int):
    """Whom to visit, picked in the patrol's sheet: key people due (or due within the week) in the
    patrol's grid."""
    require(can_visit(request.user))
    patrol = selectors.patrol_get_own(request.user, patrol_id)
    due = selectors.visits_due_for_user(request.user, within_days=UPCOMING_DAYS, grid=patrol.grid)
    return render(request, "gridwork/_patrol_due.html", {"patrol": patrol, "due": due})


@login_required
@require_POST
def patrol_stop(request, patrol_id: int):
    require(can_patrol(request.user))
    patrol = selectors.patrol_get_own(request.user, patrol_id)
    try:
        services.patrol_stop(patrol=patrol, actor=request.user)
    except services.GridworkError as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"巡查已结束：{km_text(patrol.distance_m / 1000)} 公里，"
                                  f"{figure_text(patrol.point_count)} 个定位点。")
    return redirect("gridwork:patrol", patrol_id=patrol.pk)


@login_required
def patrol_list(request):
    user = request.user
    require(can_patrol(user) or can_supervise(user))
    qs = selectors.patrol_list_for_user(user)
    worker = request.GET.get("worker", "").strip()
    if worker:
        qs = qs.filter(worker__username=worker)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "gridwork/patrol_list.html", {"patrols": page, "worker": worker})


@login_required
@require_POST
def daily_log_save(request):
    require(can_patrol(request.user))
    text = request.POST.get("text", "")
    error = None
    try:
        log = services.daily_log_save(worker=request.user, date=timezone.localdate(), text=text)
    except services.GridworkError as exc:
        error, log = str(exc), None
    if request.htmx:
        return render(request, "gridwork/_daily_log.html", {
            "log": log, "log_text": log.text if log else text, "error": error, "saved": log is not None,
        })
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "今天的工作日志已保存。")
    return redirect("gridwork:day")


@login_required
def visit_due_list(request):
    user = request.user
    require(can_visit(user))
    grid = grid_get_for_user(user, code) if (code := request.GET.get("grid")) else None
    due = selectors.visits_due_for_user(user, within_days=UPCOMING_DAYS, grid=grid)
    recent = selectors.visit_list_for_user(user).filter(visitor=user)[:10]
    return render(request, "gridwork/visits.html", {
        "due": _split_due(due), "recent": recent, "grid": grid, "upcoming_days": UPCOMING_DAYS,
    })


def _visit_photos(files) -> list:
    """The visit's photos: count and every size checked before any picture is decoded."""
    uploads = files.getlist("photos")
    limit = settings.CASE_PHOTO_MAX_BYTES
    if len(uploads) > services.VISIT_PHOTO_MAX_COUNT:
        raise services.GridworkError(f"最多上传 {services.VISIT_PHOTO_MAX_COUNT} 张照片",
                                     fields=[{"field": "photos", "message": "照片太多"}])
    for i, upload in enumerate(uploads, start=1):
        if upload.size > limit:
            raise services.GridworkError(f"第 {i} 张照片过大（上限 {limit // 1024 // 1024} MB）",
                                         fields=[{"field": "photos", "message": "照片过大"}])
    out = []
    for i, upload in enumerate(uploads, start=1):
        try:
            out.append(process(upload.read(), max_bytes=limit))
        except PhotoError as exc:
            raise services.GridworkError(f"第 {i} 张照片：{exc}",
                                         fields=[{"field": "photos", "message": str(exc)}]) from None
    return out


@login_required
def visit_new(request, key_person_id: int):
    user = request.user
    require(can_visit(user))
    key_person = selectors.key_person_get_for_user(user, key_person_id)
    form = VisitForm(request.POST or None)
    photo_error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                key_person=key_person, visitor=user, visited_at=data["visited_at"], notes=data["notes"],
                outcome=data["outcome"], lon=data["lon"], lat=data["lat"], place=data["place"],
                photos=_visit_photos(request.FILES), submission_key=request.POST.get("submission_id") or None,
            )
        except services.GridworkError as exc:
            for f in exc.fields or [{"field": None, "message": exc.message}]:
                if f["field"] == "photos":
                    photo_error = exc.message
                else:
                    form.add_error(f["field"] if f["field"] in form.fields else None, f["message"])
        else:
            messages.success(request, f"已登记对{key_person.resident.name}的走访。")
            if getattr(request, "embedded", False):
                return redirect("gridwork:visit_done", visit_id=visit.pk)
            return redirect("gridwork:visits")
    return render(request, "gridwork/visit_new.html", {
        "key_person": key_person, "form": form, "history": selectors.visit_history(key_person),
        "photo_error": photo_error, "max_photos": services.VISIT_PHOTO_MAX_COUNT,
        "submission_id": request.POST.get("submission_id") or uuid.uuid4().hex,
    })


@login_required
def visit_done(request, visit_id: int):
    """The page a visit form in the patrol's sheet lands on: the patrol page reads who was visited."""
    require(can_visit(request.user))
    visit = selectors.visit_get_for_user(request.user, visit_id)
    return render(request, "gridwork/visit_done.html", {"visit": visit})


@login_required
def visit_photo(request, photo_id: int, thumb: bool = False):
    """Visit photos show key people at home: served only to those whose scope holds the person."""
    require(can_visit(request.user))
    row = selectors.visit_photo_get_for_user(request.user, photo_id)
    return FileResponse((row.thumbnail if thumb else row.image).open("rb"), content_type="image/jpeg")


def _date_param(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
def supervise(request):
    user = request.user
    require(can_supervise(user))
    today = timezone.localdate()
    end = _date_param(request.GET.get("end"), today)
    start = _date_param(request.GET.get("start"), end.replace(day=1))
    if start > end:
        start, end = end, start
    start = max(start, end - dt.timedelta(days=365))
    summaries = selectors.worker_summaries(user, start, end)
    visits = sum(s.visits for s in summaries)
    on_time = sum(s.visits_on_time for s in summaries)
    by_grid = selectors.grid_overdue_list_for_user(user)
    return render(request, "gridwork/supervise.html", {
        "start": start, "end": end,
        "workers": Paginator(summaries, 50).get_page(request.GET.get("page")),
        "totals": {
            "workers": len(summaries),
            "patrols": sum(s.patrols for s in summaries),
            "distance_km": round(sum(s.distance_m for s in summaries) / 1000, 1),
            "hours": round(sum(s.patrol_seconds for s in summaries) / 3600, 1),
            "visits": visits,
            "on_time_rate": round(100 * on_time / visits, 1) if visits else None,
            "overdue": sum(g.overdue for g in by_grid),
        },
        "by_grid": by_grid,
        "recent_patrols": selectors.patrol_list_for_user(user).filter(ended_at__isnull=False)[:15],
        "query": f"start={start.isoformat()}&end={end.isoformat()}",
        "patrols_url": reverse("gridwork:patrols"),
    })

