"""Pages of 村务公开: the village cadre's phone list of this quarter's items and the form that fills one,
the township's screening queue and overdue list, the county's template editor, 上级政策/民生事项 posts,
the village's cadres, and the public pages (no login). Thin: every change goes through ``services``,
every read through ``selectors``."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.http import act_then_redirect
from xiangzhi.core.inputs import form_day, form_int, require
from xiangzhi.disclosure import selectors, services
from xiangzhi.disclosure.errors import DisclosureError
from xiangzhi.disclosure.models import (
    EDITABLE,
    AffairGroup,
    Attachment,
    Cadence,
    CadreState,
    DueItem,
    PostKind,
    State,
    period_label,
    yuan,
)
from xiangzhi.disclosure.rules import can_edit_template, can_keep, can_screen, can_see_overdue, may_screen
from xiangzhi.disclosure.selectors import Quarter
from xiangzhi.people.models import Resident
from xiangzhi.regions.models import Region, RegionLevel


def _uploads(files, name: str = "attachments") -> list[services.Upload]:
    """The files sent: their count and every size checked before any is read."""
    uploads = [u for u in files.getlist(name) if u.size]
    if len(uploads) > services.ATTACHMENT_MAX_COUNT:
        raise DisclosureError(f"附件最多 {services.ATTACHMENT_MAX_COUNT} 个")
    for i, upload in enumerate(uploads, start=1):
        if upload.size > services.ATTACHMENT_MAX_BYTES:
            raise DisclosureError(f"第 {i} 个附件过大（上限 {services.ATTACHMENT_MAX_BYTES // 1024 // 1024} MB）")
    return [services.Upload(name=u.name, data=u.read()) for u in uploads]


def _quarter(request) -> Quarter:
    return Quarter.parse(request.GET.get("quarter")) or selectors.last_closed_quarter()




# --- villages and their quarter ---------------------------------------------------------------------


@login_required
def index(request):
    """A cadre goes to his village; the township and county see their villages' quarter."""
    user = request.user
    require(can_keep(user))
    villages = list(selectors.village_list_for_user(user))
    if len(villages) == 1:
        return redirect("disclosure:village", code=villages[0].code)
    quarter = _quarter(request)
    region = None
    if code := request.GET.get("region"):
        region = next((r for r in Region.objects.filter(code=code).defer("boundary")
                       if selectors.covers(user, r)), None)
        if region is None:
            raise NotFound()
        villages = [v for v in villages if v.path.startswith(region.path)]
    summaries = selectors.quarter_summaries(villages, quarter)
    townships = []
    if region is None and user.region is not None and user.region.level == RegionLevel.COUNTY:
        # The county: one row a township, its villages a tap further.
        towns = list(Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=user.region.path)
                     .defer("boundary").order_by("code"))
        for town in towns:
            rows = [s for s in summaries if s.village.path.startswith(town.path)]
            townships.append((town, len(rows), sum(s.due for s in rows), sum(s.published for s in rows),
                              sum(s.submitted for s in rows), sum(s.overdue for s in rows)))
        summaries = []
    return render(request, "disclosure/index.html", {
        "quarter": quarter, "summaries": summaries, "townships": townships, "region": region,
        "can_screen": can_screen(user), "can_edit_template": can_edit_template(user),
    })


@login_required
def village(request, code: str):
    """The village's quarter on the cadre's phone: every due item, its state and one tap to fill it."""
    user = request.user
    require(can_keep(user))
    region = selectors.village_get_for_user(user, code)
    quarter = _quarter(request)
    groups = selectors.village_quarter(region, quarter)
    slots = [s for _, g in groups for s in g]
    return render(request, "disclosure/village.html", {
        "village": region, "quarter": quarter, "groups": groups,
        "this_quarter": Quarter.of(timezone.localdate()),
        "counts": {"due": len(slots), "published": sum(s.published for s in slots),
                   "overdue": sum(s.overdue for s in slots),
                   "returned": sum(1 for s in slots if s.disclosure and s.disclosure.state == State.RETURNED)},
        "no_template": selectors.county_of(region) is None or not slots,
    })


