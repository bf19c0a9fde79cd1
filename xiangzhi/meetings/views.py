"""Pages of 阳光报告会 and 四议两公开: the village cadre records them step by step on his phone, an owner
follows his commitments, the township screens, watches overdue commitments and reads the overview; the
public reads the village's last meeting and its matters without login."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.http import act_then_redirect
from xiangzhi.core.inputs import form_day, form_int, optional_int, require
from xiangzhi.lib.photos import PhotoError, ProcessedPhoto, process
from xiangzhi.meetings import selectors, services
from xiangzhi.meetings.errors import MeetingError
from xiangzhi.meetings.models import (
    STEP_ORDER,
    DonationKind,
    MeetingState,
    QuestionSource,
    StepKind,
)
from xiangzhi.meetings.rules import can_follow_commitments, can_read, can_record, can_screen
from xiangzhi.projects import selectors as projects
from xiangzhi.regions.selectors import township_of

QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def _file(request, name: str = "attachment") -> services.FileIn | None:
    """The upload, its size checked before it is read."""
    upload = request.FILES.get(name)
    if upload is None or not upload.size:
        return None
    if upload.size > services.ATTACHMENT_MAX_BYTES:
        raise MeetingError(f"附件不能超过 {services.ATTACHMENT_MAX_BYTES // 1024 // 1024} MB")
    return services.FileIn(name=upload.name or "附件", data=upload.read())


def _photos(files) -> list[ProcessedPhoto]:
    uploads = [u for u in files.getlist("photos") if u.size]
    limit = settings.CASE_PHOTO_MAX_BYTES
    if len(uploads) > services.MAX_PHOTOS:
        raise MeetingError(f"最多上传 {services.MAX_PHOTOS} 张照片")
    for i, upload in enumerate(uploads, start=1):
        if upload.size > limit:
            raise MeetingError(f"第 {i} 张照片过大（上限 {limit // 1024 // 1024} MB）")
    out = []
    for i, upload in enumerate(uploads, start=1):
        try:
            out.append(process(upload.read(), max_bytes=limit))
        except PhotoError as exc:
            raise MeetingError(f"第 {i} 张照片：{exc}") from None
    return out


def _day(request, name: str, label: str) -> dt.date:
    return form_day(request.POST.get(name), name, label, error=MeetingError)


def _int(request, name: str, label: str) -> int | None:
    return form_int(request.POST.get(name), label)




# --- where each role starts --------------------------------------------------------------------------


@login_required
def index(request):
    """The cadre goes to his village, the township to its overview, an owner to his commitments."""
    user = request.user
    if can_screen(user):
        return redirect("meetings:overview")
    if can_record(user):
        village = selectors.village_list_for_user(user).first()
        if village is None:
            raise NotFound()
        return redirect("meetings:village", code=village.code)
    require(can_follow_commitments(user))
    return redirect("meetings:commitments")


@login_required
def village(request, code: str):
    user = request.user
    require(can_read(user))
    place = selectors.village_get_for_user(user, code)
    today = timezone.localdate()
    meetings = {(m.year, m.quarter): m for m in selectors.meeting_list_for_user(user, village=place)}
    quarters = [(y, q, QUARTER_NAMES[q], meetings.get((y, q))) for y, q in selectors.recent_quarters(today, 5)]
    open_commitments = list(selectors.commitment_list_for_user(user, village=place).filter(state="open")
                            .order_by("deadline", "id")[:50])
    return render(request, "meetings/village.html", {
        "village": place, "quarters": quarters, "today": today, "open_commitments": open_commitments,
        "deliberations": list(selectors.deliberation_list_for_user(user, village=place)[:50]),
        "can_record": can_record(user), "projects": list(projects.project_list_for_user(user, village=place))
        if can_record(user) else [],
    })


# --- a meeting, step by step -------------------------------------------------------------------------


@login_required
@require_POST
def meeting_record(request, code: str):
    user = request.user
    require(can_record(user))
    place = selectors.village_get_for_user(user, code)
    try:
        row = services.meeting_record(
            actor=user, village=place, year=_int(request, "year", "年度"), quarter=_int(request, "quarter", "季度"),
            held_on=_day(request, "held_on", "召开日期"), place=request.POST.get("place", ""),
            attendance=_int(request, "attendance", "参会人数"))
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("meetings:village", code=place.code)
    messages.success(request, f"已登记{row.label}阳光报告会，请逐项记录述、询、定、评")
    return redirect("meetings:meeting", meeting_id=row.pk)


@login_required
def meeting(request, meeting_id: int):
    user = request.user
    require(can_read(user))
    row = selectors.meeting_detail(selectors.meeting_get_for_user(user, meeting_id))
    editing = can_record(user) and row.state == MeetingState.DRAFT
    return render(request, "meetings/meeting.html", {
        "meeting": row, "editing": editing, "screening": can_screen(user) and row.state == MeetingState.SUBMITTED,
        "owners": list(selectors.owner_candidates(row.village)) if editing else [],
        "sources": QuestionSource.choices, "today": timezone.localdate(),
        "questions": list(row.questions.all()), "commitments": list(row.commitments.all()),
    })


def _meeting_act(request, meeting_id: int, doing):
    user = request.user
    require(can_read(user))
    row = selectors.meeting_get_for_user(user, meeting_id)
    return act_then_redirect(request, lambda: doing(user, row), reverse("meetings:meeting", args=[row.pk]))


@login_required
@require_POST
def meeting_edit(request, meeting_id: int):
    def doing(user, row):
        services.meeting_edit(actor=user, meeting=row, held_on=_day(request, "held_on", "召开日期"),
                              place=request.POST.get("place", ""), attendance=_int(request, "attendance", "参会人数"))
        return "已修改会议信息"
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def meeting_report(request, meeting_id: int):
    def doing(user, row):
        row = services.meeting_report(actor=user, meeting=row, report=request.POST.get("report", ""),
                                      items_reported=_int(request, "items_reported", "通报村务事项数") or 0,
                                      attachment=_file(request))
        return "已记录书记述职" + (f"（{row.report_hidden}）" if row.report_hidden else "")
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def question_add(request, meeting_id: int):
    def doing(user, row):
        q = services.question_add(actor=user, meeting=row, text_=request.POST.get("text", ""),
                                  source=request.POST.get("source") or QuestionSource.ONSITE,
                                  reply=request.POST.get("reply", ""),
                                  source_question_id=_int(request, "source_question_id", "码上问编号"))
        return "已记录质询" + (f"（{q.hidden}）" if q.hidden else "")
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def questions_take_from_qr(request, meeting_id: int):
    def doing(user, row):
        taken = services.questions_take_from_qr(actor=user, meeting=row)
        return f"已列入本季度码上问 {len(taken)} 条" if taken else "本季度没有尚未列入的码上问"
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def commitment_make(request, meeting_id: int):
    def doing(user, row):
        owner = User.objects.filter(pk=_int(request, "owner", "责任人") or 0).first()
        if owner is None:
            raise MeetingError("请选择责任人")
        question_id = _int(request, "question", "质询")
        question = row.questions.filter(pk=question_id).first() if question_id else None
        if question_id and question is None:
            raise MeetingError("质询不属于本次会议")
        services.commitment_make(actor=user, meeting=row, demand=request.POST.get("demand", ""), owner=owner,
                                 deadline=_day(request, "deadline", "完成时限"),
                                 measure=request.POST.get("measure", ""), question=question)
        return "已定责定时定措施"
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def meeting_vote(request, meeting_id: int):
    def doing(user, row):
        services.meeting_vote(actor=user, meeting=row, satisfied=_int(request, "satisfied", "满意票数") or 0,
                              basically_satisfied=_int(request, "basically_satisfied", "基本满意票数") or 0,
                              dissatisfied=_int(request, "dissatisfied", "不满意票数") or 0)
        return "已记录阳光评议结果"
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def meeting_submit(request, meeting_id: int):
    def doing(user, row):
        services.meeting_submit(actor=user, meeting=row)
        return "已提交乡镇（街道）审核，审核通过后向群众公开"
    return _meeting_act(request, meeting_id, doing)


@login_required
@require_POST
def meeting_screen(request, meeting_id: int):
    def doing(user, row):
        passed = request.POST.get("decision") == "pass"
        services.meeting_screen(actor=user, meeting=row, passed=passed, reason=request.POST.get("reason", ""))
        return "审核通过，已公开" if passed else "已退回村里修改"
    return _meeting_act(request, meeting_id, doing)


# --- commitments ----------------------------------------------------------------------------------------


@login_required
def commitment_list(request):
    """The commitments a user follows: his own, or his villages' (open first; ``?overdue=1`` the late)."""
    user = request.user
    require(can_follow_commitments(user))
    qs = selectors.commitment_list_for_user(user)
    if not can_read(user):
        qs = qs.filter(owner=user)
    state = request.GET.get("state", "open")
    if state in ("open", "done"):
        qs = qs.filter(state=state)
    return render(request, "meetings/commitments.html", {
        "rows": list(qs.order_by("deadline", "id")[:200]), "state": state, "today": timezone.localdate(),
    })


