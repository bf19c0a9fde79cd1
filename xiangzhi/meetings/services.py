"""Every change to sunshine meetings (述询定评), their commitments and 四议两公开 matters. Pages, the API
and the demo call these.

A meeting is recorded by the village's cadres while it is a draft (述, 询, 定, 评), submitted, and made
public by the township's screening (审核); a return sends it back to the draft with the reason. Each
step leaves a ``MeetingEvent``. A commitment is followed by its owner or the village's cadres to done,
each step a ``CommitmentEvent``; the township may send one reported done back. A matter's steps follow
``STEP_ORDER`` one by one; a step's votes never pass its attendance, nor its attendance the number
expected, and a meeting without its quorum decides nothing; a vote that fails stops the matter.

Free text that may go public is masked (``lib.redact``) before it is stored.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from xiangzhi.accounts.models import AnyUser, User
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.lib.photos import PhotoError, ProcessedPhoto, process
from xiangzhi.lib.redact import redact_personal
from xiangzhi.meetings.errors import MeetingConflict, MeetingError
from xiangzhi.meetings.models import (
    STEP_ORDER,
    VOTING_STEPS,
    Attachment,
    Commitment,
    CommitmentAction,
    CommitmentEvent,
    CommitmentPhoto,
    CommitmentState,
    Deliberation,
    DeliberationDonation,
    DeliberationState,
    DeliberationStep,
    DonationKind,
    MeetingAction,
    MeetingEvent,
    MeetingQuestion,
    MeetingState,
    QuestionSource,
    Screening,
    ScreeningDecision,
    StepKind,
    SunshineMeeting,
    quarter_bounds,
)
from xiangzhi.meetings.rules import can_record, can_screen
from xiangzhi.meetings.selectors import covers_village, owner_candidates
from xiangzhi.notifications.services import notify
from xiangzhi.projects.models import Project
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.supervision import selectors as supervision

TITLE_MAX = 100
SHORT_MAX = 200
NOTE_MAX = 500
REPORT_MAX = 5000
MINUTES_MAX = 2000
NAME_MAX = 50
MAX_PEOPLE = 10_000  # attendance of one village meeting, far above any village's roll
MAX_ITEMS = 500
MAX_MONEY = 10_000_000_000
MAX_LABOUR_DAYS = 1_000_000
MAX_PHOTOS = 3
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
HELD_AFTER_QUARTER_DAYS = 31  # a quarter's meeting may report on it in the month after it ends
DEADLINE_MAX_DAYS = 366
PROPOSAL_MAX_AGE_DAYS = 730

RECORD_ONLY = "只有本村村两委可以登记阳光报告会和四议两公开"
SCREEN_ONLY = "只有乡镇（街道）综治中心或县级管理员可以审核公开"


@dataclass(frozen=True)
class FileIn:
    """An uploaded file as the service receives it: its name and its bytes (bounded by the caller)."""

    name: str
    data: bytes


def full_day(day: dt.date) -> str:
    """A day as kept in a history note or said in a refusal: 「2026年9月20日」, never ambiguous later."""
    return f"{day.year}年{day.month}月{day.day}日"


def _text(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> str:
    return text(value, name, label, limit, required=required, error=MeetingError)


def _masked(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> tuple[str, str]:
    """The text with ID, phone and card numbers masked, and 「已隐去：…」 when some were."""
    checked = _text(value, name, label, limit, required=required)
    redacted = redact_personal(checked)
    return redacted.text, redacted.describe()


def _whole(value: object, name: str, label: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise MeetingError(f"{label}应为 {low}～{high} 之间的整数", fields=field_error(name, "超出范围"))
    return value


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _check_recorder(actor: AnyUser, village: Region) -> None:
    require(can_record(actor), RECORD_ONLY)
    if not covers_village(actor, village):
        raise NotFound()


def _check_screener(actor: AnyUser, village: Region) -> None:
    require(can_screen(actor), SCREEN_ONLY)
    if not covers_village(actor, village):
        raise NotFound()


def _attachment(file: FileIn | None, actor: User, now: dt.datetime, **owner: object) -> None:
    """A PDF kept as sent, or a photo re-encoded without EXIF; anything else refused."""
    if file is None:
        return
    if len(file.data) > ATTACHMENT_MAX_BYTES:
        raise MeetingError(f"附件不能超过 {ATTACHMENT_MAX_BYTES // 1024 // 1024} MB",
                           fields=field_error("attachment", "过大"))
    name = (file.name or "附件").replace("/", "_").replace("\\", "_")[-80:]
    if file.data.startswith(b"%PDF-"):
        data, content_type, suffix = file.data, "application/pdf", ".pdf"
    else:
        try:
            data, content_type, suffix = process(file.data, max_bytes=ATTACHMENT_MAX_BYTES).image, "image/jpeg", ".jpg"
        except PhotoError:
            raise MeetingError("附件只能是 PDF 文件或照片", fields=field_error("attachment", "格式不支持")) from None
    row = Attachment(name=name, content_type=content_type, size_bytes=len(data), uploaded_at=now,
                     uploaded_by=actor, **owner)
    row.file.save(f"attachment{suffix}", ContentFile(data), save=False)
    row.save()


# --- sunshine meetings --------------------------------------------------------------------------------


def _meeting_event(meeting: SunshineMeeting, action: str, actor: User, now: dt.datetime, note: str = "") -> None:
    MeetingEvent.objects.create(meeting=meeting, action=action, actor=actor, at=now, note=note[:NOTE_MAX])


def _check_held_on(held_on: object, year: int, quarter: int, today: dt.date) -> dt.date:
    if not isinstance(held_on, dt.date):
        raise MeetingError("请填写召开日期", fields=field_error("held_on", "必填"))
    start, end = quarter_bounds(year, quarter)
    last = end + dt.timedelta(days=HELD_AFTER_QUARTER_DAYS)
    if not start <= held_on <= last:
        raise MeetingError(f"第{quarter}季度的阳光报告会应在 {full_day(start)} 至 {full_day(last)} 之间召开",
                           fields=field_error("held_on", "不在本季度"))
    if held_on > today:
        raise MeetingError("召开日期不能晚于今天", fields=field_error("held_on", "晚于今天"))
    return held_on


def _locked_draft(meeting: SunshineMeeting) -> SunshineMeeting:
    row = SunshineMeeting.objects.select_for_update().get(pk=meeting.pk)
    if row.state != MeetingState.DRAFT:
        raise MeetingConflict(f"本次会议记录{row.get_state_display()}，不能再修改")
    return row


def meeting_record(*, actor: User, village: Region, year: int, quarter: int, held_on: dt.date, place: str,
                   attendance: int, now: dt.datetime | None = None) -> SunshineMeeting:
    """登记 the quarter's meeting as held: its day, place and attendance. One per village and quarter."""
    _check_recorder(actor, village)
    if village.level != RegionLevel.VILLAGE:
        raise MeetingError("阳光报告会须由一个村/社区召开", fields=field_error("village", "不是村/社区"))
    now = _now(now)
    _whole(year, "year", "年度", 2000, 2100)
    _whole(quarter, "quarter", "季度", 1, 4)
    held_on = _check_held_on(held_on, year, quarter, timezone.localdate(now))
    place = _text(place, "place", "地点", TITLE_MAX, required=True)
    attendance = _whole(attendance, "attendance", "参会人数", 1, MAX_PEOPLE)
    try:
        with transaction.atomic():
            meeting = SunshineMeeting.objects.create(
                village=village, year=year, quarter=quarter, held_on=held_on, place=place, attendance=attendance,
                created_at=now, created_by=actor)
            _meeting_event(meeting, MeetingAction.RECORD, actor, now,
                           f"{full_day(held_on)} 在{place}召开，参会 {attendance} 人")
    except IntegrityError:
        raise MeetingConflict(f"{village.name}{year}年第{quarter}季度的阳光报告会已经登记",
                              code="already_recorded") from None
    return meeting


