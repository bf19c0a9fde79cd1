"""Every write of 一村一码: re-issuing a village's code, 码上问 (ask, screen, answer, withdraw) and 码上办
(report a problem with a phone confirmed by SMS code, rate its handling).

Public intake (asking, reporting) is counted against limits per phone and per address over the last
hour, in the database, so the limits hold across web processes; a retried submission (the same
``submission_id``) returns what the first made and is never counted twice. Text a villager writes
goes through ``lib.redact.redact_personal`` before it is stored: only the masked text is kept."""

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from xiangzhi.accounts.models import Role, SmsCode, User
from xiangzhi.accounts.services import phone_clean, sms_code_check, sms_code_send
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.cases.models import OTHER_CATEGORY, Case, Category, Channel
from xiangzhi.cases.rules import calendar
from xiangzhi.cases.services import case_evaluate_by_link, case_report
from xiangzhi.core.errors import Invalid, RateLimited, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.core.sms import GatewayError, sms_send
from xiangzhi.lib import crypto
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.lib.redact import redact_personal
from xiangzhi.regions.models import Region
from xiangzhi.regions.selectors import locate, township_of
from xiangzhi.supervision import selectors
from xiangzhi.supervision.errors import SupervisionConflict, SupervisionError
from xiangzhi.supervision.models import (
    ModerationDecision,
    ModerationOutcome,
    ModerationSubject,
    QrReport,
    Question,
    QuestionCategory,
    QuestionState,
    VillageCode,
)
from xiangzhi.supervision.rules import can_moderate_village, can_reissue_code

logger = logging.getLogger("xiangzhi.supervision")

QUESTION_MAX = 500
ANSWER_MAX = 1000
REASON_MAX = 200
POST_MAX = 40
REPORT_TEXT_MAX = 500
_SUBMISSION = re.compile(r"[A-Za-z0-9_-]{8,64}")


def phone_hash_of(phone: str) -> str:
    """The keyed hash the limits count a phone by (never the number itself)."""
    return crypto.lookup_hash(f"supervision-phone:{phone}")


def _address_hash(address: str | None) -> str:
    return crypto.lookup_hash(f"supervision-address:{address}") if address else ""


def _submission(value: str | None) -> str:
    value = (value or "").strip()
    if not _SUBMISSION.fullmatch(value):
        raise SupervisionError("页面已过期，请刷新后重新提交")
    return value


def _working_days_after(start: dt.datetime, days: int) -> dt.datetime:
    return calendar().add_working_hours(timezone.localtime(start), days * 24)


def _link(site: str, path: str) -> str:
    return site.rstrip("/") + path


def _sms_quietly(phone: str, message: str) -> bool:
    """An SMS that must not undo what was done when the gateway fails: logged, never raised."""
    try:
        sms_send(phone, message)
    except GatewayError as exc:
        logger.warning("supervision sms not sent: %s", exc)
        return False
    return True


def _limit(model: type[Question] | type[QrReport], time_field: str, *, phone_hash: str, address_hash: str,
           per_phone: int, per_address: int, now: dt.datetime, what: str) -> None:
    since = now - dt.timedelta(hours=1)
    recent = model.objects.filter(**{f"{time_field}__gte": since})
    if phone_hash and recent.filter(phone_hash=phone_hash).count() >= per_phone:
        raise RateLimited(f"这个手机号一小时内{what}已达 {per_phone} 次，请稍后再试；您填写的内容已保留")
    if address_hash and recent.filter(address_hash=address_hash).count() >= per_address:
        raise RateLimited(f"当前网络一小时内{what}已达 {per_address} 次，请稍后再试；您填写的内容已保留")


# --- village codes ------------------------------------------------------------------------------


