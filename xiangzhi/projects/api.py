import datetime as dt

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.projects import selectors, services
from xiangzhi.projects.models import Donation, Milestone, Project, ProjectRequest, Spending
from xiangzhi.projects.rules import can_keep, can_submit
from xiangzhi.regions.models import Region, RegionLevel

router = Router(tags=["村级项目"])


# --- schemas ----------------------------------------------------------------------------------------


class RequestOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    title: str
    place: str
    reason: str
    urgency: int = Field(..., description="轻重缓急：1 紧急，2 重要，3 一般，4 可缓")
    urgency_name: str = Field(..., alias="get_urgency_display")
    households: int
    source: str
    state: str
    state_name: str = Field(..., alias="get_state_display")
    plan_year: int | None = Field(None, alias="plan.year")
    decline_reason: str
    submitted_at: dt.datetime


class RequestIn(Schema):
    village: str = Field(..., description="村/社区区划代码（村民只能为本村提）")
    title: str = Field(..., max_length=services.TITLE_MAX)
    place: str = Field("", max_length=services.TITLE_MAX)
    reason: str = Field("", max_length=services.TEXT_MAX)
    urgency: int = 3
    households: int = Field(1, description="提出户数（村民本人提出时为 1）")


class PlanIn(Schema):
    year: int | None = None
    urgency: int | None = None


class ReasonIn(Schema):
    reason: str


class PlanOut(Schema):
    id: int
    village: str
    year: int
    items: list[RequestOut]


class FundingOut(Schema):
    kind: str
    kind_name: str = Field(..., alias="get_kind_display")
    amount: int
    note: str


class MilestoneOut(Schema):
    id: int
    name: str
    planned_on: dt.date
    done_on: dt.date | None


class ProjectOut(Schema):
    id: int
    village: str
    request: int
    title: str
    description: str
    budget: int = Field(..., description="预算（元）")
    spent: int = Field(..., description="已支出（元），不含被更正的记录")
    donated: int
    labour_days: int
    funding_source: str
    awarded_amount: int | None
    state: str
    state_name: str = Field(..., alias="get_state_display")
    started_on: dt.date | None
    completed_on: dt.date | None
    accepted_on: dt.date | None
    fundings: list[FundingOut]
    milestones: list[MilestoneOut]


class FundingIn(Schema):
    kind: str = Field(..., description="award 上级奖补 / collective 村集体 / donation 捐款 / other 其他")
    amount: int
    note: str = ""


class ProjectIn(Schema):
    request: int
    title: str = ""
    description: str = ""
    budget: int = Field(..., description="预算（元，整数）")
    fundings: list[FundingIn] = []


class AdvanceIn(Schema):
    on: dt.date | None = None
    note: str = ""


class MilestoneIn(Schema):
    name: str
    planned_on: dt.date


class MilestoneDoneIn(Schema):
    done_on: dt.date


class SpendingIn(Schema):
    amount: int = Field(..., description="金额（元，整数）")
    purpose: str
    spent_on: dt.date


class SpendingOut(Schema):
    id: int
    spent_on: dt.date
    amount: int
    purpose: str
    corrects: int | None = Field(None, alias="corrects_id")
    reason: str


class DonationIn(Schema):
    kind: str = Field(..., description="money 捐款 / labour 投工投劳")
    donor_name: str
    donor_note: str = ""
    amount: int = 0
    labour_days: int = 0
    donated_on: dt.date
    anonymous: bool = False


class DonationOut(Schema):
    id: int
    kind: str
    donor_name: str
    donor_note: str
    anonymous: bool
    amount: int
    labour_days: int
    donated_on: dt.date
    corrects: int | None = Field(None, alias="corrects_id")
    reason: str


class PublicDonationOut(Schema):
    kind: str
    donor: str = Field(..., alias="public_name", description="捐赠人（本人要求时为“匿名”）")
    amount: int
    labour_days: int
    donated_on: dt.date


class PublicProjectOut(ProjectOut):
    donations: list[PublicDonationOut]


def _out(project: Project) -> dict:
    totals = selectors.totals_of([project.pk])[project.pk]
    return {**{f: getattr(project, f) for f in (
        "id", "title", "description", "budget", "funding_source", "awarded_amount", "state",
        "started_on", "completed_on", "accepted_on")},
        "village": project.village.code, "request": project.request_id,
        "get_state_display": project.get_state_display(), "spent": totals.spent, "donated": totals.donated,
        "labour_days": totals.labour_days, "fundings": list(project.fundings.all()),
        "milestones": list(project.milestones.all())}


def _village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    return village


# --- requests and plans -------------------------------------------------------------------------------


@router.get("/requests", response=list[RequestOut])
def request_list(request, village: str | None = None):
    """Keepers: their villages' requests in plan order; a villager: his household's."""
    require(can_submit(request.user))
    qs = selectors.request_list_for_user(request.user)
    if village:
        qs = qs.filter(village__code=village)
    return list(qs[:500])


