"""Sunshine meetings and 四议两公开 through their services: each step's rules, the screening before
anything is public, commitments followed to done or overdue, steps in order, votes within attendance,
a failed vote stopping the matter — and every refusal writing nothing."""

import datetime as dt

import pytest

from tests.factories import UserFactory, jpeg_photo
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.meetings import selectors, services
from xiangzhi.meetings.errors import MeetingConflict, MeetingError
from xiangzhi.meetings.models import (
    Attachment,
    Commitment,
    CommitmentEvent,
    CommitmentState,
    DeliberationDonation,
    DeliberationState,
    MeetingEvent,
    MeetingQuestion,
    MeetingState,
    Screening,
    StepKind,
    SunshineMeeting,
    quarter_bounds,
)
from xiangzhi.meetings.tests.helpers import (
    TODAY,
    ago,
    complete,
    held_day,
    proposed,
    published,
    quarter_back,
    recorded,
    step,
    vote,
)
from xiangzhi.notifications.models import Notification

pytestmark = pytest.mark.django_db


# --- recording a meeting ---------------------------------------------------------------------------------


def test_only_the_villages_cadre_records_its_meeting(county):
    year, quarter = quarter_back(1)
    args = {"year": year, "quarter": quarter, "held_on": held_day(year, quarter), "place": "村委会", "attendance": 50}
    for role in ("township_staff", "county_admin", "grid_worker", "resident"):
        with pytest.raises(Forbidden):
            services.meeting_record(actor=county.users[role], village=county.village_a1, **args)
    with pytest.raises(NotFound):
        services.meeting_record(actor=county.users["village_cadre"], village=county.village_b1, **args)
    assert not SunshineMeeting.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("held_on", "outside", "之间召开"),
    ("held_on", "future", "不能晚于今天"),
    ("attendance", 0, "参会人数应为"),
    ("attendance", 10_001, "参会人数应为"),
    ("place", " ", "请填写地点"),
    ("quarter", 5, "季度应为"),
])
def test_a_meeting_with_bad_input_is_refused(county, field, value, message):
    year, quarter = quarter_back(1)
    args = {"year": year, "quarter": quarter, "held_on": held_day(year, quarter), "place": "村委会", "attendance": 50}
    if value == "outside":
        value = held_day(year, quarter) - dt.timedelta(days=120)
    elif value == "future":
        args["year"], args["quarter"] = quarter_back(0)
        value = TODAY + dt.timedelta(days=1)
    args[field] = value
    with pytest.raises(MeetingError, match=message):
        services.meeting_record(actor=county.users["village_cadre"], village=county.village_a1, **args)
    assert not SunshineMeeting.objects.exists() and not MeetingEvent.objects.exists()


def test_one_meeting_a_quarter_and_a_quarters_report_may_follow_it_by_a_month(county):
    recorded(county)
    with pytest.raises(MeetingConflict, match="已经登记"):
        recorded(county)
    # The quarter before: its report may be given within 31 days after it ended.
    y2, q2 = quarter_back(2)
    after = quarter_bounds(y2, q2)[1] + dt.timedelta(days=20)
    meeting = services.meeting_record(actor=county.users["village_cadre"], village=county.village_a1, year=y2,
                                      quarter=q2, held_on=after, place="村委会", attendance=30)
    assert (meeting.year, meeting.quarter, meeting.held_on) == (y2, q2, after)
    assert SunshineMeeting.objects.count() == 2


def test_the_whole_meeting_step_by_step_with_personal_numbers_masked(county):
    cadre = county.users["village_cadre"]
    meeting = recorded(county)
    services.meeting_report(actor=cadre, meeting=meeting, report="有事请打 13912345678 找我。本季度修路 1 公里。",
                            items_reported=36)
    q = services.question_add(actor=cadre, meeting=meeting, text_="我的身份证 370102199003071234 的低保怎么没批？",
                              reply="会后核实，电话 0543-3321234")
    c = services.commitment_make(actor=cadre, meeting=meeting, demand="核实低保申请", owner=county.users["grid_worker"],
                                 deadline=meeting.held_on + dt.timedelta(days=20), measure="入户核实后报乡镇",
                                 question=q)
    services.meeting_vote(actor=cadre, meeting=meeting, satisfied=50, basically_satisfied=20, dissatisfied=5)
    meeting.refresh_from_db()
    assert "13912345678" not in meeting.report and "139****5678" in meeting.report
    assert meeting.report_hidden == "已隐去：电话号码" and meeting.items_reported == 36
    assert "370102199003071234" not in q.text and "身份证号" in q.hidden and "3321234" not in q.reply
    assert c.question == q and c.state == CommitmentState.OPEN and c.village == county.village_a1
    assert meeting.votes == 75 and meeting.satisfaction == pytest.approx(70 / 75)
    actions = list(meeting.events.values_list("action", flat=True))
    assert actions == ["record", "report", "question", "commitment", "vote"]
    assert list(c.events.values_list("action", "to_state")) == [("make", "open")]
    # The owner is told, by a link to the commitment.
    note = Notification.objects.get(recipient=county.users["grid_worker"])
    assert note.kind == "commitment_assigned" and note.link == f"/meetings/commitments/{c.pk}/"


