"""村务公开 over the API: the template, a village's disclosures and their publication flow (fill, submit,
screen, publish, withdraw), the screening queue, overdue periods, posts, and a village's public modules
without login. Money goes out both as whole fen and as a 元 string with two places; it comes in as 元."""

import datetime as dt

from django.db.models import Count
from django.urls import reverse
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.disclosure import selectors, services
from xiangzhi.disclosure.errors import DisclosureError
from xiangzhi.disclosure.models import Disclosure, DueItem, Post, State, yuan
from xiangzhi.disclosure.rules import can_keep, can_screen, can_see_overdue
from xiangzhi.disclosure.selectors import Quarter

router = Router(tags=["村务公开"])


# --- schemas ----------------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    code: str
    group: str
    group_name: str = Field(..., alias="get_group_display")
    title: str
    guidance: str
    cadence: str = Field(..., description="month 每月 / quarter 每季度 / year 每年")
    attachment_required: bool
    figure_labels: list[str]
    due_days: int
    is_active: bool


class FigureOut(Schema):
    label: str
    fen: int | None = Field(None, description="金额（分）")
    yuan: str | None = Field(None, description="金额（元，两位小数）")


class AttachmentOut(Schema):
    id: int
    name: str
    kind: str
    url: str


class EntryOut(Schema):
    id: int
    village: str
    item: int
    item_code: str
    title: str
    group: str
    period_start: dt.date
    period_end: dt.date
    period: str
    due_on: dt.date
    state: str
    state_name: str
    content: str
    figures: list[FigureOut]
    attachments: list[AttachmentOut]
    versions: int
    first_published_at: dt.datetime | None
    late: bool
    withdrawn_reason: str


class OpenIn(Schema):
    village: str = Field(..., description="村/社区区划代码")
    item: int = Field(..., description="公开事项 id（GET /disclosure/items）")
    period_start: dt.date = Field(..., description="该期第一天：月初、季初或年初")


class SaveIn(Schema):
    content: str | None = None
    figures: dict[str, str | int | float | None] = Field(
        default_factory=dict, description="金额栏目 → 金额（元）；未列出的栏目不变，空值清除")


class ScreenIn(Schema):
    passed: bool
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


class ScreeningOut(Schema):
    id: int
    decision: str
    reason: str
    decided_at: dt.datetime


class SlotOut(Schema):
    village: str
    item: int
    title: str
    period: str
    period_start: dt.date
    due_on: dt.date
    days_late: int
    disclosure: int | None
    state: str


class PostOut(Schema):
    id: int
    region: str
    kind: str
    kind_name: str
    title: str
    body: str
    dated: dt.date
    state: str
    state_name: str
    attachments: list[AttachmentOut]


class PostIn(Schema):
    region: str = Field(..., description="公开范围：区/县、乡镇（街道）或村（社区）的区划代码")
    kind: str = Field(..., description="policy 上级政策 / livelihood 民生事项")
    title: str
    body: str
    dated: dt.date | None = None


class QueueOut(Schema):
    disclosures: list[EntryOut]
    posts: list[PostOut]
    cadres: list[int]


class PublicItemOut(Schema):
    id: int
    title: str
    group: str
    period: str
    withdrawn: bool
    withdrawn_reason: str
    versions: int
    correction_reason: str
    content: str
    figures: list[FigureOut]
    attachments: list[AttachmentOut]
    published_at: dt.datetime
    change: dict


class PublicCadreOut(Schema):
    name: str
    post: str
    duties: str
    office_phone: str


class PublicOut(Schema):
    village: str
    quarter: str
    quarters: list[str]
    due: int
    published: int
    items: list[PublicItemOut]
    policies: list[PostOut]
    livelihood: list[PostOut]
    cadres: list[PublicCadreOut]


# --- shaping -------------------------------------------------------------------------------------------


def _figures(pairs) -> list[dict]:
    out = []
    for label, fen in pairs:
        amount = yuan(fen)
        out.append({"label": label, "fen": fen, "yuan": None if amount is None else f"{amount:.2f}"})
    return out


def _attachments(rows) -> list[dict]:
    return [{"id": a.pk, "name": a.name, "kind": a.kind, "url": reverse("disclosure:attachment", args=[a.pk])}
            for a in rows]


def _entry(d: Disclosure) -> dict:
    return {
        "id": d.pk, "village": d.village.code, "item": d.item_id, "item_code": d.item.code, "title": d.item.title,
        "group": d.item.group, "period_start": d.period_start, "period_end": d.period_end, "period": d.period_label,
        "due_on": d.due_on, "state": d.state, "state_name": d.get_state_display(), "content": d.content,
        "figures": _figures(d.figures), "attachments": _attachments(a for a in d.attachments.all() if a.in_draft),
        "versions": d.version_count if hasattr(d, "version_count") else d.versions.count(),
        "first_published_at": d.first_published_at, "late": d.is_late,
        "withdrawn_reason": d.withdrawn_reason,
    }