def meeting_edit(*, actor: User, meeting: SunshineMeeting, held_on: dt.date, place: str, attendance: int,
                 now: dt.datetime | None = None) -> SunshineMeeting:
    """Correct the day, place or attendance while the record is a draft (never below the votes cast)."""
    _check_recorder(actor, meeting.village)
    now = _now(now)
    held_on = _check_held_on(held_on, meeting.year, meeting.quarter, timezone.localdate(now))
    place = _text(place, "place", "地点", TITLE_MAX, required=True)
    attendance = _whole(attendance, "attendance", "参会人数", 1, MAX_PEOPLE)
    with transaction.atomic():
        row = _locked_draft(meeting)
        if row.voted_at is not None and row.votes > attendance:
            raise MeetingError(f"参会人数不能少于已记录的表决票数（{row.votes}）",
                               fields=field_error("attendance", "少于表决票数"))
        first_deadline = row.commitments.aggregate(d=Min("deadline"))["d"]
        if first_deadline is not None and held_on > first_deadline:
            raise MeetingError("召开日期不能晚于已定承诺的完成时限", fields=field_error("held_on", "晚于承诺时限"))
        changes = [f"{label} {before} → {after}" for label, before, after in (
            ("日期", f"{full_day(row.held_on)}", f"{full_day(held_on)}"), ("地点", row.place, place),
            ("参会人数", row.attendance, attendance)) if before != after]
        row.held_on, row.place, row.attendance = held_on, place, attendance
        row.save(update_fields=["held_on", "place", "attendance"])
        _meeting_event(row, MeetingAction.RECORD, actor, now, "修改：" + "；".join(changes) if changes else "未修改")
    return row