def test_votes_never_pass_the_attendance(county):
    cadre = county.users["village_cadre"]
    meeting = recorded(county, attendance=40)
    with pytest.raises(MeetingError, match="不能超过参会人数（40）") as caught:
        services.meeting_vote(actor=cadre, meeting=meeting, satisfied=30, basically_satisfied=8, dissatisfied=3)
    assert caught.value.code == "votes_exceed_attendance"
    with pytest.raises(MeetingError, match="请填写评议票数"):
        services.meeting_vote(actor=cadre, meeting=meeting, satisfied=0, basically_satisfied=0, dissatisfied=0)
    with pytest.raises(MeetingError):
        services.meeting_vote(actor=cadre, meeting=meeting, satisfied=-1, basically_satisfied=8, dissatisfied=3)
    meeting.refresh_from_db()
    assert meeting.voted_at is None and not meeting.events.filter(action="vote").exists()
    services.meeting_vote(actor=cadre, meeting=meeting, satisfied=30, basically_satisfied=8, dissatisfied=2)
    # Attendance corrected later never falls below the votes cast.
    with pytest.raises(MeetingError, match="不能少于已记录的表决票数（40）"):
        services.meeting_edit(actor=cadre, meeting=meeting, held_on=meeting.held_on, place="村委会", attendance=39)
    services.meeting_edit(actor=cadre, meeting=meeting, held_on=meeting.held_on, place="村委会", attendance=45)
    meeting.refresh_from_db()
    assert meeting.attendance == 45 and "参会人数 40 → 45" in meeting.events.last().note


def test_nothing_is_public_before_the_townships_screening_passes_it(county):
    cadre, town = county.users["village_cadre"], county.users["township_staff"]
    meeting = recorded(county)
    with pytest.raises(MeetingConflict, match="述职"):
        services.meeting_submit(actor=cadre, meeting=meeting)
    complete(county, meeting, submit=False)
    with pytest.raises(MeetingConflict, match="不在待审核状态"):
        services.meeting_screen(actor=town, meeting=meeting, passed=True)
    services.meeting_submit(actor=cadre, meeting=meeting)
    assert selectors.sunshine_meeting_last_public(county.village_a1) is None
    # Only the township over the village screens; a return needs its reason.
    with pytest.raises(Forbidden):
        services.meeting_screen(actor=cadre, meeting=meeting, passed=True)
    with pytest.raises(NotFound):
        services.meeting_screen(actor=county.users["township_staff_b"], meeting=meeting, passed=True)
    with pytest.raises(MeetingError, match="请填写退回原因"):
        services.meeting_screen(actor=town, meeting=meeting, passed=False)
    assert not Screening.objects.exists()
    services.meeting_screen(actor=town, meeting=meeting, passed=False, reason="述职未说明村集体收入")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.DRAFT and meeting.published_at is None
    assert Notification.objects.filter(recipient=cadre, kind="meeting_returned").exists()
    services.meeting_report(actor=cadre, meeting=meeting, report="补充：村集体收入 12 万元。", items_reported=36)
    services.meeting_submit(actor=cadre, meeting=meeting)
    services.meeting_screen(actor=town, meeting=meeting, passed=True)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PUBLISHED and meeting.published_at is not None
    assert list(meeting.screenings.values_list("decision", "reason", "actor")) == [
        ("return", "述职未说明村集体收入", town.pk), ("pass", "", town.pk)]
    assert selectors.sunshine_meeting_last_public(county.village_a1) == meeting
    # A published record stands.
    with pytest.raises(MeetingConflict, match="已公开"):
        services.question_add(actor=cadre, meeting=meeting, text_="还有问题")
    with pytest.raises(MeetingConflict):
        services.meeting_screen(actor=town, meeting=meeting, passed=True)
    assert [e.action for e in meeting.events.all()][-4:] == ["return", "report", "submit", "pass"]


