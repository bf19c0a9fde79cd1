"""Every change to announcements, polls and the evening meetings. Pages, the API and the demo call these.

Sending an announcement resolves its audience to people on the register once, at send time, and writes
one receipt per person in one bulk insert: those with an account get it in their inbox (and through the
notification channels), those without one but with a phone an SMS with a link of their own, and the
rest are listed for the grid worker to tell in person. Reading marks the receipt once, with its time.

A vote is one ballot with its answers, written in one transaction. One ballot per household or per
person is the database's rule (``PollBallot``'s partial unique constraints): a second one — also two
sent at the same moment — fails on the constraint and changes nothing.

An announcement or poll marked public is delivered at once like any other, but the village's public
page shows it only after the township's screening passes it (``announcement_screen``/``poll_screen``;
each decision a ``PublicScreening`` row). Its public text is checked first: one with an ID number, a
phone or a card number in it is refused for public display (it may still be sent non-public).

A demand raised at an evening meeting becomes a case through ``cases.services.case_report`` (channel
民情恳谈), in the grid it concerns."""

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.cases.models import Category, Channel
from xiangzhi.cases.services import case_report
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.core.errors import Forbidden, NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.lib.redact import KIND_NAMES, redact_personal
from xiangzhi.notifications.services import Message as Notice
from xiangzhi.notifications.services import notification_mark_read, notify, notify_many
from xiangzhi.participation import tasks
from xiangzhi.participation.errors import ParticipationConflict, ParticipationError
from xiangzhi.participation.models import (
    SCALE,
    Announcement,
    AnnouncementReceipt,
    AnnouncementReminder,
    Meeting,
    MeetingDemand,
    MeetingKind,
    Poll,
    PollAnswer,
    PollBallot,
    PollOption,
    PollQuestion,
    PublicScreening,
    PublicState,
    QuestionKind,
    ReceiptChannel,
    ScreeningDecision,
    VoteUnit,
)
from xiangzhi.participation.rules import (
    can_address,
    can_keep_meeting_in,
    can_keep_meetings,
    can_record_ballot_for,
    can_record_ballots,
    can_screen,
    can_screen_in,
    can_send,
    can_vote,
    may_screen,
)
from xiangzhi.participation.selectors import (
    Audience,
    Voter,
    audience_account_ids,
    poll_electorate,
    poll_eligible,
    recipients_of,
    unread_notifications,
    voter_of,
)
from xiangzhi.people.models import Household, Resident
from xiangzhi.regions.models import Grid, Region, RegionLevel

TITLE_MAX = 100
BODY_MAX = 2000
ISSUER_MAX = 50
QUESTION_MAX = 200
OPTION_MAX = 50
MAX_QUESTIONS = 20
MAX_OPTIONS = 10
MAX_POLL_DAYS = 366
REMIND_INTERVAL = dt.timedelta(hours=12)
MAX_ATTENDANCE = 5000
MEETING_DAYS_BACK = 365  # a meeting from the paper ledger may be entered up to a year later
DEMAND_DAYS = 30  # demands are entered within a month of their meeting
SENDER_ONLY = "只有区县、乡镇（街道）、村两委人员和网格长可以发通知、发起调查"
KEEPER_ONLY = "只有村两委和乡镇（街道）、区县人员可以记录民情恳谈"
SCREENER_ONLY = "只有乡镇（街道）和区县人员可以审核公开内容"
NOT_OWN = "不能审核自己发出的内容，请由其他审核人审核"
REASON_MAX = 200


