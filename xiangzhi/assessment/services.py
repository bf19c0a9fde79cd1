"""Every change to schemes, periods and scores. A scheme version in use never changes (a new draft is
copied from it); a period is run while open, then published (figures frozen), then closed (for good);
what comes after publishing is a correction beside the original, with its reason."""

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.assessment import awards, engine
from xiangzhi.assessment.defaults import GRID_APPEAL_DAYS, GRID_SCHEME, GRID_STAR_FLOORS, VILLAGE_SCORECARD
from xiangzhi.assessment.errors import AppealPending, AssessmentError, PeriodStateError
from xiangzhi.assessment.models import (
    Appeal,
    AppealState,
    Item,
    LostPoint,
    ManualScore,
    Period,
    PeriodState,
    Run,
    Scheme,
    SchemeKind,
    SchemeVersion,
    Score,
    ScoreCorrection,
    SourceKind,
    VersionState,
)
from xiangzhi.cases.models import Category
from xiangzhi.core.errors import field_error
from xiangzhi.core.inputs import text
from xiangzhi.regions.models import Grid, Region, RegionLevel

BATCH = 2000
# The sources of each kind of scheme: the monthly inspection is a village's, the grid sources a grid's.
GRID_ONLY = {SourceKind.CASE_LATE, SourceKind.CASE_REWORK, SourceKind.CASE_UNSATISFIED, SourceKind.VISIT_LATE,
             SourceKind.KEY_PERSON_OVERDUE, SourceKind.PATROL, SourceKind.POINTS_PARTICIPATION,
             SourceKind.GROUP_ACTIVITIES}
VILLAGE_ONLY = {SourceKind.INSPECTION}
Unit = Region | Grid


def sources_for(scheme: Scheme) -> list[tuple[str, str]]:
    """The sources a scheme's items may use, as (value, label)."""
    refused = VILLAGE_ONLY if scheme.kind == SchemeKind.GRID else GRID_ONLY
    return [(value, label) for value, label in SourceKind.choices if value not in refused]


def _unit_of(period: Period, unit: Unit) -> tuple[Region, Grid | None]:
    """The (village, grid) of a unit of the period's county: a village for the scorecard, a grid for the
    grid assessment; anything else is refused."""
    county = period.version.scheme.county
    if period.version.scheme.kind == SchemeKind.GRID:
        if not isinstance(unit, Grid) or not unit.region.path.startswith(county.path):
            raise AssessmentError("请选择本县的网格", fields=field_error("grid", "不可选"))
        return unit.region, unit
    if not isinstance(unit, Region) or unit.level != RegionLevel.VILLAGE or not unit.path.startswith(county.path):
        raise AssessmentError("请选择本县的村/社区", fields=field_error("village", "不可选"))
    return unit, None


# --- schemes ---------------------------------------------------------------------------------------


@transaction.atomic
def scheme_install_default(*, county: Region, actor: User | None = None, now: dt.datetime | None = None) -> Scheme:
    """The 六零 scorecard of ``defaults.VILLAGE_SCORECARD`` for a county, its first version in use; an
    installed scheme is left as it is."""
    if county.level != RegionLevel.COUNTY:
        raise AssessmentError("积分换项目方案只能建在县/区一级")
    now = now or timezone.now()
    scheme, created = Scheme.objects.get_or_create(
        county=county, kind=SchemeKind.VILLAGE_SCORECARD, defaults={"name": f"{county.name}“六零”村积分换项目"})
    if not created:
        return scheme
    version = SchemeVersion.objects.create(scheme=scheme, number=1, state=VersionState.IN_USE, created_by=actor,
                                           created_at=now, activated_at=now, note="默认方案")
    Item.objects.bulk_create([
        Item(version=version, group=group, code=code, name=name, weight=weight, source=source,
             category_codes=categories, points_per_case=per_case, finding_codes=findings,
             household_rule_codes=list(rules), sort=n)
        for n, (group, code, name, weight, source, categories, per_case, findings, rules)
        in enumerate(VILLAGE_SCORECARD)
    ])
    return scheme


