import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from xiangzhi.cases import actions, progress, selectors, services
from xiangzhi.cases.errors import CaseError, TransitionError
from xiangzhi.cases.models import Evaluation, HandlingLevel, Photo, Status
from xiangzhi.cases.routing import category_get_active, category_list_active
from xiangzhi.cases.rules import ACTION_NAMES
from xiangzhi.cases.suggestions import SUGGEST_CHARS, case_route_text, category_suggest, report_text, sure_of
from xiangzhi.core.errors import Conflict, NotFound
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people import selectors as people_selectors
from xiangzhi.regions.models import Department
from xiangzhi.regions.selectors import ancestor_paths


@login_required
def case_list(request):
    status = request.GET.get("status") or None
    search = request.GET.get("q", "").strip()
    if progress.sees_residents_words(request.user):
        # A villager filters by his own words (已受理, 处理中 …), each standing for several states.
        cases = progress.resident_filter(selectors.case_list_for_user(request.user, search=search), status)
    else:
        cases = selectors.case_list_for_user(request.user, status=status, search=search)
    page = Paginator(cases, 30)
    return render(request, "cases/list.html", {
        "cases": page.get_page(request.GET.get("page")), "statuses": progress.status_choices_for(request.user),
        "status": status, "q": request.GET.get("q", ""),
        "title": "我的上报" if progress.sees_residents_words(request.user) else "事件列表",
        "villager": progress.sees_residents_words(request.user),
    })


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_for_user(request.user), 30)
    return render(request, "cases/list.html", {"cases": page.get_page(request.GET.get("page")), "title": "我的待办",
                                               "inbox": True})


def _photos_from(files) -> list:
    uploads = files.getlist("photos")
    if len(uploads) > settings.CASE_PHOTO_MAX_COUNT:
        raise CaseError(f"最多上传 {settings.CASE_PHOTO_MAX_COUNT} 张照片")
    out = []
    for i, upload in enumerate(uploads, start=1):
        if upload.size > settings.CASE_PHOTO_MAX_BYTES:
            raise CaseError(f"第 {i} 张照片过大（上限 {settings.CASE_PHOTO_MAX_BYTES // 1024 // 1024} MB）")
        try:
            out.append(process(upload.read(), max_bytes=settings.CASE_PHOTO_MAX_BYTES))
        except PhotoError as exc:
            raise CaseError(f"第 {i} 张照片：{exc}") from None
    return out