def _figure_rows(labels, figures) -> list[tuple[int, str, object]]:
    values = {label: fen for label, fen in figures}
    return [(i, label, yuan(values.get(label))) for i, label in enumerate(labels)]


def _figures_posted(request, labels) -> dict[str, str]:
    return {label: request.POST.get(f"figure_{i}", "") for i, label in enumerate(labels)}


@login_required
def fill(request, code: str, item_id: int, start: str):
    """One item's period for the village: the form before anything is written; saving begins it."""
    user = request.user
    require(can_keep(user))
    region = selectors.village_get_for_user(user, code)
    county = selectors.county_of(region)
    item = DueItem.objects.filter(county=county, pk=item_id).first() if county else None
    if item is None:
        raise NotFound()
    try:
        period_start = dt.date.fromisoformat(start)
    except ValueError:
        raise NotFound() from None
    existing = selectors.disclosure_list_for_user(user).filter(village=region, item=item,
                                                               period_start=period_start).first()
    if existing is not None:
        return redirect("disclosure:entry", disclosure_id=existing.pk)
    if request.method == "POST":
        try:
            d = services.disclosure_open(actor=user, village=region, item=item, period_start=period_start)
            _save(request, user, d)
        except Invalid as exc:
            messages.error(request, str(exc))
        else:
            return redirect("disclosure:entry", disclosure_id=d.pk)
    period_end = selectors.period_of(item.cadence, period_start)[1]
    return render(request, "disclosure/entry.html", {
        "village": region, "item": item, "disclosure": None, "period": period_label(item.cadence, period_start),
        "due_on": selectors.due_on(item, period_end), "figure_rows": _figure_rows(item.figure_labels, []),
        "content": request.POST.get("content", ""), "can_edit": True, "max_attachments": services.ATTACHMENT_MAX_COUNT,
        "action": request.path,
    })


def _save(request, user, d) -> str:
    """Text, figures and new attachments from the entry form; submitted too when 「提交审核」 was pressed."""
    uploads = _uploads(request.FILES)
    d = services.disclosure_save(actor=user, disclosure=d, content=request.POST.get("content", ""),
                                 figures=_figures_posted(request, d.item.figure_labels))
    if uploads:
        services.attachment_add(actor=user, disclosure=d, uploads=uploads)
    if request.POST.get("submit"):
        services.disclosure_submit(actor=user, disclosure=d)
        return "已提交乡镇审核"
    return "已保存"


@login_required
def entry(request, disclosure_id: int):
    user = request.user
    require(can_keep(user) or can_screen(user))
    d = selectors.disclosure_get_for_user(user, disclosure_id)
    versions = selectors.versions_of(d)
    before = selectors.previous_published(d)
    now = versions[-1] if versions else None
    return render(request, "disclosure/entry.html", {
        "village": d.village, "item": d.item, "disclosure": d, "period": d.period_label, "due_on": d.due_on,
        "figure_rows": _figure_rows(d.item.figure_labels, d.figures), "content": d.content,
        "attachments": selectors.draft_attachments(d), "versions": versions,
        "events": selectors.events_of(disclosure=d), "screening": selectors.last_screening(disclosure=d),
        "before": before, "change": selectors.change_between(now, before) if now else None,
        "can_edit": can_keep(user) and d.state in EDITABLE,
        "can_submit": can_keep(user) and d.state in (State.DRAFT, State.RETURNED, State.WITHDRAWN),
        "can_screen": d.state == State.SUBMITTED and may_screen(user, d.submitted_by_id),
        "own_submission": d.state == State.SUBMITTED and d.submitted_by_id == user.pk,
        "can_publish": can_keep(user) and d.state == State.PASSED, "republish": bool(versions),
        "can_withdraw": can_keep(user) and d.state == State.PUBLISHED,
        "max_attachments": services.ATTACHMENT_MAX_COUNT,
        "action": reverse("disclosure:entry_save", args=[d.pk]),
    })


