"""Every change to village affairs disclosures, posts, cadres and the county's template. Pages, the API
and the demo call these.

The publication rule (issue 15, item 7): nothing reaches the public without a screening whose decision
is recorded. A disclosure or post goes draft → submitted → passed (or returned with a reason) →
published; publishing needs the last screening to have passed exactly what is there now (the
screening's fingerprint), and nobody screens his own submission. A published disclosure is not edited:
it is withdrawn with a reason, corrected, screened again and re-published with the reason for the
correction, and every version it published is kept (``DisclosureVersion``, append-only). A disclosure
whose item requires an attachment cannot be submitted or published without one.

Public text (contents, post bodies, cadres' duties) may not carry an ID number, a mobile phone number or
a bank card number: it is refused before anyone screens it. Cadres get an office phone, never a mobile.

Money is whole fen: figures are typed in 元 with at most two places. Transitions lock the row first.
"""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Forbidden, NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.disclosure import selectors
from xiangzhi.disclosure.defaults import DEFAULT_ITEMS
from xiangzhi.disclosure.errors import DisclosureConflict, DisclosureError
from xiangzhi.disclosure.models import (
    EDITABLE,
    Action,
    AffairGroup,
    Attachment,
    Cadence,
    Cadre,
    CadreState,
    Decision,
    Disclosure,
    DisclosureVersion,
    DueItem,
    Event,
    Post,
    PostKind,
    Screening,
    State,
)
from xiangzhi.disclosure.rules import can_edit_template, can_keep, can_screen, may_screen
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people.models import Resident
from xiangzhi.regions.models import Region, RegionLevel

TITLE_MAX = 100
CONTENT_MAX = 5000
REASON_MAX = 200
NAME_MAX = 50
DUTIES_MAX = 300
GUIDANCE_MAX = 300
LABEL_MAX = 20
FIGURES_MAX = 8
DUE_DAYS_MAX = 120
MAX_FEN = 100_000_000_000  # 10 亿元, either way: far above any village's accounts
ATTACHMENT_MAX_COUNT = 6
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_NAME_MAX = 100

KEEPER_ONLY = "只有村两委和乡镇（街道）、区县人员可以办理村务公开"
SCREENER_ONLY = "只有乡镇（街道）和区县人员可以审核公开内容"
NOT_OWN = "不能审核自己提交的内容，请由其他审核人审核"

# What may not appear in public text: numbers that identify a person or his money.
_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                        r"[0-9]{3}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9](?:[- ]?[0-9]){8}(?![0-9])")
_LONG_DIGITS = re.compile(r"(?<![0-9])(?:[0-9][- ]?){14,}[0-9](?![0-9])")
_LANDLINE = re.compile(r"^(?:0[1-9][0-9]{1,2}-?[0-9]{7,8}(?:-[0-9]{1,5})?|[0-9]{5,8})$")