def _text(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> str:
    return text(value, name, label, limit, required=required, error=ParticipationError)


def _address_check(actor: User, audience: Audience) -> None:
    require(can_send(actor), SENDER_ONLY)
    if not can_address(actor, audience.path):
        raise NotFound()


def _addressed(audience: Audience) -> dict[str, object]:
    return {"audience": audience.kind, "region": audience.region, "grid": audience.grid,
            "party_group": audience.group, "scope_path": audience.path, "audience_label": audience.label[:100]}


def _public_text(parts: Sequence[tuple[str, str, str]]) -> None:
    """Each (field, label, text) the public page would show: none may carry an ID number, a phone or a
    card number (``lib.redact.redact_personal`` finds them). The first found is refused, naming them."""
    for name, label, value in parts:
        kinds = redact_personal(value).kinds
        if kinds:
            found = "、".join(KIND_NAMES[k] for k in kinds)
            raise ParticipationError(f"{label}中有{found}，村务公开页不能显示个人信息；请删去，或不勾选公开后再发送",
                                     fields=field_error(name, "含个人信息"))


def _public_state(is_public: bool) -> str:
    return PublicState.WAITING if is_public else ""


# --- announcements ----------------------------------------------------------------------------------

SMS_BATCH = 200


def announcement_link(announcement: Announcement) -> str:
    return f"/participation/announcements/{announcement.pk}/"


def announcement_send(*, actor: User, audience: Audience, title: str, body: str, issuer: str,
                      is_public: bool = False, site: str = "", now: dt.datetime | None = None) -> Announcement:
    """通知公告 to everyone in the audience: receipts for all, the inbox for account holders, an SMS with a
    link for those with only a phone. ``site`` is the address the links in SMS start with
    (``https://…/``); without it the SMS carries the text alone."""
    _address_check(actor, audience)
    title = _text(title, "title", "标题", TITLE_MAX, required=True)
    body = _text(body, "body", "正文", BODY_MAX, required=True)
    issuer = _text(issuer, "issuer", "落款", ISSUER_MAX, required=True)
    if is_public and not audience.by_household:
        raise ParticipationError("发给党小组或外出人员的通知不在村务公开页显示",
                                 fields=field_error("is_public", "不能公开"))
    if is_public:
        _public_text([("title", "标题", title), ("body", "正文", body), ("issuer", "落款", issuer)])
    now = now or timezone.now()
    recipients = recipients_of(audience, today=timezone.localdate(now))
    if not recipients:
        raise ParticipationError(f"{audience.label}没有可以接收通知的人", fields=field_error("target", "没有接收人"))
    with transaction.atomic():
        announcement = Announcement.objects.create(
            **_addressed(audience), title=title, body=body, issuer=issuer, is_public=is_public,
            public_state=_public_state(is_public), author=actor, sent_at=now, recipients=len(recipients),
            site=site[:200])
        rows = []
        for r in recipients:
            channel = (ReceiptChannel.INBOX if r.user_id else ReceiptChannel.SMS if r.has_phone
                       else ReceiptChannel.NONE)
            rows.append(AnnouncementReceipt(
                announcement_id=announcement.pk, resident_id=r.resident_id, user_id=r.user_id, grid_id=r.grid_id,
                channel=channel, link_key=secrets.token_urlsafe(9) if channel == ReceiptChannel.SMS else "",
                sms_round=0, sms_status="", read_at=None, read_via=""))
        bulk_insert(AnnouncementReceipt, rows)
        link = announcement_link(announcement)
        notify_many([Notice(tuple(r.user_id for r in recipients if r.user_id), "announcement",
                            f"{issuer}通知：{title}", body[:200], link)])
        _sms_after_commit([r.pk for r in rows if r.channel == ReceiptChannel.SMS], 1)
    return announcement


def _sms_after_commit(receipt_ids: list[int], round_: int) -> None:
    """Queue the SMS of these receipts for the worker once the caller's transaction commits."""
    for i in range(0, len(receipt_ids), SMS_BATCH):
        transaction.on_commit(partial(tasks.receipts_sms, receipt_ids[i:i + SMS_BATCH], round_), robust=True)


def announcement_open(*, user: User, announcement: Announcement,
                      now: dt.datetime | None = None) -> AnnouncementReceipt | None:
    """The user opened it: his receipt is marked read (the first time only) and his inbox messages that
    lead here with it. A sender who is no recipient leaves no trace."""
    receipt = AnnouncementReceipt.objects.filter(announcement=announcement, user=user).first()
    if receipt is None:
        return None
    _mark_read(receipt, AnnouncementReceipt.ReadVia.SITE, now)
    for notification in unread_notifications(user, announcement_link(announcement)):
        notification_mark_read(user=user, notification=notification)
    return receipt


def receipt_open_by_link(*, receipt: AnnouncementReceipt, now: dt.datetime | None = None) -> AnnouncementReceipt:
    """Someone followed the link his SMS carried: that receipt is read."""
    return _mark_read(receipt, AnnouncementReceipt.ReadVia.LINK, now)


def _mark_read(receipt: AnnouncementReceipt, via: str, now: dt.datetime | None) -> AnnouncementReceipt:
    if receipt.read_at is None:
        now = now or timezone.now()
        if AnnouncementReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=now, read_via=via):
            receipt.read_at, receipt.read_via = now, via
        else:
            receipt.refresh_from_db(fields=["read_at", "read_via"])
    return receipt


