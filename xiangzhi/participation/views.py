"""通知公告, 民意调查 and 民情恳谈 pages. Senders (county, township, village cadres, grid chiefs) write and
follow announcements and polls for audiences in their scope; villagers read and vote on their phones;
village cadres and the township record the evening meetings and their demands. The SMS link and the
public poll page need no login."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.selectors import category_list
from xiangzhi.core.errors import Invalid, NotFound, field_error, status_of
from xiangzhi.core.inputs import form_day, form_int, optional_int, require
from xiangzhi.participation import rules, selectors, services
from xiangzhi.participation.errors import ParticipationError
from xiangzhi.participation.models import AudienceKind, MeetingKind, PublicState, QuestionKind, VoteUnit

QUESTION_SLOTS = 5
UNREAD_PAGE = 50

# The audiences each role starts on in the form.
DEFAULT_KIND = {Role.GRID_CHIEF: AudienceKind.GRID, Role.VILLAGE_CADRE: AudienceKind.VILLAGE}


def _kind(request) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    if kind in AudienceKind.values:
        return kind
    return DEFAULT_KIND.get(request.user.role, AudienceKind.TOWNSHIP)


def _audience(request, kind: str) -> selectors.Audience:
    key = request.POST.get("target", "")
    if not key:
        raise ParticipationError("请选择发送范围", fields=field_error("target", "必选"))
    return selectors.audience_get_for_user(request.user, kind, key)


def _kinds(user: User) -> list[tuple[str, str]]:
    """The audience kinds the user may address at all (a grid chief: his grids only)."""
    return [(k.value, k.label) for k in selectors.audience_kinds_for_user(user)]


def _default_issuer(user: User) -> str:
    region = user.region.name if user.region_id else ""
    if user.role == Role.VILLAGE_CADRE:
        return f"{region}村民委员会"
    if user.role == Role.TOWNSHIP_STAFF:
        return f"{region}综治中心"
    if user.role == Role.COUNTY_ADMIN:
        return region
    return f"网格长{user.full_name}" if user.full_name else "网格长"


def _site(request) -> str:
    return getattr(settings, "SITE_URL", "") or request.build_absolute_uri("/")


def _moment(value: str | None, name: str, label: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value or "")
    except ValueError:
        raise ParticipationError(f"请填写{label}", fields=field_error(name, "时间不正确")) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _local_input(moment: dt.datetime) -> str:
    """A moment as an ``<input type="datetime-local">`` value."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@login_required
def home(request):
    require(rules.can_see_participation(request.user) or rules.can_keep_meetings(request.user))
    if rules.can_see_participation(request.user):
        return redirect("participation:announcements")
    return redirect("participation:meetings")


# --- 通知公告 --------------------------------------------------------------------------------------------


@login_required
def announcement_list(request):
    """Villagers: what was sent to them, unread marked. Senders: what went out in their scope with how
    many have read it, and what was sent to them."""
    user = request.user
    require(rules.can_see_participation(user))
    sent = Paginator(selectors.announcement_list_sent_for_user(user), 30).get_page(request.GET.get("page"))
    received = list(selectors.announcement_list_received(user)[:50])
    return render(request, "participation/announcements.html", {
        "sent": sent if rules.can_send(user) else None, "received": received, "may_send": rules.can_send(user),
        "screener": rules.can_screen(user),
    })


@login_required
def announcement_new(request):
    user = request.user
    require(rules.can_send(user), services.SENDER_ONLY)
    kind = _kind(request)
    form = request.POST if request.method == "POST" else {"issuer": _default_issuer(user)}
    status = 200
    if request.method == "POST":
        try:
            announcement = services.announcement_send(
                actor=user, audience=_audience(request, kind), title=form.get("title", ""),
                body=form.get("body", ""), issuer=form.get("issuer", ""), is_public=bool(form.get("is_public")),
                site=_site(request))
        except Invalid as exc:
            messages.error(request, str(exc))
            status = status_of(exc)
        else:
            messages.success(request, f"已发送给{announcement.audience_label}，共 {announcement.recipients} 人"
                                      + ("；审核通过后在村务公开页显示" if announcement.is_public else ""))
            return redirect("participation:announcement", announcement_id=announcement.pk)
    return render(request, "participation/announcement_new.html", {
        "kind": kind, "kinds": _kinds(user), "targets": selectors.audience_choices_for_user(user, kind),
        "form": form,
    }, status=status)


@login_required
def announcement_detail(request, announcement_id: int):
    """A recipient reads it (and so it is marked read); a sender inside its scope follows who has not."""
    user = request.user
    announcement = selectors.announcement_get_for_user(user, announcement_id)
    receipt = services.announcement_open(user=user, announcement=announcement)
    follow = selectors.announcement_may_follow(user, announcement)
    context = {"a": announcement, "receipt": receipt, "follow": follow, **_screening_context(user, announcement)}
    if follow:
        context.update(
            counts=selectors.receipt_counts(announcement),
            unread=Paginator(selectors.receipt_list_unread(announcement), UNREAD_PAGE).get_page(
                request.GET.get("page")),
            reminders=list(selectors.reminder_list(announcement)),
        )
    return render(request, "participation/announcement.html", context)