@login_required
def commitment(request, commitment_id: int):
    user = request.user
    require(can_follow_commitments(user))
    row = selectors.commitment_detail(selectors.commitment_get_for_user(user, commitment_id))
    follower = user.pk == row.owner_id or (can_record(user) and selectors.covers_village(user, row.village))
    return render(request, "meetings/commitment.html", {
        "c": row, "can_follow": follower and row.state == "open",
        "can_reopen": can_screen(user) and row.state == "done", "today": timezone.localdate(),
        "max_photos": services.MAX_PHOTOS,
    })


def _commitment_act(request, commitment_id: int, doing):
    user = request.user
    require(can_follow_commitments(user))
    row = selectors.commitment_get_for_user(user, commitment_id)
    return act_then_redirect(request, lambda: doing(user, row), reverse("meetings:commitment", args=[row.pk]))


@login_required
@require_POST
def commitment_progress(request, commitment_id: int):
    def doing(user, row):
        services.commitment_progress(actor=user, commitment=row, note=request.POST.get("note", ""))
        return "已记录进展"
    return _commitment_act(request, commitment_id, doing)


@login_required
@require_POST
def commitment_done(request, commitment_id: int):
    def doing(user, row):
        services.commitment_done(actor=user, commitment=row, done_on=_day(request, "done_on", "办结日期"),
                                 evidence=request.POST.get("evidence", ""), photos=_photos(request.FILES))
        return "已办结"
    return _commitment_act(request, commitment_id, doing)