def _float(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        raise CaseError("坐标格式不正确") from None


def _place_from(user, value):
    """The facility picked under the pin (「路灯 · 17号杆」), one the report map offers."""
    if not value:
        return None
    try:
        return people_selectors.place_get_for_report(user, int(value))
    except (ValueError, NotFound):
        raise CaseError("所选的部件或场所不存在或已停用，请重新选择") from None


def _start_at(query) -> dict:
    try:
        lat, lon = float(query.get("lat", "")), float(query.get("lon", ""))
    except ValueError:
        return {}
    return {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"} if -90 <= lat <= 90 and -180 <= lon <= 180 else {}


@login_required
def case_new(request):
    """随手拍 for villagers, patrol reports for workers: one form, one intake service. Three taps do:
    a photo, the place the phone found, 提交; category, title and words are optional. The form's
    ``submission_id`` is the report's idempotency key: a form sent again (a double tap, or the phone's
    offline queue replaying it) answers with the case the first one made."""
    categories = selectors.category_list()
    form = _start_at(request.GET)  # a page opening the form may say where (a running patrol's last fix)
    if request.method == "POST":
        form = request.POST
        user = request.user
        try:
            category = None
            if code := request.POST.get("category"):
                category = categories.filter(code=code).first()
                if category is None:
                    raise CaseError("该事件类别不存在或已停用，请重新选择")
            proactive = user.role in ("grid_chief", "grid_worker")
            place = _place_from(user, request.POST.get("place"))
            result = services.case_report(
                channel="worker" if proactive else "resident", category=category,
                title=request.POST.get("title", ""), description=request.POST.get("description", ""),
                lon=_float(request.POST.get("lon")), lat=_float(request.POST.get("lat")),
                address=request.POST.get("address", ""), place=place, reporter=user, is_proactive=proactive,
                photos=_photos_from(request.FILES),
                idempotency_key=request.POST.get("submission_id") or None,
                fingerprint=request.POST.get("submission_id") or None,
            )
        except CaseError as exc:
            messages.error(request, str(exc))
        else:
            done = "已上报" if result.case.status == Status.REPORTED else "已上报并由您本人受理办理"
            messages.success(request, f"{done}，编号 {result.case.number}")
            if result.duplicates:
                messages.info(request, f"附近已有 {len(result.duplicates)} 件相同类别的事件，工作人员会合并处理")
            return redirect("cases:detail", case_id=result.case.pk)
    return render(request, "cases/new.html", {"categories": categories, "form": form,
                                              "submission_id": uuid.uuid4().hex, "center": _center_for(request.user),
                                              "max_photos": settings.CASE_PHOTO_MAX_COUNT})


@login_required
@require_POST
def category_suggestions(request):
    """The report form's chips: the categories its words suggest (htmx, as the reporter types)."""
    text = " ".join(request.POST.get(name, "")[:SUGGEST_CHARS] for name in ("title", "description")).strip()
    found = category_suggest(text) if text else []
    return render(request, "cases/_suggestions.html", {
        "suggestions": found, "take": sure_of(found) is not None})


def _center_for(user) -> tuple[float, float] | None:
    """Where the location picker opens: the villager's own grid, else the user's region."""
    if user.household_id:
        grid = user.household.grid
        return (grid.center_lat, grid.center_lon) if grid.center_lat else None
    if user.region_id and user.region.center_lat:
        return (user.region.center_lat, user.region.center_lon)
    return None


@login_required
def case_detail(request, case_id: int):
    case = selectors.case_get_for_user(request.user, case_id)
    if progress.sees_residents_words(request.user):
        return _progress_page(request, case)
    history = case.transitions.select_related("actor", "department", "list_version").prefetch_related("photos")
    departments = Department.objects.filter(is_active=True, region__path__in=ancestor_paths(case.scope_path))
    available = actions.available_actions(request.user, case)
    recategorise = any(a.name == "recategorise" for a in available)
    return render(request, "cases/detail.html", {
        "case": case, "history": history, "actions": available,
        "categories": category_list_active() if recategorise else [],
        "suggestions": [s for s in category_suggest(report_text(case)) if s.code != case.category.code]
        if recategorise else [],
        "suggested_route": case_route_text(case, case.suggested_category) if case.suggested_category_id else "",
        "action_names": ACTION_NAMES, "departments": departments, "levels": HandlingLevel.choices,
        "photos": case.photos.filter(transition__action="report"),
        "duplicates": (selectors.case_duplicate_list_for_user(request.user, case)
                       if case.status == Status.REPORTED else []),
    })


def _progress_page(request, case):
    """The reporter's page: every step of his report in plain words, the result's photos, and the
    rating form when it is his turn."""
    transitions = list(case.transitions.select_related("actor__department", "actor__region", "department")
                       .defer("actor__region__boundary"))
    by_transition: dict[int | None, list[int]] = {}
    for pk, transition_id in case.photos.values_list("pk", "transition_id"):
        by_transition.setdefault(transition_id, []).append(pk)
    report_ids = {t.pk for t in transitions if t.action == "report"}
    return render(request, "cases/progress.html", {
        "case": case, "state": progress.resident_state(case),
        "steps": progress.step_list(case, transitions, viewer=request.user, photo_ids_by_transition=by_transition),
        "result_photo_ids": progress.result_photo_ids(transitions, by_transition),
        "report_photo_ids": [pk for t in report_ids for pk in by_transition.get(t, [])],
        "may_evaluate": any(a.name == "evaluate" for a in actions.available_actions(request.user, case)),
        "evaluations": Evaluation.choices,
    })


def _id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BadRequest("编号格式不正确") from None


@login_required
@require_POST
def case_act(request, case_id: int, action: str):
    case = selectors.case_get_for_user(request.user, case_id)
    if action not in actions.ACTIONS:
        raise Http404
    department = None
    if code := request.POST.get("department"):
        department = Department.objects.filter(code=code, is_active=True).first()
    into = None
    if into_id := request.POST.get("into"):
        into = selectors.case_get_for_user(request.user, _id(into_id))
    category = category_get_active(code) if (code := request.POST.get("category")) else None
    try:
        actions.perform(action, case=case, actor=request.user, note=request.POST.get("note", ""),
                        level=request.POST.get("level") or None, department=department,
                        assignee_id=_id(request.POST["assignee"]) if request.POST.get("assignee") else None,
                        evaluation=request.POST.get("evaluation", ""), into=into, photos=_photos_from(request.FILES),
                        category=category)
    except (CaseError, TransitionError, Conflict) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已{actions.ACTIONS[action].label}")
    return redirect("cases:detail", case_id=case.pk)


@login_required
def photo(request, photo_id: int, thumb: bool = False):
    """Photos are personal data: served only to those who may see the case."""
    row = get_object_or_404(Photo.objects.select_related("case"), pk=photo_id)
    selectors.case_get_for_user(request.user, row.case_id)
    return FileResponse((row.thumbnail if thumb else row.image).open("rb"), content_type="image/jpeg")