def _entry_act(request, disclosure_id: int, doing):
    user = request.user
    require(can_keep(user) or can_screen(user))
    d = selectors.disclosure_get_for_user(user, disclosure_id)
    return act_then_redirect(request, lambda: doing(user, d), reverse("disclosure:entry", args=[d.pk]))


@login_required
@require_POST
def entry_save(request, disclosure_id: int):
    return _entry_act(request, disclosure_id, lambda user, d: _save(request, user, d))


@login_required
@require_POST
def entry_attachment_remove(request, disclosure_id: int, attachment_id: int):
    def doing(user, d):
        row = d.attachments.filter(pk=attachment_id).first()
        if row is None:
            raise NotFound()
        services.attachment_remove(actor=user, disclosure=d, attachment=row)
        return f"已删除附件：{row.name}"
    return _entry_act(request, disclosure_id, doing)


@login_required
@require_POST
def entry_submit(request, disclosure_id: int):
    def doing(user, d):
        services.disclosure_submit(actor=user, disclosure=d)
        return "已提交乡镇审核"
    return _entry_act(request, disclosure_id, doing)


@login_required
@require_POST
def entry_screen(request, disclosure_id: int):
    def doing(user, d):
        passed = request.POST.get("decision") == "pass"
        services.disclosure_screen(actor=user, disclosure=d, passed=passed, reason=request.POST.get("reason", ""))
        return "审核通过，村里可以公开" if passed else "已退回修改"
    return _entry_act(request, disclosure_id, doing)


@login_required
@require_POST
def entry_publish(request, disclosure_id: int):
    def doing(user, d):
        services.disclosure_publish(actor=user, disclosure=d, reason=request.POST.get("reason", ""))
        return "已公开"
    return _entry_act(request, disclosure_id, doing)


@login_required
@require_POST
def entry_withdraw(request, disclosure_id: int):
    def doing(user, d):
        services.disclosure_withdraw(actor=user, disclosure=d, reason=request.POST.get("reason", ""))
        return "已撤回，修改后重新提交审核"
    return _entry_act(request, disclosure_id, doing)


# --- the township: screening and overdue ----------------------------------------------------------------


@login_required
def screening(request):
    user = request.user
    require(can_screen(user))
    return render(request, "disclosure/screening.html", {"queue": selectors.screening_queue_for_user(user)})


@login_required
def overdue(request):
    """Periods past their due day and never published, by village (the county: by township first)."""
    user = request.user
    require(can_see_overdue(user))
    region = None
    if code := request.GET.get("region"):
        region = next((r for r in Region.objects.filter(code=code).defer("boundary")
                       if selectors.covers(user, r)), None)
        if region is None:
            raise NotFound()
    townships, rows = [], []
    if region is None and user.region is not None and user.region.level == RegionLevel.COUNTY:
        villages = list(selectors.village_list_for_user(user))
        counts = selectors.overdue_counts(villages)
        towns = Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=user.region.path).defer("boundary")
        for town in towns.order_by("code"):
            mine = [counts[v.pk] for v in villages if v.path.startswith(town.path) and v.pk in counts]
            townships.append((town, len(mine), sum(mine)))
    else:
        rows = selectors.overdue_for_user(user, region=region)
    return render(request, "disclosure/overdue.html", {
        "rows": rows, "townships": townships, "region": region, "lookback": selectors.OVERDUE_LOOKBACK_DAYS,
        "total": sum(len(o.slots) for o in rows) or sum(t[2] for t in townships),
    })


# --- the county's template --------------------------------------------------------------------------------


def _template_county(user) -> Region:
    require(can_edit_template(user))
    county = selectors.template_county_for_user(user)
    if county is None:
        raise NotFound()
    return county


def _item_fields(request) -> dict:
    return {
        "group": request.POST.get("group", ""), "title": request.POST.get("title", ""),
        "guidance": request.POST.get("guidance", ""), "cadence": request.POST.get("cadence", ""),
        "attachment_required": bool(request.POST.get("attachment_required")),
        "figure_labels": request.POST.get("figure_labels", ""),
        "due_days": form_int(request.POST.get("due_days"), "公开期限", blank=10),
        "sort": form_int(request.POST.get("sort"), "排序"),
    }