def meeting_report(*, actor: User, meeting: SunshineMeeting, report: str, items_reported: int,
                   attachment: FileIn | None = None, now: dt.datetime | None = None) -> SunshineMeeting:
    """述: the secretary's report (personal numbers masked) and how many village affairs items it went
    through, with an optional file (the report as delivered)."""
    _check_recorder(actor, meeting.village)
    now = _now(now)
    body, hidden = _masked(report, "report", "述职内容", REPORT_MAX, required=True)
    items_reported = _whole(items_reported, "items_reported", "通报村务事项数", 0, MAX_ITEMS)
    with transaction.atomic():
        row = _locked_draft(meeting)
        row.report, row.report_hidden, row.items_reported = body, hidden, items_reported
        row.save(update_fields=["report", "report_hidden", "items_reported"])
        _attachment(attachment, actor, now, meeting=row)
        _meeting_event(row, MeetingAction.REPORT, actor, now,
                       "；".join(p for p in (f"通报村务 {items_reported} 项", hidden) if p))
    return row


def question_add(*, actor: User, meeting: SunshineMeeting, text_: str, source: str = QuestionSource.ONSITE,
                 reply: str = "", source_question_id: int | None = None,
                 now: dt.datetime | None = None) -> MeetingQuestion:
    """询: a villager's question (the asker is not recorded) with the on-site reply, if any; one asked by
    QR (码上问) names its question there, once a meeting."""
    _check_recorder(actor, meeting.village)
    now = _now(now)
    body, hidden = _masked(text_, "text", "问题", NOTE_MAX, required=True)
    answer, answer_hidden = _masked(reply, "reply", "现场答复", NOTE_MAX)
    if source not in QuestionSource.values:
        raise MeetingError("请选择问题来源", fields=field_error("source", "不是可选的值"))
    if source_question_id is not None:
        _whole(source_question_id, "source_question_id", "码上问编号", 1, 2**62)
        if source != QuestionSource.QR:
            raise MeetingError("只有码上问的问题才有码上问编号", fields=field_error("source_question_id", "来源不符"))
    with transaction.atomic():
        row = _locked_draft(meeting)
        if source_question_id is not None and row.questions.filter(source_question_id=source_question_id).exists():
            raise MeetingConflict("该码上问问题已列入本次会议", code="already_listed")
        question = MeetingQuestion.objects.create(
            meeting=row, text=body, hidden="；".join(h for h in (hidden, answer_hidden) if h), source=source,
            source_question_id=source_question_id, reply=answer, recorded_at=now, recorded_by=actor)
        _meeting_event(row, MeetingAction.QUESTION, actor, now,
                       f"{QuestionSource(source).label}：{body[:60]}" + (f"（{hidden}）" if hidden else ""))
    return question


def questions_take_from_qr(*, actor: User, meeting: SunshineMeeting,
                           now: dt.datetime | None = None) -> list[MeetingQuestion]:
    """询 of the quarter's 码上问: every question asked by QR in the meeting's quarter that passed
    screening and is not listed yet, with its public answer as the reply (masked text only, as
    screened). Taking them twice lists nothing twice."""
    _check_recorder(actor, meeting.village)
    listed = set(meeting.questions.exclude(source_question_id=None).values_list("source_question_id", flat=True))
    taken = []
    for asked in supervision.question_list_for_quarter(meeting.village, meeting.year, meeting.quarter):
        if asked.pk in listed:
            continue
        taken.append(question_add(actor=actor, meeting=meeting, text_=asked.text, source=QuestionSource.QR,
                                  reply=asked.answer, source_question_id=asked.pk, now=now))
    return taken