def test_a_question_asked_by_qr_is_brought_once(county):
    meeting = recorded(county)
    cadre = county.users["village_cadre"]
    services.question_add(actor=cadre, meeting=meeting, text_="广场什么时候建？", source="qr", source_question_id=17)
    with pytest.raises(MeetingConflict, match="已列入本次会议"):
        services.question_add(actor=cadre, meeting=meeting, text_="广场什么时候建？", source="qr",
                              source_question_id=17)
    with pytest.raises(MeetingError, match="只有码上问"):
        services.question_add(actor=cadre, meeting=meeting, text_="x", source="onsite", source_question_id=18)
    with pytest.raises(MeetingError, match="问题来源"):
        services.question_add(actor=cadre, meeting=meeting, text_="x", source="wechat")
    with pytest.raises(MeetingError, match="请填写问题"):
        services.question_add(actor=cadre, meeting=meeting, text_="  ")
    assert MeetingQuestion.objects.count() == 1


def test_the_quarters_qr_questions_are_taken_up_once_with_their_answers(county):
    """询 takes the 码上问 questions of the meeting's quarter that passed screening, masked as screened,
    with their public answer; one still waiting for screening, a refused one and one from another
    quarter stay out, and taking them again lists nothing twice."""
    from django.utils import timezone

    from xiangzhi.supervision import services as supervision

    meeting = recorded(county)
    cadre = county.users["village_cadre"]
    start, _ = quarter_bounds(meeting.year, meeting.quarter)
    when = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=10), dt.time(10)))

    asked = iter(range(1, 100))

    def ask(text_, at):
        return supervision.question_ask(village=county.village_a1, text_=text_,
                                        submission_id=f"submission-{next(asked):04d}",
                                        address="10.0.0.9", now=at).question

    answered = ask("修路的钱花了多少？我的电话13912345678", when)
    supervision.question_screen(question=answered, actor=cadre, passed=True, now=when)
    supervision.question_answer(question=answered, actor=cadre, answer="共12万元，明细已公示。", now=when)
    waiting = ask("路灯什么时候修？", when)
    supervision.question_screen(question=waiting, actor=cadre, passed=True, now=when)
    ask("还没审核的问题", when)
    refused = ask("与村务无关的话", when)
    supervision.question_screen(question=refused, actor=cadre, passed=False, reason="与村务无关", now=when)
    supervision.question_screen(question=ask("上个季度的问题", when - dt.timedelta(days=120)), actor=cadre,
                                passed=True, now=when)

    taken = services.questions_take_from_qr(actor=cadre, meeting=meeting)
    assert [(q.source, q.source_question_id) for q in taken] == [("qr", answered.pk), ("qr", waiting.pk)]
    assert "13912345678" not in taken[0].text and taken[0].reply == "共12万元，明细已公示。"
    assert services.questions_take_from_qr(actor=cadre, meeting=meeting) == []
    assert MeetingQuestion.objects.filter(meeting=meeting).count() == 2
    with pytest.raises((Forbidden, NotFound)):
        services.questions_take_from_qr(actor=county.users["grid_worker_b"], meeting=meeting)


# --- commitments ----------------------------------------------------------------------------------------


def test_a_commitment_needs_an_owner_of_the_village_and_a_deadline_after_the_meeting(county):
    cadre = county.users["village_cadre"]
    meeting = recorded(county)
    args = {"actor": cadre, "meeting": meeting, "demand": "修路灯", "measure": "更换灯具"}
    with pytest.raises(MeetingError, match="责任人须是本村"):
        services.commitment_make(owner=county.users["grid_worker_b"], deadline=meeting.held_on, **args)
    with pytest.raises(MeetingError, match="责任人须是本村"):
        services.commitment_make(owner=county.users["township_staff"], deadline=meeting.held_on, **args)
    with pytest.raises(MeetingError, match="一年之内"):
        services.commitment_make(owner=cadre, deadline=meeting.held_on - dt.timedelta(days=1), **args)
    with pytest.raises(MeetingError, match="一年之内"):
        services.commitment_make(owner=cadre, deadline=meeting.held_on + dt.timedelta(days=400), **args)
    other = recorded(county, back=2)
    alien = services.question_add(actor=cadre, meeting=other, text_="别的会上的问题")
    with pytest.raises(MeetingError, match="不属于本次会议"):
        services.commitment_make(owner=cadre, deadline=meeting.held_on, question=alien, **args)
    assert not Commitment.objects.exists()
    # The village's cadres, points staff and grid people qualify; the recorder is not told of his own.
    for owner in ("village_cadre", "points_recorder", "grid_chief", "grid_worker"):
        services.commitment_make(owner=county.users[owner], deadline=meeting.held_on, **args)
    assert not Notification.objects.filter(recipient=cadre).exists()