def _post(p: Post) -> dict:
    return {"id": p.pk, "region": p.region.code, "kind": p.kind, "kind_name": p.get_kind_display(), "title": p.title,
            "body": p.body, "dated": p.dated, "state": p.state, "state_name": p.get_state_display(),
            "attachments": _attachments(a for a in p.attachments.all() if a.in_draft)}


def _change(change) -> dict:
    if change is None:
        return {}
    return {"first": change.first, "text_changed": change.text_changed, "added_lines": change.added_lines,
            "removed_lines": change.removed_lines,
            "figures": [{"label": f.label, "direction": f.direction,
                         "delta": None if f.delta is None else f"{f.delta:.2f}"} for f in change.figures]}


def _disclosure(request, disclosure_id: int) -> Disclosure:
    require(can_keep(request.user) or can_screen(request.user))
    return selectors.disclosure_get_for_user(request.user, disclosure_id)


# --- the template and a village's disclosures ---------------------------------------------------------


@router.get("/items", response=list[ItemOut])
def item_list(request):
    """The county's template of due items, in order."""
    require(can_keep(request.user))
    county = selectors.template_county_for_user(request.user)
    if county is None:
        raise NotFound()
    return list(selectors.due_item_list(county))


@router.get("/entries", response=list[EntryOut])
def entry_list(request, village: str | None = None, quarter: str | None = None, state: str | None = None):
    """Disclosures begun in the user's villages (at most 500), by period and item; ``quarter`` like
    2026Q3 (periods ending in it)."""
    require(can_keep(request.user) or can_screen(request.user))
    qs = (selectors.disclosure_list_for_user(request.user).prefetch_related("attachments")
          .annotate(version_count=Count("versions")))
    if village:
        qs = qs.filter(village__code=village)
    if q := Quarter.parse(quarter):
        qs = qs.filter(period_end__gte=q.start, period_end__lte=q.end)
    if state in State.values:
        qs = qs.filter(state=state)
    return [_entry(d) for d in qs.order_by("village__code", "period_start", "item__sort")[:500]]


@router.post("/entries", response={200: EntryOut, 201: EntryOut})
def entry_open(request, payload: OpenIn):
    """Begin (or find) the village's disclosure of an item for a period."""
    require(can_keep(request.user))
    village = selectors.village_get_for_user(request.user, payload.village)
    county = selectors.county_of(village)
    item = DueItem.objects.filter(county=county, pk=payload.item).first()
    if item is None:
        raise NotFound()
    existed = Disclosure.objects.filter(village=village, item=item, period_start=payload.period_start).exists()
    d = services.disclosure_open(actor=request.user, village=village, item=item, period_start=payload.period_start)
    return Status(200 if existed else 201, _entry(d))


@router.get("/entries/{disclosure_id}", response=EntryOut)
def entry_get(request, disclosure_id: int):
    return _entry(_disclosure(request, disclosure_id))


@router.put("/entries/{disclosure_id}", response=EntryOut)
def entry_save(request, disclosure_id: int, payload: SaveIn):
    d = services.disclosure_save(actor=request.user, disclosure=_disclosure(request, disclosure_id),
                                 content=payload.content, figures=payload.figures)
    return _entry(d)


@router.post("/entries/{disclosure_id}/attachments", response={201: list[AttachmentOut]})
def entry_attach(request, disclosure_id: int, files: list[UploadedFile] = File(...)):  # noqa: B008
    """PDFs or images (multipart ``files``), each checked before it is read: at most 6 in all, 10 MB each."""
    d = _disclosure(request, disclosure_id)
    if len(files) > services.ATTACHMENT_MAX_COUNT:
        raise DisclosureError(f"附件最多 {services.ATTACHMENT_MAX_COUNT} 个")
    if any(f.size > services.ATTACHMENT_MAX_BYTES for f in files):
        raise DisclosureError(f"附件不能超过 {services.ATTACHMENT_MAX_BYTES // 1024 // 1024} MB")
    rows = services.attachment_add(actor=request.user, disclosure=d,
                                   uploads=[services.Upload(f.name or "", f.read()) for f in files])
    return Status(201, _attachments(rows))


@router.post("/entries/{disclosure_id}/submit", response=EntryOut)
def entry_submit(request, disclosure_id: int):
    return _entry(services.disclosure_submit(actor=request.user, disclosure=_disclosure(request, disclosure_id)))


@router.post("/entries/{disclosure_id}/screen", response={201: ScreeningOut})
def entry_screen(request, disclosure_id: int, payload: ScreenIn):
    """Pass, or return with a reason; not by the one who submitted it."""
    return Status(201, services.disclosure_screen(actor=request.user, disclosure=_disclosure(request, disclosure_id),
                                                  passed=payload.passed, reason=payload.reason))


@router.post("/entries/{disclosure_id}/publish", response=EntryOut)
def entry_publish(request, disclosure_id: int, payload: ReasonIn):
    """Publish as screened; a correction (published before) needs ``reason``."""
    d = _disclosure(request, disclosure_id)
    services.disclosure_publish(actor=request.user, disclosure=d, reason=payload.reason)
    return _entry(Disclosure.objects.select_related("village", "item").get(pk=d.pk))


