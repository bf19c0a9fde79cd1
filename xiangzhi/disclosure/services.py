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
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require
from xiangzhi.disclosure import selectors
from xiangzhi.disclosure.checks import (  # noqa: F401 (the bounds are the API's too)
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_MAX_COUNT,
    CONTENT_MAX,
    DUE_DAYS_MAX,
    FIGURES_MAX,
    GUIDANCE_MAX,
    LABEL_MAX,
    REASON_MAX,
    TITLE_MAX,
    Upload,
    _attachment,
    _count_check,
    _editable,
    _event,
    _keeper_check,
    _passed,
    _public_text,
    _screener_check,
    _text,
    fingerprint,
    yuan_to_fen,
)
from xiangzhi.disclosure.defaults import DEFAULT_ITEMS
from xiangzhi.disclosure.errors import DisclosureConflict, DisclosureError
from xiangzhi.disclosure.models import (
    Action,
    AffairGroup,
    Attachment,
    Cadence,
    Decision,
    Disclosure,
    DisclosureVersion,
    DueItem,
    Screening,
    State,
)
from xiangzhi.disclosure.posts import (  # noqa: F401 (posts and cadres, reached through this front door)
    cadre_end,
    cadre_fingerprint,
    cadre_save,
    cadre_screen,
    post_attachment_add,
    post_attachment_remove,
    post_create,
    post_fingerprint,
    post_publish,
    post_save,
    post_screen,
    post_submit,
    post_withdraw,
)
from xiangzhi.disclosure.rules import can_edit_template
from xiangzhi.regions.models import Region, RegionLevel

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
