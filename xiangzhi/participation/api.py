"""通知公告, 民意调查 and 民情恳谈 over the API, scoped like the pages; writes through the same services.
Refusals are the structured error ``{"error": {"code", "message", "fields"}}``; a second vote of a
household or a person answers 409 with the code ``duplicate_vote``."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.cases.selectors import category_list
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require
from xiangzhi.participation import rules, selectors, services
from xiangzhi.participation.errors import ParticipationError
from xiangzhi.participation.models import Announcement, AudienceKind, Meeting, MeetingDemand, Poll

router = Router(tags=["群众参与"])

KINDS = "、".join(f"{v}（{n}）" for v, n in AudienceKind.choices)
PUBLIC_STATES = ("村务公开页审核：waiting 待审核、passed 已通过（显示）、returned 已退回（不显示）；"
                 "不公开的为空")


# --- announcements ----------------------------------------------------------------------------------


class AnnouncementIn(Schema):
    audience: str = Field(..., description=f"发送对象：{KINDS}")
    target: str = Field(..., description="网格编码、村/乡镇区划代码，或党小组 id")
    title: str = Field(..., max_length=services.TITLE_MAX)
    body: str = Field(..., max_length=services.BODY_MAX)
    issuer: str = Field(..., max_length=services.ISSUER_MAX, description="落款，如「东村村民委员会」")
    is_public: bool = Field(False, description="同时在村务公开页显示（网格、村、乡镇的通知）")


class CountsOut(Schema):
    total: int
    read: int
    unread: int
    inbox: int = Field(..., description="站内消息送达人数")
    sms: int = Field(..., description="短信送达人数（无账号）")
    unreachable: int = Field(..., description="无账号无手机，须当面告知")


class AnnouncementOut(Schema):
    id: int
    audience: str
    audience_name: str = Field(..., alias="audience_label")
    title: str
    body: str
    issuer: str
    is_public: bool
    public_state: str = Field(..., description=PUBLIC_STATES)
    sent_at: dt.datetime
    recipients: int
    read_at: dt.datetime | None = Field(None, description="本人的阅读时间（本人是接收人时）")
    counts: CountsOut | None = Field(None, description="阅读情况（发送范围内的工作人员可见）")


class UnreadOut(Schema):
    name: str = Field(..., alias="resident.name")
    grid_code: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    channel: str
    sms_status: str


class ReminderOut(Schema):
    id: int
    at: dt.datetime
    unread: int


def _announcement_out(user, announcement: Announcement, receipt=None) -> dict:
    out = {f: getattr(announcement, f) for f in ("id", "audience", "audience_label", "title", "body", "issuer",
                                                   "is_public", "public_state", "sent_at", "recipients")}
    out["read_at"] = receipt.read_at if receipt is not None else None
    if hasattr(announcement, "unreachable"):  # counted by the list's query
        total, read = announcement.recipients, announcement.read
        out["counts"] = {"total": total, "read": read, "unread": total - read, "inbox": announcement.inbox,
                         "sms": announcement.sms, "unreachable": announcement.unreachable}
    elif selectors.announcement_may_follow(user, announcement):
        counts = selectors.receipt_counts(announcement)
        out["counts"] = {"total": counts.total, "read": counts.read, "unread": counts.unread, "inbox": counts.inbox,
                         "sms": counts.sms, "unreachable": counts.unreachable}
    return out


def _see(request) -> None:
    require(rules.can_see_participation(request.user), "无权查看通知公告和民意调查")


def _sender(request) -> None:
    require(rules.can_send(request.user), services.SENDER_ONLY)


@router.get("/announcements", response=list[AnnouncementOut],
            summary="通知公告：工作人员列本辖区发出的，村民列发给本人的（?received=true 只列发给本人的）")
@paginate(PageNumberPagination, page_size=30, max_page_size=100)
def announcement_list(request, received: bool = False):
    _see(request)
    user = request.user
    if received or not rules.can_send(user):
        return [{**_announcement_out(user, a), "read_at": a.my_read_at}
                for a in selectors.announcement_list_received(user)[:500]]
    return [_announcement_out(user, a) for a in selectors.announcement_list_sent_for_user(user)[:500]]


@router.post("/announcements", response={201: AnnouncementOut}, summary="发通知（发给范围内登记在册的成年人）")
def announcement_send(request, payload: AnnouncementIn):
    _sender(request)
    audience = selectors.audience_get_for_user(request.user, payload.audience, payload.target)
    made = services.announcement_send(actor=request.user, audience=audience, title=payload.title, body=payload.body,
                                      issuer=payload.issuer, is_public=payload.is_public,
                                      site=getattr(settings, "SITE_URL", "") or request.build_absolute_uri("/"))
    return Status(201, _announcement_out(request.user, made))


@router.get("/announcements/{announcement_id}", response=AnnouncementOut, summary="查看通知（接收人查看即记为已读）")
def announcement_get(request, announcement_id: int):
    announcement = selectors.announcement_get_for_user(request.user, announcement_id)
    receipt = services.announcement_open(user=request.user, announcement=announcement)
    return _announcement_out(request.user, announcement, receipt)


def _followed(request, announcement_id: int) -> Announcement:
    _sender(request)
    announcement = selectors.announcement_get_for_user(request.user, announcement_id)
    if not selectors.announcement_may_follow(request.user, announcement):
        raise NotFound()
    return announcement


@router.get("/announcements/{announcement_id}/unread", response=list[UnreadOut], summary="未读名单（按网格、姓名）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def announcement_unread(request, announcement_id: int):
    return selectors.receipt_list_unread(_followed(request, announcement_id))


@router.post("/announcements/{announcement_id}/remind", response={201: ReminderOut},
             summary="提醒未读（每 12 小时最多一次）")
def announcement_remind(request, announcement_id: int):
    announcement = _followed(request, announcement_id)
    return Status(201, services.announcement_remind(actor=request.user, announcement=announcement))


# --- polls -------------------------------------------------------------------------------------------


class QuestionIn(Schema):
    text: str = Field(..., max_length=services.QUESTION_MAX)
    kind: str = Field(..., description="single（单选）、multiple（多选）、scale（满意度，五级，选项自动生成）")
    options: list[str] = Field([], description="选项（单选、多选 2～10 个）")


class PollIn(Schema):
    audience: str = Field(..., description=f"调查对象：{KINDS}")
    target: str = Field(..., description="网格编码、村/乡镇区划代码，或党小组 id")
    title: str = Field(..., max_length=services.TITLE_MAX)
    description: str = Field("", max_length=services.BODY_MAX)
    unit: str = Field(..., description="household（每户一票）或 person（每人一票）")
    opens_at: dt.datetime
    closes_at: dt.datetime
    results_live: bool = Field(False, description="投票期间即公布结果；否则截止后公布")
    is_public: bool = Field(False, description="在村务公开页公布结果")
    questions: list[QuestionIn]


class OptionOut(Schema):
    id: int
    text: str
    count: int | None = Field(None, description="票数（结果公布后）")
    share: float | None = Field(None, description="占本题作答的比例，0～1")


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    kind: str
    answered: int | None = None
    satisfied_share: float | None = Field(None, description="满意度题：基本满意及以上 ÷ 作答")
    mean: float | None = Field(None, description="满意度题：平均分（5 分制）")
    options: list[OptionOut]


class PollOut(Schema):
    id: int
    audience: str
    audience_name: str
    title: str
    description: str
    unit: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    state: str = Field(..., description="upcoming 未开始、open 投票中、closed 已结束")
    results_live: bool
    is_public: bool
    public_state: str = Field(..., description=PUBLIC_STATES)
    electorate: int
    ballots: int | None = Field(None, description="已投票数（结果公布后）")
    voted: bool | None = Field(None, description="本人（每户一票时：本户）是否已投")
    questions: list[QuestionOut]


class AnswerIn(Schema):
    question: int
    options: list[int]


class VoteIn(Schema):
    answers: list[AnswerIn]


class BallotOut(Schema):
    id: int
    poll_id: int
    on_paper: bool
    cast_at: dt.datetime


def _poll_out(request, poll: Poll) -> dict:
    user, now = request.user, timezone.now()
    results = selectors.poll_results(poll) if selectors.results_visible(poll, user, now=now) else None
    voter = selectors.voter_of(user)
    voted = selectors.ballot_of(poll, voter) is not None if rules.can_vote(user) else None
    by_question = {q.question.pk: q for q in results.questions} if results else {}
    questions = []
    for q in selectors.poll_questions(poll):
        r = by_question.get(q.pk)
        counts = {o.option.pk: o for o in r.options} if r else {}
        questions.append({
            "id": q.pk, "position": q.position, "text": q.text, "kind": q.kind,
            "answered": r.answered if r else None, "satisfied_share": r.satisfied_share if r else None,
            "mean": r.mean if r else None,
            "options": [{"id": o.pk, "text": o.text, "count": counts[o.pk].count if r else None,
                         "share": counts[o.pk].share if r else None} for o in q.options.all()],
        })
    return {"id": poll.pk, "audience": poll.audience, "audience_name": poll.audience_label, "title": poll.title,
            "description": poll.description, "unit": poll.unit, "opens_at": poll.opens_at,
            "closes_at": poll.closes_at, "closed_at": poll.closed_at, "state": poll.state_at(now),
            "results_live": poll.results_live, "is_public": poll.is_public, "public_state": poll.public_state,
            "electorate": poll.electorate,
            "ballots": results.ballots if results else None, "voted": voted, "questions": questions}


class PollListOut(Schema):
    id: int
    audience: str
    audience_name: str = Field(..., alias="audience_label")
    title: str
    unit: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    is_public: bool
    public_state: str = Field(..., description=PUBLIC_STATES)
    electorate: int


@router.get("/polls", response=list[PollListOut],
            summary="民意调查：工作人员列本辖区的，村民列请本人参与的（?mine=true 只列请本人参与的）")
@paginate(PageNumberPagination, page_size=30, max_page_size=100)
def poll_list(request, mine: bool = False):
    _see(request)
    user = request.user
    if mine or not rules.can_send(user):
        return selectors.poll_list_for_voter(user, selectors.voter_of(user)) if rules.can_vote(user) else []
    return selectors.poll_list_for_user(user)


@router.post("/polls", response={201: PollOut}, summary="发起调查")
def poll_create(request, payload: PollIn):
    _sender(request)
    audience = selectors.audience_get_for_user(request.user, payload.audience, payload.target)
    poll = services.poll_create(
        actor=request.user, audience=audience, title=payload.title, description=payload.description,
        unit=payload.unit, opens_at=payload.opens_at, closes_at=payload.closes_at,
        questions=[services.QuestionInput(q.text, q.kind, q.options) for q in payload.questions],
        results_live=payload.results_live, is_public=payload.is_public)
    return Status(201, _poll_out(request, selectors.poll_get_for_user(request.user, poll.pk)))


@router.get("/polls/{poll_id}", response=PollOut, summary="调查的题目和结果（结果按设置公布）")
def poll_get(request, poll_id: int):
    return _poll_out(request, selectors.poll_get_for_user(request.user, poll_id))


@router.post("/polls/{poll_id}/votes", response={201: BallotOut},
             summary="投票（每户一票或每人一票，重复投票 409 duplicate_vote）")
def poll_vote(request, poll_id: int, payload: VoteIn):
    poll = selectors.poll_get_for_user(request.user, poll_id)
    return Status(201, services.poll_vote(actor=request.user, poll=poll, answers=_answers_in(payload)))


def _answers_in(payload: VoteIn) -> dict[int, list[int]]:
    answers: dict[int, list[int]] = {}
    for a in payload.answers:
        if a.question in answers:
            raise ParticipationError("同一题目只能回答一次", fields=field_error("answers", "题目重复"))
        answers[a.question] = a.options
    return answers


class PaperBallotIn(VoteIn):
    household: str = Field(..., description="户编号（须在代录人负责的范围内）")
    resident_name: str = Field("", description="每人一票时：投票人姓名")


@router.post("/polls/{poll_id}/paper-ballots", response={201: BallotOut},
             summary="入户代录纸质票（村两委、网格长、网格员；一户或一人仍只有一票）")
def poll_vote_record(request, poll_id: int, payload: PaperBallotIn):
    require(rules.can_record_ballots(request.user), "只有村两委和网格长、网格员可以代录纸质票")
    poll = selectors.poll_get_for_user(request.user, poll_id)
    household = selectors.ballot_household_for_user(request.user, payload.household)
    if household is None:
        raise ParticipationError("没有找到这个户编号（只能代录您负责范围内的户）",
                                 fields=field_error("household", "没有找到"))
    resident = selectors.ballot_resident(household, payload.resident_name) if payload.resident_name else None
    return Status(201, services.poll_vote_record(actor=request.user, poll=poll, household=household,
                                                 resident=resident, answers=_answers_in(payload)))


@router.post("/polls/{poll_id}/close", response=PollOut, summary="提前结束投票")
def poll_close(request, poll_id: int):
    _sender(request)
    poll = selectors.poll_get_for_user(request.user, poll_id)
    services.poll_close(actor=request.user, poll=poll)
    return _poll_out(request, selectors.poll_get_for_user(request.user, poll_id))


# --- 公开审核 ----------------------------------------------------------------------------------------


class ScreenIn(Schema):
    passed: bool = Field(..., description="true 通过（在村务公开页显示）；false 退回（须写明原因）")
    reason: str = Field("", max_length=services.REASON_MAX, description="审核意见；退回时必填")


class ScreeningOut(Schema):
    id: int
    announcement_id: int | None
    poll_id: int | None
    decision: str = Field(..., description="pass 通过、return 退回")
    reason: str
    at: dt.datetime


class ScreeningQueueOut(Schema):
    announcements: list[AnnouncementOut]
    polls: list[PollListOut]


def _screener(request) -> None:
    require(rules.can_screen(request.user), services.SCREENER_ONLY)


@router.get("/screening", response=ScreeningQueueOut,
            summary="待审核的公开通知和调查（乡镇、区县人员；本人发出的由其他人审核）")
def screening_queue(request):
    _screener(request)
    queue = selectors.screening_queue_for_user(request.user)
    return {"announcements": [_announcement_out(request.user, a) for a in queue.announcements],
            "polls": queue.polls}


@router.post("/announcements/{announcement_id}/screen", response={201: ScreeningOut},
             summary="审核公开的通知：通过后在村务公开页显示，退回须写原因")
def announcement_screen(request, announcement_id: int, payload: ScreenIn):
    _screener(request)
    announcement = selectors.announcement_get_for_user(request.user, announcement_id)
    return Status(201, services.announcement_screen(actor=request.user, announcement=announcement,
                                                    passed=payload.passed, reason=payload.reason))


@router.post("/polls/{poll_id}/screen", response={201: ScreeningOut},
             summary="审核公开的调查：通过后在村务公开页公布结果，退回须写原因")
def poll_screen(request, poll_id: int, payload: ScreenIn):
    _screener(request)
    poll = selectors.poll_get_for_user(request.user, poll_id)
    return Status(201, services.poll_screen(actor=request.user, poll=poll, passed=payload.passed,
                                            reason=payload.reason))


# --- 民情恳谈 ----------------------------------------------------------------------------------------


class MeetingIn(Schema):
    village: str = Field(..., description="村/社区区划代码")
    kind: str = Field(..., description="consultation（民情恳谈会）或 evening（百姓夜话）")
    held_on: dt.date
    place: str = Field(..., max_length=100)
    host_name: str = Field(..., max_length=50)
    attendance: int
    summary: str = Field("", max_length=services.BODY_MAX)


class DemandIn(Schema):
    title: str = Field(..., max_length=services.TITLE_MAX)
    detail: str = Field("", max_length=services.BODY_MAX)
    raised_by: str = Field("", max_length=50, description="提出人（不公开，可不填）")
    category: str | None = Field(None, description="事件类别代码（不填为「其他」）")
    grid: str | None = Field(None, description="本村网格编码（不填交乡镇分拨）")


class DemandOut(Schema):
    id: int
    title: str
    detail: str
    raised_by: str
    grid_code: str | None = None
    category: str | None = None
    case_id: int
    case_number: str = Field(..., alias="case.number")
    case_status: str = Field(..., alias="case.status")
    case_status_name: str = Field(..., alias="case.get_status_display")
    resolved: bool = Field(..., description="事件已结案")

    @staticmethod
    def resolve_grid_code(obj: MeetingDemand) -> str | None:
        return obj.grid.code if obj.grid else None

    @staticmethod
    def resolve_category(obj: MeetingDemand) -> str | None:
        return obj.category.code if obj.category else None

    @staticmethod
    def resolve_resolved(obj: MeetingDemand) -> bool:
        return obj.case.closed_at is not None


class MeetingOut(Schema):
    id: int
    village_code: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    kind: str
    kind_name: str = Field(..., alias="get_kind_display")
    held_on: dt.date
    place: str
    host_name: str
    attendance: int
    summary: str


class MeetingListOut(MeetingOut):
    demand_count: int = Field(..., description="诉求条数")
    resolved_count: int = Field(..., description="已办结（事件已结案）条数")


class FigureRowOut(Schema):
    name: str
    code: str
    meetings: int
    attendance: int
    demands: int
    resolved: int
    resolution_rate: float | None


class FiguresOut(Schema):
    region: str
    start: dt.date
    end: dt.date
    total: FigureRowOut
    villages: list[FigureRowOut]


def _keeper(request) -> None:
    require(rules.can_keep_meetings(request.user), services.KEEPER_ONLY)


def _meeting_out(meeting: Meeting) -> Meeting:
    meeting.demands_list = list(selectors.meeting_demands(meeting))  # type: ignore[attr-defined]
    return meeting


class MeetingFullOut(MeetingOut):
    demands: list[DemandOut] = Field([], alias="demands_list")


@router.get("/meetings", response=list[MeetingListOut], summary="民情恳谈、百姓夜话记录（按权限范围，最近的在前）")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def meeting_list(request, region: str | None = None, start: dt.date | None = None, end: dt.date | None = None):
    _keeper(request)
    return selectors.meeting_list_for_user(request.user, region=selectors.meeting_region_get_for_user(
        request.user, region), start=start, end=end)


@router.post("/meetings", response={201: MeetingFullOut}, summary="记录一次民情恳谈或百姓夜话")
def meeting_record(request, payload: MeetingIn):
    _keeper(request)
    village = selectors.meeting_village_get_for_user(request.user, payload.village)
    made = services.meeting_record(actor=request.user, village=village, kind=payload.kind, held_on=payload.held_on,
                                   place=payload.place, host_name=payload.host_name, attendance=payload.attendance,
                                   summary=payload.summary)
    return Status(201, _meeting_out(made))


@router.get("/meetings/figures", response=FiguresOut,
            summary="诉求收集和办结：场次、参加人次、诉求、已办结（事件已结案）、办结率，按村")
def meeting_figures(request, region: str | None = None, start: dt.date | None = None, end: dt.date | None = None):
    _keeper(request)
    place = selectors.meeting_region_get_for_user(request.user, region) or selectors.meeting_root_for_user(
        request.user)
    if place is None:
        raise NotFound()
    today = timezone.localdate()
    start = start or dt.date(today.year, 1, 1)
    end = end or today
    if end < start:
        raise ParticipationError("结束日期不能早于开始日期", fields=field_error("end", "早于开始日期"))
    figures = selectors.meeting_figures(place, start, end)
    return {"region": place.code, "start": start, "end": end, "total": figures.total, "villages": figures.rows}


@router.get("/meetings/{meeting_id}", response=MeetingFullOut, summary="一次会议和它的诉求（每条诉求的事件状态）")
def meeting_get(request, meeting_id: int):
    _keeper(request)
    return _meeting_out(selectors.meeting_get_for_user(request.user, meeting_id))


@router.post("/meetings/{meeting_id}/demands", response={201: DemandOut}, summary="录入诉求（转为事件）")
def demand_add(request, meeting_id: int, payload: DemandIn):
    _keeper(request)
    meeting = selectors.meeting_get_for_user(request.user, meeting_id)
    grid = None
    if payload.grid:
        grid = selectors.meeting_grids(meeting.village).filter(code=payload.grid).first()
        if grid is None:
            raise ParticipationError("网格不属于本村", fields=field_error("grid", "不属于本村"))
    category = None
    if payload.category:
        category = category_list().filter(code=payload.category).first()
        if category is None:
            raise ParticipationError("没有这个事件类别", fields=field_error("category", "不是可选的值"))
    demand = services.demand_add(actor=request.user, meeting=meeting, title=payload.title, detail=payload.detail,
                                 raised_by=payload.raised_by, category=category, grid=grid)
    return Status(201, demand)

