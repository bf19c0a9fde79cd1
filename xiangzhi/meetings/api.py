import datetime as dt
from typing import Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.meetings import selectors, services
from xiangzhi.meetings.errors import MeetingError
from xiangzhi.meetings.models import Commitment, Deliberation, SunshineMeeting
from xiangzhi.meetings.rules import can_follow_commitments, can_read, can_record, can_screen
from xiangzhi.projects import selectors as projects

router = Router(tags=["阳光报告会与四议两公开"])


# --- schemas ----------------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    text: str
    source: str = Field(..., description="onsite 现场 / qr 码上问")
    source_question_id: int | None
    reply: str
    hidden: str = Field(..., description="已隐去的个人信息种类")


class CommitmentOut(Schema):
    id: int
    meeting: int = Field(..., alias="meeting_id")
    village: str = Field(..., alias="village.code")
    question: int | None = Field(None, alias="question_id")
    demand: str
    owner_id: int
    owner: str = Field(..., alias="owner.full_name")
    deadline: dt.date
    measure: str
    state: str = Field(..., description="open 办理中 / done 已办结")
    status: str = Field(..., alias="status_label", description="办理中 / 已逾期 / 按期办结 / 逾期办结")
    overdue: bool = Field(..., alias="is_overdue")
    done_on: dt.date | None
    evidence: str


class MeetingSummaryOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    year: int
    quarter: int
    held_on: dt.date
    place: str
    attendance: int
    items_reported: int
    state: str
    state_name: str = Field(..., alias="get_state_display")
    satisfied: int | None
    basically_satisfied: int | None
    dissatisfied: int | None
    satisfaction: float | None = Field(None, description="（满意 + 基本满意）÷ 评议票数")
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None


class MeetingOut(MeetingSummaryOut):
    report: str
    questions: list[QuestionOut]
    commitments: list[CommitmentOut]


class MeetingIn(Schema):
    village: str = Field(..., description="村/社区区划代码")
    year: int
    quarter: int = Field(..., description="1～4")
    held_on: dt.date
    place: str
    attendance: int


class ReportIn(Schema):
    report: str
    items_reported: int = Field(0, description="述职通报的村务事项数")


class QuestionIn(Schema):
    text: str
    source: str = "onsite"
    reply: str = ""
    source_question_id: int | None = Field(None, description="码上问问题的编号")


class CommitmentIn(Schema):
    demand: str
    owner_id: int = Field(..., description="责任人账号（本村干部、积分管理员或网格员）")
    deadline: dt.date
    measure: str
    question_id: int | None = None


class VoteIn(Schema):
    satisfied: int
    basically_satisfied: int
    dissatisfied: int


class ScreenIn(Schema):
    decision: Literal["pass", "return"]
    reason: str = ""


class ScreeningOut(Schema):
    id: int
    decision: str
    reason: str
    at: dt.datetime


class NoteIn(Schema):
    note: str


class DoneIn(Schema):
    done_on: dt.date
    evidence: str


class ReasonIn(Schema):
    reason: str


class FiguresOut(Schema):
    region: str = Field(..., description="区划代码")
    name: str
    villages: int
    meetings: int = Field(..., description="召开（登记）的会议")
    published: int = Field(..., description="审核公开的会议")
    items: int = Field(..., description="公开会议通报的村务事项数之和")
    questions: int
    commitments: int
    done: int
    kept: int = Field(..., description="完成时限内办结")
    open: int
    overdue: int = Field(..., description="过了时限仍未办结")
    kept_rate: float | None = Field(None, description="按期办结 ÷（已办结 + 逾期未办）")
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    satisfaction: float | None


class OverviewOut(Schema):
    region: str
    year: int
    quarter: int | None
    total: FiguresOut
    rows: list[FiguresOut]


class StepOut(Schema):
    number: int
    kind: str
    kind_name: str = Field(..., alias="get_kind_display")
    held_on: dt.date
    place: str
    expected: int | None
    attendance: int | None
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    passed: bool | None
    minutes: str


class TotalsOut(Schema):
    money: int = Field(..., description="捐款（元）")
    labour_days: int = Field(..., description="投工（人·天）")
    money_from_away: int = Field(..., description="其中在外人士捐款（元）")
    donors: int


class DeliberationOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    title: str
    description: str
    amount: int | None
    proposer: str
    project_id: int | None
    state: str
    state_name: str = Field(..., alias="get_state_display")
    step: str
    step_number: int
    next_step: str | None
    published_at: dt.datetime | None
    steps: list[StepOut]
    totals: TotalsOut


class DeliberationIn(Schema):
    village: str
    title: str
    proposer: str
    proposed_on: dt.date
    description: str = ""
    amount: int | None = None
    project_id: int | None = None


class StepIn(Schema):
    kind: str = Field(..., description="branch / joint / members / representatives / decision_public / result_public")
    held_on: dt.date
    minutes: str
    place: str = ""
    expected: int | None = None
    attendance: int | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstain: int | None = None


class DonationIn(Schema):
    kind: str = Field(..., description="money 捐款 / labour 投工投劳")
    donor_name: str
    donated_on: dt.date
    amount: int = 0
    labour_days: int = 0
    living_away: bool = False
    anonymous: bool = False


class DonationOut(Schema):
    id: int
    kind: str
    donor_name: str
    living_away: bool
    anonymous: bool
    amount: int
    labour_days: int
    donated_on: dt.date
    corrects: int | None = Field(None, alias="corrects_id")
    reason: str


class PublicCommitmentOut(Schema):
    demand: str
    owner: str = Field(..., alias="owner.full_name")
    deadline: dt.date
    measure: str
    status: str = Field(..., alias="status_label")
    done_on: dt.date | None
    evidence: str
    progress: str = Field("", alias="last_note")


class PublicQuestionOut(Schema):
    asker: str = "村民"
    text: str
    source: str
    reply: str


class PublicMeetingOut(Schema):
    year: int
    quarter: int
    held_on: dt.date
    place: str
    attendance: int
    items_reported: int
    report: str
    satisfied: int | None
    basically_satisfied: int | None
    dissatisfied: int | None
    satisfaction: float | None
    questions: list[PublicQuestionOut]
    commitments: list[PublicCommitmentOut]


class PublicDonorOut(Schema):
    name: str
    note: str
    kind: str
    amount: int
    labour_days: int
    donated_on: dt.date


class PublicDeliberationOut(Schema):
    title: str
    amount: int | None
    state: str
    state_name: str = Field(..., alias="get_state_display")
    step: str
    step_number: int
    step_name: str = Field(..., alias="get_step_display")
    steps: list[StepOut]
    totals: TotalsOut
    donors: list[PublicDonorOut]


class PublicOut(Schema):
    village: str
    sunshine: PublicMeetingOut | None
    deliberations: list[PublicDeliberationOut]


# --- helpers ----------------------------------------------------------------------------------------


def _meeting_out(meeting: SunshineMeeting) -> SunshineMeeting:
    return selectors.meeting_detail(meeting)


def _meeting(request, meeting_id: int) -> SunshineMeeting:
    require(can_read(request.user))
    return selectors.meeting_get_for_user(request.user, meeting_id)


def _commitment(request, commitment_id: int) -> Commitment:
    require(can_follow_commitments(request.user))
    return selectors.commitment_get_for_user(request.user, commitment_id)


def _deliberation(request, deliberation_id: int) -> Deliberation:
    require(can_read(request.user))
    return selectors.deliberation_get_for_user(request.user, deliberation_id)


def _deliberation_out(deliberation: Deliberation) -> Deliberation:
    row = selectors.deliberation_detail(deliberation)
    row.totals = selectors.donation_totals([row])[row.pk]  # type: ignore[attr-defined]
    return row


def _figures(f: selectors.Figures) -> dict:
    return {"region": f.region.code if f.region else "", "name": f.region.name if f.region else "",
            **{k: getattr(f, k) for k in ("villages", "meetings", "published", "items", "questions", "commitments",
                                           "done", "kept", "open", "overdue", "kept_rate", "satisfied",
                                           "basically_satisfied", "dissatisfied", "satisfaction")}}


# --- meetings ---------------------------------------------------------------------------------------


@router.get("", response=list[MeetingSummaryOut])
def meeting_list(request, village: str | None = None, year: int | None = None, quarter: int | None = None):
    """The meetings of the villages the asker reads (village cadres, township, county)."""
    require(can_read(request.user))
    qs = selectors.meeting_list_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village)
    if year:
        qs = qs.filter(year=year)
    if quarter:
        qs = qs.filter(quarter=quarter)
    return list(qs.order_by("-year", "-quarter", "village__code")[:500])


