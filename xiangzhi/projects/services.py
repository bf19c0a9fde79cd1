"""Every change to village projects. Pages, the API and the demo call these.

Money is whole 元, never negative. The spending total never exceeds the budget: a payment that would
pass it is refused (raise the budget first, which leaves a history row). Spending on a finished
project (已完工, 已验收) is refused; a milestone cannot be done before the project started. Writes that
check a total lock the project row first (``SELECT … FOR UPDATE``), so two payments cannot both fit.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.lib.photos import ProcessedPhoto
from xiangzhi.people.models import Resident
from xiangzhi.projects.errors import ProjectConflict, ProjectError
from xiangzhi.projects.models import (
    Donation,
    DonationKind,
    Funding,
    FundingKind,
    Milestone,
    Photo,
    Project,
    ProjectEvent,
    ProjectPlan,
    ProjectRequest,
    ProjectState,
    RequestEvent,
    RequestSource,
    RequestState,
    Spending,
    Urgency,
    VillageAward,
)
from xiangzhi.projects.rules import can_keep, can_submit
from xiangzhi.projects.selectors import covers_village, home_village, projects_waiting_for_funds
from xiangzhi.regions.models import Region, RegionLevel

TITLE_MAX = 100
TEXT_MAX = 2000
REASON_MAX = 200
NAME_MAX = 50
MAX_MONEY = 10_000_000_000  # 100 亿元: far above any village project, below any overflow
MAX_HOUSEHOLDS = 100_000
MAX_LABOUR_DAYS = 1_000_000
MAX_PHOTOS = 6

KEEPER_ONLY = "只有村两委和乡镇（街道）、区县人员可以管理村级项目"


def _text(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> str:
    return text(value, name, label, limit, required=required, error=ProjectError)


def money(value: object, name: str, label: str, *, allow_zero: bool = False) -> int:
    """Whole 元: an integer, not negative (0 only where it withdraws), at most ``MAX_MONEY``."""
    low = 0 if allow_zero else 1
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_MONEY:
        raise ProjectError(f"{label}应为{'不小于 0' if allow_zero else '大于 0'} 的整数（元）",
                           fields=field_error(name, "应为整数金额"))
    return value


def _whole(value: object, name: str, label: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProjectError(f"{label}应为 {low}～{high} 之间的整数", fields=field_error(name, "超出范围"))
    return value


def _keeper_check(actor: User, village: Region) -> None:
    require(can_keep(actor), KEEPER_ONLY)
    if not covers_village(actor, village):
        raise NotFound()


def _photos(photos: Sequence[ProcessedPhoto]) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ProjectError(f"最多上传 {MAX_PHOTOS} 张照片", fields=field_error("photos", "太多"))


def _attach(photos: Sequence[ProcessedPhoto], prefix: str, **owner: object) -> None:
    for i, processed in enumerate(photos, start=1):
        row = Photo(**owner)
        row.attach(processed, f"{prefix}-{i}.jpg")
        row.save()


def _lock(project: Project) -> Project:
    locked = Project.objects.select_for_update().get(pk=project.pk)
    project.state, project.budget, project.started_on = locked.state, locked.budget, locked.started_on
    return locked


# --- requests and the plan --------------------------------------------------------------------------


def request_submit(*, actor: User, village: Region, title: str, place: str = "", reason: str = "",
                   urgency: int = Urgency.NORMAL, households: int = 1, photos: Sequence[ProcessedPhoto] = (),
                   now: dt.datetime | None = None) -> ProjectRequest:
    """群众需求: a villager's from his phone (for his own village, as one household), or one a keeper
    heard at a meeting (with the number of households asking)."""
    require(can_submit(actor), "只有本村村民和村两委、乡镇（街道）、区县人员可以提出需求")
    if village.level != RegionLevel.VILLAGE:
        raise ProjectError("需求须提给一个村/社区", fields=field_error("village", "不是村/社区"))
    keeper = can_keep(actor)
    if keeper:
        if not covers_village(actor, village):
            raise NotFound()
        source = RequestSource.MEETING
    else:
        home = home_village(actor)
        if home is None or home.pk != village.pk:
            raise ProjectError("只能为本村提需求", fields=field_error("village", "不是本村"))
        source, households = RequestSource.VILLAGER, 1
    title = _text(title, "title", "需求", TITLE_MAX, required=True)
    place = _text(place, "place", "地点", TITLE_MAX)
    reason = _text(reason, "reason", "理由", TEXT_MAX)
    if urgency not in Urgency.values:
        raise ProjectError("请选择轻重缓急", fields=field_error("urgency", "不是可选的值"))
    households = _whole(households, "households", "提出户数", 1, MAX_HOUSEHOLDS)
    _photos(photos)
    now = now or timezone.now()
    with transaction.atomic():
        row = ProjectRequest.objects.create(
            village=village, title=title, place=place, reason=reason, urgency=urgency, households=households,
            source=source, household_id=None if keeper else actor.household_id, submitted_at=now,
            submitted_by=actor)
        RequestEvent.objects.create(request=row, to_state=RequestState.COLLECTED, at=now, actor=actor)
        _attach(photos, f"request-{row.pk}", request=row)
    return row


def _request_move(request: ProjectRequest, actor: User, to: str, now: dt.datetime, note: str = "") -> None:
    RequestEvent.objects.create(request=request, from_state=request.state, to_state=to, at=now, actor=actor,
                                note=note)
    request.state = to


def request_plan(*, actor: User, request: ProjectRequest, year: int | None = None,
                 urgency: int | None = None, now: dt.datetime | None = None) -> ProjectRequest:
    """列入计划: into the village's plan for ``year`` (made on first use); the keeper may restate its
    urgency as the village weighed it."""
    _keeper_check(actor, request.village)
    now = now or timezone.now()
    year = year if year is not None else timezone.localtime(now).year
    _whole(year, "year", "年度", 2000, 2100)
    if urgency is not None and urgency not in Urgency.values:
        raise ProjectError("请选择轻重缓急", fields=field_error("urgency", "不是可选的值"))
    with transaction.atomic():
        request = ProjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != RequestState.COLLECTED:
            raise ProjectConflict(f"该需求已{request.get_state_display()}，不能再列入计划")
        plan, _ = ProjectPlan.objects.get_or_create(village_id=request.village_id, year=year,
                                                    defaults={"created_at": now, "created_by": actor})
        note = ""
        if urgency is not None and urgency != request.urgency:
            note = f"轻重缓急：{Urgency(request.urgency).label} → {Urgency(urgency).label}"
            request.urgency = urgency
        _request_move(request, actor, RequestState.PLANNED, now, note)
        request.plan = plan
        request.save(update_fields=["state", "plan", "urgency"])
    return request


def request_decline(*, actor: User, request: ProjectRequest, reason: str,
                    now: dt.datetime | None = None) -> ProjectRequest:
    """不予采纳, with the reason the villager will read."""
    _keeper_check(actor, request.village)
    reason = _text(reason, "reason", "不予采纳的原因", REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        request = ProjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.state not in (RequestState.COLLECTED, RequestState.PLANNED):
            raise ProjectConflict(f"该需求已{request.get_state_display()}，不能再不予采纳")
        _request_move(request, actor, RequestState.DECLINED, now, reason)
        request.decline_reason = reason
        request.save(update_fields=["state", "decline_reason"])
    return request


# --- projects -----------------------------------------------------------------------------------------


def project_create(*, actor: User, request: ProjectRequest, budget: object, title: str = "", description: str = "",
                   fundings: Sequence[tuple[str, object, str]] = (), funding_source: str = "",
                   awarded_amount: object = None, now: dt.datetime | None = None) -> Project:
    """立项 from a request in the plan: its budget and where the money comes from (``fundings``: kind,
    amount, note). A project set up without an award of its own takes the village's oldest award
    waiting for a project (``award_grant``)."""
    _keeper_check(actor, request.village)
    budget = money(budget, "budget", "预算")
    title = _text(title or request.title, "title", "项目名称", TITLE_MAX, required=True)
    description = _text(description, "description", "建设内容", TEXT_MAX)
    funding_source = _text(funding_source, "funding_source", "奖补来源", TITLE_MAX)
    awarded = None if awarded_amount is None else money(awarded_amount, "awarded_amount", "奖补金额")
    rows = []
    for kind, amount, note in fundings:
        if kind not in FundingKind.values:
            raise ProjectError("资金来源不正确", fields=field_error("fundings", "不是可选的值"))
        rows.append((kind, money(amount, "fundings", "资金来源金额"), _text(note, "fundings", "说明", TITLE_MAX)))
    now = now or timezone.now()
    with transaction.atomic():
        _lock_village(request.village_id)
        request = ProjectRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != RequestState.PLANNED:
            raise ProjectConflict("只有已列入计划的需求才能立项")
        project = Project.objects.create(
            village_id=request.village_id, request=request, title=title, description=description, budget=budget,
            funding_source=funding_source, awarded_amount=awarded, created_at=now, created_by=actor)
        Funding.objects.bulk_create([Funding(project=project, kind=k, amount=a, note=n) for k, a, n in rows])
        ProjectEvent.objects.create(project=project, to_state=ProjectState.PLANNING, on=timezone.localtime(now).date(),
                                    at=now, actor=actor)
        _request_move(request, actor, RequestState.APPROVED, now, title)
        request.save(update_fields=["state"])
        if awarded is None:
            waiting = (VillageAward.objects.select_for_update().filter(village_id=request.village_id,
                                                                      project__isnull=True)
                       .order_by("awarded_at", "id").first())
            if waiting is not None:
                _award_take(waiting, project, actor, now)
    return project


def project_budget_change(*, actor: User, project: Project, budget: object, reason: str,
                          now: dt.datetime | None = None) -> Project:
    """A new budget, never below what is already spent; the change is kept in the project's history."""
    _keeper_check(actor, project.village)
    budget = money(budget, "budget", "预算")
    reason = _text(reason, "reason", "调整原因", REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(project)
        spent = _spent(project)
        if budget < spent:
            raise ProjectError(f"预算不能低于已支出的 {spent} 元", fields=field_error("budget", "低于已支出"))
        ProjectEvent.objects.create(project=project, from_state=project.state, to_state=project.state,
                                    on=timezone.localtime(now).date(), at=now, actor=actor,
                                    note=f"预算 {project.budget} 元 → {budget} 元：{reason}")
        project.budget = budget
        project.save(update_fields=["budget"])
    return project


def project_advance(*, actor: User, project: Project, on: dt.date | None = None, note: str = "",
                    now: dt.datetime | None = None) -> Project:
    """One step on: 规划中 → 实施中 (开工) → 已完工 → 已验收. Completion needs every milestone done."""
    _keeper_check(actor, project.village)
    note = _text(note, "note", "说明", REASON_MAX)
    now = now or timezone.now()
    on = on or timezone.localtime(now).date()
    with transaction.atomic():
        locked = _lock(project)
        nxt = project.next_state
        if nxt is None:
            raise ProjectConflict("项目已验收")
        if on > timezone.localtime(now).date():
            raise ProjectError("日期不能晚于今天", fields=field_error("on", "晚于今天"))
        # 开工 may be recorded late; completion follows the start and the last milestone, acceptance completion.
        last = locked.completed_on if nxt == ProjectState.ACCEPTED else locked.started_on
        if nxt == ProjectState.COMPLETED:
            done = project.milestones.aggregate(last=Max("done_on"))["last"]
            last = max(d for d in (last, done) if d is not None) if (last or done) else None
        if nxt != ProjectState.IN_PROGRESS and last is not None and on < last:
            raise ProjectError(f"日期不能早于上一步（{last:%Y-%m-%d}）", fields=field_error("on", "早于上一步"))
        fields = ["state"]
        if nxt == ProjectState.IN_PROGRESS:
            project.started_on = on
            fields.append("started_on")
        elif nxt == ProjectState.COMPLETED:
            if project.milestones.filter(done_on__isnull=True).exists():
                raise ProjectConflict("还有未完成的节点，不能完工")
            project.completed_on = on
            fields.append("completed_on")
        else:
            project.accepted_on = on
            fields.append("accepted_on")
        ProjectEvent.objects.create(project=project, from_state=project.state, to_state=nxt, on=on, at=now,
                                    actor=actor, note=note)
        project.state = nxt
        project.save(update_fields=fields)
    return project


def project_award(*, actor: User, project: Project, funding_source: str, awarded_amount: object,
                  now: dt.datetime | None = None) -> Project:
    """The funder's label and amount (the assessment's semi-annual ranking, a department), kept on the
    project with a history row. Called by the funder's own code, which has decided who may award."""
    source = _text(funding_source, "funding_source", "奖补来源", TITLE_MAX, required=True)
    amount = money(awarded_amount, "awarded_amount", "奖补金额")
    now = now or timezone.now()
    with transaction.atomic():
        _lock(project)
        ProjectEvent.objects.create(project=project, from_state=project.state, to_state=project.state,
                                    on=timezone.localtime(now).date(), at=now, actor=actor,
                                    note=f"奖补：{source} {amount} 元")
        project.funding_source, project.awarded_amount = source, amount
        project.save(update_fields=["funding_source", "awarded_amount"])
    return project


def _lock_village(village_id: int) -> None:
    """Awards and new projects of one village are handed over one at a time (``award_grant``,
    ``project_create``): neither misses the other."""
    Region.objects.select_for_update().filter(pk=village_id).only("id").first()


def _award_take(award: VillageAward, project: Project, actor: User, now: dt.datetime) -> None:
    project_award(actor=actor, project=project, funding_source=award.source, awarded_amount=award.amount, now=now)
    award.project, award.taken_at = project, now
    award.save(update_fields=["project", "taken_at"])


def award_grant(*, village: Region, source: str, amount: object, key: str, actor: User,
                now: dt.datetime | None = None) -> VillageAward:
    """Money a funder awards a village for its projects, decided by the funder's own code (the
    assessment's 积分换项目 ranking), recorded once for its ``key`` (granting it again answers the first
    record). The village's most urgent project waiting for funds — 规划中 or 实施中, no award yet, first
    in the plan's order (轻重缓急) — takes it at once (``project_award``); with none, it waits, shown on
    the village's pages, until the village sets up a project (``project_create``), which takes it."""
    if village.level != RegionLevel.VILLAGE:
        raise ProjectError("奖补须给一个村/社区", fields=field_error("village", "不是村/社区"))
    source = _text(source, "source", "奖补来源", TITLE_MAX, required=True)
    amount = money(amount, "amount", "奖补金额")
    key = _text(key, "key", "奖补编号", 100, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        _lock_village(village.pk)
        award, created = VillageAward.objects.get_or_create(
            key=key, defaults={"village": village, "source": source, "amount": amount, "awarded_at": now,
                               "awarded_by": actor})
        if not created:
            return award
        project = projects_waiting_for_funds(village).first()
        if project is not None:
            _award_take(award, project, actor, now)
    return award


# --- milestones ---------------------------------------------------------------------------------------


def milestone_add(*, actor: User, project: Project, name: str, planned_on: dt.date) -> Milestone:
    _keeper_check(actor, project.village)
    name = _text(name, "name", "节点名称", TITLE_MAX, required=True)
    if project.is_finished:
        raise ProjectConflict(f"项目{project.get_state_display()}，不能再添加节点")
    return Milestone.objects.create(project=project, name=name, planned_on=planned_on)


def milestone_done(*, actor: User, milestone: Milestone, done_on: dt.date, photos: Sequence[ProcessedPhoto] = (),
                   now: dt.datetime | None = None) -> Milestone:
    """A milestone reached, on a day not before the project started and not after today, with photos."""
    project = milestone.project
    _keeper_check(actor, project.village)
    _photos(photos)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(project)
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if milestone.done_on is not None:
            raise ProjectConflict("该节点已完成")
        if project.started_on is None:
            raise ProjectConflict("项目还未开工，节点不能完成", fields=field_error("done_on", "未开工"))
        if done_on < project.started_on:
            raise ProjectError(f"完成日期不能早于开工日期（{project.started_on:%Y-%m-%d}）",
                               fields=field_error("done_on", "早于开工"))
        if done_on > timezone.localtime(now).date():
            raise ProjectError("完成日期不能晚于今天", fields=field_error("done_on", "晚于今天"))
        milestone.done_on, milestone.done_at, milestone.done_by = done_on, now, actor
        milestone.save(update_fields=["done_on", "done_at", "done_by"])
        _attach(photos, f"milestone-{milestone.pk}", milestone=milestone)
    return milestone


# --- spending -----------------------------------------------------------------------------------------


def _spent(project: Project) -> int:
    return int(Spending.objects.filter(project=project, corrected_by__isnull=True)
               .aggregate(t=Sum("amount"))["t"] or 0)


def spending_record(*, actor: User, project: Project, amount: object, purpose: str, spent_on: dt.date,
                    photos: Sequence[ProcessedPhoto] = (), now: dt.datetime | None = None) -> Spending:
    """A payment, with its voucher photos. Refused on a finished project, before it started, or past
    the budget."""
    _keeper_check(actor, project.village)
    amount = money(amount, "amount", "支出金额")
    purpose = _text(purpose, "purpose", "用途", TITLE_MAX, required=True)
    _photos(photos)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(project)
        _spending_checks(project, spent_on, now)
        spent = _spent(project)
        if spent + amount > project.budget:
            raise ProjectError(f"支出合计将超过预算（预算 {project.budget} 元，已支出 {spent} 元），请先调整预算",
                               fields=field_error("amount", "超过预算"))
        row = Spending.objects.create(project=project, spent_on=spent_on, amount=amount, purpose=purpose,
                                      recorded_at=now, recorded_by=actor)
        _attach(photos, f"spending-{row.pk}", spending=row)
    return row


def _spending_checks(project: Project, spent_on: dt.date, now: dt.datetime) -> None:
    if project.is_finished:
        raise ProjectConflict(f"项目{project.get_state_display()}，不能再记支出")
    if project.started_on is None:
        raise ProjectConflict("项目还未开工，不能记支出")
    if spent_on < project.started_on or spent_on > timezone.localtime(now).date():
        raise ProjectError("支出日期应在开工日期和今天之间", fields=field_error("spent_on", "日期不正确"))


def spending_correct(*, actor: User, spending: Spending, amount: object, reason: str,
                     now: dt.datetime | None = None) -> Spending:
    """A new row standing for ``spending`` with the right amount (0 withdraws it), and the reason; the
    original stays, shown as corrected."""
    project = spending.project
    _keeper_check(actor, project.village)
    amount = money(amount, "amount", "更正后金额", allow_zero=True)
    reason = _text(reason, "reason", "更正原因", REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(project)
        if project.is_finished:
            raise ProjectConflict(f"项目{project.get_state_display()}，不能再更正支出")
        if Spending.objects.filter(corrects=spending).exists():
            raise ProjectConflict("该记录已被更正，请更正最新的记录")
        spent = _spent(project) - spending.amount
        if spent + amount > project.budget:
            raise ProjectError(f"支出合计将超过预算（预算 {project.budget} 元）",
                               fields=field_error("amount", "超过预算"))
        return Spending.objects.create(project=project, spent_on=spending.spent_on, amount=amount,
                                       purpose=spending.purpose, recorded_at=now, recorded_by=actor,
                                       corrects=spending, reason=reason)


# --- donations and labour -----------------------------------------------------------------------------


def donation_record(*, actor: User, project: Project, kind: str, donor_name: str = "",
                    resident: Resident | None = None, donor_note: str = "", amount: object = 0,
                    labour_days: object = 0, donated_on: dt.date, anonymous: bool = False,
                    now: dt.datetime | None = None) -> Donation:
    """捐款 (元) or 投工投劳 (人·天), from a resident of the register or anyone else by name."""
    _keeper_check(actor, project.village)
    if kind not in DonationKind.values:
        raise ProjectError("请选择捐款或投工投劳", fields=field_error("kind", "不是可选的值"))
    if resident is not None:
        donor_name = resident.name
    donor_name = _text(donor_name, "donor_name", "捐赠人", NAME_MAX, required=True)
    donor_note = _text(donor_note, "donor_note", "身份说明", NAME_MAX)
    if kind == DonationKind.MONEY:
        amount, labour_days = money(amount, "amount", "捐款金额"), 0
    else:
        amount, labour_days = 0, _whole(labour_days, "labour_days", "投工天数", 1, MAX_LABOUR_DAYS)
    now = now or timezone.now()
    if donated_on > timezone.localtime(now).date():
        raise ProjectError("日期不能晚于今天", fields=field_error("donated_on", "晚于今天"))
    return Donation.objects.create(project=project, kind=kind, donor_name=donor_name, resident=resident,
                                   donor_note=donor_note, anonymous=anonymous, amount=amount,
                                   labour_days=labour_days, donated_on=donated_on, recorded_at=now,
                                   recorded_by=actor)


def donation_correct(*, actor: User, donation: Donation, reason: str, amount: object = None,
                     labour_days: object = None, anonymous: bool | None = None,
                     now: dt.datetime | None = None) -> Donation:
    """A new row standing for ``donation`` (the right amount or days, 0 withdraws it; or the donor's
    wish to be shown as 匿名), with the reason; the original stays, shown as corrected."""
    _keeper_check(actor, donation.project.village)
    reason = _text(reason, "reason", "更正原因", REASON_MAX, required=True)
    new_amount = donation.amount if amount is None else money(amount, "amount", "更正后金额", allow_zero=True)
    new_days = (donation.labour_days if labour_days is None
                else _whole(labour_days, "labour_days", "投工天数", 0, MAX_LABOUR_DAYS))
    if donation.kind == DonationKind.MONEY:
        new_days = 0
    else:
        new_amount = 0
    now = now or timezone.now()
    with transaction.atomic():
        Donation.objects.select_for_update().filter(pk=donation.pk).first()
        if Donation.objects.filter(corrects=donation).exists():
            raise ProjectConflict("该记录已被更正，请更正最新的记录")
        return Donation.objects.create(
            project_id=donation.project_id, kind=donation.kind, donor_name=donation.donor_name,
            resident_id=donation.resident_id, donor_note=donation.donor_note,
            anonymous=donation.anonymous if anonymous is None else anonymous, amount=new_amount,
            labour_days=new_days, donated_on=donation.donated_on, recorded_at=now, recorded_by=actor,
            corrects=donation, reason=reason)
