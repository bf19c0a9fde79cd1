import datetime as dt
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import form_int, require
from xiangzhi.lib.photos import PhotoError, process
from xiangzhi.people.selectors import household_get_for_user
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsError
from xiangzhi.points.models import PointsRule, ReviewDecision
from xiangzhi.points.rules import can_record, can_review, can_see_rankings, why_not_decide
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import township_of

HISTORY_PAGE = 30
QUEUE_PAGE = 50


@login_required
def index(request):
    """积分: each role lands where its daily work is."""
    user = request.user
    if user.household_id and not can_record(user) and not can_review(user):
        return redirect("points:book")
    if can_record(user):
        return redirect("points:record")
    if can_review(user):
        return redirect("points:review")
    require(can_see_rankings(user))
    return redirect("points:rankings")


# --- 积分手册 ---------------------------------------------------------------------------------


@login_required
def my_book(request):
    require(bool(request.user.household_id))
    return _book(request, request.user.household_id, own=True)


@login_required
def household_book(request, household_id: int):
    return _book(request, household_id, own=request.user.household_id == household_id)


def _book(request, household_id: int, *, own: bool):
    household = household_get_for_user(request.user, household_id)
    standing = selectors.household_standing(household)
    entries = selectors.entry_list_for_user(request.user, household=household)
    by_category = (
        entries.filter(review__decision=ReviewDecision.APPROVED).exclude(category_name="")
        .values("category_name").order_by().annotate(points=Sum("points")).order_by("-points")
    )
    return render(request, "points/book.html", {
        "household": household, "standing": standing, "own": own,
        "entries": Paginator(entries, HISTORY_PAGE).get_page(request.GET.get("page")),
        "by_category": [row for row in by_category if row["points"]],
        "honours": selectors.honour_list_for_household(household),
        "benefits": selectors.benefit_standing_for_household(household),
    })


# --- 记积分 -----------------------------------------------------------------------------------


def _photo(request):
    upload = request.FILES.get("photo")
    if upload is None:
        return None
    if upload.size > settings.CASE_PHOTO_MAX_BYTES:
        raise PointsError(f"照片过大（上限 {settings.CASE_PHOTO_MAX_BYTES // 1024 // 1024} MB）")
    try:
        return process(upload.read(), max_bytes=settings.CASE_PHOTO_MAX_BYTES)
    except PhotoError as exc:
        raise PointsError(f"照片：{exc}") from None


@login_required
def record(request):
    """The recorder's quick entry on a phone: a household of one's own grid or village, an item, an
    optional photo. Each form carries a fresh submission id, so a double tap records once."""
    user = request.user
    require(can_record(user))
    form = request.POST if request.method == "POST" else request.GET
    household = None
    if household_id := form_int(form.get("household")):
        household = household_get_for_user(user, household_id)
    if request.method == "POST":
        try:
            if household is None:
                raise PointsError("请选择户")
            rule = PointsRule.objects.select_related("category").filter(pk=form_int(request.POST.get("rule"))).first()
            if rule is None:
                raise PointsError("请选择细则条目")
            occurred_on = _date(request.POST.get("occurred_on"))
            result = services.entry_record(
                actor=user, household=household, rule=rule, occurred_on=occurred_on,
                count=form_int(request.POST.get("count")) or 1, points=form_int(request.POST.get("points")),
                note=request.POST.get("note", ""), evidence=_photo(request),
                idempotency_key=request.POST.get("submission_id", ""),
            )
        except PointsError as exc:
            messages.error(request, str(exc))
        else:
            e = result.entry
            messages.success(request, f"已记录：{household.head_name}户 {e.rule_name} {e.points:+d} 分（待审核）")
            return redirect(f"{reverse('points:record')}?household={household.pk}")
    village = household.grid.region if household is not None else selectors.village_stood_on(user)
    rules = selectors.rule_list_for_village(village, recordable_by=user) if village else []
    today = timezone.localdate()
    mine = (selectors.entry_list_for_user(user).filter(recorder=user, recorded_at__date__gte=today)
            .order_by("-recorded_at")[:10])
    return render(request, "points/record.html", {
        "household": household, "households": selectors.household_choice_list_for_user(user),
        "rules": rules, "village": village, "today": today, "submission_id": uuid.uuid4().hex,
        "form": form if request.method == "POST" else {}, "mine": mine,
        "earliest": today - dt.timedelta(days=services.BACKFILL_DAYS),
        "occurred_on": (form.get("occurred_on") if request.method == "POST" else "") or today.isoformat(),
    })


def _date(value: str | None) -> dt.date:
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PointsError("发生日期格式不正确") from None


@login_required
def record_households(request):
    """htmx: the household picker's options for a search."""
    require(can_record(request.user))
    households = selectors.household_choice_list_for_user(request.user, search=request.GET.get("q", ""))
    return render(request, "points/_household_options.html", {"households": households})


# --- 审核 -------------------------------------------------------------------------------------