def village_code_reissue(*, village: Region, actor: User, reason: str,
                         now: dt.datetime | None = None) -> VillageCode:
    """A new code for the village (the poster was lost or defaced): the older posters now lead to a
    page saying so. Two re-issues at once make one; the second is told."""
    require(can_reissue_code(actor, village), "只有乡镇（街道）或县级管理员可以更换村务公开码")
    reason = text(reason, "reason", "更换原因", REASON_MAX, required=True, error=SupervisionError)
    generation = selectors.village_code_generation(village) + 1
    try:
        with transaction.atomic():
            code = VillageCode.objects.create(village=village, generation=generation, issued_at=now or timezone.now(),
                                              issued_by=actor, reason=reason)
            audit_record(actor=actor, action=AuditAction.PUBLISH,
                         summary=f"更换{village.name}的村务公开码（第 {generation} 版，原因：{reason}）",
                         scope_path=village.path, subject=f"supervision.villagecode:{code.pk}", at=code.issued_at)
            return code
    except IntegrityError:
        raise SupervisionConflict("该村的码刚刚已更换，请刷新后查看") from None


# --- 码上问 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskResult:
    question: Question
    created: bool


def question_ask(*, village: Region, text_: str, category: str = "", phone: str = "",
                 address: str | None = None, submission_id: str, now: dt.datetime | None = None) -> AskResult:
    """Anyone's question from the village page. Personal numbers in it are masked before it is stored
    (only the masked text is kept, with which kinds were found); it waits for screening. A phone, if
    given, gets the answer or the refusal by SMS and is kept encrypted, never shown."""
    raw = text(text_, "text", "问题", QUESTION_MAX, required=True, error=SupervisionError)
    if category and category not in QuestionCategory.values:
        raise SupervisionError("问题类别不正确", fields=field_error("category", "不是可选的值"))
    phone = phone_clean(phone) if (phone or "").strip() else ""
    submission_id = _submission(submission_id)
    done = Question.objects.filter(village=village, submission_id=submission_id).first()
    if done is not None:
        return AskResult(done, created=False)
    now = now or timezone.now()
    phone_hash, address_hash = (phone_hash_of(phone) if phone else ""), _address_hash(address)
    _limit(Question, "asked_at", phone_hash=phone_hash, address_hash=address_hash,
           per_phone=settings.SUPERVISION_QUESTIONS_PER_PHONE_HOUR,
           per_address=settings.SUPERVISION_QUESTIONS_PER_ADDRESS_HOUR, now=now, what="提问")
    masked = redact_personal(raw)
    try:
        with transaction.atomic():
            question = Question.objects.create(
                village=village, category=category or QuestionCategory.OTHER, text=masked.text,
                masked_kinds=",".join(masked.kinds), phone_encrypted=crypto.encrypt(phone) if phone else "",
                phone_hash=phone_hash, address_hash=address_hash, submission_id=submission_id, asked_at=now,
                screen_due_at=_working_days_after(now, settings.SUPERVISION_SCREEN_DAYS),
                answer_due_at=_working_days_after(now, settings.SUPERVISION_ANSWER_DAYS))
    except IntegrityError:  # the same submission, a moment earlier
        return AskResult(Question.objects.get(village=village, submission_id=submission_id), created=False)
    return AskResult(question, created=True)


def _locked(question: Question) -> Question:
    return Question.objects.select_for_update().get(pk=question.pk)


def _tell_asker(question: Question, message: str, site: str) -> None:
    if not question.phone_encrypted:
        return
    phone = crypto.decrypt(question.phone_encrypted)
    link = _link(site, reverse("village:question", args=[selectors.question_follow_token(question)]))
    transaction.on_commit(lambda: _sms_quietly(phone, f"【乡治】{message}查看：{link}"))


def question_screen(*, question: Question, actor: User, passed: bool, reason: str = "", site: str = "",
                    now: dt.datetime | None = None) -> Question:
    """The screening step: the question goes on to be answered in public, or is not shown, with a reason
    the asker reads on his follow link (and by SMS if he left a phone). Recorded as a decision."""
    require(can_moderate_village(actor, question.village), "无权审核该村的提问")
    reason = text(reason, "reason", "未通过原因" if not passed else "审核意见", REASON_MAX, error=SupervisionError)
    if not passed and len(reason) < 2:
        raise SupervisionError("请填写未通过的原因（提问人可以看到）", fields=field_error("reason", "必填"))
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(question)
        if row.state != QuestionState.SCREENING:
            raise SupervisionConflict(f"该提问已{row.get_state_display()}，不能再审核")
        row.state = QuestionState.WAITING if passed else QuestionState.REJECTED
        row.screened_at = now
        row.reject_reason = "" if passed else reason
        row.save(update_fields=["state", "screened_at", "reject_reason"])
        ModerationDecision.objects.create(
            question=row, subject=ModerationSubject.QUESTION,
            outcome=ModerationOutcome.PASS if passed else ModerationOutcome.REJECT, reason=reason,
            masked_kinds=row.masked_kinds, actor=actor, decided_at=now)
        if not passed and site:
            _tell_asker(row, f"您在{row.village.name}码上问提出的问题未通过审核，原因：{reason}。", site)
    return row