@login_required
@require_POST
def announcement_remind(request, announcement_id: int):
    user = request.user
    require(rules.can_send(user), services.SENDER_ONLY)
    announcement = selectors.announcement_get_for_user(user, announcement_id)
    try:
        reminder = services.announcement_remind(actor=user, announcement=announcement)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已提醒 {reminder.unread} 位未读的人")
    return redirect("participation:announcement", announcement_id=announcement.pk)


def announcement_by_link(request, key: str):
    """The link an SMS carried to someone without an account: the notice, and his receipt read."""
    receipt = selectors.receipt_get_by_key(key)
    services.receipt_open_by_link(receipt=receipt)
    return render(request, "participation/announcement_link.html", {
        "a": receipt.announcement, "body": selectors.announcement_body_public(receipt.announcement),
    })


# --- 民意调查 --------------------------------------------------------------------------------------------


@login_required
def poll_list(request):
    user = request.user
    require(rules.can_see_participation(user))
    voter = selectors.voter_of(user)
    now = timezone.now()
    mine = selectors.poll_list_for_voter(user, voter) if rules.can_vote(user) else []
    for p in mine:
        p.state = p.state_at(now)
    staff = None
    if rules.can_send(user) or rules.can_record_ballots(user):
        staff = Paginator(selectors.poll_list_for_user(user), 30).get_page(request.GET.get("page"))
        for p in staff:
            p.state = p.state_at(now)
    return render(request, "participation/polls.html", {"mine": mine, "staff": staff,
                                                        "may_send": rules.can_send(user),
                                                        "screener": rules.can_screen(user)})


def _question_inputs(form) -> list[services.QuestionInput]:
    out = []
    for i in range(1, QUESTION_SLOTS + 1):
        wording = (form.get(f"q{i}_text") or "").strip()
        if not wording:
            continue
        out.append(services.QuestionInput(text=wording, kind=form.get(f"q{i}_kind", ""),
                                          options=(form.get(f"q{i}_options") or "").splitlines()))
    return out


@login_required
def poll_new(request):
    user = request.user
    require(rules.can_send(user), services.SENDER_ONLY)
    kind = _kind(request)
    now = timezone.localtime()
    status = 200
    if request.method == "POST":
        form = request.POST
        try:
            poll = services.poll_create(
                actor=user, audience=_audience(request, kind), title=form.get("title", ""),
                description=form.get("description", ""), unit=form.get("unit", ""),
                opens_at=_moment(form.get("opens_at"), "opens_at", "开始时间"),
                closes_at=_moment(form.get("closes_at"), "closes_at", "截止时间"),
                questions=_question_inputs(form), results_live=bool(form.get("results_live")),
                is_public=bool(form.get("is_public")))
        except Invalid as exc:
            messages.error(request, str(exc))
            status = status_of(exc)
        else:
            messages.success(request, f"已发起调查，{poll.audience_label}可以投票的共 {poll.electorate} "
                                      f"{'户' if poll.unit == VoteUnit.HOUSEHOLD else '人'}"
                                      + ("；审核通过后在村务公开页公布" if poll.is_public else ""))
            return redirect("participation:poll", poll_id=poll.pk)
    else:
        form = {"opens_at": _local_input(now), "closes_at": _local_input(now + dt.timedelta(days=7)),
                "unit": VoteUnit.HOUSEHOLD if kind in (AudienceKind.GRID, AudienceKind.VILLAGE) else VoteUnit.PERSON,
                "q1_kind": QuestionKind.SCALE}
    slots = [{"n": i, "text": form.get(f"q{i}_text", ""), "kind": form.get(f"q{i}_kind", QuestionKind.SINGLE),
              "options": form.get(f"q{i}_options", "")} for i in range(1, QUESTION_SLOTS + 1)]
    return render(request, "participation/poll_new.html", {
        "kind": kind, "kinds": _kinds(user), "targets": selectors.audience_choices_for_user(user, kind),
        "form": form, "slots": slots, "question_kinds": QuestionKind.choices, "units": VoteUnit.choices,
    }, status=status)