def announcement_remind(*, actor: User, announcement: Announcement,
                        now: dt.datetime | None = None) -> AnnouncementReminder:
    """提醒未读: the inbox again for account holders who have not read it, the SMS again for those with only
    a phone. At most one reminder every 12 hours; nothing to remind when everyone has read it."""
    require(can_send(actor), SENDER_ONLY)
    if not can_address(actor, announcement.scope_path):
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        Announcement.objects.select_for_update().filter(pk=announcement.pk).first()  # one reminder at a time
        last = AnnouncementReminder.objects.filter(announcement=announcement).order_by("-at", "-id").first()
        if last is not None and now - last.at < REMIND_INTERVAL:
            wait = last.at + REMIND_INTERVAL
            raise ParticipationConflict(f"距上次提醒不足 12 小时，请在{timezone.localtime(wait):%H:%M}以后再提醒")
        unread = list(AnnouncementReceipt.objects.filter(announcement=announcement, read_at__isnull=True)
                      .values_list("pk", "channel", "user_id"))
        if not unread:
            raise ParticipationConflict("全部已读，无需提醒")
        reminder = AnnouncementReminder.objects.create(announcement=announcement, actor=actor, at=now,
                                                       unread=len(unread))
        round_ = 1 + AnnouncementReminder.objects.filter(announcement=announcement).count()
        notify_many([Notice(tuple(u for _, channel, u in unread if channel == ReceiptChannel.INBOX and u),
                            "announcement_reminder", f"提醒：{announcement.issuer}通知：{announcement.title}",
                            "您还没有阅读这条通知，请点开查看。", announcement_link(announcement))])
        _sms_after_commit([pk for pk, channel, _ in unread if channel == ReceiptChannel.SMS], round_)
    return reminder


# --- polls -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInput:
    text: str
    kind: str
    options: Sequence[str] = ()


def _questions(questions: Sequence[QuestionInput]) -> list[tuple[str, str, list[tuple[str, int | None]]]]:
    if not questions:
        raise ParticipationError("请至少出一道题", fields=field_error("questions", "必填"))
    if len(questions) > MAX_QUESTIONS:
        raise ParticipationError(f"最多 {MAX_QUESTIONS} 道题", fields=field_error("questions", "太多"))
    out: list[tuple[str, str, list[tuple[str, int | None]]]] = []
    for n, q in enumerate(questions, start=1):
        name = f"questions.{n}"
        wording = _text(q.text, name, f"第 {n} 题的题目", QUESTION_MAX, required=True)
        if q.kind not in QuestionKind.values:
            raise ParticipationError(f"第 {n} 题的题型不正确", fields=field_error(name, "不是可选的题型"))
        if q.kind == QuestionKind.SCALE:
            scale: list[tuple[str, int | None]] = [(label, value) for label, value in SCALE]
            out.append((wording, q.kind, scale))
            continue
        options = [(o or "").strip() for o in q.options]
        options = [o for o in options if o]
        if len(options) < 2 or len(options) > MAX_OPTIONS:
            raise ParticipationError(f"第 {n} 题应有 2～{MAX_OPTIONS} 个选项", fields=field_error(name, "选项数不对"))
        if any(len(o) > OPTION_MAX for o in options):
            raise ParticipationError(f"第 {n} 题的选项不能超过 {OPTION_MAX} 个字", fields=field_error(name, "选项太长"))
        if len(set(options)) != len(options):
            raise ParticipationError(f"第 {n} 题有重复的选项", fields=field_error(name, "选项重复"))
        out.append((wording, q.kind, [(o, None) for o in options]))
    return out