def _text(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> str:
    return text(value, name, label, limit, required=required, error=DisclosureError)


def personal_numbers(value: str) -> list[str]:
    """What in ``value`` a public page may not show: 身份证号, 手机号, 银行卡号 (by kind, in that order)."""
    plain = value.translate(_FULLWIDTH)
    found = []
    if _ID_NUMBER.search(plain):
        found.append("身份证号")
    if _MOBILE.search(plain):
        found.append("手机号")
    if not found and _LONG_DIGITS.search(plain):
        found.append("银行卡号等长串号码")
    return found


def _public_text(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> str:
    value = _text(value, name, label, limit, required=required)
    found = personal_numbers(value)
    if found:
        raise DisclosureError(f"{label}中有{'、'.join(found)}，公开内容不能含个人信息，请删去",
                              fields=field_error(name, "含个人信息"))
    return value


def office_phone(value: str | None, name: str = "office_phone") -> str:
    """村委会办公电话: a landline (区号-号码, an extension allowed) or a short service number; never a
    mobile (a cadre's own phone)."""
    value = (value or "").strip().translate(_FULLWIDTH).replace(" ", "")
    if not value:
        return ""
    if _MOBILE.fullmatch(value):
        raise DisclosureError("请填写村委会办公电话（座机），不能填个人手机号",
                              fields=field_error(name, "不能是手机号"))
    if not _LANDLINE.match(value):
        raise DisclosureError("办公电话格式不正确，如 0543-7321234", fields=field_error(name, "格式不正确"))
    return value


def yuan_to_fen(value: object, name: str, label: str) -> int | None:
    """An amount in 元 as typed or sent (「12,345.6」, 12345, "-300") as whole fen; blank is ``None``."""
    if value is None or value == "":
        return None
    bad = DisclosureError(f"{label}应为金额（元），最多两位小数", fields=field_error(name, "金额不正确"))
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float | Decimal):
        amount = Decimal(str(value))
    elif isinstance(value, str):
        cleaned = value.strip().translate(_FULLWIDTH).replace(",", "").replace("，", "").replace(" ", "")
        cleaned = cleaned.removesuffix("元")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise bad from None
    else:
        raise bad
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or not isinstance(exponent, int) or exponent < -2:
        raise bad
    fen = int(amount * 100)
    if abs(fen) > MAX_FEN:
        raise DisclosureError(f"{label}超出范围", fields=field_error(name, "超出范围"))
    return fen


def fingerprint(content: str, figures: object, attachment_ids: Sequence[int], *extra: str) -> str:
    """SHA-256 of what a screening sees: the text, the figures, the attachments (and a post's title and date)."""
    blob = json.dumps([content, figures, sorted(attachment_ids), list(extra)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _event(actor: User, action: str, from_state: str, to_state: str, now: dt.datetime, note: str = "",
           **target: object) -> None:
    Event.objects.create(action=action, from_state=from_state, to_state=to_state, at=now, actor=actor,
                         note=note[:REASON_MAX], **target)


def _keeper_check(actor: User, region: Region) -> None:
    require(can_keep(actor), KEEPER_ONLY)
    if not selectors.covers(actor, region):
        raise NotFound()


def _screener_check(actor: User, region: Region, submitted_by_id: int | None) -> None:
    require(can_screen(actor), SCREENER_ONLY)
    if not selectors.covers(actor, region):
        raise NotFound()
    if not may_screen(actor, submitted_by_id):
        raise Forbidden(NOT_OWN)


# --- the county's template ------------------------------------------------------------------------------


def template_install_default(*, county: Region, actor: User | None = None, active_from: dt.date | None = None) -> int:
    """The 36 default items (``defaults.DEFAULT_ITEMS``) into the county's template, those it lacks (by
    code): installing twice adds nothing. ``active_from``: periods due from this day (by default the
    current quarter's first day). ``actor``: the county admin asking from a page (the demo and a fresh
    deployment install without one). Returns the number added."""
    if actor is not None:
        require(can_edit_template(actor), "只有县级管理员可以修改公开事项模板")
        if not selectors.covers(actor, county):
            raise NotFound()
    if county.level != RegionLevel.COUNTY:
        raise DisclosureError("公开事项模板属于区/县", fields=field_error("county", "不是区/县"))
    active_from = active_from or selectors.Quarter.of(timezone.localdate()).start
    have = set(DueItem.objects.filter(county=county).values_list("code", flat=True))
    rows = [DueItem(county=county, code=d.code, group=d.group, title=d.title, guidance=d.guidance,
                    cadence=d.cadence, attachment_required=d.attachment_required, figure_labels=list(d.figures),
                    due_days=d.due_days, sort=(n + 1) * 10, active_from=active_from)
            for n, d in enumerate(DEFAULT_ITEMS) if d.code not in have]
    DueItem.objects.bulk_create(rows)
    return len(rows)


def _labels(value: object) -> list[str]:
    """Money lines, from a list or one per line / comma."""
    if isinstance(value, str):
        value = [v for part in value.replace("，", ",").splitlines() for v in part.split(",")]
    if not isinstance(value, list | tuple):
        raise DisclosureError("金额栏目格式不正确", fields=field_error("figure_labels", "格式不正确"))
    labels = []
    for raw in value:
        label = _text(str(raw), "figure_labels", "金额栏目名称", LABEL_MAX)
        if label and label not in labels:
            labels.append(label)
    if len(labels) > FIGURES_MAX:
        raise DisclosureError(f"金额栏目最多 {FIGURES_MAX} 个", fields=field_error("figure_labels", "太多"))
    return labels


def due_item_save(*, actor: User, county: Region, item: DueItem | None = None, group: str, title: str,
                  guidance: str = "", cadence: str = Cadence.QUARTER, attachment_required: bool = False,
                  figure_labels: object = (), due_days: object = 10, is_active: bool = True,
                  sort: object = None) -> DueItem:
    """Add an item to the county's template or change one. Disclosures already begun keep their period;
    published versions keep the title they went out with."""
    require(can_edit_template(actor), "只有县级管理员可以修改公开事项模板")
    if county.level != RegionLevel.COUNTY or not selectors.covers(actor, county):
        raise NotFound()
    if item is not None and item.county_id != county.pk:
        raise NotFound()
    if group not in AffairGroup.values:
        raise DisclosureError("请选择类别", fields=field_error("group", "不是可选的值"))
    if cadence not in Cadence.values:
        raise DisclosureError("请选择公开周期", fields=field_error("cadence", "不是可选的值"))
    title = _text(title, "title", "公开事项", TITLE_MAX, required=True)
    guidance = _text(guidance, "guidance", "填写说明", GUIDANCE_MAX)
    labels = _labels(list(figure_labels) if isinstance(figure_labels, tuple) else figure_labels)
    if not isinstance(due_days, int) or isinstance(due_days, bool) or not 0 <= due_days <= DUE_DAYS_MAX:
        raise DisclosureError(f"公开期限应为期满后 0～{DUE_DAYS_MAX} 天", fields=field_error("due_days", "超出范围"))
    if sort is not None and (not isinstance(sort, int) or isinstance(sort, bool) or not 0 <= sort <= 10_000):
        raise DisclosureError("排序应为 0～10000 的整数", fields=field_error("sort", "超出范围"))
    fields = {"group": group, "title": title, "guidance": guidance, "cadence": cadence,
              "attachment_required": bool(attachment_required), "figure_labels": labels, "due_days": due_days,
              "is_active": bool(is_active)}
    with transaction.atomic():
        if item is None:
            last = DueItem.objects.filter(county=county).order_by("-sort").values_list("sort", flat=True).first()
            n = DueItem.objects.filter(county=county).count() + 1
            code = f"item_{n}"
            while DueItem.objects.filter(county=county, code=code).exists():
                n += 1
                code = f"item_{n}"
            return DueItem.objects.create(county=county, code=code, sort=sort if sort is not None else (last or 0) + 10,
                                          active_from=selectors.Quarter.of(timezone.localdate()).start, **fields)
        for name, value in fields.items():
            setattr(item, name, value)
        if sort is not None:
            item.sort = sort
        item.save()
    return item


# --- a disclosure's working copy --------------------------------------------------------------------------


def disclosure_open(*, actor: User, village: Region, item: DueItem, period_start: dt.date,
                    now: dt.datetime | None = None) -> Disclosure:
    """The village's disclosure of ``item`` for the period beginning ``period_start`` — begun (a draft)
    if it was not. The period must be one of the item's and have begun."""
    _keeper_check(actor, village)
    if village.level != RegionLevel.VILLAGE:
        raise DisclosureError("村务公开须属于一个村/社区", fields=field_error("village", "不是村/社区"))
    county = selectors.county_of(village)
    if county is None or item.county_id != county.pk:
        raise NotFound()
    start, end = selectors.period_of(item.cadence, period_start)
    if start != period_start:
        raise DisclosureError("公开期间不正确", fields=field_error("period_start", "不是该事项的期间起始日"))
    now = now or timezone.now()
    existing = Disclosure.objects.filter(village=village, item=item, period_start=start).first()
    if existing is not None:
        return existing
    if not item.is_active:
        raise DisclosureConflict("该公开事项已停用")
    if start > timezone.localdate(now):
        raise DisclosureError("该期还没有开始，不能填写", fields=field_error("period_start", "还没有开始"))
    try:
        with transaction.atomic():
            row = Disclosure.objects.create(
                village=village, item=item, period_start=start, period_end=end,
                due_on=selectors.due_on(item, end), figures=[[label, None] for label in item.figure_labels],
                created_at=now, created_by=actor, updated_at=now)
            _event(actor, Action.OPEN, "", State.DRAFT, now, disclosure=row)
    except IntegrityError:  # begun by someone else at the same moment
        return Disclosure.objects.get(village=village, item=item, period_start=start)
    return row


def _lock(disclosure: Disclosure) -> Disclosure:
    locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    disclosure.state = locked.state
    return locked


def _editable(state: str, noun: str = "内容") -> None:
    if state == State.SUBMITTED:
        raise DisclosureConflict(f"{noun}已提交审核，审核结束前不能修改")
    if state == State.PUBLISHED:
        raise DisclosureConflict(f"已公开的{noun}不能直接修改，请先撤回并写明原因")
    if state not in EDITABLE:
        raise DisclosureConflict(f"{noun}现在不能修改")


def _figures(item_labels: Sequence[str], values: Mapping[str, object] | None,
             current: Sequence[Sequence[object]]) -> list[list[object]]:
    old = {str(label): fen for label, fen in current}
    values = values or {}
    unknown = [k for k in values if k not in item_labels]
    if unknown:
        raise DisclosureError(f"没有这个金额栏目：{unknown[0]}", fields=field_error("figures", "没有这个栏目"))
    out: list[list[object]] = []
    for i, label in enumerate(item_labels):
        fen = yuan_to_fen(values[label], f"figure_{i}", label) if label in values else old.get(label)
        out.append([label, fen])
    return out


def _draft_ids(disclosure: Disclosure) -> list[int]:
    return list(disclosure.attachments.filter(in_draft=True).values_list("id", flat=True))


def disclosure_fingerprint(disclosure: Disclosure) -> str:
    return fingerprint(disclosure.content, disclosure.figures, _draft_ids(disclosure))


def disclosure_save(*, actor: User, disclosure: Disclosure, content: str | None = None,
                    figures: Mapping[str, object] | None = None, now: dt.datetime | None = None) -> Disclosure:
    """The working copy's text and figures (元 by label; a label left out keeps its value, blank clears
    it). A passed, returned or withdrawn disclosure goes back to draft: it is screened again."""
    _keeper_check(actor, disclosure.village)
    content_value = disclosure.content if content is None else _public_text(content, "content", "公开内容",
                                                                             CONTENT_MAX)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        _editable(locked.state)
        new_figures = _figures(locked.item.figure_labels, figures, locked.figures)
        if content_value == locked.content and new_figures == locked.figures:
            return locked
        before = locked.state
        locked.content, locked.figures, locked.state, locked.updated_at = content_value, new_figures, State.DRAFT, now
        locked.save(update_fields=["content", "figures", "state", "updated_at"])
        _event(actor, Action.SAVE, before, State.DRAFT, now, disclosure=locked)
    return locked


@dataclass(frozen=True)
class Upload:
    """A file as sent: its name and bytes (the page and the API check the size before reading it)."""

    name: str
    data: bytes


def _attachment(upload: Upload, region: Region, actor: User, now: dt.datetime, **owner: object) -> Attachment:
    """Checked before any work: size, then what the bytes are (a PDF by its header, an image by
    decoding it within the pixel bound). Images are re-encoded without EXIF or GPS."""
    if len(upload.data) > ATTACHMENT_MAX_BYTES:
        raise DisclosureError(f"附件不能超过 {ATTACHMENT_MAX_BYTES // 1024 // 1024} MB",
                              fields=field_error("attachments", "太大"))
    if not upload.data:
        raise DisclosureError("附件是空文件", fields=field_error("attachments", "空文件"))
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "", upload.name or "").strip()[-ATTACHMENT_NAME_MAX:] or "附件"
    row = Attachment(region=region, name=name, size_bytes=len(upload.data), added_at=now, added_by=actor, **owner)
    stem = f"{now:%Y%m%d%H%M%S}-{hashlib.sha256(upload.data).hexdigest()[:12]}"
    if upload.data[:5] == b"%PDF-":
        if b"%%EOF" not in upload.data[-2048:]:
            raise DisclosureError("PDF 文件不完整，请重新导出后上传", fields=field_error("attachments", "文件不完整"))
        row.kind = Attachment.Kind.PDF
        row.file.save(f"{stem}.pdf", ContentFile(upload.data), save=False)
    else:
        try:
            photo = process(upload.data, max_bytes=ATTACHMENT_MAX_BYTES)
        except PhotoError:
            raise DisclosureError("附件只能是 PDF 文件或图片（JPG、PNG 等）",
                                  fields=field_error("attachments", "格式不支持")) from None
        row.kind = Attachment.Kind.IMAGE
        row.size_bytes = len(photo.image)
        row.file.save(f"{stem}.jpg", ContentFile(photo.image), save=False)
        row.thumbnail.save(f"{stem}.jpg", ContentFile(photo.thumbnail), save=False)
        if not row.name.lower().endswith((".jpg", ".jpeg")):
            row.name = (row.name.rsplit(".", 1)[0] or "图片")[: ATTACHMENT_NAME_MAX - 4] + ".jpg"
    row.save()
    return row


def _count_check(present: int, adding: int) -> None:
    if present + adding > ATTACHMENT_MAX_COUNT:
        raise DisclosureError(f"附件最多 {ATTACHMENT_MAX_COUNT} 个", fields=field_error("attachments", "太多"))


def attachment_add(*, actor: User, disclosure: Disclosure, uploads: Sequence[Upload],
                   now: dt.datetime | None = None) -> list[Attachment]:
    """Attach PDFs or images to the working copy: at most ``ATTACHMENT_MAX_COUNT`` in all, each at most
    ``ATTACHMENT_MAX_BYTES``; any bad file and none is kept."""
    _keeper_check(actor, disclosure.village)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        _editable(locked.state)
        _count_check(locked.attachments.filter(in_draft=True).count(), len(uploads))
        rows = [_attachment(u, locked.village, actor, now, disclosure=locked) for u in uploads]
        before = locked.state
        locked.state, locked.updated_at = State.DRAFT, now
        locked.save(update_fields=["state", "updated_at"])
        _event(actor, Action.SAVE, before, State.DRAFT, now, "添加附件：" + "、".join(r.name for r in rows),
               disclosure=locked)
    return rows


def attachment_remove(*, actor: User, disclosure: Disclosure, attachment: Attachment,
                      now: dt.datetime | None = None) -> None:
    """Take an attachment out of the working copy (the versions that published it keep it)."""
    _keeper_check(actor, disclosure.village)
    if attachment.disclosure_id != disclosure.pk:
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        _editable(locked.state)
        if not attachment.in_draft:
            return
        attachment.in_draft = False
        attachment.save(update_fields=["in_draft"])
        before = locked.state
        locked.state, locked.updated_at = State.DRAFT, now
        locked.save(update_fields=["state", "updated_at"])
        _event(actor, Action.SAVE, before, State.DRAFT, now, f"删除附件：{attachment.name}", disclosure=locked)


def _complete_check(disclosure: Disclosure) -> None:
    """What a disclosure must hold to be screened or published: its text, every money line, and the
    attachment its item requires."""
    if not disclosure.content.strip():
        raise DisclosureError("请填写公开内容", fields=field_error("content", "必填"))
    missing = [label for label, fen in disclosure.figures if fen is None]
    if missing:
        raise DisclosureError(f"请填写金额：{'、'.join(missing)}", fields=field_error("figures", "必填"))
    if disclosure.item.attachment_required and not disclosure.attachments.filter(in_draft=True).exists():
        raise DisclosureError(f"「{disclosure.item.title}」须附上附件（会议记录、票据或公示照片等）",
                              fields=field_error("attachments", "须附附件"))


def disclosure_submit(*, actor: User, disclosure: Disclosure, now: dt.datetime | None = None) -> Disclosure:
    """提交审核: complete (text, figures, the required attachment) and handed to the township."""
    _keeper_check(actor, disclosure.village)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        if locked.state == State.PASSED:
            raise DisclosureConflict("已通过审核，可以公开")
        _editable(locked.state)
        _complete_check(locked)
        before = locked.state
        locked.state, locked.submitted_by, locked.updated_at = State.SUBMITTED, actor, now
        locked.save(update_fields=["state", "submitted_by", "updated_at"])
        _event(actor, Action.SUBMIT, before, State.SUBMITTED, now, disclosure=locked)
    return locked


def disclosure_screen(*, actor: User, disclosure: Disclosure, passed: bool, reason: str = "",
                      now: dt.datetime | None = None) -> Screening:
    """审核: pass, or return with the reason the village reads. Recorded with what was screened."""
    reason = _text(reason, "reason", "退回原因" if not passed else "审核意见", REASON_MAX, required=not passed)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        _screener_check(actor, locked.village, locked.submitted_by_id)
        if locked.state != State.SUBMITTED:
            raise DisclosureConflict(f"该公开事项{locked.get_state_display()}，不在待审核状态")
        if locked.submitted_by_id is None:
            raise DisclosureConflict("该公开事项没有提交人，不能审核")
        screening = Screening.objects.create(
            disclosure=locked, decision=Decision.PASS if passed else Decision.RETURN, reason=reason,
            fingerprint=disclosure_fingerprint(locked), submitted_by_id=locked.submitted_by_id, decided_at=now,
            decided_by=actor)
        to = State.PASSED if passed else State.RETURNED
        locked.state, locked.updated_at = to, now
        locked.save(update_fields=["state", "updated_at"])
        _event(actor, Action.PASS if passed else Action.RETURN, State.SUBMITTED, to, now, reason, disclosure=locked)
    return screening


def _passed(screening: Screening | None, current: str) -> Screening:
    if screening is None or screening.decision != Decision.PASS:
        raise DisclosureConflict("还没有通过审核，不能公开")
    if screening.fingerprint != current:
        raise DisclosureConflict("审核通过后内容有改动，请重新提交审核")
    return screening


def disclosure_publish(*, actor: User, disclosure: Disclosure, reason: str = "",
                       now: dt.datetime | None = None) -> DisclosureVersion:
    """公开: a new version, exactly as screened. A disclosure published before (withdrawn, corrected,
    screened again) needs the reason for the correction, shown to the public beside it."""
    _keeper_check(actor, disclosure.village)
    reason = _text(reason, "reason", "更正原因", REASON_MAX)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        if locked.state == State.PUBLISHED:
            raise DisclosureConflict("已经公开")
        if locked.state != State.PASSED:
            raise DisclosureConflict("还没有通过审核，不能公开")
        screening = _passed(selectors.last_screening(disclosure=locked), disclosure_fingerprint(locked))
        _complete_check(locked)
        number = locked.versions.count() + 1
        if number > 1 and not reason:
            raise DisclosureError("重新公开须写明更正原因", fields=field_error("reason", "必填"))
        version = DisclosureVersion.objects.create(
            disclosure=locked, number=number, title=locked.item.title, content=locked.content,
            figures=locked.figures, reason=reason if number > 1 else "", screening=screening, published_at=now,
            published_by=actor)
        version.attachments.set(_draft_ids(locked))
        locked.state, locked.withdrawn_reason, locked.updated_at = State.PUBLISHED, "", now
        fields = ["state", "withdrawn_reason", "updated_at"]
        if locked.first_published_at is None:
            locked.first_published_at = now
            fields.append("first_published_at")
        locked.save(update_fields=fields)
        _event(actor, Action.PUBLISH if number == 1 else Action.REPUBLISH, State.PASSED, State.PUBLISHED, now,
               reason, disclosure=locked)
    return version


def disclosure_withdraw(*, actor: User, disclosure: Disclosure, reason: str,
                        now: dt.datetime | None = None) -> Disclosure:
    """撤回, with the reason the public reads; the versions published stay readable. Then it can be
    corrected, screened again and re-published."""
    _keeper_check(actor, disclosure.village)
    reason = _text(reason, "reason", "撤回原因", REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(disclosure)
        if locked.state != State.PUBLISHED:
            raise DisclosureConflict("只有已公开的内容才能撤回")
        locked.state, locked.withdrawn_reason, locked.updated_at = State.WITHDRAWN, reason, now
        locked.save(update_fields=["state", "withdrawn_reason", "updated_at"])
        _event(actor, Action.WITHDRAW, State.PUBLISHED, State.WITHDRAWN, now, reason, disclosure=locked)
    return locked


# --- posts: 上级政策 and 民生事项 ------------------------------------------------------------------------


def _dated(value: dt.date | None, now: dt.datetime) -> dt.date:
    today = timezone.localdate(now)
    if value is None:
        return today
    if value > today:
        raise DisclosureError("日期不能晚于今天", fields=field_error("dated", "晚于今天"))
    if value.year < 2000:
        raise DisclosureError("日期不正确", fields=field_error("dated", "日期不正确"))
    return value


def post_create(*, actor: User, region: Region, kind: str, title: str, body: str, dated: dt.date | None = None,
                now: dt.datetime | None = None) -> Post:
    """A draft post for the region (a county's or township's reaches every village below it)."""
    _keeper_check(actor, region)
    if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        raise DisclosureError("发布范围须是区/县、乡镇（街道）或村（社区）", fields=field_error("region", "范围不正确"))
    if kind not in PostKind.values:
        raise DisclosureError("请选择栏目", fields=field_error("kind", "不是可选的值"))
    title = _public_text(title, "title", "标题", TITLE_MAX, required=True)
    body = _public_text(body, "body", "正文", CONTENT_MAX, required=True)
    now = now or timezone.now()
    dated = _dated(dated, now)
    with transaction.atomic():
        post = Post.objects.create(region=region, kind=kind, title=title, body=body, dated=dated, created_at=now,
                                   created_by=actor, updated_at=now)
        _event(actor, Action.OPEN, "", State.DRAFT, now, post=post)
    return post


def _lock_post(post: Post) -> Post:
    locked = Post.objects.select_for_update().get(pk=post.pk)
    post.state = locked.state
    return locked


def _post_editable(state: str) -> None:
    if state == State.WITHDRAWN:
        raise DisclosureConflict("已撤回的内容不再修改，如需更正请重新发布一条")
    _editable(state)


def post_fingerprint(post: Post) -> str:
    ids = list(post.attachments.filter(in_draft=True).values_list("id", flat=True))
    return fingerprint(post.body, [], ids, post.title, post.dated.isoformat(), post.kind)


def post_save(*, actor: User, post: Post, title: str, body: str, dated: dt.date | None = None,
              now: dt.datetime | None = None) -> Post:
    _keeper_check(actor, post.region)
    title = _public_text(title, "title", "标题", TITLE_MAX, required=True)
    body = _public_text(body, "body", "正文", CONTENT_MAX, required=True)
    now = now or timezone.now()
    dated = _dated(dated, now)
    with transaction.atomic():
        locked = _lock_post(post)
        _post_editable(locked.state)
        if (title, body, dated) == (locked.title, locked.body, locked.dated):
            return locked
        before = locked.state
        locked.title, locked.body, locked.dated, locked.state, locked.updated_at = title, body, dated, State.DRAFT, now
        locked.save(update_fields=["title", "body", "dated", "state", "updated_at"])
        _event(actor, Action.SAVE, before, State.DRAFT, now, post=locked)
    return locked


def post_attachment_add(*, actor: User, post: Post, uploads: Sequence[Upload],
                        now: dt.datetime | None = None) -> list[Attachment]:
    _keeper_check(actor, post.region)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post)
        _post_editable(locked.state)
        _count_check(locked.attachments.filter(in_draft=True).count(), len(uploads))
        rows = [_attachment(u, locked.region, actor, now, post=locked) for u in uploads]
        before = locked.state
        locked.state, locked.updated_at = State.DRAFT, now
        locked.save(update_fields=["state", "updated_at"])
        _event(actor, Action.SAVE, before, State.DRAFT, now, "添加附件：" + "、".join(r.name for r in rows),
               post=locked)
    return rows


def post_attachment_remove(*, actor: User, post: Post, attachment: Attachment, now: dt.datetime | None = None) -> None:
    _keeper_check(actor, post.region)
    if attachment.post_id != post.pk:
        raise NotFound()
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post)
        _post_editable(locked.state)
        attachment.in_draft = False
        attachment.save(update_fields=["in_draft"])
        before = locked.state
        locked.state, locked.updated_at = State.DRAFT, now
        locked.save(update_fields=["state", "updated_at"])
        _event(actor, Action.SAVE, before, State.DRAFT, now, f"删除附件：{attachment.name}", post=locked)


def post_submit(*, actor: User, post: Post, now: dt.datetime | None = None) -> Post:
    _keeper_check(actor, post.region)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post)
        if locked.state == State.PASSED:
            raise DisclosureConflict("已通过审核，可以公开")
        _post_editable(locked.state)
        before = locked.state
        locked.state, locked.submitted_by, locked.updated_at = State.SUBMITTED, actor, now
        locked.save(update_fields=["state", "submitted_by", "updated_at"])
        _event(actor, Action.SUBMIT, before, State.SUBMITTED, now, post=locked)
    return locked