@login_required
def template(request):
    user = request.user
    county = _template_county(user)
    if request.method == "POST":
        return act_then_redirect(
            request, lambda: services.due_item_save(actor=user, county=county, **_item_fields(request))
            and "已添加公开事项", reverse("disclosure:template"))
    items = list(selectors.due_item_list(county))
    return render(request, "disclosure/template.html", {
        "county": county, "groups": selectors.grouped_items(items), "count": len(items),
        "active": sum(i.is_active for i in items), "group_choices": AffairGroup.choices,
        "cadence_choices": Cadence.choices,
    })


@login_required
@require_POST
def template_install(request):
    user = request.user
    county = _template_county(user)
    def doing():
        return f"已加入默认公开事项 {services.template_install_default(county=county, actor=user)} 项"
    return act_then_redirect(request, doing, reverse("disclosure:template"))


@login_required
def template_item(request, item_id: int):
    user = request.user
    county = _template_county(user)
    item = selectors.due_item_get_for_user(user, item_id)
    if request.method == "POST":
        def doing():
            services.due_item_save(actor=user, county=county, item=item, **_item_fields(request),
                                   is_active=bool(request.POST.get("is_active")))
            return "已保存"
        return act_then_redirect(request, doing, reverse("disclosure:template"))
    return render(request, "disclosure/template_item.html", {
        "item": item, "group_choices": AffairGroup.choices, "cadence_choices": Cadence.choices,
        "labels": "\n".join(item.figure_labels),
    })


# --- posts: 上级政策, 民生事项 -----------------------------------------------------------------------------


@login_required
def posts(request):
    user = request.user
    require(can_keep(user))
    regions = list(selectors.region_list_for_posts(user))
    rows = selectors.post_list_for_user(user).order_by("-updated_at", "-id")
    kind = request.GET.get("kind")
    if kind in PostKind.values:
        rows = rows.filter(kind=kind)
    return render(request, "disclosure/posts.html", {
        "rows": rows[:100], "regions": regions, "kinds": PostKind.choices, "kind": kind,
        "today": timezone.localdate().isoformat(),
    })


@login_required
@require_POST
def post_new(request):
    user = request.user
    require(can_keep(user))
    code = request.POST.get("region", "")
    region = selectors.region_list_for_posts(user).filter(code=code).first()
    if region is None:
        raise NotFound()
    try:
        uploads = _uploads(request.FILES)
        post = services.post_create(actor=user, region=region, kind=request.POST.get("kind", ""),
                                    title=request.POST.get("title", ""), body=request.POST.get("body", ""),
                                    dated=form_day(request.POST.get("dated"), "dated", "日期", error=DisclosureError))
        if uploads:
            services.post_attachment_add(actor=user, post=post, uploads=uploads)
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("disclosure:posts")
    messages.success(request, "已保存草稿，提交审核后才能公开")
    return redirect("disclosure:post", post_id=post.pk)


@login_required
def post_detail(request, post_id: int):
    user = request.user
    require(can_keep(user))
    post = selectors.post_get_for_user(user, post_id)
    return render(request, "disclosure/post.html", {
        "post": post, "attachments": selectors.post_attachments(post), "events": selectors.events_of(post=post),
        "screening": selectors.last_screening(post=post),
        "can_edit": post.state in (State.DRAFT, State.RETURNED, State.PASSED),
        "can_submit": post.state in (State.DRAFT, State.RETURNED),
        "can_screen": post.state == State.SUBMITTED and may_screen(user, post.submitted_by_id),
        "own_submission": post.state == State.SUBMITTED and post.submitted_by_id == user.pk,
        "can_publish": post.state == State.PASSED, "can_withdraw": post.state == State.PUBLISHED,
        "max_attachments": services.ATTACHMENT_MAX_COUNT,
    })