def poll_create(*, actor: User, audience: Audience, title: str, description: str = "", unit: str,
                opens_at: dt.datetime, closes_at: dt.datetime, questions: Sequence[QuestionInput],
                results_live: bool = False, is_public: bool = False, now: dt.datetime | None = None) -> Poll:
    """民意调查: its audience, one vote per household (a grid's, a village's or a township's households) or
    per person, open from ``opens_at`` to ``closes_at``. Everyone in the audience with an account is told."""
    _address_check(actor, audience)
    title = _text(title, "title", "标题", TITLE_MAX, required=True)
    description = _text(description, "description", "说明", BODY_MAX)
    if unit not in VoteUnit.values:
        raise ParticipationError("请选择每户一票或每人一票", fields=field_error("unit", "不是可选的值"))
    if unit == VoteUnit.HOUSEHOLD and not audience.by_household:
        raise ParticipationError("党小组和外出人员的调查只能每人一票", fields=field_error("unit", "只能每人一票"))
    if is_public and not audience.by_household:
        raise ParticipationError("党小组和外出人员的调查不在村务公开页公布",
                                 fields=field_error("is_public", "不能公开"))
    now = now or timezone.now()
    if closes_at <= opens_at:
        raise ParticipationError("截止时间应晚于开始时间", fields=field_error("closes_at", "早于开始时间"))
    if closes_at <= now:
        raise ParticipationError("截止时间已过", fields=field_error("closes_at", "已过"))
    if closes_at - opens_at > dt.timedelta(days=MAX_POLL_DAYS):
        raise ParticipationError("一次调查最长一年", fields=field_error("closes_at", "太长"))
    prepared = _questions(questions)
    if is_public:
        _public_text([("title", "标题", title), ("description", "说明", description)]
                     + [(f"questions.{n}", f"第 {n} 题", "；".join([wording, *(o for o, _ in options)]))
                        for n, (wording, _, options) in enumerate(prepared, start=1)])
    electorate = poll_electorate(audience, unit, today=timezone.localdate(now))
    if not electorate:
        raise ParticipationError(f"{audience.label}没有可以投票的{'户' if unit == VoteUnit.HOUSEHOLD else '人'}",
                                 fields=field_error("target", "没有可投票的"))
    with transaction.atomic():
        poll = Poll.objects.create(
            **_addressed(audience), title=title, description=description, unit=unit, opens_at=opens_at,
            closes_at=closes_at, results_live=results_live, is_public=is_public,
            public_state=_public_state(is_public), electorate=electorate, author=actor, created_at=now)
        for position, (wording, kind, options) in enumerate(prepared, start=1):
            question = PollQuestion.objects.create(poll=poll, position=position, text=wording, kind=kind)
            PollOption.objects.bulk_create([PollOption(question=question, position=i, text=label, value=value)
                                            for i, (label, value) in enumerate(options, start=1)])
        when = f"，{timezone.localtime(opens_at):%m月%d日 %H:%M}开始" if opens_at > now else ""
        notify_many([Notice(tuple(audience_account_ids(audience, unit=unit)), "poll_open",
                            f"民意调查：{title}", f"请参与投票（{VoteUnit(unit).label}）{when}",
                            f"/participation/polls/{poll.pk}/")])
    return poll