def commitment_make(*, actor: User, meeting: SunshineMeeting, demand: str, owner: User, deadline: dt.date,
                    measure: str, question: MeetingQuestion | None = None,
                    now: dt.datetime | None = None) -> Commitment:
    """定: a demand made a commitment — 定责 (an owner of the village), 定时 (a deadline after the meeting,
    within a year), 定措施 (the measure). The owner is told."""
    _check_recorder(actor, meeting.village)
    now = _now(now)
    demand, demand_hidden = _masked(demand, "demand", "群众诉求", SHORT_MAX, required=True)
    measure, measure_hidden = _masked(measure, "measure", "措施", NOTE_MAX, required=True)
    if not isinstance(deadline, dt.date):
        raise MeetingError("请填写完成时限", fields=field_error("deadline", "必填"))
    if question is not None and question.meeting_id != meeting.pk:
        raise MeetingError("质询不属于本次会议", fields=field_error("question", "不属于本次会议"))
    if not owner_candidates(meeting.village).filter(pk=owner.pk).exists():
        raise MeetingError("责任人须是本村的村干部、积分管理员或网格员", fields=field_error("owner", "不在本村"))
    with transaction.atomic():
        row = _locked_draft(meeting)
        if not row.held_on <= deadline <= row.held_on + dt.timedelta(days=DEADLINE_MAX_DAYS):
            raise MeetingError(f"完成时限应在会议召开（{full_day(row.held_on)}）后一年之内",
                               fields=field_error("deadline", "超出范围"))
        commitment = Commitment.objects.create(
            meeting=row, village_id=row.village_id, question=question, demand=demand, owner=owner, deadline=deadline,
            measure=measure, created_at=now, created_by=actor)
        hidden = "；".join(h for h in (demand_hidden, measure_hidden) if h)
        who = owner.full_name or owner.get_role_display()  # by name, never by login
        CommitmentEvent.objects.create(commitment=commitment, action=CommitmentAction.MAKE,
                                       to_state=CommitmentState.OPEN, actor=actor, at=now,
                                       note=f"责任人 {who}，{full_day(deadline)} 前：{measure}"[:NOTE_MAX])
        _meeting_event(row, MeetingAction.COMMITMENT, actor, now, demand[:60] + (f"（{hidden}）" if hidden else ""))
        if owner.pk != actor.pk:
            notify(recipients=[owner], kind="commitment_assigned", title=f"阳光报告会承诺事项：{demand[:40]}",
                   body=f"请于 {full_day(deadline)} 前办结：{measure}"[:NOTE_MAX],
                   link=reverse("meetings:commitment", args=[commitment.pk]))
    return commitment


def meeting_vote(*, actor: User, meeting: SunshineMeeting, satisfied: int, basically_satisfied: int,
                 dissatisfied: int, now: dt.datetime | None = None) -> SunshineMeeting:
    """评: the evaluation vote's three counts; together at least one and never more than those attending.
    Recorded again while the draft stands, each time with a history row."""
    _check_recorder(actor, meeting.village)
    now = _now(now)
    counts = [_whole(v, name, label, 0, MAX_PEOPLE) for v, name, label in (
        (satisfied, "satisfied", "满意票数"), (basically_satisfied, "basically_satisfied", "基本满意票数"),
        (dissatisfied, "dissatisfied", "不满意票数"))]
    total = sum(counts)
    if total == 0:
        raise MeetingError("请填写评议票数", fields=field_error("satisfied", "必填"))
    with transaction.atomic():
        row = _locked_draft(meeting)
        if total > row.attendance:
            raise MeetingError(f"评议票数（{total}）不能超过参会人数（{row.attendance}）",
                               fields=field_error("satisfied", "超过参会人数"), code="votes_exceed_attendance")
        row.satisfied, row.basically_satisfied, row.dissatisfied = counts
        row.voted_at = now
        row.save(update_fields=["satisfied", "basically_satisfied", "dissatisfied", "voted_at"])
        _meeting_event(row, MeetingAction.VOTE, actor, now,
                       f"满意 {counts[0]}，基本满意 {counts[1]}，不满意 {counts[2]}（参会 {row.attendance} 人）")
    return row


def meeting_submit(*, actor: User, meeting: SunshineMeeting, now: dt.datetime | None = None) -> SunshineMeeting:
    """提交审核: the record goes to the township's screening; it needs the report and the vote."""
    _check_recorder(actor, meeting.village)
    now = _now(now)
    with transaction.atomic():
        row = _locked_draft(meeting)
        if not row.report:
            raise MeetingConflict("请先记录书记述职（述）", code="report_missing")
        if row.voted_at is None:
            raise MeetingConflict("请先记录阳光评议结果（评）", code="vote_missing")
        row.state, row.submitted_at = MeetingState.SUBMITTED, now
        row.save(update_fields=["state", "submitted_at"])
        _meeting_event(row, MeetingAction.SUBMIT, actor, now)
    return row


