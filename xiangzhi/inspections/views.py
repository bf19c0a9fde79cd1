"""Pages of the monthly inspection: the inspector's phone form, the village's tasks, the township's
调度/督办 board. Thin: every change goes through ``services``, every read through ``selectors``."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.errors import Invalid
from xiangzhi.core.inputs import require
from xiangzhi.inspections import selectors, services
from xiangzhi.inspections.models import FINDING_ITEMS, TaskState
from xiangzhi.inspections.rules import (
    can_complete_tasks,
    can_inspect,
    can_see_board,
    can_see_inspections,
    can_verify_tasks,
)
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.regions.selectors import region_get_for_user


def _photos(files) -> list:
    """The upload's photos: count and every size checked before any picture is decoded."""
    uploads = files.getlist("photos")
    limit = settings.CASE_PHOTO_MAX_BYTES
    if len(uploads) > services.PHOTO_MAX_COUNT:
        raise services.InspectionError(f"最多上传 {services.PHOTO_MAX_COUNT} 张照片")
    for i, upload in enumerate(uploads, start=1):
        if upload.size > limit:
            raise services.InspectionError(f"第 {i} 张照片过大（上限 {limit // 1024 // 1024} MB）")
    out = []
    for i, upload in enumerate(uploads, start=1):
        try:
            out.append(process(upload.read(), max_bytes=limit))
        except PhotoError as exc:
            raise services.InspectionError(f"第 {i} 张照片：{exc}") from None
    return out


def _months(today: dt.date) -> list[dt.date]:
    """The months still open for inspection: this one, and last month until it closes."""
    this = today.replace(day=1)
    last = (this - dt.timedelta(days=1)).replace(day=1)
    return [this, last] if services.month_open(last, today) else [this]


@login_required
def home(request):
    """The inspector's month: every village of his scope, inspected or not (staff above read it)."""
    user = request.user
    require(can_inspect(user) or can_see_board(user))
    today = timezone.localdate()
    months = _months(today)
    month = months[0]
    if request.GET.get("month") in {m.isoformat() for m in months}:
        month = dt.date.fromisoformat(request.GET["month"])
    rows = selectors.village_months_for_user(user, month)
    return render(request, "inspections/home.html", {
        "rows": rows, "month": month, "months": months, "closes_on": services.month_closes_on(month),
        "can_inspect": can_inspect(user), "done": sum(1 for r in rows if r.inspection and r.inspection.is_finished),
    })


@login_required
@require_POST
def start(request):
    user = request.user
    require(can_inspect(user))
    village = region_get_for_user(user, request.POST.get("village", ""))
    try:
        month = dt.date.fromisoformat(request.POST.get("month", ""))
    except ValueError:
        month = None
    try:
        inspection = services.inspection_start(inspector=user, village=village, month=month)
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("inspections:home")
    return redirect("inspections:detail", inspection_id=inspection.pk)


@login_required
def detail(request, inspection_id: int):
    user = request.user
    require(can_see_inspections(user))
    inspection = selectors.inspection_get_for_user(user, inspection_id)
    findings = inspection.findings.select_related("owner").prefetch_related("photos")
    editable = can_inspect(user) and not inspection.is_finished
    return render(request, "inspections/detail.html", {
        "inspection": inspection, "findings": findings, "editable": editable, "items": FINDING_ITEMS,
        "max_photos": services.PHOTO_MAX_COUNT, "closes_on": services.month_closes_on(inspection.month),
    })


def _act(request, inspection_id: int, action) -> object:
    user = request.user
    require(can_inspect(user))
    inspection = selectors.inspection_get_for_user(user, inspection_id)
    try:
        action(user, inspection)
    except Invalid as exc:
        messages.error(request, exc.message)
    return redirect("inspections:detail", inspection_id=inspection.pk)


def _float(value: str | None) -> float:
    try:
        return float(value or "")
    except ValueError:
        raise services.InspectionError("没有取得定位，请再试一次") from None


@login_required
@require_POST
def fix(request, inspection_id: int):
    def act(user, inspection):
        services.inspection_fix(inspector=user, inspection=inspection, lon=_float(request.POST.get("lon")),
                                lat=_float(request.POST.get("lat")))
        messages.success(request, "已在村里定位。")
    return _act(request, inspection_id, act)


@login_required
@require_POST
def finding_add(request, inspection_id: int):
    def act(user, inspection):
        services.finding_add(inspector=user, inspection=inspection, item_code=request.POST.get("item_code", ""),
                             text_=request.POST.get("text", ""), photos=_photos(request.FILES))
        messages.success(request, "已记录发现的问题。")
    return _act(request, inspection_id, act)


@login_required
@require_POST
def finish(request, inspection_id: int):
    def act(user, inspection):
        services.inspection_finish(inspector=user, inspection=inspection, note=request.POST.get("note", ""))
        messages.success(request, "排查已完成，发现的问题已交办给村里。")
    return _act(request, inspection_id, act)


@login_required
def tasks(request):
    """The tasks of the villages in scope: the cadre's to-do, the inspector's to-verify."""
    user = request.user
    require(can_see_inspections(user))
    state = request.GET.get("state")
    if state not in TaskState.values or state == TaskState.DRAFT:
        state = TaskState.DONE if can_verify_tasks(user) else TaskState.OPEN
    rows = selectors.task_list_for_user(user, state=state)[:200]
    return render(request, "inspections/tasks.html", {
        "rows": rows, "state": state, "state_label": TaskState(state).label,
        "states": [s for s in TaskState if s != TaskState.DRAFT],
        "today": timezone.localdate(),
    })


@login_required
def task(request, finding_id: int):
    user = request.user
    require(can_see_inspections(user))
    finding = selectors.task_get_for_user(user, finding_id)
    return render(request, "inspections/task.html", {
        "finding": finding, "events": finding.events.select_related("actor"), "photos": finding.photos.all(),
        "can_complete": can_complete_tasks(user) and finding.state == TaskState.OPEN,
        "can_verify": can_verify_tasks(user) and finding.state == TaskState.DONE,
        "max_photos": services.PHOTO_MAX_COUNT, "today": timezone.localdate(),
    })


@login_required
@require_POST
def task_complete(request, finding_id: int):
    user = request.user
    require(can_complete_tasks(user))
    finding = selectors.task_get_for_user(user, finding_id)
    try:
        services.task_complete(actor=user, finding=finding, note=request.POST.get("note", ""),
                               photos=_photos(request.FILES))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已报告整改完成，等待核验。")
    return redirect("inspections:task", finding_id=finding.pk)


@login_required
@require_POST
def task_verify(request, finding_id: int):
    user = request.user
    require(can_verify_tasks(user))
    finding = selectors.task_get_for_user(user, finding_id)
    accept = request.POST.get("accept") == "1"
    try:
        services.task_verify(actor=user, finding=finding, accept=accept, note=request.POST.get("note", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已销号。" if accept else "已退回村里重新整改。")
    return redirect("inspections:task", finding_id=finding.pk)


@login_required
def board(request):
    """调度/督办: villages with unfinished tasks, most overdue first, and the overdue tasks."""
    user = request.user
    require(can_see_board(user))
    return render(request, "inspections/board.html", {
        "rows": selectors.board_for_user(user),
        "overdue": selectors.task_list_for_user(user, overdue=True)[:100],
        "today": timezone.localdate(),
    })


@login_required
def photo(request, photo_id: int, thumb: bool = False):
    require(can_see_inspections(request.user))
    row = selectors.finding_photo_get_for_user(request.user, photo_id)
    return FileResponse((row.thumbnail if thumb else row.image).open("rb"), content_type="image/jpeg")