def test_a_commitment_is_followed_to_done_by_its_owner_or_the_village(county):
    meeting, commitment = published(county, back=0)
    owner, cadre = county.users["grid_worker"], county.users["village_cadre"]
    with pytest.raises(Forbidden):
        services.commitment_progress(actor=county.users["grid_worker_b"], commitment=commitment, note="x")
    with pytest.raises(NotFound):
        services.commitment_progress(actor=UserFactory(role=Role.VILLAGE_CADRE, region=county.village_b1),
                                     commitment=commitment, note="x")
    services.commitment_progress(actor=owner, commitment=commitment, note="已报供电所，灯具到货")
    services.commitment_progress(actor=cadre, commitment=commitment, note="供电所排期下周")
    with pytest.raises(MeetingError, match="办结日期"):
        services.commitment_done(actor=owner, commitment=commitment, done_on=meeting.held_on - dt.timedelta(days=1),
                                 evidence="已修好")
    with pytest.raises(MeetingError, match="请填写办结情况"):
        services.commitment_done(actor=owner, commitment=commitment, done_on=TODAY, evidence="")
    with pytest.raises(MeetingError, match="最多上传"):
        services.commitment_done(actor=owner, commitment=commitment, done_on=TODAY, evidence="x",
                                 photos=[jpeg_photo()] * 4)
    done = services.commitment_done(actor=owner, commitment=commitment, done_on=TODAY, evidence="6 盏灯已更换",
                                    photos=[jpeg_photo()])
    assert done.state == "done" and done.kept and done.status_label == "按期办结" and done.photos.count() == 1
    with pytest.raises(MeetingConflict):
        services.commitment_done(actor=owner, commitment=commitment, done_on=TODAY, evidence="再办一次")
    # The township finds it not done: back to the owner, who is told.
    with pytest.raises(Forbidden):
        services.commitment_reopen(actor=cadre, commitment=done, reason="x")
    services.commitment_reopen(actor=county.users["township_staff"], commitment=done, reason="回访发现仍有 2 盏不亮")
    done.refresh_from_db()
    assert (done.state, done.done_on, done.evidence) == ("open", None, "")
    assert list(done.events.values_list("action", flat=True)) == ["make", "progress", "progress", "done", "reopen"]
    assert Notification.objects.filter(recipient=owner, kind="commitment_reopened").exists()
    public = selectors.sunshine_meeting_last_public(county.village_a1).commitments.get()
    assert public.status_label == "办理中"


def test_a_commitment_past_its_deadline_is_overdue_and_the_sweep_marks_it_once(county):
    _, commitment = published(county, back=1, deadline_days=10)  # held last quarter, due since
    assert commitment.is_overdue and commitment.status_label == "已逾期"
    town = county.users["township_staff"]
    assert list(selectors.commitment_overdue_list_for_user(town)) == [commitment]
    assert list(selectors.commitment_overdue_list_for_user(county.users["township_staff_b"])) == []
    assert list(selectors.commitment_overdue_list_for_user(county.users["village_cadre"])) == [commitment]
    assert services.commitment_overdue_sweep().overdue == 1
    assert services.commitment_overdue_sweep().overdue == 0
    event = commitment.events.get(action="overdue")
    assert event.actor is None and event.note == "系统：已超过完成时限"
    commitment.refresh_from_db()
    assert commitment.overdue_at is not None
    late = services.commitment_done(actor=county.users["grid_worker"], commitment=commitment, done_on=TODAY,
                                    evidence="已修复")
    assert not late.kept and late.status_label == "逾期办结" and "（逾期办结）" in late.events.last().note
    assert list(selectors.commitment_overdue_list_for_user(town)) == []