@transaction.atomic
def scheme_install_grid(*, county: Region, actor: User | None = None, now: dt.datetime | None = None) -> Scheme:
    """The grid assessment of ``defaults.GRID_SCHEME`` (11 categories, 22 items, 100 points; stars at
    95/90/80/70, appeals within 7 days of publication) for a county, its first version in use; an
    installed scheme is left as it is."""
    if county.level != RegionLevel.COUNTY:
        raise AssessmentError("网格考核方案只能建在县/区一级")
    now = now or timezone.now()
    scheme, created = Scheme.objects.get_or_create(
        county=county, kind=SchemeKind.GRID,
        defaults={"name": f"{county.name}网格化管理考核", "star_floors": list(GRID_STAR_FLOORS),
                  "appeal_days": GRID_APPEAL_DAYS})
    if not created:
        return scheme
    version = SchemeVersion.objects.create(scheme=scheme, number=1, state=VersionState.IN_USE, created_by=actor,
                                           created_at=now, activated_at=now, note="默认方案")
    Item.objects.bulk_create([
        Item(version=version, group=group, code=code, name=name, weight=weight, source=source,
             points_per_case=per_cause, params=dict(params), household_rule_codes=list(rules), sort=n)
        for n, (group, code, name, weight, source, per_cause, params, rules) in enumerate(GRID_SCHEME)
    ])
    return scheme