def _poll_page(request, poll, *, status: int = 200, picked=None):
    user = request.user
    now = timezone.now()
    voter = selectors.voter_of(user)
    eligible = rules.can_vote(user) and selectors.poll_eligible(poll, voter)
    ballot = selectors.ballot_of(poll, voter) if eligible else None
    state = poll.state_at(now)
    visible = selectors.results_visible(poll, user, now=now)
    return render(request, "participation/poll.html", {
        "poll": poll, "state": state, "questions": selectors.poll_questions(poll),
        "may_vote": eligible and ballot is None and state == "open", "ballot": ballot, "eligible": eligible,
        "results": selectors.poll_results(poll) if visible else None,
        "follow": rules.can_address(user, poll.scope_path), "picked": picked or {},
        "may_record": rules.can_record_ballots(user) and state == "open", **_screening_context(user, poll),
    }, status=status)


def _answers_posted(request, poll) -> dict[int, list[int]]:
    answers: dict[int, list[int]] = {}
    for question in poll.questions.all():
        values = [form_int(v, "选项") for v in request.POST.getlist(f"q{question.pk}")]
        answers[question.pk] = [v for v in values if v is not None]
    return answers


@login_required
def poll_detail(request, poll_id: int):
    return _poll_page(request, selectors.poll_get_for_user(request.user, poll_id))


@login_required
@require_POST
def poll_vote(request, poll_id: int):
    poll = selectors.poll_get_for_user(request.user, poll_id)
    answers = _answers_posted(request, poll)
    try:
        services.poll_vote(actor=request.user, poll=poll, answers=answers)
    except Invalid as exc:
        messages.error(request, str(exc))
        return _poll_page(request, poll, status=status_of(exc), picked=answers)
    messages.success(request, "投票成功，谢谢参与")
    return redirect("participation:poll", poll_id=poll.pk)


@login_required
@require_POST
def poll_record(request, poll_id: int):
    """入户代录: a paper ballot collected from a household of the recorder's grids."""
    user = request.user
    require(rules.can_record_ballots(user), "只有村两委和网格长、网格员可以代录纸质票")
    poll = selectors.poll_get_for_user(user, poll_id)
    answers = _answers_posted(request, poll)
    try:
        household = selectors.ballot_household_for_user(user, request.POST.get("household", ""))
        if household is None:
            raise ParticipationError("没有找到这个户编号（只能代录您负责范围内的户）",
                                     fields=field_error("household", "没有找到"))
        resident = None
        if poll.unit == VoteUnit.PERSON:
            resident = selectors.ballot_resident(household, request.POST.get("name", ""))
            if resident is None:
                raise ParticipationError("该户没有这个人", fields=field_error("name", "没有找到"))
        services.poll_vote_record(actor=user, poll=poll, household=household, resident=resident, answers=answers)
    except Invalid as exc:
        messages.error(request, str(exc))
        return _poll_page(request, poll, status=status_of(exc))
    messages.success(request, f"已代录{household.head_name}户的选票")
    return redirect("participation:poll", poll_id=poll.pk)


@login_required
@require_POST
def poll_close(request, poll_id: int):
    user = request.user
    require(rules.can_send(user), services.SENDER_ONLY)
    poll = selectors.poll_get_for_user(user, poll_id)
    try:
        services.poll_close(actor=user, poll=poll)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "投票已结束，结果已公布")
    return redirect("participation:poll", poll_id=poll.pk)


def poll_public(request, poll_id: int):
    """A public poll's results, for anyone with the village page's link: no login."""
    poll = selectors.poll_get_public(poll_id)
    now = timezone.now()
    visible = selectors.results_visible(poll, None, now=now)
    return render(request, "participation/poll_public.html", {
        "poll": poll, "state": poll.state_at(now), "results": selectors.poll_results(poll) if visible else None,
    })


# --- 公开审核 --------------------------------------------------------------------------------------------


def _screening_context(user: User, item) -> dict:
    """The item's public state and its decisions, for its senders and screeners (not its recipients)."""
    if not item.is_public or not (rules.can_address(user, item.scope_path)
                                  or rules.can_screen_in(user, item.scope_path)):
        return {}
    return {"show_screening": True, "screenings": list(selectors.screening_list(item)),
            "may_screen": (item.public_state == PublicState.WAITING
                           and rules.may_screen(user, item.scope_path, item.author_id))}


@login_required
def screening(request):
    """The township's (or county's) queue of announcements and polls waiting to go on the public page."""
    user = request.user
    require(rules.can_screen(user), services.SCREENER_ONLY)
    return render(request, "participation/screening.html", {"queue": selectors.screening_queue_for_user(user)})


def _decision(request) -> bool:
    decision = request.POST.get("decision", "")
    if decision not in ("pass", "return"):
        raise ParticipationError("请选择通过或退回", fields=field_error("decision", "必选"))
    return decision == "pass"


def _screen(request, item, screen) -> None:
    try:
        passed = _decision(request)
        screen(actor=request.user, passed=passed, reason=request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, f"「{item.title}」：{exc}")
    else:
        messages.success(request, f"「{item.title}」已通过，在村务公开页显示" if passed
                         else f"「{item.title}」已退回，不在村务公开页显示")