def test_history_rows_are_only_ever_added(county):
    meeting, commitment = published(county)
    with pytest.raises(AppendOnlyError):
        meeting.events.update(note="改")
    with pytest.raises(AppendOnlyError):
        CommitmentEvent.objects.filter(commitment=commitment).delete()
    with pytest.raises(AppendOnlyError):
        Screening.objects.first().delete()


# --- attachments -----------------------------------------------------------------------------------------


def test_a_report_keeps_a_pdf_or_a_photo_and_refuses_anything_else(county):
    import io

    from PIL import Image

    cadre = county.users["village_cadre"]
    meeting = recorded(county)
    args = {"actor": cadre, "meeting": meeting, "report": "述职", "items_reported": 3}
    services.meeting_report(attachment=services.FileIn("述职报告.pdf", b"%PDF-1.4 test"), **args)
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(buf, "PNG")
    services.meeting_report(attachment=services.FileIn("现场.png", buf.getvalue()), **args)
    with pytest.raises(MeetingError, match="只能是 PDF"):
        services.meeting_report(attachment=services.FileIn("a.exe", b"MZ\x90\x00"), **args)
    with pytest.raises(MeetingError, match="不能超过"):
        services.meeting_report(attachment=services.FileIn("big.pdf", b"%PDF-" + b"0" * services.ATTACHMENT_MAX_BYTES),
                                **args)
    assert list(Attachment.objects.values_list("content_type", flat=True)) == ["application/pdf", "image/jpeg"]


# --- 四议两公开 -----------------------------------------------------------------------------------------


def test_steps_go_in_their_order(county):
    d = proposed(county)
    assert (d.step, d.step_number, d.next_step) == ("proposal", 1, "branch")
    with pytest.raises(MeetingConflict, match="下一步是「党支部会议提议」") as caught:
        step(county, d, StepKind.MEMBERS, 50, **vote())
    assert caught.value.code == "step_out_of_order"
    step(county, d, StepKind.BRANCH, 55, **vote(expected=7, attendance=7, votes_for=7, votes_against=0,
                                                  votes_abstain=0))
    with pytest.raises(MeetingConflict, match="已经记录"):
        step(county, d, StepKind.BRANCH, 54, **vote(expected=7, attendance=7, votes_for=7, votes_against=0,
                                                      votes_abstain=0))
    with pytest.raises(MeetingError, match="上一环节"):
        step(county, d, StepKind.JOINT, 56, **vote(expected=9, attendance=9, votes_for=9, votes_against=0,
                                                     votes_abstain=0))
    with pytest.raises(MeetingError, match="今天之前"):
        step(county, d, StepKind.JOINT, -1, **vote(expected=9, attendance=9, votes_for=9, votes_against=0,
                                                     votes_abstain=0))
    with pytest.raises(MeetingError, match="请选择环节"):
        step(county, d, "proposal", 50)
    d.refresh_from_db()
    assert d.step == "branch" and d.steps.count() == 2


def test_a_steps_votes_never_pass_its_attendance_nor_attendance_the_expected(county):
    d = proposed(county)
    with pytest.raises(MeetingError, match="表决票数（26）不能超过实到人数（25）"):
        step(county, d, StepKind.BRANCH, 50, **vote(votes_for=21))
    with pytest.raises(MeetingError, match="实到人数（31）不能超过应到人数（30）"):
        step(county, d, StepKind.BRANCH, 50, **vote(attendance=31))
    with pytest.raises(MeetingError, match="赞成票数"):
        step(county, d, StepKind.BRANCH, 50, **vote(votes_for=None))
    with pytest.raises(MeetingError, match="超过半数到会"):  # 15 of 30 is not more than half
        step(county, d, StepKind.BRANCH, 50, **vote(attendance=15, votes_for=15, votes_against=0, votes_abstain=0))
    with pytest.raises(MeetingError, match="请填写会议纪要"):
        step(county, d, StepKind.BRANCH, 50, minutes="", **vote())
    d.refresh_from_db()
    assert d.step == "proposal" and d.steps.count() == 1


def test_villager_representatives_need_two_thirds_present(county):
    d = proposed(county)
    for kind, days in ((StepKind.BRANCH, 50), (StepKind.JOINT, 45), (StepKind.MEMBERS, 40)):
        step(county, d, kind, days, **vote())
    with pytest.raises(MeetingError, match="三分之二以上到会"):
        step(county, d, StepKind.REPRESENTATIVES, 30, **vote(expected=31, attendance=20, votes_for=20,
                                                              votes_against=0, votes_abstain=0))
    rep = step(county, d, StepKind.REPRESENTATIVES, 30, **vote(expected=30, attendance=20, votes_for=11,
                                                                votes_against=6, votes_abstain=3))
    assert rep.passed is True  # 11 of 20 attending: more than half


