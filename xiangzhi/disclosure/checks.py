"""What every disclosure write checks first: public text, money, office phones, attachments, who may keep
or screen — shared by the items (``services``) and the posts and cadres (``posts``)."""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile

from xiangzhi.accounts.models import User
from xiangzhi.audit.models import AuditAction
from xiangzhi.audit.services import audit_record
from xiangzhi.core.errors import Forbidden, NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.disclosure import selectors
from xiangzhi.disclosure.errors import DisclosureConflict, DisclosureError
from xiangzhi.disclosure.models import (
    EDITABLE,
    Action,
    Attachment,
    Decision,
    Disclosure,
    Event,
    Post,
    Screening,
    State,
)
from xiangzhi.disclosure.rules import can_keep, can_screen, may_screen
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.regions.models import Region

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
    if action in PUBLIC_ACTIONS:
        _publication_record(actor, action, note, target.get("disclosure"), target.get("post"))


# What reaches or leaves the public pages goes into the county's audit trail as well.
PUBLIC_ACTIONS = frozenset({Action.PUBLISH, Action.REPUBLISH, Action.WITHDRAW})


def _publication_record(actor: User, action: str, note: str, disclosure: object, post: object) -> None:
    if isinstance(disclosure, Disclosure):
        place, what, subject = disclosure.village, f"村务公开「{disclosure}」", f"disclosure.disclosure:{disclosure.pk}"
    elif isinstance(post, Post):
        place, what, subject = post.region, f"{post.get_kind_display()}「{post.title}」", f"disclosure.post:{post.pk}"
    else:
        return
    audit_record(actor=actor, action=AuditAction.PUBLISH,
                 summary=f"{Action(action).label}{place.name}的{what}" + (f"（{note}）" if note else ""),
                 scope_path=place.path, subject=subject, detail={"action": action})


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


def _editable(state: str, noun: str = "内容") -> None:
    if state == State.SUBMITTED:
        raise DisclosureConflict(f"{noun}已提交审核，审核结束前不能修改")
    if state == State.PUBLISHED:
        raise DisclosureConflict(f"已公开的{noun}不能直接修改，请先撤回并写明原因")
    if state not in EDITABLE:
        raise DisclosureConflict(f"{noun}现在不能修改")


def _passed(screening: Screening | None, current: str) -> Screening:
    if screening is None or screening.decision != Decision.PASS:
        raise DisclosureConflict("还没有通过审核，不能公开")
    if screening.fingerprint != current:
        raise DisclosureConflict("审核通过后内容有改动，请重新提交审核")
    return screening