def post_screen(*, actor: User, post: Post, passed: bool, reason: str = "",
                now: dt.datetime | None = None) -> Screening:
    reason = _text(reason, "reason", "退回原因" if not passed else "审核意见", REASON_MAX, required=not passed)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post)
        _screener_check(actor, locked.region, locked.submitted_by_id)
        if locked.state != State.SUBMITTED or locked.submitted_by_id is None:
            raise DisclosureConflict(f"该内容{locked.get_state_display()}，不在待审核状态")
        screening = Screening.objects.create(
            post=locked, decision=Decision.PASS if passed else Decision.RETURN, reason=reason,
            fingerprint=post_fingerprint(locked), submitted_by_id=locked.submitted_by_id, decided_at=now,
            decided_by=actor)
        to = State.PASSED if passed else State.RETURNED
        locked.state, locked.updated_at = to, now
        locked.save(update_fields=["state", "updated_at"])
        _event(actor, Action.PASS if passed else Action.RETURN, State.SUBMITTED, to, now, reason, post=locked)
    return screening


def post_publish(*, actor: User, post: Post, now: dt.datetime | None = None) -> Post:
    _keeper_check(actor, post.region)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post)
        if locked.state == State.PUBLISHED:
            raise DisclosureConflict("已经公开")
        if locked.state != State.PASSED:
            raise DisclosureConflict("还没有通过审核，不能公开")
        _passed(selectors.last_screening(post=locked), post_fingerprint(locked))
        locked.state, locked.published_at, locked.updated_at = State.PUBLISHED, now, now
        locked.save(update_fields=["state", "published_at", "updated_at"])
        _event(actor, Action.PUBLISH, State.PASSED, State.PUBLISHED, now, post=locked)
    return locked