def poll_vote(*, actor: User, poll: Poll, answers: Mapping[int, Sequence[int]],
              now: dt.datetime | None = None) -> PollBallot:
    """One ballot for the voter's household or for himself, with one answer per question (one option, or
    for a multiple choice at least one). A second ballot is refused by the database and changes nothing."""
    require(can_vote(actor), "只有登记在册的村民可以投票")
    now = now or timezone.now()
    _open_check(poll, now)
    voter = voter_of(actor)
    if not poll_eligible(poll, voter, today=timezone.localdate(now)):
        raise NotFound()
    return _cast(poll, voter, actor, answers, now, on_paper=False)


def poll_vote_record(*, actor: User, poll: Poll, household: Household, resident: Resident | None = None,
                     answers: Mapping[int, Sequence[int]], now: dt.datetime | None = None) -> PollBallot:
    """入户代录: a ballot collected on paper from a household (or, in a person vote, from one of its
    members), entered by the village cadre or the grid's staff. The same one-vote rule holds: a household
    that voted on its phone cannot be entered again."""
    require(can_record_ballots(actor), "只有村两委和网格长、网格员可以代录纸质票")
    if not can_record_ballot_for(actor, household.grid.path):
        raise NotFound()
    now = now or timezone.now()
    _open_check(poll, now)
    if poll.unit == VoteUnit.PERSON:
        if resident is None or resident.household_id != household.pk:
            raise ParticipationError("每人一票的调查请写明投票人", fields=field_error("resident", "必填"))
    else:
        resident = None
    voter = Voter(household, resident)
    if not poll_eligible(poll, voter, today=timezone.localdate(now)):
        raise ParticipationError("该户（人）不在本次调查范围内", fields=field_error("household", "不在范围内"))
    return _cast(poll, voter, actor, answers, now, on_paper=True)


def _open_check(poll: Poll, now: dt.datetime) -> None:
    state = poll.state_at(now)
    if state == "upcoming":
        raise ParticipationConflict(f"投票尚未开始，{timezone.localtime(poll.opens_at):%m月%d日 %H:%M}开始")
    if state == "closed":
        raise ParticipationConflict("投票已经结束")


def _cast(poll: Poll, voter: Voter, actor: User, answers: Mapping[int, Sequence[int]], now: dt.datetime, *,
          on_paper: bool) -> PollBallot:
    chosen = _answers(poll, answers)
    by_household = poll.unit == VoteUnit.HOUSEHOLD
    assert voter.household is not None  # poll_eligible saw it
    try:
        with transaction.atomic():
            ballot = PollBallot.objects.create(poll=poll, household=voter.household,
                                               resident=None if by_household else voter.resident, voter=actor,
                                               on_paper=on_paper, cast_at=now)
            PollAnswer.objects.bulk_create([PollAnswer(ballot=ballot, question_id=q, option_id=o)
                                            for q, options in chosen for o in options])
    except IntegrityError:
        if on_paper:
            raise ParticipationConflict("该户已经投过票了，每户只能投一票" if by_household
                                        else "此人已经投过票了，每人只能投一票", code="duplicate_vote") from None
        raise ParticipationConflict("本户已经投过票了，每户只能投一票" if by_household
                                    else "您已经投过票了，每人只能投一票", code="duplicate_vote") from None
    return ballot


