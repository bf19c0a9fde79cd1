"""The pages behind a village's QR code that need no login: 码上问 (ask, then follow the question),
码上办 (report with a phone confirmed by SMS code, then follow the case and rate it), the village's
answered questions, and the QR image itself. The village page they start from is the web shell's
(``front/village_page.py``).

A code or a link that does not verify answers a page of its own in Chinese (404; 410 for a code
replaced by a newer one), never another village's page."""

import io
import uuid

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from xiangzhi.cases import progress
from xiangzhi.cases import selectors as case_selectors
from xiangzhi.cases.models import Evaluation, Photo, Status
from xiangzhi.core.errors import DomainError, RateLimited, status_of
from xiangzhi.core.sms import sms_backend
from xiangzhi.lib.photos import PhotoError, ProcessedPhoto, process
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import township_of
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.errors import CodeReplaced, FollowLinkInvalid, SupervisionError
from xiangzhi.supervision.models import QuestionCategory, QuestionState

QUESTIONS_PAGE = 20
# The steps a reporter without an account takes himself (the rest are staff's or the system's).
REPORTER_ACTIONS = ("report", "evaluate", "reopen")


def site_of(request) -> str:
    """Where villagers reach the site: ``SITE_URL``, else the address this request came to."""
    return settings.SITE_URL or request.build_absolute_uri("/")


def address_of(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def code_refused(request, exc: DomainError) -> HttpResponse:
    """The page a code that opens nothing leads to: forged, unknown, or replaced by a newer poster."""
    replaced = isinstance(exc, CodeReplaced)
    return render(request, "supervision/code_refused.html", {"message": str(exc), "replaced": replaced},
                  status=410 if replaced else 404)


def village_of(request, token: str) -> tuple[Region | None, HttpResponse | None]:
    """The village the code opens, or the page saying why it opens none."""
    try:
        return selectors.village_code_resolve(token), None
    except DomainError as exc:
        return None, code_refused(request, exc)


def _header(village: Region, token: str) -> dict:
    return {"village": village, "township": township_of(village), "token": token}


def _refused_status(exc: DomainError) -> int:
    return 429 if isinstance(exc, RateLimited) else 400 if status_of(exc) == 422 else status_of(exc)


# --- 码上问 --------------------------------------------------------------------------------------


def ask(request, token: str):
    village, refused = village_of(request, token)
    if refused is not None:
        return refused
    error = None
    if request.method == "POST":
        try:
            result = services.question_ask(
                village=village, text_=request.POST.get("text", ""), category=request.POST.get("category", ""),
                phone=request.POST.get("phone", ""), address=address_of(request),
                submission_id=request.POST.get("submission_id", ""))
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "您的问题已提交，审核通过后由村里或乡镇公开答复。请收藏本页查看进度。")
            return redirect("village:question", selectors.question_follow_token(result.question))
    return render(request, "supervision/ask.html", {
        **_header(village, token), "error": error, "data": request.POST,
        "submission_id": request.POST.get("submission_id") or uuid.uuid4().hex,
        "categories": QuestionCategory.choices, "limit": services.QUESTION_MAX,
        "answer_days": settings.SUPERVISION_ANSWER_DAYS,
    }, status=_refused_status(error) if error else 200)


def question(request, token: str):
    """The asker's follow page: where his question stands, the reason if it was not shown, the answer."""
    try:
        q = selectors.question_by_follow_token(token)
    except FollowLinkInvalid as exc:
        return render(request, "supervision/link_refused.html", {"message": str(exc)}, status=404)
    return render(request, "supervision/question.html", {
        "question": q, "village": q.village, "township": township_of(q.village),
        "link": request.build_absolute_uri(), "overdue": selectors.question_is_overdue(q),
        "states": QuestionState,
    })


def questions(request, token: str):
    """Every answered question of the village, newest answer first."""
    village, refused = village_of(request, token)
    if refused is not None:
        return refused
    page = Paginator(selectors.question_list_public(village), QUESTIONS_PAGE).get_page(request.GET.get("page"))
    return render(request, "supervision/questions_public.html", {**_header(village, token), "page": page})


# --- 码上办 --------------------------------------------------------------------------------------


def _photos(files) -> list[ProcessedPhoto]:
    """Counted and sized before any is decoded; then re-encoded without location data."""
    uploads = [u for u in files.getlist("photos") if u.size]
    limit, most = settings.CASE_PHOTO_MAX_BYTES, settings.CASE_PHOTO_MAX_COUNT
    if len(uploads) > most:
        raise SupervisionError(f"最多上传 {most} 张照片")
    out = []
    for i, upload in enumerate(uploads, start=1):
        if upload.size > limit:
            raise SupervisionError(f"第 {i} 张照片过大（上限 {limit // 1024 // 1024} MB）")
        try:
            out.append(process(upload.read(), max_bytes=limit))
        except PhotoError as exc:
            raise SupervisionError(f"第 {i} 张照片：{exc}") from None
    return out