@login_required
@require_POST
def commitment_reopen(request, commitment_id: int):
    def doing(user, row):
        services.commitment_reopen(actor=user, commitment=row, reason=request.POST.get("reason", ""))
        return "已退回责任人重新办理"
    return _commitment_act(request, commitment_id, doing)


@login_required
def photo(request, photo_id: int, thumb: bool = False):
    row = selectors.photo_get_for_user(request.user, photo_id)
    return FileResponse((row.thumbnail if thumb else row.image).open("rb"), content_type="image/jpeg")


@login_required
def attachment(request, attachment_id: int):
    row = selectors.attachment_get_for_user(request.user, attachment_id)
    return FileResponse(row.file.open("rb"), content_type=row.content_type, as_attachment=True, filename=row.name)


# --- the township ----------------------------------------------------------------------------------------


@login_required
def overview(request):
    """Per village (per township for a county) and quarter or year: meetings held and published, items
    disclosed, commitments made / kept / overdue, satisfaction, with the totals as 003 counts them."""
    user = request.user
    require(can_screen(user))
    region = selectors.region_get_for_overview(user, request.GET.get("region"))
    today = timezone.localdate()
    this_year = today.year
    last_year, last_quarter = selectors.previous_quarter(*selectors.quarter_of(today))  # the last one complete
    year = optional_int(request.GET.get("year")) or last_year
    if not 2000 <= year <= this_year:
        year = last_year
    asked = request.GET.get("quarter")
    quarter = optional_int(asked)
    if quarter not in (1, 2, 3, 4):
        quarter = None if asked == "all" or year != last_year else last_quarter
    data = selectors.overview(region, year, quarter, today=today)
    return render(request, "meetings/overview.html", {
        "o": data, "years": list(range(this_year, max(this_year - 4, 1999), -1)), "quarter_names": QUARTER_NAMES,
        "period": f"{year}年{QUARTER_NAMES[quarter]}" if quarter else f"{year}年全年", "township": township_of(region),
        "queue": selectors.screening_queue_for_user(user).total,
        "overdue": selectors.commitment_overdue_list_for_user(user).count(),
    })


@login_required
def overdue(request):
    user = request.user
    require(can_screen(user))
    today = timezone.localdate()
    rows = list(selectors.commitment_overdue_list_for_user(user, today=today)[:500])
    for r in rows:
        r.days_overdue = (today - r.deadline).days
    return render(request, "meetings/overdue.html", {"rows": rows})


@login_required
def screening(request):
    user = request.user
    require(can_screen(user))
    return render(request, "meetings/screening.html", {"queue": selectors.screening_queue_for_user(user)})


# --- 四议两公开 -----------------------------------------------------------------------------------------


@login_required
def deliberation_list(request):
    user = request.user
    require(can_read(user))
    rows = list(selectors.deliberation_list_for_user(user).order_by("state", "-created_at")[:300])
    return render(request, "meetings/deliberations.html", {"rows": rows, "steps": len(STEP_ORDER)})