def _answers(poll: Poll, answers: Mapping[int, Sequence[int]]) -> list[tuple[int, list[int]]]:
    questions = list(poll.questions.prefetch_related("options").order_by("position"))
    known = {q.pk for q in questions}
    if set(answers) - known:
        raise ParticipationError("回答了不属于本调查的题目", fields=field_error("answers", "题目不对"))
    out = []
    for q in questions:
        name = f"q{q.pk}"
        picked = list(dict.fromkeys(answers.get(q.pk) or ()))
        if not picked:
            raise ParticipationError(f"请回答第 {q.position} 题：{q.text}", fields=field_error(name, "未作答"))
        options = {o.pk for o in q.options.all()}
        if any(o not in options for o in picked):
            raise ParticipationError(f"第 {q.position} 题的选项不正确", fields=field_error(name, "选项不对"))
        if q.kind != QuestionKind.MULTIPLE and len(picked) > 1:
            raise ParticipationError(f"第 {q.position} 题只能选一项", fields=field_error(name, "只能选一项"))
        out.append((q.pk, picked))
    return out


def poll_close(*, actor: User, poll: Poll, now: dt.datetime | None = None) -> Poll:
    """提前结束: voting stops now; results are then published as for a poll that reached its close."""
    require(can_send(actor), SENDER_ONLY)
    if not can_address(actor, poll.scope_path):
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.state_at(now) == "closed":
            raise ParticipationConflict("投票已经结束")
        locked.closed_at, locked.closed_by = now, actor
        locked.save(update_fields=["closed_at", "closed_by"])
    poll.closed_at, poll.closed_by = now, actor
    return poll


# --- screening for the public page ------------------------------------------------------------------


def announcement_screen(*, actor: User, announcement: Announcement, passed: bool, reason: str = "",
                        now: dt.datetime | None = None) -> PublicScreening:
    """审核: the township or county passes a public announcement onto the village's public page, or returns
    it with the reason (it stays off the page; its recipients have it all the same)."""
    return _screen(actor, announcement, passed, reason, now)


def poll_screen(*, actor: User, poll: Poll, passed: bool, reason: str = "",
                now: dt.datetime | None = None) -> PublicScreening:
    """审核 of a public poll: passed, its results go on the village's page and its public page opens."""
    return _screen(actor, poll, passed, reason, now)


def _screen(actor: User, item: Announcement | Poll, passed: bool, reason: str,
            now: dt.datetime | None) -> PublicScreening:
    require(can_screen(actor), SCREENER_ONLY)
    if not can_screen_in(actor, item.scope_path):
        raise NotFound()
    if not may_screen(actor, item.scope_path, item.author_id):
        raise Forbidden(NOT_OWN)
    reason = _text(reason, "reason", "审核意见" if passed else "退回原因", REASON_MAX, required=not passed)
    now = now or timezone.now()
    noun = "通知" if isinstance(item, Announcement) else "调查"
    with transaction.atomic():
        row = type(item).objects.select_for_update().get(pk=item.pk)
        if not row.is_public:
            raise ParticipationConflict(f"该{noun}不在村务公开页显示，无需审核", code="not_public")
        if row.public_state != PublicState.WAITING:
            raise ParticipationConflict(f"该{noun}已审核（{row.get_public_state_display()}）", code="not_waiting")
        screening = PublicScreening.objects.create(
            announcement=row if isinstance(row, Announcement) else None,
            poll=row if isinstance(row, Poll) else None,
            decision=ScreeningDecision.PASS if passed else ScreeningDecision.RETURN, reason=reason, actor=actor, at=now)
        row.public_state = PublicState.PASSED if passed else PublicState.RETURNED
        row.save(update_fields=["public_state"])
        if passed:
            audit_record(actor=actor, action=AuditAction.PUBLISH,
                         summary=f"审核通过{row.audience_label}的{noun}「{row.title}」，在村务公开页显示",
                         scope_path=row.scope_path, subject=f"participation.{type(row).__name__.lower()}:{row.pk}",
                         at=now)
        if not passed:
            link = (announcement_link(row) if isinstance(row, Announcement)
                    else f"/participation/polls/{row.pk}/")
            notify(recipients=[row.author_id], kind="public_returned",
                   title=f"「{row.title}」未通过公开审核，不在村务公开页显示", body=reason, link=link)
    item.public_state = row.public_state
    return screening