def meeting_screen(*, actor: User, meeting: SunshineMeeting, passed: bool, reason: str = "",
                   now: dt.datetime | None = None) -> Screening:
    """审核: the township passes the submitted record, which makes it public, or returns it to the village
    with the reason. Either way the decision is kept."""
    _check_screener(actor, meeting.village)
    now = _now(now)
    reason = _text(reason, "reason", "退回原因" if not passed else "审核意见", SHORT_MAX, required=not passed)
    with transaction.atomic():
        row = SunshineMeeting.objects.select_for_update().get(pk=meeting.pk)
        if row.state != MeetingState.SUBMITTED:
            raise MeetingConflict(f"本次会议记录{row.get_state_display()}，不在待审核状态", code="not_submitted")
        screening = Screening.objects.create(meeting=row, decision=ScreeningDecision.PASS if passed
                                             else ScreeningDecision.RETURN, reason=reason, actor=actor, at=now)
        if passed:
            row.state, row.published_at = MeetingState.PUBLISHED, now
            _meeting_event(row, MeetingAction.PASS, actor, now, reason)
        else:
            row.state = MeetingState.DRAFT
            _meeting_event(row, MeetingAction.RETURN, actor, now, reason)
            notify(recipients=[row.created_by], kind="meeting_returned",
                   title=f"{row.label}阳光报告会记录被退回", body=reason,
                   link=reverse("meetings:meeting", args=[row.pk]))
        row.save(update_fields=["state", "published_at"])
    return screening


# --- commitments ----------------------------------------------------------------------------------------


def _check_follower(actor: User, commitment: Commitment) -> None:
    """The owner himself, or a cadre of the village."""
    if actor.pk == commitment.owner_id:
        return
    require(can_record(actor), "只有责任人或本村村两委可以办理承诺事项")
    if not covers_village(actor, commitment.village):
        raise NotFound()


def _locked_commitment(commitment: Commitment, state: str) -> Commitment:
    row = Commitment.objects.select_for_update().select_related("meeting").get(pk=commitment.pk)
    if row.state != state:
        raise MeetingConflict(f"该承诺事项{row.get_state_display()}", code="wrong_state")
    return row


def commitment_progress(*, actor: User, commitment: Commitment, note: str,
                        now: dt.datetime | None = None) -> CommitmentEvent:
    """进展: what has been done so far, shown with the commitment on the public page."""
    _check_follower(actor, commitment)
    now = _now(now)
    note, _ = _masked(note, "note", "进展情况", NOTE_MAX, required=True)
    with transaction.atomic():
        row = _locked_commitment(commitment, CommitmentState.OPEN)
        return CommitmentEvent.objects.create(commitment=row, action=CommitmentAction.PROGRESS,
                                              from_state=row.state, to_state=row.state, actor=actor, at=now,
                                              note=note)


def commitment_done(*, actor: User, commitment: Commitment, done_on: dt.date, evidence: str,
                    photos: Sequence[ProcessedPhoto] = (), now: dt.datetime | None = None) -> Commitment:
    """办结: the day it was done (not before the meeting, not after today), what was done, and photos."""
    _check_follower(actor, commitment)
    now = _now(now)
    evidence, _ = _masked(evidence, "evidence", "办结情况", NOTE_MAX, required=True)
    if len(photos) > MAX_PHOTOS:
        raise MeetingError(f"最多上传 {MAX_PHOTOS} 张照片", fields=field_error("photos", "太多"))
    with transaction.atomic():
        row = _locked_commitment(commitment, CommitmentState.OPEN)
        if not isinstance(done_on, dt.date) or not row.meeting.held_on <= done_on <= timezone.localdate(now):
            raise MeetingError("办结日期应在会议召开之后、今天之前", fields=field_error("done_on", "日期不正确"))
        row.state, row.done_on, row.evidence = CommitmentState.DONE, done_on, evidence
        row.save(update_fields=["state", "done_on", "evidence"])
        late = "（逾期办结）" if done_on > row.deadline else ""
        CommitmentEvent.objects.create(commitment=row, action=CommitmentAction.DONE, from_state=CommitmentState.OPEN,
                                       to_state=CommitmentState.DONE, actor=actor, at=now,
                                       note=f"{full_day(done_on)} 办结{late}：{evidence}"[:NOTE_MAX])
        for i, photo in enumerate(photos, start=1):
            p = CommitmentPhoto(commitment=row)
            p.attach(photo, f"commitment-{row.pk}-{i}.jpg")
            p.save()
    return row