def test_a_failed_vote_stops_the_matter(county):
    d = proposed(county)
    step(county, d, StepKind.BRANCH, 50, **vote())
    failed = step(county, d, StepKind.JOINT, 45, **vote(expected=9, attendance=8, votes_for=4, votes_against=3,
                                                         votes_abstain=1))
    assert failed.passed is False  # 4 of 8: not more than half
    d.refresh_from_db()
    assert (d.state, d.step, d.next_step) == (DeliberationState.STOPPED, "joint", None)
    with pytest.raises(MeetingConflict, match="已终止") as caught:
        step(county, d, StepKind.MEMBERS, 40, **vote())
    assert caught.value.code == "not_in_progress"
    with pytest.raises(MeetingConflict, match="已终止"):
        services.deliberation_donation_record(actor=county.users["village_cadre"], deliberation=d, kind="money",
                                              donor_name="刘志强", donated_on=TODAY, amount=100)


def test_a_matter_runs_all_seven_steps_to_its_published_result(county):
    d = proposed(county)
    for kind, days in ((StepKind.BRANCH, 50), (StepKind.JOINT, 45), (StepKind.MEMBERS, 40),
                       (StepKind.REPRESENTATIVES, 30)):
        step(county, d, kind, days, **vote())
    step(county, d, StepKind.DECISION_PUBLIC, 28, minutes="决议：主街安装路灯 40 盏，预算 12 万元", place="村务公开栏",
         attachment=services.FileIn("决议.pdf", b"%PDF-1.4"))
    d.refresh_from_db()
    assert d.state == "in_progress" and d.next_step == "result_public"
    step(county, d, StepKind.RESULT_PUBLIC, 1, minutes="已安装 40 盏，实际支出 11.6 万元")
    d.refresh_from_db()
    assert (d.state, d.step, d.step_number, d.next_step) == ("completed", "result_public", 7, None)
    kinds = list(d.steps.values_list("kind", flat=True))
    assert kinds == ["proposal", "branch", "joint", "members", "representatives", "decision_public", "result_public"]
    publication = d.steps.get(kind="decision_public")
    assert publication.passed is None and publication.attendance is None and publication.attachments.count() == 1


def test_a_matter_is_public_only_after_the_township_passes_it(county):
    d = proposed(county)
    proposed(county, title="村北修桥")
    assert selectors.deliberation_list_public(county.village_a1) == []
    town = county.users["township_staff"]
    with pytest.raises(Forbidden):
        services.deliberation_screen(actor=county.users["village_cadre"], deliberation=d, passed=True)
    with pytest.raises(NotFound):
        services.deliberation_screen(actor=county.users["township_staff_b"], deliberation=d, passed=True)
    with pytest.raises(MeetingError, match="不予公开的原因"):
        services.deliberation_screen(actor=town, deliberation=d, passed=False)
    services.deliberation_screen(actor=town, deliberation=d, passed=True)
    with pytest.raises(Conflict):
        services.deliberation_screen(actor=town, deliberation=d, passed=True)
    assert [x.title for x in selectors.deliberation_list_public(county.village_a1)] == ["主街安装太阳能路灯"]
    queue = selectors.screening_queue_for_user(town)
    assert [x.title for x in queue.deliberations] == ["村北修桥"] and queue.meetings == []
    services.deliberation_screen(actor=town, deliberation=d, passed=False, reason="含未核实的金额，暂不公开")
    assert selectors.deliberation_list_public(county.village_a1) == []
    assert list(d.screenings.values_list("decision", flat=True)) == ["pass", "return"]