def _post_act(request, post_id: int, doing):
    user = request.user
    require(can_keep(user))
    post = selectors.post_get_for_user(user, post_id)
    return act_then_redirect(request, lambda: doing(user, post), reverse("disclosure:post", args=[post.pk]))


@login_required
@require_POST
def post_save(request, post_id: int):
    def doing(user, post):
        uploads = _uploads(request.FILES)
        post = services.post_save(actor=user, post=post, title=request.POST.get("title", ""),
                                  body=request.POST.get("body", ""),
                                  dated=form_day(request.POST.get("dated"), "dated", "日期", error=DisclosureError))
        if uploads:
            services.post_attachment_add(actor=user, post=post, uploads=uploads)
        if request.POST.get("submit"):
            services.post_submit(actor=user, post=post)
            return "已提交审核"
        return "已保存"
    return _post_act(request, post_id, doing)


@login_required
@require_POST
def post_attachment_remove(request, post_id: int, attachment_id: int):
    def doing(user, post):
        row = post.attachments.filter(pk=attachment_id).first()
        if row is None:
            raise NotFound()
        services.post_attachment_remove(actor=user, post=post, attachment=row)
        return f"已删除附件：{row.name}"
    return _post_act(request, post_id, doing)


@login_required
@require_POST
def post_submit(request, post_id: int):
    return _post_act(request, post_id, lambda user, post: services.post_submit(actor=user, post=post) and "已提交审核")


@login_required
@require_POST
def post_screen(request, post_id: int):
    def doing(user, post):
        passed = request.POST.get("decision") == "pass"
        services.post_screen(actor=user, post=post, passed=passed, reason=request.POST.get("reason", ""))
        return "审核通过，可以公开" if passed else "已退回修改"
    return _post_act(request, post_id, doing)


@login_required
@require_POST
def post_publish(request, post_id: int):
    return _post_act(request, post_id, lambda user, post: services.post_publish(actor=user, post=post) and "已公开")


@login_required
@require_POST
def post_withdraw(request, post_id: int):
    def doing(user, post):
        services.post_withdraw(actor=user, post=post, reason=request.POST.get("reason", ""))
        return "已撤回"
    return _post_act(request, post_id, doing)


# --- cadres: 干部作风 --------------------------------------------------------------------------------------


def _cadre_fields(request, region: Region) -> dict:
    """Name from an account or register entry picked (``pick`` = "user:<id>" / "resident:<id>") or typed."""
    user_row = resident = None
    kind, _, pk = request.POST.get("pick", "").partition(":")
    if kind == "user" and pk.isdigit():
        user_row = User.objects.filter(pk=int(pk), region=region).first()
        if user_row is None:
            raise DisclosureError("只能选本村的账号")
    elif kind == "resident" and pk.isdigit():
        resident = Resident.objects.filter(pk=int(pk), household__grid__region=region).first()
        if resident is None:
            raise DisclosureError("只能选本村的居民")
    return {"name": request.POST.get("name", ""), "post": request.POST.get("post", ""),
            "duties": request.POST.get("duties", ""), "office_phone_value": request.POST.get("office_phone", ""),
            "user": user_row, "resident": resident, "sort": form_int(request.POST.get("sort"), "排序")}


POSTS = ("党支部书记", "党支部书记、村委会主任", "党支部副书记", "村委会主任", "村委会副主任", "村务监督委员会主任",
         "村委会委员", "妇联主席", "报账员", "会计")


@login_required
def cadres(request, code: str):
    user = request.user
    require(can_keep(user))
    region = selectors.village_get_for_user(user, code)
    if request.method == "POST":
        return act_then_redirect(
            request, lambda: services.cadre_save(actor=user, village=region, **_cadre_fields(request, region))
            and "已提交乡镇审核，审核通过后公开", reverse("disclosure:cadres", args=[region.code]))
    return render(request, "disclosure/cadres.html", {
        "village": region, "rows": selectors.cadre_list_for_user(user, region),
        "candidates": selectors.cadre_candidates(region), "posts": POSTS,
    })