def post_withdraw(*, actor: User, post: Post, reason: str, now: dt.datetime | None = None) -> Post:
    """撤回 with a reason: the post leaves the public pages and stays as it was."""
    _keeper_check(actor, post.region)
    reason = _text(reason, "reason", "撤回原因", REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_post(post)
        if locked.state != State.PUBLISHED:
            raise DisclosureConflict("只有已公开的内容才能撤回")
        locked.state, locked.withdrawn_reason, locked.updated_at = State.WITHDRAWN, reason, now
        locked.save(update_fields=["state", "withdrawn_reason", "updated_at"])
        _event(actor, Action.WITHDRAW, State.PUBLISHED, State.WITHDRAWN, now, reason, post=locked)
    return locked


# --- cadres: 干部作风 ------------------------------------------------------------------------------------


def cadre_fingerprint(cadre: Cadre) -> str:
    return fingerprint(cadre.duties, [], [], cadre.name, cadre.post, cadre.office_phone)


def cadre_save(*, actor: User, village: Region, cadre: Cadre | None = None, name: str = "", post: str,
               duties: str = "", office_phone_value: str = "", user: User | None = None,
               resident: Resident | None = None, sort: object = None, now: dt.datetime | None = None) -> Cadre:
    """Add a cadre to the village's list or change one; either way it waits for screening (the public
    keeps what was last screened). The name is taken from the linked account or register entry."""
    _keeper_check(actor, village)
    if village.level != RegionLevel.VILLAGE or (cadre is not None and cadre.village_id != village.pk):
        raise NotFound()
    if user is not None:
        if user.region_id != village.pk:
            raise DisclosureError("只能选本村的账号", fields=field_error("user", "不是本村的账号"))
        name = user.full_name
    if resident is not None:
        if not Resident.objects.filter(pk=resident.pk, household__grid__region=village).exists():
            raise DisclosureError("只能选本村的居民", fields=field_error("resident", "不是本村居民"))
        name = resident.name
    name = _text(name, "name", "姓名", NAME_MAX, required=True)
    post = _text(post, "post", "职务", NAME_MAX, required=True)
    duties = _public_text(duties, "duties", "分工职责", DUTIES_MAX)
    phone = office_phone(office_phone_value)
    if sort is not None and (not isinstance(sort, int) or isinstance(sort, bool) or not 0 <= sort <= 1000):
        raise DisclosureError("排序应为 0～1000 的整数", fields=field_error("sort", "超出范围"))
    now = now or timezone.now()
    with transaction.atomic():
        if cadre is None:
            last = Cadre.objects.filter(village=village).order_by("-sort").values_list("sort", flat=True).first()
            row = Cadre.objects.create(village=village, name=name, post=post, duties=duties, office_phone=phone,
                                       user=user, resident=resident, sort=sort if sort is not None else (last or 0) + 1,
                                       submitted_by=actor, created_at=now, updated_at=now)
            _event(actor, Action.SUBMIT, "", CadreState.SUBMITTED, now, cadre=row)
            return row
        row = Cadre.objects.select_for_update().get(pk=cadre.pk)
        if row.state == CadreState.ENDED:
            raise DisclosureConflict("已离任的干部不能再修改")
        before = row.state
        row.name, row.post, row.duties, row.office_phone = name, post, duties, phone
        row.user, row.resident = user, resident
        if sort is not None:
            row.sort = sort
        row.state, row.submitted_by, row.updated_at = CadreState.SUBMITTED, actor, now
        row.save()
        _event(actor, Action.SUBMIT, before, CadreState.SUBMITTED, now, cadre=row)
    return row


def cadre_screen(*, actor: User, cadre: Cadre, passed: bool, reason: str = "",
                 now: dt.datetime | None = None) -> Screening:
    """Passing shows the entry on the public page as it is now; returning keeps what was shown before."""
    reason = _text(reason, "reason", "退回原因" if not passed else "审核意见", REASON_MAX, required=not passed)
    now = now or timezone.now()
    with transaction.atomic():
        row = Cadre.objects.select_for_update().select_related("village").get(pk=cadre.pk)
        _screener_check(actor, row.village, row.submitted_by_id)
        if row.state != CadreState.SUBMITTED or row.submitted_by_id is None:
            raise DisclosureConflict(f"该干部信息{row.get_state_display()}，不在待审核状态")
        screening = Screening.objects.create(
            cadre=row, decision=Decision.PASS if passed else Decision.RETURN, reason=reason,
            fingerprint=cadre_fingerprint(row), submitted_by_id=row.submitted_by_id, decided_at=now, decided_by=actor)
        if passed:
            row.public_name, row.public_post, row.public_duties, row.public_phone = (
                row.name, row.post, row.duties, row.office_phone)
        row.state, row.updated_at = CadreState.PASSED if passed else CadreState.RETURNED, now
        row.save()
        _event(actor, Action.PASS if passed else Action.RETURN, CadreState.SUBMITTED, row.state, now, reason, cadre=row)
    return screening


def cadre_end(*, actor: User, cadre: Cadre, reason: str, ended_on: dt.date | None = None,
              now: dt.datetime | None = None) -> Cadre:
    """离任: off the public page at once, with the reason kept."""
    _keeper_check(actor, cadre.village)
    reason = _text(reason, "reason", "离任原因", REASON_MAX, required=True)
    now = now or timezone.now()
    ended_on = ended_on or timezone.localdate(now)
    if ended_on > timezone.localdate(now):
        raise DisclosureError("离任日期不能晚于今天", fields=field_error("ended_on", "晚于今天"))
    with transaction.atomic():
        row = Cadre.objects.select_for_update().get(pk=cadre.pk)
        if row.state == CadreState.ENDED:
            raise DisclosureConflict("已经离任")
        before = row.state
        row.state, row.ended_on, row.updated_at = CadreState.ENDED, ended_on, now
        row.save(update_fields=["state", "ended_on", "updated_at"])
        _event(actor, Action.END, before, CadreState.ENDED, now, reason, cadre=row)
    return row