@router.post("", response={201: MeetingOut})
def meeting_record(request, payload: MeetingIn):
    require(can_record(request.user), services.RECORD_ONLY)
    village = selectors.village_get_for_user(request.user, payload.village)
    row = services.meeting_record(actor=request.user, village=village, year=payload.year, quarter=payload.quarter,
                                  held_on=payload.held_on, place=payload.place, attendance=payload.attendance)
    return Status(201, _meeting_out(row))


@router.get("/commitments", response=list[CommitmentOut])
def commitment_list(request, overdue: bool = False, state: str | None = None, village: str | None = None):
    """Commitments of the asker's villages and those he owns; ``overdue=true``: open past the deadline."""
    require(can_follow_commitments(request.user))
    qs = selectors.commitment_list_for_user(request.user)
    if overdue:
        qs = qs.filter(state="open", deadline__lt=timezone.localdate())
    if state:
        qs = qs.filter(state=state)
    if village:
        qs = qs.filter(village__code=village)
    return list(qs.order_by("deadline", "id")[:500])


@router.get("/commitments/{commitment_id}", response=CommitmentOut)
def commitment_get(request, commitment_id: int):
    return _commitment(request, commitment_id)


@router.post("/commitments/{commitment_id}/progress", response=CommitmentOut)
def commitment_progress(request, commitment_id: int, payload: NoteIn):
    row = _commitment(request, commitment_id)
    services.commitment_progress(actor=request.user, commitment=row, note=payload.note)
    return selectors.commitment_detail(row)


@router.post("/commitments/{commitment_id}/done", response=CommitmentOut)
def commitment_done(request, commitment_id: int, payload: DoneIn):
    row = services.commitment_done(actor=request.user, commitment=_commitment(request, commitment_id),
                                   done_on=payload.done_on, evidence=payload.evidence)
    return selectors.commitment_detail(row)


@router.post("/commitments/{commitment_id}/reopen", response=CommitmentOut)
def commitment_reopen(request, commitment_id: int, payload: ReasonIn):
    row = services.commitment_reopen(actor=request.user, commitment=_commitment(request, commitment_id),
                                     reason=payload.reason)
    return selectors.commitment_detail(row)


@router.get("/overview", response=OverviewOut)
def overview(request, region: str | None = None, year: int | None = None, quarter: int | None = None):
    """Per village (per township for a county) for a quarter, or the whole year without ``quarter``."""
    require(can_screen(request.user))
    place = selectors.region_get_for_overview(request.user, region)
    year = year or timezone.localdate().year
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise MeetingError("季度应为 1～4")
    data = selectors.overview(place, year, quarter)
    return {"region": place.code, "year": year, "quarter": quarter, "total": _figures(data.total),
            "rows": [_figures(f) for f in data.rows]}


@router.get("/public/{village_code}", response=PublicOut, auth=None)
def public(request, village_code: str):
    """Anyone: the village's last published meeting (askers as 「村民」) and its public matters (donors masked)."""
    village = selectors.public_village(village_code)
    return {"village": village.code, "sunshine": selectors.sunshine_meeting_last_public(village),
            "deliberations": selectors.deliberation_list_public(village)}


# --- 四议两公开 -----------------------------------------------------------------------------------------


@router.get("/deliberations", response=list[DeliberationOut])
def deliberation_list(request, village: str | None = None, state: str | None = None):
    require(can_read(request.user))
    qs = selectors.deliberation_list_for_user(request.user).prefetch_related("steps")
    if village:
        qs = qs.filter(village__code=village)
    if state:
        qs = qs.filter(state=state)
    rows = list(qs[:200])
    totals = selectors.donation_totals(rows)
    for d in rows:
        d.totals = totals[d.pk]  # type: ignore[attr-defined]
    return rows