def _government(region: Region) -> str:
    return region.name + ("办事处" if region.name.endswith("街道") else "人民政府")


def answer_post_default(actor: User, village: Region) -> str:
    """Who answers, as the public reads it: the village committee, or the township or county above it."""
    if actor.role == Role.VILLAGE_CADRE:
        return f"{village.name}村委会"
    if actor.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN) and actor.region is not None:
        return _government(actor.region)
    town = township_of(village)
    return _government(town) if town is not None else f"{village.name}村委会"


def question_answer(*, question: Question, actor: User, answer: str, post: str = "", site: str = "",
                    now: dt.datetime | None = None) -> Question:
    """The public answer to a screened question, under the answerer's post (「东村村委会」), never his
    login. Personal numbers in the answer are masked too; publishing is recorded as a decision."""
    require(can_moderate_village(actor, question.village), "无权答复该村的提问")
    raw = text(answer, "answer", "答复", ANSWER_MAX, required=True, error=SupervisionError)
    post = text(post, "post", "答复单位", POST_MAX, error=SupervisionError) or answer_post_default(
        actor, question.village)
    masked = redact_personal(raw)
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(question)
        if row.state == QuestionState.SCREENING:
            raise SupervisionConflict("该提问还没有审核，审核通过后才能答复")
        if row.state != QuestionState.WAITING:
            raise SupervisionConflict(f"该提问已{row.get_state_display()}，不能再答复")
        row.state, row.answer, row.answer_post = QuestionState.ANSWERED, masked.text, post
        row.answered_at, row.answered_by = now, actor
        row.save(update_fields=["state", "answer", "answer_post", "answered_at", "answered_by"])
        ModerationDecision.objects.create(
            question=row, subject=ModerationSubject.ANSWER, outcome=ModerationOutcome.PUBLISH,
            reason=masked.describe(), masked_kinds=",".join(masked.kinds), actor=actor, decided_at=now)
        if site:
            _tell_asker(row, f"您在{row.village.name}码上问提出的问题已由{post}答复。", site)
    return row


def question_withdraw(*, question: Question, actor: User, reason: str, now: dt.datetime | None = None) -> Question:
    """Take a screened or answered question off the village page, with a recorded reason."""
    require(can_moderate_village(actor, question.village), "无权处理该村的提问")
    reason = text(reason, "reason", "撤下原因", REASON_MAX, required=True, error=SupervisionError)
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(question)
        if row.state not in (QuestionState.WAITING, QuestionState.ANSWERED):
            raise SupervisionConflict(f"该提问{row.get_state_display()}，不在公开页面上")
        row.state = QuestionState.WITHDRAWN
        row.save(update_fields=["state"])
        ModerationDecision.objects.create(
            question=row, subject=ModerationSubject.QUESTION, outcome=ModerationOutcome.WITHDRAW, reason=reason,
            actor=actor, decided_at=now)
    return row


# --- 码上办 --------------------------------------------------------------------------------------


def qr_report_code_send(*, phone: str, address: str | None = None) -> str:
    """The SMS code that confirms the reporter's phone (the accounts' codes: their limits per phone
    and per address apply)."""
    return sms_code_send(phone=phone, purpose=SmsCode.Purpose.REPORT, ip_address=address)


@dataclass(frozen=True)
class QrReportResult:
    report: QrReport
    created: bool


def _where(village: Region, lon: float | None, lat: float | None) -> tuple[float | None, float | None]:
    """The phone's position when it lies in the village's grids; otherwise none, and the case is the
    village's (``fallback_region``: its township's queue places it)."""
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None, None
    grid = locate(lon, lat)
    return (lon, lat) if grid is not None and grid.region_id == village.pk else (None, None)