@router.post("/requests", response={201: RequestOut})
def request_create(request, payload: RequestIn):
    row = services.request_submit(actor=request.user, village=_village(payload.village), title=payload.title,
                                  place=payload.place, reason=payload.reason, urgency=payload.urgency,
                                  households=payload.households)
    return Status(201, ProjectRequest.objects.select_related("village", "plan").get(pk=row.pk))


@router.post("/requests/{request_id}/plan", response=RequestOut)
def request_plan(request, request_id: int, payload: PlanIn):
    require(can_keep(request.user))
    row = selectors.request_get_to_keep(request.user, request_id)
    return services.request_plan(actor=request.user, request=row, year=payload.year, urgency=payload.urgency)


@router.post("/requests/{request_id}/decline", response=RequestOut)
def request_decline(request, request_id: int, payload: ReasonIn):
    require(can_keep(request.user))
    row = selectors.request_get_to_keep(request.user, request_id)
    return services.request_decline(actor=request.user, request=row, reason=payload.reason)


@router.get("/plans", response=PlanOut)
def plan_get(request, village: str, year: int | None = None):
    """A village's plan for a year (this year by default), its requests in the stated order."""
    require(can_keep(request.user))
    region = selectors.village_get_for_user(request.user, village)
    plan = selectors.plan_for_village(region, year or timezone.localdate().year)
    if plan is None:
        raise NotFound()
    return {"id": plan.pk, "village": region.code, "year": plan.year, "items": list(selectors.plan_items(plan))}


# --- projects -----------------------------------------------------------------------------------------


@router.get("", response=list[ProjectOut])
def project_list(request, village: str | None = None):
    require(can_keep(request.user))
    qs = selectors.project_list_for_user(request.user).prefetch_related("fundings", "milestones")
    if village:
        qs = qs.filter(village__code=village)
    return [_out(p) for p in qs[:200]]


@router.post("", response={201: ProjectOut})
def project_create(request, payload: ProjectIn):
    require(can_keep(request.user))
    row = selectors.request_get_to_keep(request.user, payload.request)
    fundings = [(f.kind, f.amount, f.note) for f in payload.fundings]
    project = services.project_create(actor=request.user, request=row, title=payload.title,
                                      description=payload.description, budget=payload.budget, fundings=fundings)
    return Status(201, _out(project))


@router.get("/public/{village_code}", response=list[PublicProjectOut], auth=None)
def project_list_public(request, village_code: str):
    """Anyone: a village's projects with milestones, budget against spending and donations (names as the
    donors chose)."""
    village = selectors.public_village(village_code)
    return [{**_out(p), "donations": selectors.donation_list_public(p)}
            for p in selectors.project_list_public(village)]


def _project(request, project_id: int) -> Project:
    require(can_keep(request.user))
    return selectors.project_get_for_user(request.user, project_id)


@router.get("/{project_id}", response=ProjectOut)
def project_get(request, project_id: int):
    return _out(_project(request, project_id))


@router.post("/{project_id}/advance", response=ProjectOut)
def project_advance(request, project_id: int, payload: AdvanceIn):
    project = services.project_advance(actor=request.user, project=_project(request, project_id), on=payload.on,
                                       note=payload.note)
    return _out(project)


@router.post("/{project_id}/milestones", response={201: MilestoneOut})
def milestone_add(request, project_id: int, payload: MilestoneIn):
    return Status(201, services.milestone_add(actor=request.user, project=_project(request, project_id),
                                              name=payload.name, planned_on=payload.planned_on))


@router.post("/{project_id}/milestones/{milestone_id}/done", response=MilestoneOut)
def milestone_done(request, project_id: int, milestone_id: int, payload: MilestoneDoneIn):
    project = _project(request, project_id)
    milestone = Milestone.objects.filter(project=project, pk=milestone_id).first()
    if milestone is None:
        raise NotFound()
    return services.milestone_done(actor=request.user, milestone=milestone, done_on=payload.done_on)


@router.get("/{project_id}/spending", response=list[SpendingOut])
def spending_list(request, project_id: int):
    return list(Spending.objects.filter(project=_project(request, project_id)))


@router.post("/{project_id}/spending", response={201: SpendingOut})
def spending_record(request, project_id: int, payload: SpendingIn):
    return Status(201, services.spending_record(actor=request.user, project=_project(request, project_id),
                                                amount=payload.amount, purpose=payload.purpose,
                                                spent_on=payload.spent_on))


@router.get("/{project_id}/donations", response=list[DonationOut])
def donation_list(request, project_id: int):
    return list(Donation.objects.filter(project=_project(request, project_id)))


@router.post("/{project_id}/donations", response={201: DonationOut})
def donation_record(request, project_id: int, payload: DonationIn):
    return Status(201, services.donation_record(
        actor=request.user, project=_project(request, project_id), kind=payload.kind, donor_name=payload.donor_name,
        donor_note=payload.donor_note, amount=payload.amount, labour_days=payload.labour_days,
        donated_on=payload.donated_on, anonymous=payload.anonymous))