def test_donations_for_a_matter_are_disclosed_with_names_masked(county):
    cadre = county.users["village_cadre"]
    d = proposed(county)
    services.deliberation_screen(actor=county.users["township_staff"], deliberation=d, passed=True)
    give = services.deliberation_donation_record
    give(actor=cadre, deliberation=d, kind="money", donor_name="胡忠辉", donated_on=ago(20), amount=100_000,
         living_away=True)
    give(actor=cadre, deliberation=d, kind="money", donor_name="王秀兰", donated_on=ago(19), amount=50_000,
         living_away=True, anonymous=True)
    wrong = give(actor=cadre, deliberation=d, kind="money", donor_name="李四", donated_on=ago(18), amount=9_000)
    give(actor=cadre, deliberation=d, kind="labour", donor_name="欧阳明华", donated_on=ago(17), labour_days=12)
    services.deliberation_donation_correct(actor=cadre, donation=wrong, reason="录入有误，应为 900 元", value=900)
    with pytest.raises(MeetingConflict, match="已被更正"):
        services.deliberation_donation_correct(actor=cadre, donation=wrong, reason="再改", value=800)
    for bad in ({"amount": 0}, {"amount": -5}, {"kind": "goods"}, {"donor_name": ""},
                {"donated_on": TODAY + dt.timedelta(days=1)}):
        args = {"kind": "money", "donor_name": "张三", "donated_on": TODAY, "amount": 10, **bad}
        with pytest.raises(Invalid):
            give(actor=cadre, deliberation=d, **args)
    with pytest.raises(NotFound):
        give(actor=UserFactory(role=Role.VILLAGE_CADRE, region=county.village_b1), deliberation=d, kind="money",
             donor_name="张三", donated_on=TODAY, amount=10)
    (public,) = selectors.deliberation_list_public(county.village_a1)
    assert public.totals == selectors.DonationTotals(money=150_900, labour_days=12, money_from_away=150_000, donors=4)
    names = [(g.name, g.note, g.amount, g.labour_days) for g in public.donors]
    assert names == [("胡*辉", "在外乡贤", 100_000, 0), ("匿名", "在外乡贤", 50_000, 0), ("李*", "", 900, 0),
                     ("欧**华", "", 0, 12)]
    assert DeliberationDonation.objects.count() == 5


def test_a_matter_about_a_village_project_keeps_its_donations_there(county):
    from xiangzhi.projects import services as projects

    cadre = county.users["village_cadre"]
    request = projects.request_plan(actor=cadre, request=projects.request_submit(
        actor=cadre, village=county.village_a1, title="硬化村北生产路"))
    project = projects.project_create(actor=cadre, request=request, budget=380_000)
    projects.donation_record(actor=cadre, project=project, kind="money", donor_name="刘志强",
                             donor_note="在外乡贤（天津）", amount=60_000, donated_on=TODAY)
    projects.donation_record(actor=cadre, project=project, kind="money", donor_name="本村村民", amount=5_000,
                             donated_on=TODAY)
    d = proposed(county, title="硬化村北生产路", project=project)
    with pytest.raises(MeetingConflict, match="在项目中登记"):
        services.deliberation_donation_record(actor=cadre, deliberation=d, kind="money", donor_name="张三",
                                              donated_on=TODAY, amount=10)
    totals = selectors.donation_totals([d])[d.pk]
    assert (totals.money, totals.money_from_away, totals.donors) == (65_000, 60_000, 2)
    assert [(g.name, g.note) for g in selectors.public_donors([d])[d.pk]] == [("刘*强", "在外乡贤"), ("本**民", "")]
    other = UserFactory(role=Role.VILLAGE_CADRE, region=county.village_b1)
    req_b = projects.request_plan(actor=other, request=projects.request_submit(actor=other, village=county.village_b1,
                                                                                  title="修桥"))
    with pytest.raises(MeetingError, match="不属于本村"):
        proposed(county, project=projects.project_create(actor=other, request=req_b, budget=1000))


def test_a_matter_with_bad_input_is_refused(county):
    cadre = county.users["village_cadre"]
    args = {"actor": cadre, "village": county.village_a1, "title": "修路", "proposer": "村两委", "proposed_on": TODAY}
    for bad in ({"title": ""}, {"proposer": ""}, {"proposed_on": TODAY + dt.timedelta(days=1)},
                {"proposed_on": TODAY - dt.timedelta(days=800)}, {"amount": -1}):
        with pytest.raises(Invalid):
            services.deliberation_propose(**{**args, **bad})
    with pytest.raises(Forbidden):
        services.deliberation_propose(**{**args, "actor": county.users["township_staff"]})
    for elsewhere in (county.village_b1, county.town_a):
        with pytest.raises(NotFound):
            services.deliberation_propose(**{**args, "village": elsewhere})
    assert not selectors.deliberation_list_for_user(county.users["county_admin"]).exists()