def commitment_reopen(*, actor: User, commitment: Commitment, reason: str,
                      now: dt.datetime | None = None) -> Commitment:
    """核查退回: the township finds a commitment reported done not done; it is open again, the owner told."""
    _check_screener(actor, commitment.village)
    now = _now(now)
    reason = _text(reason, "reason", "退回原因", NOTE_MAX, required=True)
    with transaction.atomic():
        row = _locked_commitment(commitment, CommitmentState.DONE)
        row.state, row.done_on, row.evidence = CommitmentState.OPEN, None, ""
        row.save(update_fields=["state", "done_on", "evidence"])
        CommitmentEvent.objects.create(commitment=row, action=CommitmentAction.REOPEN, from_state=CommitmentState.DONE,
                                       to_state=CommitmentState.OPEN, actor=actor, at=now, note=reason)
        notify(recipients=[row.owner_id], kind="commitment_reopened", title=f"承诺事项被退回：{row.demand[:40]}",
               body=reason, link=reverse("meetings:commitment", args=[row.pk]))
    return row


@dataclass
class SweepResult:
    overdue: int = 0


SWEEP_BATCH = 500


def commitment_overdue_sweep(now: dt.datetime | None = None) -> SweepResult:
    """逾期: mark open commitments past their deadline, once each, with a history row. Each batch claims
    its rows by ``UPDATE … WHERE state = open AND overdue_at IS NULL``; rows another worker took are
    skipped. (Figures count overdue from the deadline itself, so they never wait for the sweep.)"""
    now = _now(now)
    today = timezone.localdate(now)
    result = SweepResult()
    ids = list(Commitment.objects.filter(state=CommitmentState.OPEN, overdue_at__isnull=True, deadline__lt=today)
               .values_list("id", flat=True))
    for i in range(0, len(ids), SWEEP_BATCH):
        batch = ids[i:i + SWEEP_BATCH]
        with transaction.atomic():
            won = list(Commitment.objects.select_for_update(skip_locked=True)
                       .filter(pk__in=batch, state=CommitmentState.OPEN, overdue_at__isnull=True)
                       .values_list("id", flat=True))
            Commitment.objects.filter(pk__in=won, overdue_at__isnull=True).update(overdue_at=now)
            CommitmentEvent.objects.bulk_create([
                CommitmentEvent(commitment_id=pk, action=CommitmentAction.OVERDUE, from_state=CommitmentState.OPEN,
                                to_state=CommitmentState.OPEN, note="系统：已超过完成时限", at=now)
                for pk in won])
            result.overdue += len(won)
    return result


# --- 四议两公开 -----------------------------------------------------------------------------------------


def deliberation_propose(*, actor: User, village: Region, title: str, proposer: str, proposed_on: dt.date,
                         description: str = "", amount: int | None = None, project: Project | None = None,
                         now: dt.datetime | None = None) -> Deliberation:
    """事项提出: a village matter (一事一议) and who proposed it, the first of its seven steps; a village
    project it concerns keeps the donations."""
    _check_recorder(actor, village)
    if village.level != RegionLevel.VILLAGE:
        raise MeetingError("事项须属于一个村/社区", fields=field_error("village", "不是村/社区"))
    now = _now(now)
    title, title_hidden = _masked(title, "title", "事项", TITLE_MAX, required=True)
    description, hidden = _masked(description, "description", "事项内容", MINUTES_MAX)
    proposer, _ = _masked(proposer, "proposer", "提议人", NAME_MAX, required=True)
    if amount is not None:
        _whole(amount, "amount", "涉及金额（元）", 0, MAX_MONEY)
    today = timezone.localdate(now)
    if not isinstance(proposed_on, dt.date) or not today - dt.timedelta(days=PROPOSAL_MAX_AGE_DAYS) <= proposed_on \
            <= today:
        raise MeetingError("提出日期应在两年之内、不晚于今天", fields=field_error("proposed_on", "日期不正确"))
    if project is not None and project.village_id != village.pk:
        raise MeetingError("关联的村级项目不属于本村", fields=field_error("project", "不属于本村"))
    with transaction.atomic():
        row = Deliberation.objects.create(village=village, title=title, description=description, amount=amount,
                                          proposer=proposer, project=project, created_at=now, created_by=actor)
        DeliberationStep.objects.create(
            deliberation=row, kind=StepKind.PROPOSAL, held_on=proposed_on, minutes=description or title,
            minutes_hidden="；".join(h for h in (title_hidden, hidden) if h), recorded_at=now, recorded_by=actor)
    return row