def qr_report_submit(*, village: Region, phone: str, code: str, category: Category | None, description: str,
                     photos: Sequence[ProcessedPhoto] = (), lon: float | None = None, lat: float | None = None,
                     place: str = "", submission_id: str, address: str | None = None, site: str,
                     now: dt.datetime | None = None) -> QrReportResult:
    """码上办: a problem reported from the village page without an account. The phone is confirmed by
    the SMS code; the case goes through the one intake (``case_report``, channel 码上办) and its follow
    link is sent to that phone. The same submission again (a double tap, a retry after a lost answer)
    returns the first case without asking for the code again.

    Everything that can be refused is checked before the code is used, so a refusal never costs the
    villager his code. Not to be wrapped in a transaction: a wrong code must stay counted."""
    phone = phone_clean(phone)
    submission_id = _submission(submission_id)
    phone_hash = phone_hash_of(phone)
    done = QrReport.objects.select_related("case").filter(phone_hash=phone_hash, submission_id=submission_id).first()
    if done is not None:
        return QrReportResult(done, created=False)
    description = text(description, "description", "情况说明", REPORT_TEXT_MAX, error=SupervisionError)
    place = text(place, "place", "地点", 100, error=SupervisionError)
    named = category is not None and category.code != OTHER_CATEGORY
    if not (photos or description or named):
        raise SupervisionError("请拍一张照片，或写几个字说明情况")
    if len(photos) > settings.CASE_PHOTO_MAX_COUNT:
        raise SupervisionError(f"最多上传 {settings.CASE_PHOTO_MAX_COUNT} 张照片")
    if category is not None and not category.is_active:
        raise SupervisionError("该事件类别已停用")
    now = now or timezone.now()
    address_hash = _address_hash(address)
    _limit(QrReport, "created_at", phone_hash=phone_hash, address_hash=address_hash,
           per_phone=settings.SUPERVISION_REPORTS_PER_PHONE_HOUR,
           per_address=settings.SUPERVISION_REPORTS_PER_ADDRESS_HOUR, now=now, what="反映问题")
    try:
        sms_code_check(phone=phone, purpose=SmsCode.Purpose.REPORT, code=code)
    except Invalid:
        # Two taps at once: the first used the code and made the case; the second finds it.
        done = QrReport.objects.filter(phone_hash=phone_hash, submission_id=submission_id).first()
        if done is not None:
            return QrReportResult(done, created=False)
        raise
    lon, lat = _where(village, lon, lat)
    masked = redact_personal(description)
    where = f"{village.name}（扫码反映）" + (f" {place}" if place else "")
    with transaction.atomic():
        result = case_report(
            channel=Channel.QR, category=category, description=masked.text, lon=lon, lat=lat, address=where,
            reporter_phone=phone, photos=photos, fallback_region=village, idempotency_key=submission_id,
            idempotency_owner=f"qr:{phone_hash}", now=now)
        report, created = QrReport.objects.get_or_create(case=result.case, defaults={
            "village": village, "phone_hash": phone_hash, "address_hash": address_hash,
            "submission_id": submission_id, "created_at": now})
        if created:
            link = _link(site, reverse("village:report", args=[selectors.qr_report_follow_token(report)]))
            transaction.on_commit(lambda: _report_link_send(report, phone, result.case, link))
    return QrReportResult(report, created=created)


def _report_link_send(report: QrReport, phone: str, case: Case, link: str) -> None:
    if _sms_quietly(phone, f"【乡治】您反映的问题已登记，编号{case.number}。查看办理进度、办结后评价：{link}"):
        QrReport.objects.filter(pk=report.pk).update(link_sent_at=timezone.now())


def qr_report_evaluate(*, report: QrReport, evaluation: str, comment: str = "") -> Case:
    """The reporter's rating (满意度) of his case once it is closed, through his follow link."""
    comment = text(comment, "comment", "评价意见", 500, error=SupervisionError)
    return case_evaluate_by_link(case=report.case, evaluation=evaluation, comment=comment)
