import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import GRID_ROLES, REGION_ROLES, Role
from xiangzhi.accounts.rules import can_read_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.assessment import engine, selectors, services
from xiangzhi.assessment.grid_sources import ACTIVITY_DEFAULTS, PARTICIPATION_DEFAULTS, PATROL_DEFAULTS
from xiangzhi.assessment.models import AppealState, Item, PeriodState, SchemeKind, SourceKind
from xiangzhi.assessment.rules import (
    can_appeal,
    can_decide_appeal,
    can_decide_appeals,
    can_file_appeals,
    can_manage,
    can_view_any,
    can_view_grids,
)
from xiangzhi.audit.services import common_path, export_recorded
from xiangzhi.cases.models import Category
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import form_int, require
from xiangzhi.gridwork.rules import can_patrol, can_supervise, can_visit
from xiangzhi.lib import spreadsheets
from xiangzhi.party.rules import can_view_party
from xiangzhi.regions.models import Grid, Region


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
    """The periods of the county, both kinds (published ones for township and village staff; the grids'
    people see the grid periods only) and, for the county, its schemes and a form to open a period."""
    user = request.user
    require(can_view_any(user))
    schemes = list(selectors.scheme_list_for_user(user)) if can_manage(user) else []
    return render(request, "assessment/index.html", {
        "periods": selectors.period_list_for_user(user), "schemes": schemes, "may_manage": can_manage(user),
        "county": selectors.county_for_user(user), "years": selectors.rollup_years(user),
        "may_decide": can_decide_appeals(user),
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
    if period.version.scheme.kind == SchemeKind.GRID:
        return _grid_period(request, period)
    rows = selectors.ranking(user, period)
    return render(request, "assessment/period.html", {
        "period": period, "rows": rows, "may_manage": can_manage(user),
        "funded_sum": sum(r.score.funded_yuan for r in rows),
        "warned": sum(1 for r in rows if r.score.warned), "flagged": sum(1 for r in rows if r.score.flagged),
        "skipped": period.current_run.skipped if period.current_run else [],
        "groups": engine.group_order(period.version.items.all()),
    })


def _period_action(request, period_id: int, action, done: str, grid_done: str | None = None):
    user = request.user
    require(can_manage(user))
    period = selectors.period_get_for_user(user, period_id)
    try:
        action(period=period, actor=user)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, grid_done if grid_done and selectors.is_grid_period(period) else done)
    return redirect("assessment:period", period_id=period.pk)


@login_required
@require_POST
def period_run(request, period_id: int):
    return _period_action(request, period_id, services.period_run, "已计算全部村/社区的得分与排名",
                          grid_done="已计算全部网格的得分、排名与星级")


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


def _manual_add(request, period, unit: Region | Grid) -> None:
    """A manual score on a village or a grid from the form, its refusal or success as a message."""
    item = Item.objects.filter(version=period.version, pk=form_int(request.POST.get("item"), blank=0)).first()
    try:
        if item is None:
            raise Invalid("请选择项目")
        services.manual_score_add(period=period, village=unit, item=item, actor=request.user,
                                  points=form_int(request.POST.get("points"), "扣分", blank=0) or 0,
                                  reason=request.POST.get("reason", ""), evidence=request.POST.get("evidence", ""),
                                  day=_date(request.POST.get("day"), "日期") if request.POST.get("day") else None)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已录入人工评分，重新计算后计入得分")


def _correct(request, period, unit: Region | Grid) -> None:
    """A correction of a village's or a grid's published score from the form."""
    try:
        services.score_correct(period=period, village=unit, actor=request.user, reason=request.POST.get("reason", ""),
                               points=form_int(request.POST.get("points"), "更正分值", blank=0) or 0)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已录入更正，与原得分并列显示")


@login_required
@require_POST
def manual_add(request, period_id: int, village_code: str):
    require(can_manage(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    village = _village(period, village_code)
    _manual_add(request, period, village)
    return redirect("assessment:village", period_id=period.pk, village_code=village.code)


@login_required
@require_POST
def correct(request, period_id: int, village_code: str):
    require(can_manage(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    village = _village(period, village_code)
    _correct(request, period, village)
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


# The targets a grid source reads from an item's params, as the item form asks for them (checked by the
# source's ``services.PARAMS_CHECKS``; a blank box keeps the source's default, shown as the placeholder).
PARAM_FIELDS = {
    SourceKind.PATROL: [("hours", "每月巡查时长（小时）", PATROL_DEFAULTS["hours"]),
                        ("km", "每月巡查里程（公里）", PATROL_DEFAULTS["km"])],
    SourceKind.POINTS_PARTICIPATION: [("target_pct", "目标参与率（%）", PARTICIPATION_DEFAULTS["target_pct"]),
                                      ("step_pct", "每差几个百分点扣一次", PARTICIPATION_DEFAULTS["step_pct"])],
    SourceKind.GROUP_ACTIVITIES: [("per_quarter", "每季度应开展活动（次）", ACTIVITY_DEFAULTS["per_quarter"])],
}


@login_required
def version_detail(request, version_id: int):
    user = request.user
    require(can_manage(user))
    version = selectors.version_get_for_user(user, version_id)
    items = selectors.item_list(version)
    edit = next((i for i in items if str(i.pk) == request.GET.get("edit")), None)
    sources = services.sources_for(version.scheme)
    params = [(source, label, [(key, name, default, (edit.params or {}).get(key, "") if edit else "")
                               for key, name, default in PARAM_FIELDS[source]])
              for source, label in sources if source in PARAM_FIELDS]
    household_rules = selectors.household_rule_choices()
    known = {r.code: r.name for r in household_rules}
    for i in items:
        i.ready = engine.source_ready(i.source)
        i.params_text = "、".join(f"{name} {i.params[key]}" for key, name, _ in PARAM_FIELDS.get(i.source, ())
                                 if key in (i.params or {}))
        i.household_rule_names = [known.get(code, code) for code in i.household_rule_codes]
    return render(request, "assessment/version.html", {
        "version": version, "items": items, "edit": edit, "weights": sum(i.weight for i in items),
        "sources": sources, "categories": Category.objects.filter(is_active=True).order_by("sort", "code"),
        "ready": {k: engine.source_ready(k) for k in SourceKind.values}, "params": params,
        "grid_sources": services.GRID_ONLY, "household_rules": household_rules,
        "unknown_codes": [c for c in edit.household_rule_codes if c not in known] if edit else [],
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
    source = post.get("source", "")
    # Only the chosen source's targets, those typed in (a blank box keeps the source's default).
    params = {key: value for key, _, _ in PARAM_FIELDS.get(source, ())
              if (value := post.get(f"param_{source}_{key}", "").strip())}
    try:
        services.item_save(
            version=version, actor=user, item=item, group=post.get("group", ""), code=post.get("code", ""),
            name=post.get("name", ""), weight=form_int(post.get("weight"), "分值", blank=0) or 0,
            source=source, category_codes=post.getlist("category_codes"),
            points_per_case=form_int(post.get("points_per_case"), "每件扣分", blank=0) or 0,
            finding_codes=post.get("finding_codes", ""), sort=form_int(post.get("sort"), "排序", blank=0) or 0,
            params=params, household_rule_codes=post.getlist("household_rule_codes"))
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


# --- 网格考核 ---------------------------------------------------------------------------------------

CASE_SOURCES = {SourceKind.CASES, SourceKind.CASE_LATE, SourceKind.CASE_REWORK, SourceKind.CASE_UNSATISFIED}
LINK_WORDS = {"case": "查看事件", "visit": "查看走访", "key_person": "查看重点人员", "patrol": "查看巡查记录",
              "finding": "查看整改任务", "group": "查看党小组"}


def _cause_link(user, lp) -> tuple[str, str] | None:
    """(url, words) of the page behind a lost point, where the user may open that kind of page (the page
    itself checks the scope): the case, the visit, the key person, the month's patrols, the party group
    (whose page stands on its village: staff of the village and above)."""
    sid = lp.source_id
    if lp.source in CASE_SOURCES and sid:
        return reverse("cases:detail", args=[sid]), LINK_WORDS["case"]
    if lp.source == SourceKind.VISIT_LATE and sid and can_visit(user):
        return reverse("gridwork:visit_done", args=[sid]), LINK_WORDS["visit"]
    if lp.source == SourceKind.KEY_PERSON_OVERDUE and sid and can_read_register(user):
        return reverse("people:key_person_detail", args=[sid]), LINK_WORDS["key_person"]
    if lp.source == SourceKind.PATROL and (can_patrol(user) or can_supervise(user)):
        return reverse("gridwork:patrols"), LINK_WORDS["patrol"]
    if lp.source == SourceKind.GROUP_ACTIVITIES and sid and can_view_party(user) and user.role in REGION_ROLES:
        return reverse("party:group", args=[sid]), LINK_WORDS["group"]
    if lp.source == SourceKind.INSPECTION and (url := _finding_url(sid)):
        return url, LINK_WORDS["finding"]
    return None


def _grid_period(request, period):
    """The county ranking of grids with their stars (or one township's, by its own ranks) and how many
    grids have each number of stars."""
    user = request.user
    board = selectors.grid_ranking(user, period, request.GET.get("town") or None)
    return render(request, "assessment/period_grid.html", {
        "period": period, "board": board, "may_manage": can_manage(user), "may_decide": can_decide_appeals(user),
        "skipped": period.current_run.skipped if period.current_run else [],
        "groups": engine.group_order(period.version.items.all()),
        "deadline": services.appeal_deadline(period), "star_rule": selectors.star_rule_text(period.version.scheme),
    })


@login_required
def grid_score(request, period_id: int, grid_code: str):
    """失分点: a grid's score, stars and ranks; each item kept or lost; every lost point with its reason,
    day, the page behind it and how not to lose it; corrections and appeals beside; the appeal buttons
    within the window. Phone first."""
    user = request.user
    period = selectors.period_get_for_user(user, period_id)
    d = selectors.grid_score_get_for_user(user, period, grid_code)
    grid = d.score.grid
    for lp in d.lost_points:
        lp.link = _cause_link(user, lp)
    deadline = services.appeal_deadline(period)
    window_open = (period.state == PeriodState.PUBLISHED and deadline is not None
                   and timezone.now() <= deadline)
    manage = can_manage(user)
    return render(request, "assessment/grid.html", {
        "period": period, "d": d, "grid": grid, "deadline": deadline, "window_open": window_open,
        "items": [(i, lost, i.weight - lost) for i, lost in d.by_item],
        "may_appeal": can_appeal(user, grid, d.chief_of) and period.state != PeriodState.OPEN,
        "appeal_days": period.version.scheme.appeal_days,
        "stars_name": selectors.STAR_NAMES.get(d.score.stars, ""),
        "may_manage": manage, "may_decide": can_decide_appeal(user, grid),
        "manual_items": [i for i, _ in d.by_item if i.source == SourceKind.MANUAL]
        if manage and period.state == PeriodState.OPEN else [],
        "may_correct": manage and period.state != PeriodState.OPEN,
        "pending": sum(1 for a in d.appeals if a.state == AppealState.PENDING),
    })


def _grid_for(request, period_id: int, grid_code: str):
    """The period and one of its grids' score for a POST on the grid's page (404 outside the scope)."""
    period = selectors.period_get_for_user(request.user, period_id)
    return period, selectors.grid_score_get_for_user(request.user, period, grid_code)


@login_required
@require_POST
def grid_appeal(request, period_id: int, grid_code: str):
    """申诉 on one lost point (``lost_point``) or on the whole score, by the grid's chief or the village
    cadre over it, within the scheme's days after publication."""
    user = request.user
    require(can_file_appeals(user))
    period, d = _grid_for(request, period_id, grid_code)
    require(can_appeal(user, d.score.grid, d.chief_of), "只有本网格的网格长或所在村的村两委可以申诉")
    lost_point = None
    if lp_id := form_int(request.POST.get("lost_point"), "失分点"):
        lost_point = next((lp for lp in d.lost_points if lp.pk == lp_id), None)
        if lost_point is None:
            raise NotFound()
    try:
        services.appeal_file(period=period, unit=d.score.grid, actor=user, text_=request.POST.get("text", ""),
                             lost_point=lost_point, evidence=request.POST.get("evidence", ""))
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已提交申诉，乡镇或县里处理后在本页显示结果")
    return redirect("assessment:grid", period_id=period.pk, grid_code=d.score.grid.code)


def _county_grid(period, code: str) -> Grid:
    grid = (Grid.objects.filter(code=code, region__path__startswith=period.version.scheme.county.path)
            .select_related("region").first())
    if grid is None:
        raise NotFound()
    return grid


@login_required
@require_POST
def grid_manual_add(request, period_id: int, grid_code: str):
    """The county scores a grid by hand on a manual item, with the reason and the evidence."""
    require(can_manage(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    grid = _county_grid(period, grid_code)
    _manual_add(request, period, grid)
    return redirect("assessment:grid", period_id=period.pk, grid_code=grid.code)


@login_required
@require_POST
def grid_correct(request, period_id: int, grid_code: str):
    require(can_manage(request.user))
    period = selectors.period_get_for_user(request.user, period_id)
    grid = _county_grid(period, grid_code)
    _correct(request, period, grid)
    return redirect("assessment:grid", period_id=period.pk, grid_code=grid.code)


@login_required
def appeal_list(request, period_id: int):
    """A grid period's appeals for those who decide them (the township over the grid, the county), the
    pending ones first, each with its decision form."""
    user = request.user
    require(can_decide_appeals(user))
    period = selectors.period_get_for_user(user, period_id)
    if not selectors.is_grid_period(period):  # a village's appeals are listed through the API
        raise NotFound()
    appeals = selectors.appeal_list_for_user(user, period)
    return render(request, "assessment/appeals.html", {
        "period": period, "appeals": appeals,
        "pending": sum(1 for a in appeals if a.state == AppealState.PENDING),
    })


@login_required
@require_POST
def appeal_decide(request, appeal_id: int):
    """成立 (with the points returned, at most the lost point's) or 不成立, the outcome written down."""
    user = request.user
    require(can_decide_appeals(user))
    appeal = selectors.appeal_get_for_user(user, appeal_id)
    require(can_decide_appeal(user, appeal.grid))
    verdict = request.POST.get("upheld")
    try:
        if verdict not in ("1", "0"):
            raise Invalid("请选择申诉是否成立")
        services.appeal_decide(appeal=appeal, actor=user, upheld=verdict == "1",
                               outcome=request.POST.get("outcome", ""),
                               points_returned=form_int(request.POST.get("points_returned"), "退还分值", blank=0) or 0)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已处理{appeal.grid.name}的申诉")
    return redirect(reverse("assessment:appeals", args=[appeal.period_id]) + f"#appeal-{appeal.pk}")


@login_required
def mine(request):
    """网格考核 from the menu: a grid's own people straight to their grid's latest published score (the
    ranking when they work several grids); township staff to the ranking of their township."""
    user = request.user
    require(can_view_grids(user))
    period = selectors.latest_grid_period(user)
    if period is None:
        messages.info(request, "还没有公布的网格考核。")
        return redirect("assessment:index")
    if user.role in GRID_ROLES:
        scores = selectors.grid_scores_mine(user)
        if len(scores) == 1:
            return redirect("assessment:grid", period_id=period.pk, grid_code=scores[0].score.grid.code)
    url = reverse("assessment:period", args=[period.pk])
    if user.role == Role.TOWNSHIP_STAFF and user.region_id:
        url += f"?town={user.region.code}"
    return redirect(url)


ROLLUP_HEADER = ["乡镇/街道", "管区", "村/社区", "网格", "网格编码"]


def _rollup(request, year: int):
    require(can_view_grids(request.user))
    return selectors.grid_year_rollup(request.user, year, request.GET.get("town") or None)


@login_required
def rollup(request, year: int):
    """The year's quarters of every grid in scope, their average and its stars, and who works the grid:
    for the staff evaluation. Also as .xlsx and as a page to print."""
    r = _rollup(request, year)
    return render(request, "assessment/rollup.html", {
        "r": r, "years": selectors.rollup_years(request.user), "stars": selectors.STAR_NAMES})


@login_required
def rollup_print(request, year: int):
    r = _rollup(request, year)
    return render(request, "assessment/rollup_print.html", {"r": r, "stars": selectors.STAR_NAMES,
                                                             "printed": timezone.localtime()})


@login_required
def rollup_xlsx(request, year: int):
    """The roll-up as a spreadsheet, every cell written as text (totals too: the sheet is read, not
    computed on)."""
    r = _rollup(request, year)
    header = [*ROLLUP_HEADER, *(p.name for p in r.periods), "年度平均分", "星级", "网格员（现任）"]
    rows = [
        [row.town.name if row.town else "", row.area.name if row.area else "", row.village.name, row.grid.name,
         row.grid.code,
         *("" if t is None else str(t) for t in row.totals), str(row.average), selectors.STAR_NAMES[row.stars],
         "、".join(f"{name}（{duty}）" for name, duty in row.workers)]
        for row in r.rows
    ]
    content = spreadsheets.write_xlsx(f"{year}年网格考核", header, rows, text_columns=range(len(header)))
    suffix = f"-{r.town.code}" if r.town else ""
    where = r.town.path if r.town else common_path(scope_of(request.user).paths)
    return export_recorded(request, content, f"grid-assessment-{year}{suffix}.xlsx",
                           summary=f"导出{r.town.name if r.town else ''}{year}年网格考核年度汇总（{len(rows)} 个网格）",
                           scope_path=where, subject="regions.grid", detail={"year": year})
