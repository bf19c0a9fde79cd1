"""Posts (上级政策, 民生事项) and cadres (干部作风): drafted, screened and published like the items, with the
same checks (``checks``). Reached through ``services``."""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.disclosure import selectors
from xiangzhi.disclosure.checks import (
    CONTENT_MAX,
    DUTIES_MAX,
    NAME_MAX,
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
    office_phone,
)
from xiangzhi.disclosure.errors import DisclosureConflict, DisclosureError
from xiangzhi.disclosure.models import (
    Action,
    Attachment,
    Cadre,
    CadreState,
    Decision,
    Post,
    PostKind,
    Screening,
    State,
)
from xiangzhi.people.models import Resident
from xiangzhi.regions.models import Region, RegionLevel

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