def _coordinate(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def report_new(request, token: str):
    """码上办: phone → SMS code, then what is wrong (category, words, photos) and where (the phone's
    position or the village)."""
    village, refused = village_of(request, token)
    if refused is not None:
        return refused
    categories = case_selectors.category_list()
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("action") == "send_code":
                code = services.qr_report_code_send(phone=post.get("phone", ""), address=address_of(request))
                messages.success(request, "验证码已发送，请查看手机短信")
                if settings.DEBUG and sms_backend().is_console:
                    messages.info(request, f"演示环境未真正发短信，验证码是 {code}")
            else:
                category = None
                if chosen := post.get("category"):
                    category = categories.filter(code=chosen).first()
                    if category is None:
                        raise SupervisionError("请选择列表中的问题类别")
                result = services.qr_report_submit(
                    village=village, phone=post.get("phone", ""), code=post.get("code", ""), category=category,
                    description=post.get("description", ""), photos=_photos(request.FILES),
                    lon=_coordinate(post.get("lon")), lat=_coordinate(post.get("lat")), place=post.get("place", ""),
                    submission_id=post.get("submission_id", ""), address=address_of(request), site=site_of(request))
                messages.success(request, "已提交。办理进度的链接已发到您的手机，也可收藏本页查看。")
                return redirect("village:report", selectors.qr_report_follow_token(result.report))
        except DomainError as exc:
            error = exc
    return render(request, "supervision/report_new.html", {
        **_header(village, token), "error": error, "data": request.POST, "categories": categories,
        "submission_id": request.POST.get("submission_id") or uuid.uuid4().hex,
        "limit": services.REPORT_TEXT_MAX, "photo_max": settings.CASE_PHOTO_MAX_COUNT,
    }, status=_refused_status(error) if error else 200)


def _report_or_page(request, token: str):
    try:
        return selectors.qr_report_by_follow_token(token), None
    except FollowLinkInvalid as exc:
        return None, render(request, "supervision/link_refused.html", {"message": str(exc)}, status=404)


def report(request, token: str):
    """The reporter's follow page: every public step of his case in plain words, the rating once closed."""
    row, refused = _report_or_page(request, token)
    if refused is not None:
        return refused
    case = row.case
    transitions = list(case.transitions.select_related("actor__department", "actor__region", "department")
                       .defer("actor__region__boundary"))
    by_transition: dict[int | None, list[int]] = {}
    for pk, transition_id in case.photos.values_list("pk", "transition_id"):
        by_transition.setdefault(transition_id, []).append(pk)
    steps = progress.step_list(case, transitions, viewer=request.user, photo_ids_by_transition=by_transition)
    for step, transition in zip(steps, transitions, strict=True):
        if transition.actor_id is None and transition.action in REPORTER_ACTIONS:
            step.who = "您"  # he has no account: his own steps carry none
    report_ids = {t.pk for t in transitions if t.action == "report"}
    return render(request, "supervision/report.html", {
        "row": row, "case": case, "token": token, "village": row.village, "steps": steps,
        "state": progress.resident_state(case),
        "result_photo_ids": progress.result_photo_ids(transitions, by_transition),
        "report_photo_ids": [pk for t in report_ids for pk in by_transition.get(t, [])],
        "may_evaluate": case.status == Status.CLOSED, "evaluations": Evaluation.choices,
        "link": request.build_absolute_uri(),
    })


@require_POST
def report_evaluate(request, token: str):
    row, refused = _report_or_page(request, token)
    if refused is not None:
        return refused
    try:
        services.qr_report_evaluate(report=row, evaluation=request.POST.get("evaluation", ""),
                                    comment=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "感谢您的评价")
    return redirect("village:report", token)


def report_photo(request, token: str, photo_id: int, thumb: bool = False):
    """A photo of the reporter's own case (his, or the result's), to the holder of its follow link."""
    row, refused = _report_or_page(request, token)
    if refused is not None:
        return refused
    photo = Photo.objects.filter(pk=photo_id, case_id=row.case_id).first()
    if photo is None:
        raise Http404
    return FileResponse((photo.thumbnail if thumb else photo.image).open("rb"), content_type="image/jpeg")


# --- the QR image -------------------------------------------------------------------------------


def qr_svg(village: Region, site: str) -> str:
    """The village's code in force, as SVG markup (drawn here, nothing fetched)."""
    url = site.rstrip("/") + reverse("front:village_page", args=[selectors.village_code_token(village)])
    out = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2).save(out)
    return out.getvalue().decode()


def qr(request, village_code: str):
    """一村一码 as an image: the code in force for the village (printed on its poster)."""
    village = Region.objects.filter(code=village_code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise Http404
    return HttpResponse(qr_svg(village, site_of(request)), content_type="image/svg+xml")