@login_required
@require_POST
def announcement_screen(request, announcement_id: int):
    user = request.user
    require(rules.can_screen(user), services.SCREENER_ONLY)
    announcement = selectors.announcement_get_for_user(user, announcement_id)
    _screen(request, announcement, lambda **kw: services.announcement_screen(announcement=announcement, **kw))
    return redirect("participation:screening")


@login_required
@require_POST
def poll_screen(request, poll_id: int):
    user = request.user
    require(rules.can_screen(user), services.SCREENER_ONLY)
    poll = selectors.poll_get_for_user(user, poll_id)
    _screen(request, poll, lambda **kw: services.poll_screen(poll=poll, **kw))
    return redirect("participation:screening")


# --- 民情恳谈 / 百姓夜话 ------------------------------------------------------------------------------------


def _year(request) -> int:
    return optional_int(request.GET.get("year")) or timezone.localdate().year


@login_required
def meeting_list(request):
    """The evenings held in the user's reach this year, with demands gathered and resolved per village."""
    user = request.user
    require(rules.can_keep_meetings(user))
    region = selectors.meeting_region_get_for_user(user, request.GET.get("region")) or selectors.meeting_root_for_user(
        user)
    if region is None:
        raise NotFound()
    year = _year(request)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    meetings = Paginator(selectors.meeting_list_for_user(user, region=region, start=start, end=end), 30).get_page(
        request.GET.get("page"))
    return render(request, "participation/meetings.html", {
        "region": region, "year": year, "years": range(timezone.localdate().year, timezone.localdate().year - 3, -1),
        "figures": selectors.meeting_figures(region, start, end), "meetings": meetings,
        "regions": selectors.meeting_figure_regions_for_user(user)[:100],
    })


@login_required
def meeting_new(request):
    user = request.user
    require(rules.can_keep_meetings(user))
    villages = list(selectors.meeting_village_list_for_user(user)[:1000])
    status = 200
    form = request.POST if request.method == "POST" else {
        "village": villages[0].code if len(villages) == 1 else "", "kind": MeetingKind.EVENING,
        "held_on": timezone.localdate().isoformat()}
    if request.method == "POST":
        try:
            village = selectors.meeting_village_get_for_user(user, form.get("village", ""))
            meeting = services.meeting_record(
                actor=user, village=village, kind=form.get("kind", ""),
                held_on=form_day(form.get("held_on"), "held_on", "会议日期", error=ParticipationError),
                place=form.get("place", ""), host_name=form.get("host_name", ""),
                attendance=form_int(form.get("attendance"), "参加人数", blank=0) or 0,
                summary=form.get("summary", ""))
        except Invalid as exc:
            messages.error(request, str(exc))
            status = status_of(exc)
        else:
            messages.success(request, "已记录，请逐条录入群众提出的诉求")
            return redirect("participation:meeting", meeting_id=meeting.pk)
    return render(request, "participation/meeting_new.html", {
        "villages": villages, "form": form, "kinds": MeetingKind.choices, "today": timezone.localdate().isoformat(),
    }, status=status)


def _meeting_page(request, meeting, *, form, status: int = 200):
    return render(request, "participation/meeting.html", {
        "meeting": meeting, "demands": list(selectors.meeting_demands(meeting)),
        "grids": selectors.meeting_grids(meeting.village), "categories": category_list(), "form": form,
        "may_add": timezone.localdate() - meeting.held_on <= dt.timedelta(days=services.DEMAND_DAYS),
        "demand_days": services.DEMAND_DAYS,
    }, status=status)


@login_required
def meeting_detail(request, meeting_id: int):
    user = request.user
    require(rules.can_keep_meetings(user))
    meeting = selectors.meeting_get_for_user(user, meeting_id)
    if request.method != "POST":
        return _meeting_page(request, meeting, form={})
    form = request.POST
    try:
        grid = None
        if grid_code := form.get("grid"):
            grid = selectors.meeting_grids(meeting.village).filter(code=grid_code).first()
            if grid is None:
                raise ParticipationError("网格不属于本村", fields=field_error("grid", "不属于本村"))
        category = None
        if code := form.get("category"):
            category = category_list().filter(code=code).first()
            if category is None:
                raise ParticipationError("请选择事件类别", fields=field_error("category", "不是可选的值"))
        demand = services.demand_add(actor=user, meeting=meeting, title=form.get("title", ""),
                                     detail=form.get("detail", ""), raised_by=form.get("raised_by", ""),
                                     category=category, grid=grid)
    except Invalid as exc:
        messages.error(request, str(exc))
        return _meeting_page(request, meeting, form=form, status=status_of(exc))
    messages.success(request, f"已转为事件 {demand.case.number}，按事件流程办理")
    return redirect(reverse("participation:meeting", args=[meeting.pk]) + "#demands")