@login_required
def review(request):
    """The supervisor's queue: oldest first; approve or reject one, or many at once."""
    user = request.user
    require(can_review(user))
    if request.method == "POST":
        return _review_post(request)
    queue = selectors.review_queue_for_user(user)
    page = Paginator(queue, QUEUE_PAGE).get_page(request.GET.get("page"))
    return render(request, "points/review.html", {
        "entries": page, "others": selectors.review_queue_others_count(user),
    })


def _review_post(request):
    user = request.user
    post = request.POST
    back = redirect(f"{reverse('points:review')}?page={post.get('page', '1')}")
    single = post.get("approve_one") or post.get("reject_one")
    if single:
        entry = selectors.entry_get_for_user(user, form_int(single))
        approve = bool(post.get("approve_one"))
        try:
            services.entry_review(actor=user, entry=entry, approve=approve,
                                  reason=post.get(f"reason_{entry.pk}", ""))
        except PointsError as exc:
            messages.error(request, f"{entry.household.head_name}户 {entry.rule_name}：{exc}")
        else:
            messages.success(request, f"已{'通过' if approve else '驳回'}：{entry.household.head_name}户 "
                                      f"{entry.rule_name} {entry.points:+d} 分")
        return back
    ids = [i for i in (form_int(v) for v in post.getlist("ids")) if i]
    if not ids:
        messages.error(request, "请先勾选要审核的记录")
        return back
    approve = post.get("bulk") == "approve"
    entries = list(selectors.entry_list_for_user(user).filter(pk__in=ids))
    try:
        outcomes = services.entry_review_bulk(actor=user, entries=entries, approve=approve,
                                              reason=post.get("reason", ""))
    except PointsError as exc:
        messages.error(request, str(exc))
        return back
    done = [o for o in outcomes if o.error is None]
    failed = [o for o in outcomes if o.error is not None]
    messages.success(request, f"已{'通过' if approve else '驳回'} {len(done)} 条")
    for o in failed[:10]:
        messages.error(request, f"{o.entry.household.head_name}户 {o.entry.rule_name}：{o.error}")
    return back


# --- one entry --------------------------------------------------------------------------------


@login_required
def entry_detail(request, entry_id: int):
    user = request.user
    entry = selectors.entry_get_for_user(user, entry_id)
    status = entry.status
    may_reverse = (
        not entry.is_reversed and entry.kind != "reversal" and status != ReviewDecision.REJECTED
        and (why_not_decide(user, entry) is None
             or (status == "pending" and entry.recorder_id == user.pk and can_record(user)))
    )
    requesters = selectors.requester_list_for_entry(entry) if may_reverse and status != "pending" else []
    return render(request, "points/entry.html", {"entry": entry, "status": status, "may_reverse": may_reverse,
                                                 "requesters": requesters})


@login_required
@require_POST
def entry_reverse(request, entry_id: int):
    entry = selectors.entry_get_for_user(request.user, entry_id)
    try:
        requester_id = form_int(request.POST.get("requester"))
        requester = get_user_model().objects.filter(pk=requester_id).first() if requester_id else None
        result = services.entry_reverse(actor=request.user, entry=entry, reason=request.POST.get("reason", ""),
                                        requester=requester)
    except PointsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已冲正" if result.reversal else "已撤回（驳回）该记录")
    return redirect("points:entry", entry_id=entry.pk)


@login_required
def entry_photo(request, entry_id: int, thumb: bool = False):
    """Evidence photos show people's homes: served only to those who may see the entry."""
    entry = selectors.entry_get_for_user(request.user, entry_id)
    if not entry.evidence:
        raise NotFound()
    return FileResponse((entry.evidence_thumbnail if thumb else entry.evidence).open("rb"), content_type="image/jpeg")


# --- 细则、排名 -------------------------------------------------------------------------------


@login_required
def rule_list(request):
    user = request.user
    village = None
    if code := request.GET.get("village"):
        village = selectors.village_get_for_user(user, code)
    else:
        village = selectors.village_default_for_user(user)
        if village is None:
            roots = selectors.ranking_region_list_for_user(user)
            village = (Region.objects.filter(level=RegionLevel.VILLAGE, path__startswith=roots[0].path)
                       .order_by("code").first() if roots else None)
    require(village is not None)
    book = selectors.rulebook_in_force(township_of(village))
    return render(request, "points/rules.html", {
        "village": village, "book": book, "rules": selectors.rule_list_for_village(village, active_only=False),
    })


@login_required
def rankings(request):
    user = request.user
    require(can_see_rankings(user))
    place = selectors.comparison_place_for_user(user, request.GET.get("region"),
                                                selectors.ranking_region_list_for_user(user))
    region = place.region
    villages = selectors.village_table(region)
    households = selectors.household_ranking(region, limit=50)
    chart = {
        "names": [r.village.name for r in villages],
        "rate": [r.participation_rate or 0 for r in villages],
        "average": [r.average or 0 for r in villages],
    }
    totals = {
        "households": sum(r.households for r in villages),
        "participating": sum(r.participating for r in villages),
        "points": sum(r.points for r in villages),
    }
    totals["rate"] = selectors.participation_rate(totals["participating"], totals["households"])
    return render(request, "points/rankings.html", {
        "region": region, "villages": villages, "households": households, "children": place.children,
        "parent": place.parent, "chart": chart, "totals": totals,
    })