def _quorum(kind: str, expected: int, attendance: int) -> None:
    num, den, strict = VOTING_STEPS[kind]
    if attendance * den > expected * num if strict else attendance * den >= expected * num:
        return
    share = "超过半数" if (num, den) == (1, 2) else "三分之二以上"
    raise MeetingError(f"{StepKind(kind).label}须有应到人数的{share}到会（应到 {expected} 人，实到 {attendance} 人），"
                       "不能作出决定", fields=field_error("attendance", "不足法定人数"), code="no_quorum")


def _check_next(row: Deliberation, kind: str) -> None:
    if row.state != DeliberationState.IN_PROGRESS:
        raise MeetingConflict(f"该事项{row.get_state_display()}，不能再记录", code="not_in_progress")
    if kind != row.next_step:
        if STEP_ORDER.index(kind) <= STEP_ORDER.index(row.step):
            raise MeetingConflict(f"「{StepKind(kind).label}」已经记录", code="step_recorded")
        raise MeetingConflict(f"请按顺序办理：下一步是「{row.next_step_label}」，"
                              f"不能跳到「{StepKind(kind).label}」", code="step_out_of_order")


def deliberation_step_record(*, actor: User, deliberation: Deliberation, kind: str, held_on: dt.date,
                             minutes: str, place: str = "", expected: int | None = None,
                             attendance: int | None = None, votes_for: int | None = None,
                             votes_against: int | None = None, votes_abstain: int | None = None,
                             attachment: FileIn | None = None, now: dt.datetime | None = None) -> DeliberationStep:
    """The matter's next step, and only that one: its date (not before the last step, not after today),
    minutes or what was published, and for the four meetings the expected and actual attendance and the
    votes. A meeting short of its quorum decides nothing (refused); votes never pass the attendance; a
    motion passes with more than half of those attending for it, and a failed one stops the matter."""
    _check_recorder(actor, deliberation.village)
    now = _now(now)
    if kind not in STEP_ORDER or kind == StepKind.PROPOSAL:
        raise MeetingError("请选择环节", fields=field_error("kind", "不是可选的值"))
    # Before the form's details, on the row as it stands: a step out of order is told first.
    _check_next(Deliberation.objects.only("state", "step").get(pk=deliberation.pk), kind)
    minutes, hidden = _masked(minutes, "minutes", "会议纪要或公开内容", MINUTES_MAX, required=True)
    place = _text(place, "place", "地点或公开方式", TITLE_MAX)
    votes: list[int | None] = [None, None, None]
    passed: bool | None = None
    if kind in VOTING_STEPS:
        expected = _whole(expected, "expected", "应到人数", 1, MAX_PEOPLE)
        attendance = _whole(attendance, "attendance", "实到人数", 1, MAX_PEOPLE)
        counted = [_whole(v, name, label, 0, MAX_PEOPLE) for v, name, label in (
            (votes_for, "votes_for", "赞成票数"), (votes_against, "votes_against", "反对票数"),
            (votes_abstain, "votes_abstain", "弃权票数"))]
        if attendance > expected:
            raise MeetingError(f"实到人数（{attendance}）不能超过应到人数（{expected}）",
                               fields=field_error("attendance", "超过应到人数"))
        if sum(counted) > attendance:
            raise MeetingError(f"表决票数（{sum(counted)}）不能超过实到人数（{attendance}）",
                               fields=field_error("votes_for", "超过实到人数"), code="votes_exceed_attendance")
        _quorum(kind, expected, attendance)
        votes, passed = list(counted), counted[0] * 2 > attendance
    else:
        expected = attendance = None
    with transaction.atomic():
        row = Deliberation.objects.select_for_update().get(pk=deliberation.pk)
        _check_next(row, kind)
        last = row.steps.order_by("-held_on").values_list("held_on", flat=True).first()
        if not isinstance(held_on, dt.date) or held_on > timezone.localdate(now) or (last and held_on < last):
            raise MeetingError(f"日期应在上一环节（{full_day(last)}）之后、今天之前" if last else "日期不能晚于今天",
                               fields=field_error("held_on", "日期不正确"))
        step = DeliberationStep.objects.create(
            deliberation=row, kind=kind, held_on=held_on, place=place, expected=expected, attendance=attendance,
            votes_for=votes[0], votes_against=votes[1], votes_abstain=votes[2], passed=passed, minutes=minutes,
            minutes_hidden=hidden, recorded_at=now, recorded_by=actor)
        _attachment(attachment, actor, now, step=step)
        row.step = kind
        if passed is False:
            row.state = DeliberationState.STOPPED
        elif kind == StepKind.RESULT_PUBLIC:
            row.state = DeliberationState.COMPLETED
        row.save(update_fields=["step", "state"])
    return step