@login_required
def cadre_detail(request, cadre_id: int):
    user = request.user
    require(can_keep(user))
    cadre = selectors.cadre_get_for_user(user, cadre_id)
    return render(request, "disclosure/cadre.html", {
        "cadre": cadre, "village": cadre.village, "events": selectors.events_of(cadre=cadre),
        "screening": selectors.last_screening(cadre=cadre), "candidates": selectors.cadre_candidates(cadre.village),
        "posts": POSTS, "can_edit": cadre.state != CadreState.ENDED,
        "can_screen": cadre.state == CadreState.SUBMITTED and may_screen(user, cadre.submitted_by_id),
        "own_submission": cadre.state == CadreState.SUBMITTED and cadre.submitted_by_id == user.pk,
        "pick": f"user:{cadre.user_id}" if cadre.user_id else f"resident:{cadre.resident_id}" if cadre.resident_id
        else "", "today": timezone.localdate().isoformat(),
    })


def _cadre_act(request, cadre_id: int, doing):
    user = request.user
    require(can_keep(user))
    cadre = selectors.cadre_get_for_user(user, cadre_id)
    return act_then_redirect(request, lambda: doing(user, cadre), reverse("disclosure:cadre", args=[cadre.pk]))


@login_required
@require_POST
def cadre_save(request, cadre_id: int):
    def doing(user, cadre):
        services.cadre_save(actor=user, village=cadre.village, cadre=cadre, **_cadre_fields(request, cadre.village))
        return "已提交乡镇审核，审核通过后公开"
    return _cadre_act(request, cadre_id, doing)


@login_required
@require_POST
def cadre_screen(request, cadre_id: int):
    def doing(user, cadre):
        passed = request.POST.get("decision") == "pass"
        services.cadre_screen(actor=user, cadre=cadre, passed=passed, reason=request.POST.get("reason", ""))
        return "审核通过，已公开" if passed else "已退回修改"
    return _cadre_act(request, cadre_id, doing)


@login_required
@require_POST
def cadre_end(request, cadre_id: int):
    def doing(user, cadre):
        services.cadre_end(actor=user, cadre=cadre, reason=request.POST.get("reason", ""),
                           ended_on=form_day(request.POST.get("ended_on"), "ended_on", "离任日期",
                                             error=DisclosureError))
        return "已离任，不再公开"
    return _cadre_act(request, cadre_id, doing)


# --- attachments and the public pages -------------------------------------------------------------------


def attachment(request, attachment_id: int, thumb: bool = False):
    """Public once published; a draft's only for its keepers and screeners. A PDF is downloaded, never
    shown inside the site."""
    row = selectors.attachment_get_for_user(request.user, attachment_id)
    if row.kind == Attachment.Kind.PDF:
        if thumb:
            raise NotFound()
        return FileResponse(row.file.open("rb"), content_type="application/pdf", as_attachment=True,
                            filename=row.name)
    return FileResponse((row.thumbnail if thumb else row.file).open("rb"), content_type="image/jpeg")


def public_village(request, village_code: str):
    """The village's 三务三资 and the other modules of its public page, for anyone with the link."""
    region = selectors.public_village(village_code)
    return render(request, "disclosure/public_village.html",
                  {"d": selectors.public_section(region, Quarter.parse(request.GET.get("quarter")))})


def public_entry(request, village_code: str, disclosure_id: int):
    """Every version a disclosure published, newest first, with the reason for each correction."""
    region = selectors.public_village(village_code)
    d, versions = selectors.disclosure_get_public(region, disclosure_id)
    return render(request, "disclosure/public_entry.html", {
        "village": region, "disclosure": d, "versions": list(reversed(versions)),
        "withdrawn": d.state != State.PUBLISHED,
    })


def public_post(request, village_code: str, post_id: int):
    region = selectors.public_village(village_code)
    post = selectors.post_get_public(region, post_id)
    return render(request, "disclosure/public_post.html", {
        "village": region, "post": post, "attachments": selectors.post_attachments(post),
    })