# --- 民情恳谈 / 百姓夜话 -------------------------------------------------------------------------------


def meeting_record(*, actor: User, village: Region, kind: str, held_on: dt.date, place: str, host_name: str,
                   attendance: int, summary: str = "", now: dt.datetime | None = None) -> Meeting:
    """An evening held in the village: when, where, who hosted, how many came, what was said."""
    require(can_keep_meetings(actor), KEEPER_ONLY)
    if village.level != RegionLevel.VILLAGE:
        raise ParticipationError("民情恳谈应记在一个村/社区", fields=field_error("village", "不是村/社区"))
    if not can_keep_meeting_in(actor, village.path):
        raise NotFound()
    if kind not in MeetingKind.values:
        raise ParticipationError("请选择民情恳谈会或百姓夜话", fields=field_error("kind", "不是可选的值"))
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not isinstance(held_on, dt.date) or held_on > today:
        raise ParticipationError("会议日期不能晚于今天", fields=field_error("held_on", "晚于今天"))
    if held_on < today - dt.timedelta(days=MEETING_DAYS_BACK):
        raise ParticipationError("只能补录一年以内的会议", fields=field_error("held_on", "太早"))
    if not isinstance(attendance, int) or isinstance(attendance, bool) or not 1 <= attendance <= MAX_ATTENDANCE:
        raise ParticipationError(f"参加人数应为 1～{MAX_ATTENDANCE} 之间的整数",
                                 fields=field_error("attendance", "超出范围"))
    return Meeting.objects.create(
        village=village, kind=kind, held_on=held_on, place=_text(place, "place", "地点", 100, required=True),
        host_name=_text(host_name, "host_name", "主持人", 50, required=True), attendance=attendance,
        summary=_text(summary, "summary", "情况记录", BODY_MAX), recorded_by=actor, created_at=now)


def demand_add(*, actor: User, meeting: Meeting, title: str, detail: str = "", raised_by: str = "",
               category: Category | None = None, grid: Grid | None = None,
               now: dt.datetime | None = None) -> MeetingDemand:
    """A demand raised at the meeting, filed at once as a case (channel 民情恳谈) in the grid it concerns —
    routed from there like any report — or, without a grid, to the township's queue for the village."""
    require(can_keep_meetings(actor), KEEPER_ONLY)
    village = meeting.village
    if not can_keep_meeting_in(actor, village.path):
        raise NotFound()
    now = now or timezone.now()
    if timezone.localdate(now) - meeting.held_on > dt.timedelta(days=DEMAND_DAYS):
        raise ParticipationConflict(f"会议已过去 {DEMAND_DAYS} 天，不能再补录诉求，请作为新的事件上报")
    title = _text(title, "title", "诉求", TITLE_MAX, required=True)
    detail = _text(detail, "detail", "具体情况", BODY_MAX)
    raised_by = _text(raised_by, "raised_by", "提出人", 50)
    if grid is not None and grid.region_id != village.pk:
        raise ParticipationError("网格不属于本村", fields=field_error("grid", "不属于本村"))
    held = f"{meeting.held_on.month}月{meeting.held_on.day}日{meeting.get_kind_display()}（{meeting.place}）"
    description = f"{detail}\n\n来源：{held}" if detail else f"来源：{held}"
    lon = lat = None
    if grid is not None and grid.center_lon is not None and grid.center_lat is not None:
        lon, lat = grid.center_lon, grid.center_lat
    with transaction.atomic():
        case = case_report(channel=Channel.MEETING, category=category, title=title, description=description,
                           lon=lon, lat=lat, address=f"{village.name}{grid.name if grid else ''}",
                           reporter_name=raised_by or f"{meeting.get_kind_display()}群众", fallback_region=village,
                           now=now).case
        return MeetingDemand.objects.create(meeting=meeting, title=title, detail=detail, raised_by=raised_by,
                                            category=category, grid=grid, case=case, recorded_by=actor,
                                            created_at=now)