def deliberation_screen(*, actor: User, deliberation: Deliberation, passed: bool, reason: str = "",
                        now: dt.datetime | None = None) -> Screening:
    """审核: the township makes the matter public on the village's page (its steps as they are recorded
    from then on), or keeps it off with the reason — also one already public."""
    _check_screener(actor, deliberation.village)
    now = _now(now)
    reason = _text(reason, "reason", "不予公开的原因" if not passed else "审核意见", SHORT_MAX, required=not passed)
    with transaction.atomic():
        row = Deliberation.objects.select_for_update().get(pk=deliberation.pk)
        if passed and row.published_at is not None:
            raise MeetingConflict("该事项已经公开", code="already_public")
        screening = Screening.objects.create(deliberation=row, decision=ScreeningDecision.PASS if passed
                                             else ScreeningDecision.RETURN, reason=reason, actor=actor, at=now)
        row.published_at = now if passed else None
        row.save(update_fields=["published_at"])
    return screening


def _donation_checks(actor: User, deliberation: Deliberation) -> None:
    _check_recorder(actor, deliberation.village)
    if deliberation.project_id is not None:
        raise MeetingConflict("该事项已关联村级项目，捐款和投工投劳请在项目中登记", code="kept_by_project")
    if deliberation.state == DeliberationState.STOPPED:
        raise MeetingConflict("该事项已终止，不能再登记捐赠", code="not_in_progress")


def deliberation_donation_record(*, actor: User, deliberation: Deliberation, kind: str, donor_name: str,
                                 donated_on: dt.date, amount: int = 0, labour_days: int = 0,
                                 living_away: bool = False, anonymous: bool = False,
                                 now: dt.datetime | None = None) -> DeliberationDonation:
    """捐款 (元) or 投工投劳 (人·天) for a matter without a village project; those living away (在外党员、
    乡贤, seed 001) marked so."""
    _donation_checks(actor, deliberation)
    now = _now(now)
    if kind not in DonationKind.values:
        raise MeetingError("请选择捐款或投工投劳", fields=field_error("kind", "不是可选的值"))
    donor_name = _text(donor_name, "donor_name", "捐赠人", NAME_MAX, required=True)
    if kind == DonationKind.MONEY:
        amount, labour_days = _whole(amount, "amount", "捐款金额（元）", 1, MAX_MONEY), 0
    else:
        amount, labour_days = 0, _whole(labour_days, "labour_days", "投工（人·天）", 1, MAX_LABOUR_DAYS)
    if not isinstance(donated_on, dt.date) or donated_on > timezone.localdate(now):
        raise MeetingError("日期不能晚于今天", fields=field_error("donated_on", "晚于今天"))
    return DeliberationDonation.objects.create(
        deliberation=deliberation, kind=kind, donor_name=donor_name, living_away=bool(living_away),
        anonymous=bool(anonymous), amount=amount, labour_days=labour_days, donated_on=donated_on, recorded_at=now,
        recorded_by=actor)


def deliberation_donation_correct(*, actor: User, donation: DeliberationDonation, reason: str, value: int,
                                  anonymous: bool | None = None, now: dt.datetime | None = None
                                  ) -> DeliberationDonation:
    """A new row standing for ``donation`` with the right amount or days (0 withdraws it), and the reason;
    the original stays, shown as corrected."""
    _check_recorder(actor, donation.deliberation.village)
    now = _now(now)
    reason = _text(reason, "reason", "更正原因", SHORT_MAX, required=True)
    limit = MAX_MONEY if donation.kind == DonationKind.MONEY else MAX_LABOUR_DAYS
    value = _whole(value, "value", "更正后数额", 0, limit)
    with transaction.atomic():
        DeliberationDonation.objects.select_for_update().filter(pk=donation.pk).first()
        if DeliberationDonation.objects.filter(corrects=donation).exists():
            raise MeetingConflict("该记录已被更正，请更正最新的记录", code="already_corrected")
        money = donation.kind == DonationKind.MONEY
        return DeliberationDonation.objects.create(
            deliberation_id=donation.deliberation_id, kind=donation.kind, donor_name=donation.donor_name,
            living_away=donation.living_away, anonymous=donation.anonymous if anonymous is None else anonymous,
            amount=value if money else 0, labour_days=0 if money else value, donated_on=donation.donated_on,
            recorded_at=now, recorded_by=actor, corrects=donation, reason=reason)