@router.post("/deliberations", response={201: DeliberationOut})
def deliberation_propose(request, payload: DeliberationIn):
    require(can_record(request.user), services.RECORD_ONLY)
    village = selectors.village_get_for_user(request.user, payload.village)
    project = None
    if payload.project_id is not None:
        project = projects.project_list_for_user(request.user, village=village).filter(pk=payload.project_id).first()
        if project is None:
            raise MeetingError("关联的村级项目不属于本村")
    row = services.deliberation_propose(actor=request.user, village=village, title=payload.title,
                                        proposer=payload.proposer, proposed_on=payload.proposed_on,
                                        description=payload.description, amount=payload.amount, project=project)
    return Status(201, _deliberation_out(row))


@router.get("/deliberations/{deliberation_id}", response=DeliberationOut)
def deliberation_get(request, deliberation_id: int):
    return _deliberation_out(_deliberation(request, deliberation_id))


@router.post("/deliberations/{deliberation_id}/steps", response={201: DeliberationOut})
def step_record(request, deliberation_id: int, payload: StepIn):
    row = _deliberation(request, deliberation_id)
    services.deliberation_step_record(actor=request.user, deliberation=row, **payload.dict())
    return Status(201, _deliberation_out(row))


@router.post("/deliberations/{deliberation_id}/screen", response=ScreeningOut)
def deliberation_screen(request, deliberation_id: int, payload: ScreenIn):
    return services.deliberation_screen(actor=request.user, deliberation=_deliberation(request, deliberation_id),
                                        passed=payload.decision == "pass", reason=payload.reason)


@router.get("/deliberations/{deliberation_id}/donations", response=list[DonationOut])
def donation_list(request, deliberation_id: int):
    return list(_deliberation(request, deliberation_id).donations.all())


@router.post("/deliberations/{deliberation_id}/donations", response={201: DonationOut})
def donation_record(request, deliberation_id: int, payload: DonationIn):
    return Status(201, services.deliberation_donation_record(
        actor=request.user, deliberation=_deliberation(request, deliberation_id), **payload.dict()))


# --- one meeting ------------------------------------------------------------------------------------


@router.get("/{meeting_id}", response=MeetingOut)
def meeting_get(request, meeting_id: int):
    return _meeting_out(_meeting(request, meeting_id))


@router.post("/{meeting_id}/report", response=MeetingOut)
def meeting_report(request, meeting_id: int, payload: ReportIn):
    row = services.meeting_report(actor=request.user, meeting=_meeting(request, meeting_id), report=payload.report,
                                  items_reported=payload.items_reported)
    return _meeting_out(row)


@router.post("/{meeting_id}/questions", response={201: QuestionOut})
def question_add(request, meeting_id: int, payload: QuestionIn):
    return Status(201, services.question_add(
        actor=request.user, meeting=_meeting(request, meeting_id), text_=payload.text, source=payload.source,
        reply=payload.reply, source_question_id=payload.source_question_id))


@router.post("/{meeting_id}/commitments", response={201: CommitmentOut})
def commitment_make(request, meeting_id: int, payload: CommitmentIn):
    row = _meeting(request, meeting_id)
    owner = User.objects.filter(pk=payload.owner_id).first()
    if owner is None:
        raise MeetingError("责任人须是本村的村干部、积分管理员或网格员")
    question = None
    if payload.question_id is not None:
        question = row.questions.filter(pk=payload.question_id).first()
        if question is None:
            raise NotFound()
    made = services.commitment_make(actor=request.user, meeting=row, demand=payload.demand, owner=owner,
                                    deadline=payload.deadline, measure=payload.measure, question=question)
    return Status(201, selectors.commitment_detail(made))


@router.post("/{meeting_id}/vote", response=MeetingOut)
def meeting_vote(request, meeting_id: int, payload: VoteIn):
    row = services.meeting_vote(actor=request.user, meeting=_meeting(request, meeting_id),
                                satisfied=payload.satisfied, basically_satisfied=payload.basically_satisfied,
                                dissatisfied=payload.dissatisfied)
    return _meeting_out(row)


@router.post("/{meeting_id}/submit", response=MeetingOut)
def meeting_submit(request, meeting_id: int):
    return _meeting_out(services.meeting_submit(actor=request.user, meeting=_meeting(request, meeting_id)))


@router.post("/{meeting_id}/screen", response=ScreeningOut)
def meeting_screen(request, meeting_id: int, payload: ScreenIn):
    return services.meeting_screen(actor=request.user, meeting=_meeting(request, meeting_id),
                                   passed=payload.decision == "pass", reason=payload.reason)