@router.post("/entries/{disclosure_id}/withdraw", response=EntryOut)
def entry_withdraw(request, disclosure_id: int, payload: ReasonIn):
    return _entry(services.disclosure_withdraw(actor=request.user, disclosure=_disclosure(request, disclosure_id),
                                               reason=payload.reason))


# --- screening and overdue -----------------------------------------------------------------------------


@router.get("/screening", response=QueueOut)
def screening(request):
    require(can_screen(request.user))
    queue = selectors.screening_queue_for_user(request.user)
    return {"disclosures": [_entry(d) for d in queue.disclosures], "posts": [_post(p) for p in queue.posts],
            "cadres": [c.pk for c in queue.cadres]}


@router.get("/overdue", response=list[SlotOut])
def overdue(request, region: str | None = None):
    """Periods past their due day never published, in the user's villages (or under ``region``)."""
    require(can_see_overdue(request.user))
    under = None
    if region:
        under = next((r for r in selectors.region_list_for_posts(request.user).filter(code=region)), None)
        if under is None:
            raise NotFound()
    return [{"village": o.village.code, "item": s.item.pk, "title": s.item.title, "period": s.label,
             "period_start": s.start, "due_on": s.due_on, "days_late": s.days_late,
             "disclosure": s.disclosure.pk if s.disclosure else None,
             "state": s.disclosure.state if s.disclosure else ""}
            for o in selectors.overdue_for_user(request.user, region=under) for s in o.slots]


# --- posts -----------------------------------------------------------------------------------------------


def _post_for(request, post_id: int) -> Post:
    require(can_keep(request.user))
    return selectors.post_get_for_user(request.user, post_id)


@router.get("/posts", response=list[PostOut])
def post_list(request, kind: str | None = None):
    require(can_keep(request.user))
    qs = selectors.post_list_for_user(request.user).prefetch_related("attachments").order_by("-updated_at", "-id")
    if kind:
        qs = qs.filter(kind=kind)
    return [_post(p) for p in qs[:200]]


@router.post("/posts", response={201: PostOut})
def post_create(request, payload: PostIn):
    require(can_keep(request.user))
    region = selectors.region_list_for_posts(request.user).filter(code=payload.region).first()
    if region is None:
        raise NotFound()
    return Status(201, _post(services.post_create(actor=request.user, region=region, kind=payload.kind,
                                                  title=payload.title, body=payload.body, dated=payload.dated)))


@router.post("/posts/{post_id}/submit", response=PostOut)
def post_submit(request, post_id: int):
    return _post(services.post_submit(actor=request.user, post=_post_for(request, post_id)))


@router.post("/posts/{post_id}/screen", response={201: ScreeningOut})
def post_screen(request, post_id: int, payload: ScreenIn):
    return Status(201, services.post_screen(actor=request.user, post=_post_for(request, post_id),
                                            passed=payload.passed, reason=payload.reason))


@router.post("/posts/{post_id}/publish", response=PostOut)
def post_publish(request, post_id: int):
    return _post(services.post_publish(actor=request.user, post=_post_for(request, post_id)))


@router.post("/posts/{post_id}/withdraw", response=PostOut)
def post_withdraw(request, post_id: int, payload: ReasonIn):
    return _post(services.post_withdraw(actor=request.user, post=_post_for(request, post_id), reason=payload.reason))


# --- the public ------------------------------------------------------------------------------------------


@router.get("/public/{village_code}", response=PublicOut, auth=None)
def public(request, village_code: str, quarter: str | None = None):
    """Anyone: a village's published disclosures of a quarter (the latest by default) with what changed
    since the period before, its posts and its cadres (office phones only)."""
    village = selectors.public_village(village_code)
    section = selectors.public_section(village, quarter)
    q: selectors.PublicQuarter = section["disclosures"]  # type: ignore[assignment]
    items = []
    for _, rows in q.groups:
        for r in rows:
            v = r.current
            items.append({
                "id": r.disclosure.pk, "title": v.title, "group": r.disclosure.item.group, "period": r.period_label,
                "withdrawn": r.withdrawn, "withdrawn_reason": r.disclosure.withdrawn_reason if r.withdrawn else "",
                "versions": len(r.versions), "correction_reason": v.reason, "content": "" if r.withdrawn else v.content,
                "figures": [] if r.withdrawn else _figures(v.figures),
                "attachments": [] if r.withdrawn else _attachments(v.attachments.all()), "published_at": v.published_at,
                "change": _change(r.change)})
    return {"village": village.code, "quarter": q.quarter.key, "quarters": [x.key for x in q.quarters],
            "due": q.due, "published": q.published, "items": items,
            "policies": [_post(p) for p in section["policies"]],  # type: ignore[attr-defined]
            "livelihood": [_post(p) for p in section["livelihood"]],  # type: ignore[attr-defined]
            "cadres": [{"name": c.public_name, "post": c.public_post, "duties": c.public_duties,
                        "office_phone": c.public_phone} for c in section["cadres"]]}  # type: ignore[attr-defined]