@login_required
@require_POST
def deliberation_propose(request, code: str):
    user = request.user
    require(can_record(user))
    place = selectors.village_get_for_user(user, code)
    try:
        project_id = _int(request, "project", "村级项目")
        project = projects.project_list_for_user(user, village=place).filter(pk=project_id).first() \
            if project_id else None
        if project_id and project is None:
            raise MeetingError("关联的村级项目不属于本村")
        row = services.deliberation_propose(
            actor=user, village=place, title=request.POST.get("title", ""),
            description=request.POST.get("description", ""), proposer=request.POST.get("proposer", ""),
            proposed_on=_day(request, "proposed_on", "提出日期"), amount=_int(request, "amount", "涉及金额"),
            project=project)
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("meetings:village", code=place.code)
    messages.success(request, f"已登记事项：{row.title}，请按四议两公开的顺序记录")
    return redirect("meetings:deliberation", deliberation_id=row.pk)


@login_required
def deliberation(request, deliberation_id: int):
    user = request.user
    require(can_read(user))
    row = selectors.deliberation_detail(selectors.deliberation_get_for_user(user, deliberation_id))
    totals = selectors.donation_totals([row])[row.pk]
    steps = {s.kind: s for s in row.steps.all()}
    return render(request, "meetings/deliberation.html", {
        "d": row, "ladder": [(i, kind, label, steps.get(kind)) for i, (kind, label) in enumerate(StepKind.choices, 1)],
        "totals": totals, "can_record": can_record(user), "can_screen": can_screen(user),
        "donations": list(row.donations.all()), "donation_kinds": DonationKind.choices, "today": timezone.localdate(),
    })


def _deliberation_act(request, deliberation_id: int, doing):
    user = request.user
    require(can_read(user))
    row = selectors.deliberation_get_for_user(user, deliberation_id)
    return act_then_redirect(request, lambda: doing(user, row), reverse("meetings:deliberation", args=[row.pk]))


@login_required
@require_POST
def step_record(request, deliberation_id: int):
    def doing(user, row):
        step = services.deliberation_step_record(
            actor=user, deliberation=row, kind=request.POST.get("kind", ""), held_on=_day(request, "held_on", "日期"),
            minutes=request.POST.get("minutes", ""), place=request.POST.get("place", ""),
            expected=_int(request, "expected", "应到人数"), attendance=_int(request, "attendance", "实到人数"),
            votes_for=_int(request, "votes_for", "赞成票数"), votes_against=_int(request, "votes_against", "反对票数"),
            votes_abstain=_int(request, "votes_abstain", "弃权票数"), attachment=_file(request))
        if step.passed is False:
            return f"已记录：{step.get_kind_display()}未通过，事项终止"
        return f"已记录：{step.get_kind_display()}"
    return _deliberation_act(request, deliberation_id, doing)


@login_required
@require_POST
def deliberation_screen(request, deliberation_id: int):
    def doing(user, row):
        passed = request.POST.get("decision") == "pass"
        services.deliberation_screen(actor=user, deliberation=row, passed=passed,
                                     reason=request.POST.get("reason", ""))
        return "审核通过，已在村务公开页公开" if passed else "已记录不予公开"
    return _deliberation_act(request, deliberation_id, doing)


@login_required
@require_POST
def donation_record(request, deliberation_id: int):
    def doing(user, row):
        kind = request.POST.get("kind", "")
        services.deliberation_donation_record(
            actor=user, deliberation=row, kind=kind, donor_name=request.POST.get("donor_name", ""),
            donated_on=_day(request, "donated_on", "日期"),
            amount=_int(request, "amount", "捐款金额") or 0 if kind == DonationKind.MONEY else 0,
            labour_days=_int(request, "labour_days", "投工天数") or 0 if kind == DonationKind.LABOUR else 0,
            living_away=bool(request.POST.get("living_away")), anonymous=bool(request.POST.get("anonymous")))
        return "已记录捐赠"
    return _deliberation_act(request, deliberation_id, doing)


@login_required
@require_POST
def donation_correct(request, deliberation_id: int, donation_id: int):
    def doing(user, row):
        donation = row.donations.filter(pk=donation_id).first()
        if donation is None:
            raise NotFound()
        services.deliberation_donation_correct(actor=user, donation=donation, reason=request.POST.get("reason", ""),
                                               value=_int(request, "value", "更正后数额"),
                                               anonymous=bool(request.POST.get("anonymous")))
        return "已更正捐赠记录"
    return _deliberation_act(request, deliberation_id, doing)


# --- public ---------------------------------------------------------------------------------------------


def public_village(request, village_code: str):
    """The village's last sunshine meeting and its 四议两公开 matters, for anyone with the link."""
    place = selectors.public_village(village_code)
    return render(request, "meetings/public_village.html", {
        "village": place, "township": township_of(place),
        "sunshine": selectors.sunshine_meeting_last_public(place),
        "sunshine_history": selectors.sunshine_meeting_history_public(place),
        "deliberations": selectors.deliberation_list_public(place),
    })
