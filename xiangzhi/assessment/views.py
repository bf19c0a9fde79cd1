import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from xiangzhi.assessment import engine, selectors, services
from xiangzhi.assessment.models import Item, PeriodState, SourceKind
from xiangzhi.assessment.rules import can_manage, can_view
from xiangzhi.cases.models import Category
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import form_int, require
from xiangzhi.regions.models import Region


def _date(value: str | None, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise Invalid(f"请填写{label}") from None


def _finding_url(finding_id: int | None) -> str | None:
    try:
        return reverse("inspections:task", args=[finding_id]) if finding_id else None
    except NoReverseMatch:
        return None


@login_required
def index(request):
    """The periods of the county (published ones for township and village staff) and, for the county,
    its schemes and a form to open a period."""
    user = request.user
    require(can_view(user))
    schemes = list(selectors.scheme_list_for_user(user)) if can_manage(user) else []
    return render(request, "assessment/index.html", {
        "periods": selectors.period_list_for_user(user), "schemes": schemes, "may_manage": can_manage(user),
        "county": selectors.county_for_user(user),
    })


@login_required
@require_POST
def period_new(request):
    user = request.user
    require(can_manage(user))
    scheme = selectors.scheme_get_for_user(user, form_int(request.POST.get("scheme"), blank=0) or 0)
    try:
        period = services.period_create(
            scheme=scheme, actor=user, start=_date(request.POST.get("start"), "开始日期"),
            end=_date(request.POST.get("end"), "结束日期"), name=request.POST.get("name", ""),
            funded_count=form_int(request.POST.get("funded_count"), "奖励名额", blank=100) or 0,
            warned_count=form_int(request.POST.get("warned_count"), "通报诫勉名额", blank=20) or 0,
            pool_yuan=form_int(request.POST.get("pool_yuan"), "奖励资金池", blank=50_000_000) or 0)
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("assessment:index")
    messages.success(request, f"已新建考核期：{period.name}")
    return redirect("assessment:period", period_id=period.pk)


@login_required
def period_detail(request, period_id: int):
    """The county ranking: rank, score (and corrected score), funds, 通报诫勉 and 组织处理."""
    user = request.user
    period = selectors.period_get_for_user(user, period_id)
    rows = selectors.ranking(user, period)
    return render(request, "assessment/period.html", {
        "period": period, "rows": rows, "may_manage": can_manage(user),
        "funded_sum": sum(r.score.funded_yuan for r in rows),
        "warned": sum(1 for r in rows if r.score.warned), "flagged": sum(1 for r in rows if r.score.flagged),
        "skipped": period.current_run.skipped if period.current_run else [],
        "groups": engine.group_order(period.version.items.all()),
    })


def _period_action(request, period_id: int, action, done: str):
    user = request.user
    require(can_manage(user))
    period = selectors.period_get_for_user(user, period_id)
    try:
        action(period=period, actor=user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("assessment:period", period_id=period.pk)


@login_required
@require_POST
def period_run(request, period_id: int):
    return _period_action(request, period_id, services.period_run, "已计算全部村/社区的得分与排名")


@login_required
@require_POST
def period_publish(request, period_id: int):
    return _period_action(request, period_id, services.period_publish, "已公布，得分与排名不再变动")


@login_required
@require_POST
def period_close(request, period_id: int):
    return _period_action(request, period_id, services.period_close, "已关闭考核期")


@login_required
def village_score(request, period_id: int, village_code: str):
    """One village's score down to each lost point and the case or finding behind it."""
    user = request.user
    period = selectors.period_get_for_user(user, period_id)
    detail = selectors.village_score_get_for_user(user, period, village_code)
    for lp in detail.lost_points:
        lp.url = (reverse("cases:detail", args=[lp.source_id]) if lp.source == SourceKind.CASES and lp.source_id
                  else _finding_url(lp.source_id) if lp.source == SourceKind.INSPECTION else None)
    manage = can_manage(user)
    return render(request, "assessment/village.html", {
        "period": period, "d": detail, "may_manage": manage,
        "corrected": detail.score.total + sum(c.points for c in detail.corrections) if detail.corrections else None,
        "manual_items": [i for i, _ in detail.by_item if i.source == SourceKind.MANUAL]
        if manage and period.state == PeriodState.OPEN else [],
        "may_correct": manage and period.state != PeriodState.OPEN,
    })


def _village(period, code: str) -> Region:
    village = Region.objects.filter(code=code, level="village",
                                    path__startswith=period.version.scheme.county.path).first()
    if village is None:
        raise NotFound()
    return village


@login_required
@require_POST
def manual_add(request, period_id: int, village_code: str):
    user = request.user
    require(can_manage(user))
    period = selectors.period_get_for_user(user, period_id)
    village = _village(period, village_code)
    item = Item.objects.filter(version=period.version, pk=form_int(request.POST.get("item"), blank=0)).first()
    try:
        if item is None:
            raise Invalid("请选择项目")
        services.manual_score_add(period=period, village=village, item=item, actor=user,
                                  points=form_int(request.POST.get("points"), "扣分", blank=0) or 0,
                                  reason=request.POST.get("reason", ""), evidence=request.POST.get("evidence", ""),
                                  day=_date(request.POST.get("day"), "日期") if request.POST.get("day") else None)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已录入人工评分，重新计算后计入得分")
    return redirect("assessment:village", period_id=period.pk, village_code=village.code)


@login_required
@require_POST
def correct(request, period_id: int, village_code: str):
    user = request.user
    require(can_manage(user))
    period = selectors.period_get_for_user(user, period_id)
    village = _village(period, village_code)
    try:
        services.score_correct(period=period, village=village, actor=user, reason=request.POST.get("reason", ""),
                               points=form_int(request.POST.get("points"), "更正分值", blank=0) or 0)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已录入更正，与原得分并列显示")
    return redirect("assessment:village", period_id=period.pk, village_code=village.code)


# --- 方案 -----------------------------------------------------------------------------------------


@login_required
def scheme_detail(request, scheme_id: int):
    user = request.user
    require(can_manage(user))
    scheme = selectors.scheme_get_for_user(user, scheme_id)
    return render(request, "assessment/scheme.html", {
        "scheme": scheme, "versions": selectors.scheme_with_versions(scheme)})


@login_required
@require_POST
def version_new(request, scheme_id: int):
    user = request.user
    require(can_manage(user))
    scheme = selectors.scheme_get_for_user(user, scheme_id)
    draft = services.version_draft(scheme=scheme, actor=user, note=request.POST.get("note", ""))
    return redirect("assessment:version", version_id=draft.pk)


@login_required
def version_detail(request, version_id: int):
    user = request.user
    require(can_manage(user))
    version = selectors.version_get_for_user(user, version_id)
    items = selectors.item_list(version)
    edit = next((i for i in items if str(i.pk) == request.GET.get("edit")), None)
    return render(request, "assessment/version.html", {
        "version": version, "items": items, "edit": edit, "weights": sum(i.weight for i in items),
        "sources": SourceKind.choices, "categories": Category.objects.filter(is_active=True).order_by("sort", "code"),
        "ready": {k: engine.source_ready(k) for k in SourceKind.values},
    })


@login_required
@require_POST
def item_save(request, version_id: int):
    user = request.user
    require(can_manage(user))
    version = selectors.version_get_for_user(user, version_id)
    item = None
    if item_id := form_int(request.POST.get("item")):
        item = Item.objects.filter(version=version, pk=item_id).first()
        if item is None:
            raise NotFound()
    post = request.POST
    try:
        services.item_save(
            version=version, actor=user, item=item, group=post.get("group", ""), code=post.get("code", ""),
            name=post.get("name", ""), weight=form_int(post.get("weight"), "分值", blank=0) or 0,
            source=post.get("source", ""), category_codes=post.getlist("category_codes"),
            points_per_case=form_int(post.get("points_per_case"), "每件扣分", blank=0) or 0,
            finding_codes=post.get("finding_codes", ""), sort=form_int(post.get("sort"), "排序", blank=0) or 0)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已保存项目")
    return redirect("assessment:version", version_id=version.pk)


@login_required
@require_POST
def item_delete(request, version_id: int, item_id: int):
    user = request.user
    require(can_manage(user))
    version = selectors.version_get_for_user(user, version_id)
    item = Item.objects.filter(version=version, pk=item_id).first()
    if item is None:
        raise NotFound()
    try:
        services.item_delete(item=item, actor=user)
    except Invalid as exc:
        messages.error(request, str(exc))
    return redirect("assessment:version", version_id=version.pk)


@login_required
@require_POST
def version_activate(request, version_id: int):
    user = request.user
    require(can_manage(user))
    version = selectors.version_get_for_user(user, version_id)
    try:
        services.version_activate(version=version, actor=user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"第{version.number}版已启用，新建的考核期将使用此版本")
    return redirect("assessment:version", version_id=version.pk)