@transaction.atomic
def version_draft(*, scheme: Scheme, actor: User, note: str = "") -> SchemeVersion:
    """A new draft copied from the version in use (or the latest); an existing draft is returned as it is."""
    Scheme.objects.select_for_update().get(pk=scheme.pk)
    draft = scheme.versions.filter(state=VersionState.DRAFT).first()
    if draft is not None:
        return draft
    base = scheme.versions.filter(state=VersionState.IN_USE).first() or scheme.versions.order_by("-number").first()
    number = (scheme.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = SchemeVersion.objects.create(scheme=scheme, number=number, state=VersionState.DRAFT, created_by=actor,
                                         created_at=timezone.now(), note=text(note, "note", "修订说明", 200))
    if base is not None:
        Item.objects.bulk_create([
            Item(version=draft, group=i.group, code=i.code, name=i.name, weight=i.weight, source=i.source,
                 category_codes=i.category_codes, points_per_case=i.points_per_case, finding_codes=i.finding_codes,
                 params=i.params, household_rule_codes=i.household_rule_codes, sort=i.sort)
            for i in base.items.all()
        ])
    return draft


def _editable(version: SchemeVersion) -> None:
    if version.state != VersionState.DRAFT:
        raise PeriodStateError("使用中或已停用的方案版本不能修改，请先新建修订版")


def _codes(values: Sequence[str] | str) -> list[str]:
    """Codes typed into one box (comma-separated) or chosen in a list."""
    values = [values] if isinstance(values, str) else values
    values = [c for v in values for c in v.replace("，", ",").split(",")]
    return [v.strip() for v in values if v.strip()]


@transaction.atomic
def item_save(*, version: SchemeVersion, actor: User, group: str, code: str, name: str, weight: int,
              source: str, category_codes: Sequence[str] | str = (), points_per_case: int = 0,
              finding_codes: Sequence[str] | str = (), sort: int = 0, item: Item | None = None,
              params: dict[str, Any] | None = None, household_rule_codes: Sequence[str] | str = ()) -> Item:
    """Add an item to a draft, or change one of its items. ``params`` are a grid source's targets
    (checked by ``grid_params_check`` when one is registered); ``household_rule_codes`` name the household
    points rules the item cascades to (a link only)."""
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    _editable(version)
    if item is not None and item.version_id != version.pk:
        raise AssessmentError("该项目不属于此版本")
    group = text(group, "group", "大项", 30, required=True, error=AssessmentError)
    code = text(code, "code", "代码", 40, required=True, error=AssessmentError)
    name = text(name, "name", "名称", 100, required=True, error=AssessmentError)
    if not isinstance(weight, int) or not 1 <= weight <= version.scheme.total:
        raise AssessmentError(f"分值应为 1～{version.scheme.total} 之间的整数",
                              fields=field_error("weight", "超出范围"))
    if source not in dict(sources_for(version.scheme)):
        raise AssessmentError("请选择来源", fields=field_error("source", "不是可选的值"))
    categories, findings = _codes(category_codes), _codes(finding_codes)
    others = Item.objects.filter(version=version).exclude(pk=item.pk if item else 0)
    if source == SourceKind.CASES:
        known = set(Category.objects.filter(code__in=categories).values_list("code", flat=True))
        if not categories or known != set(categories):
            raise AssessmentError("请填写有效的事件类别代码：" + "、".join(sorted(set(categories) - known)),
                                  fields=field_error("category_codes", "类别不存在"))
        if not 1 <= points_per_case <= weight:
            raise AssessmentError("每件扣分应在 1 到本项分值之间", fields=field_error("points_per_case", "超出范围"))
        twice = {c for i in others.filter(source=SourceKind.CASES) for c in i.category_codes} & set(categories)
        if twice:
            raise AssessmentError("同一事件类别只能计入一个项目：" + "、".join(sorted(twice)),
                                  fields=field_error("category_codes", "重复"))
    if source == SourceKind.INSPECTION and not findings:
        raise AssessmentError("请填写排查项目代码", fields=field_error("finding_codes", "必填"))
    if others.filter(code=code).exists():
        raise AssessmentError("代码已被本版本的其他项目使用", fields=field_error("code", "重复"))
    per_unit = source in GRID_ONLY  # points per late case, per short month, per missing activity…
    if per_unit and not 1 <= points_per_case <= weight:
        raise AssessmentError("每次扣分应在 1 到本项分值之间", fields=field_error("points_per_case", "超出范围"))
    params = dict(params or {})
    check = PARAMS_CHECKS.get(source)
    params = check(params) if check else {}
    values = {"group": group, "code": code, "name": name, "weight": weight, "source": source,
              "category_codes": categories if source == SourceKind.CASES else [],
              "points_per_case": points_per_case if source == SourceKind.CASES or per_unit else 0,
              "finding_codes": findings if source == SourceKind.INSPECTION else [], "sort": sort,
              "params": params, "household_rule_codes": _codes(household_rule_codes)}
    if item is None:
        return Item.objects.create(version=version, **values)
    for key, value in values.items():
        setattr(item, key, value)
    item.save(update_fields=list(values))
    return item


# A grid source's check of its targets: takes what was typed, answers the clean params or raises
# AssessmentError. Registered by the module that computes the source.
PARAMS_CHECKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@transaction.atomic
def item_delete(*, item: Item, actor: User) -> None:
    _editable(SchemeVersion.objects.select_for_update().get(pk=item.version_id))
    item.delete()


@transaction.atomic
def version_activate(*, version: SchemeVersion, actor: User) -> SchemeVersion:
    """Put a draft in use: its weights must add up to the scheme's total. The version in use before is
    retired (the periods that used it keep it)."""
    version = SchemeVersion.objects.select_for_update().select_related("scheme").get(pk=version.pk)
    _editable(version)
    weights = sum(version.items.values_list("weight", flat=True))
    if weights != version.scheme.total:
        raise AssessmentError(f"各项分值合计 {weights} 分，应为 {version.scheme.total} 分",
                              fields=field_error("weight", "合计不符"))
    version.scheme.versions.filter(state=VersionState.IN_USE).update(state=VersionState.RETIRED)
    version.state, version.activated_at = VersionState.IN_USE, timezone.now()
    version.save(update_fields=["state", "activated_at"])
    return version


# --- periods ---------------------------------------------------------------------------------------


def _setting(value: int, name: str, label: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise AssessmentError(f"{label}应为 {low}～{high} 之间的整数", fields=field_error(name, "超出范围"))
    return value


@transaction.atomic
def period_create(*, scheme: Scheme, actor: User | None, start: dt.date, end: dt.date, name: str = "",
                  funded_count: int = 100, warned_count: int = 20, pool_yuan: int = 50_000_000,
                  now: dt.datetime | None = None) -> Period:
    """A period on the scheme's version in use (semi-annual for the scorecard, a quarter for the grids: any
    span is accepted). A grid period funds and warns nobody: its consequences are stars and ranks."""
    version = scheme.versions.filter(state=VersionState.IN_USE).first()
    if version is None:
        raise AssessmentError("方案还没有启用的版本")
    if end < start:
        raise AssessmentError("结束日期不能早于开始日期", fields=field_error("end", "早于开始日期"))
    if Period.objects.filter(version__scheme=scheme, start__lte=end, end__gte=start).exists():
        raise AssessmentError("与已有的考核期时间重叠", fields=field_error("start", "重叠"))
    if scheme.kind == SchemeKind.GRID:
        funded_count = warned_count = pool_yuan = 0
        default_name = f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    else:
        default_name = f"{start.year}年{'上' if start.month <= 6 else '下'}半年"
    name = text(name, "name", "名称", 50, error=AssessmentError) or default_name
    return Period.objects.create(
        version=version, name=name, start=start, end=end, created_by=actor, created_at=now or timezone.now(),
        funded_count=_setting(funded_count, "funded_count", "奖励名额", 0, 10_000),
        warned_count=_setting(warned_count, "warned_count", "通报诫勉名额", 0, 10_000),
        pool_yuan=_setting(pool_yuan, "pool_yuan", "奖励资金池", 0, 10**12))


def _store(period: Period, run: Run, computation: engine.Computation) -> None:
    scores = Score.objects.bulk_create([
        Score(run=run, village=r.village, grid=r.grid, total=r.total, lost=r.lost, rank=r.rank,
              town_rank=r.town_rank, stars=r.stars, funded_yuan=r.funded_yuan, warned=r.warned, flagged=r.flagged)
        for r in computation.results
    ], batch_size=BATCH)
    LostPoint.objects.bulk_create([
        LostPoint(score=score, item=lp.item, points=lp.points, reason=lp.reason, source=lp.source,
                  source_id=lp.source_id, day=lp.day, hint=lp.hint)
        for score, r in zip(scores, computation.results, strict=True) for lp in r.lost_points
    ], batch_size=BATCH)


@transaction.atomic
def period_run(*, period: Period, actor: User | None, now: dt.datetime | None = None) -> Run:
    """Compute every unit (village or grid) of the county and make it the period's result. All in one transaction, the
    period row locked and its pointer switched last: a run that dies leaves the earlier result (or none),
    never half of one."""
    period = Period.objects.select_for_update().select_related("version__scheme__county").get(pk=period.pk)
    if period.state != PeriodState.OPEN:
        raise PeriodStateError(f"考核期{period.get_state_display()}，不能重新计算；如需调整请录入更正")
    computation = engine.compute(period)
    run = Run.objects.create(period=period, actor=actor, started_at=now or timezone.now(),
                             skipped=computation.skipped)
    _store(period, run, computation)
    old = period.current_run_id
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    period.current_run = run
    period.save(update_fields=["current_run"])
    if old is not None:
        Run.objects.filter(pk=old).delete()
    return run


@transaction.atomic
def period_publish(*, period: Period, actor: User) -> Period:
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.state != PeriodState.OPEN:
        raise PeriodStateError("考核期已公布，不能再次公布")
    if period.current_run_id is None:
        raise PeriodStateError("请先计算得分再公布")
    period.state, period.published_at, period.published_by = PeriodState.PUBLISHED, timezone.now(), actor
    period.save(update_fields=["state", "published_at", "published_by"])
    return period


@transaction.atomic
def period_close(*, period: Period, actor: User) -> Period:
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.state != PeriodState.PUBLISHED:
        raise PeriodStateError("只有已公布的考核期才能关闭" if period.state == PeriodState.OPEN else "考核期已关闭")
    period.state, period.closed_at, period.closed_by = PeriodState.CLOSED, timezone.now(), actor
    period.save(update_fields=["state", "closed_at", "closed_by"])
    awards.period_awards_grant(period=period, actor=actor, now=period.closed_at)  # funds reach the projects
    return period


def period_reopen(*, period: Period, actor: User) -> Period:
    """Figures once published are never reopened: a mistake is corrected beside them (``score_correct``)."""
    period = Period.objects.get(pk=period.pk)
    if period.state != PeriodState.OPEN:
        raise PeriodStateError("已公布的考核期不能重新打开，如有错误请录入更正并写明原因")
    return period


# --- by hand ---------------------------------------------------------------------------------------


@transaction.atomic
def manual_score_add(*, period: Period, village: Unit, item: Item, points: int, reason: str, actor: User,
                     evidence: str = "", day: dt.date | None = None) -> ManualScore:
    """Points taken by hand on a manual item, with its reason; counted from the next run of the period.
    ``village`` is the unit: a village, or a grid in a grid period."""
    period = Period.objects.select_for_update().select_related("version__scheme__county").get(pk=period.pk)
    if period.state != PeriodState.OPEN:
        raise PeriodStateError("考核期已公布，不能再录入人工评分；如需调整请录入更正")
    if item.version_id != period.version_id or item.source != SourceKind.MANUAL:
        raise AssessmentError("该项目不是本考核期的人工评分项目", fields=field_error("item", "不可选"))
    village, grid = _unit_of(period, village)
    reason = text(reason, "reason", "扣分原因", 200, required=True, error=AssessmentError)
    if not isinstance(points, int) or not 1 <= points <= item.weight:
        raise AssessmentError(f"扣分应为 1～{item.weight} 之间的整数", fields=field_error("points", "超出范围"))
    day = day or timezone.localdate()
    if not period.start <= day <= period.end:
        raise AssessmentError("日期不在考核期内", fields=field_error("day", "不在考核期内"))
    return ManualScore.objects.create(
        period=period, village=village, grid=grid, item=item, points=points, reason=reason, day=day, actor=actor,
        evidence=text(evidence, "evidence", "依据", 200, error=AssessmentError), at=timezone.now())


def _score_of(period: Period, village: Region, grid: Grid | None) -> Score | None:
    if period.current_run_id is None:
        return None
    scores = Score.objects.filter(run_id=period.current_run_id)
    return (scores.filter(grid=grid) if grid else scores.filter(village=village, grid__isnull=True)).first()


@transaction.atomic
def score_correct(*, period: Period, village: Unit, points: int, reason: str, actor: User) -> ScoreCorrection:
    """A correction to a published or closed period: a new row with its reason, beside the original.
    ``village`` is the unit: a village, or a grid in a grid period."""
    period = Period.objects.select_for_update().select_related("version__scheme__county").get(pk=period.pk)
    if period.state == PeriodState.OPEN:
        raise PeriodStateError("考核期尚未公布，请修改数据后重新计算")
    village, grid = _unit_of(period, village)
    if _score_of(period, village, grid) is None:
        raise AssessmentError("该单位不在本考核期的排名中", fields=field_error("grid" if grid else "village", "不可选"))
    reason = text(reason, "reason", "更正原因", 200, required=True, error=AssessmentError)
    total = period.version.scheme.total
    if not isinstance(points, int) or points == 0 or not -total <= points <= total:
        raise AssessmentError(f"更正分值应为 -{total}～{total} 之间、不为 0 的整数",
                              fields=field_error("points", "超出范围"))
    return ScoreCorrection.objects.create(period=period, village=village, grid=grid, points=points, reason=reason,
                                          actor=actor, at=timezone.now())


def period_verify(period: Period) -> list[str]:
    """Recompute the period and compare with what is stored: the units whose figures differ."""
    period = Period.objects.select_related("version__scheme__county", "current_run").get(pk=period.pk)
    stored = {(s.grid_id or s.village_id): (s.total, s.rank, s.town_rank, s.stars, s.funded_yuan, s.warned, s.flagged)
              for s in Score.objects.filter(run=period.current_run)}
    out = []
    for r in engine.compute(period).results:
        if stored.get(r.unit.pk) != (r.total, r.rank, r.town_rank, r.stars, r.funded_yuan, r.warned, r.flagged):
            out.append(r.unit.name)
    return out


# --- appeals ---------------------------------------------------------------------------------------


def appeal_deadline(period: Period) -> dt.datetime | None:
    """The end of the appeal window: the scheme's appeal days after publication (None before it)."""
    if period.published_at is None:
        return None
    return period.published_at + dt.timedelta(days=period.version.scheme.appeal_days)


@transaction.atomic
def appeal_file(*, period: Period, unit: Unit, actor: User, text_: str, lost_point: LostPoint | None = None,
                evidence: str = "", now: dt.datetime | None = None) -> Appeal:
    """An appeal on a published figure (the whole score, or one lost point of it) within the appeal days.
    Who may appeal for the unit is the caller's rule (``rules.can_appeal``)."""
    now = now or timezone.now()
    period = Period.objects.select_for_update().select_related("version__scheme__county").get(pk=period.pk)
    if period.state == PeriodState.OPEN:
        raise PeriodStateError("考核结果尚未公布，不能申诉")
    deadline = appeal_deadline(period)
    if period.state == PeriodState.CLOSED or (deadline is not None and now > deadline):
        raise PeriodStateError(f"申诉期已过（公布后 {period.version.scheme.appeal_days} 天内可申诉）")
    village, grid = _unit_of(period, unit)
    score = _score_of(period, village, grid)
    if score is None:
        raise AssessmentError("该单位不在本考核期的排名中")
    if lost_point is not None and (lost_point.score_id != score.pk or lost_point.points == 0):
        raise AssessmentError("该失分点不属于本单位的得分", fields=field_error("lost_point", "不可选"))
    body = text(text_, "text", "申诉理由", 500, required=True, error=AssessmentError)
    # One appeal a lost point (and one on the whole score), decided once: a second is refused.
    earlier = Appeal.objects.filter(period=period, village=village, grid=grid, lost_point=lost_point).first()
    if earlier is not None and earlier.state == AppealState.PENDING:
        raise AppealPending("这一项已有待处理的申诉")
    if earlier is not None:
        raise AppealPending(f"这一项已申诉过（{earlier.get_state_display()}），每项只能申诉一次")
    return Appeal.objects.create(
        period=period, village=village, grid=grid, lost_point=lost_point,
        lost_reason=lost_point.reason if lost_point else "", lost_points=lost_point.points if lost_point else 0,
        text=body, evidence=text(evidence, "evidence", "证明材料", 200, error=AssessmentError), filed_by=actor,
        filed_at=now)


@transaction.atomic
def appeal_decide(*, appeal: Appeal, actor: User, upheld: bool, outcome: str, points_returned: int = 0,
                  now: dt.datetime | None = None) -> Appeal:
    """Decide an appeal once, with the outcome written down. Upheld with points returned → a correction
    of +points beside the original (never more than the lost point it is about, or than the score lost)."""
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("period__version__scheme", "grid",
                                                               "village").get(pk=appeal.pk)
    if appeal.state != AppealState.PENDING:
        raise PeriodStateError("该申诉已处理")
    outcome = text(outcome, "outcome", "处理意见", 500, required=True, error=AssessmentError)
    cap = appeal.lost_points if appeal.lost_point_id or appeal.lost_points else None
    if cap is None:
        score = _score_of(appeal.period, appeal.village, appeal.grid)
        cap = score.lost if score else 0
    if not upheld:
        points_returned = 0
    elif not isinstance(points_returned, int) or isinstance(points_returned, bool) or not 0 <= points_returned <= cap:
        raise AssessmentError(f"退还分值应为 0～{cap} 之间的整数", fields=field_error("points_returned", "超出范围"))
    now = now or timezone.now()
    if points_returned:
        appeal.correction = ScoreCorrection.objects.create(
            period=appeal.period, village=appeal.village, grid=appeal.grid, points=points_returned,
            reason=f"申诉成立：{outcome}"[:200], actor=actor, at=now)
    appeal.state = AppealState.UPHELD if upheld else AppealState.REJECTED
    appeal.outcome, appeal.points_returned, appeal.decided_by, appeal.decided_at = outcome, points_returned, actor, now
    appeal.save(update_fields=["state", "outcome", "points_returned", "decided_by", "decided_at", "correction"])
    return appeal
