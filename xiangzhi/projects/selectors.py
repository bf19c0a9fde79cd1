"""Every read of village projects, scoped: keepers see the villages their region covers, a villager
his own household's requests; the public reads a village's plan and projects without login (names
of donors as they chose, nothing else personal). The same 404 answers "does not exist" and "not yours"."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, Sum

from xiangzhi.accounts.models import User
from xiangzhi.accounts.scope import get_in_scope_or_404, scope_of
from xiangzhi.core.errors import NotFound
from xiangzhi.people.models import Household
from xiangzhi.projects.models import (
    Donation,
    Milestone,
    Photo,
    Project,
    ProjectPlan,
    ProjectRequest,
    ProjectState,
    RequestState,
    Spending,
    VillageAward,
)
from xiangzhi.projects.rules import can_keep
from xiangzhi.regions.models import Region, RegionLevel

# A plan's stated order (轻重缓急): urgency class, then the number of households asking, then the
# date asked, then the id (two asked in the same second).
PLAN_ORDER = ("urgency", "-households", "submitted_at", "id")


def _keeper_q(user: User, prefix: str = "") -> Q:
    if not can_keep(user):
        return Q(pk__in=[])
    return scope_of(user).q(f"{prefix}path")


def covers_village(user: User, village: Region) -> bool:
    return can_keep(user) and scope_of(user).covers_path(village.path)


def home_village(user: User) -> Region | None:
    """The village of the villager's household."""
    if not user.household_id:
        return None
    village_id = Household.objects.filter(pk=user.household_id).values_list("grid__region_id", flat=True).first()
    if village_id is None:
        return None
    return Region.objects.defer("boundary").filter(pk=village_id).first()


def village_list_for_user(user: User) -> QuerySet[Region]:
    return (Region.objects.filter(_keeper_q(user), level=RegionLevel.VILLAGE).defer("boundary")
            .order_by("path"))


def village_get_for_user(user: User, code: str) -> Region:
    return get_in_scope_or_404(village_list_for_user(user), Q(), code=code)


def public_village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None:
        raise NotFound()
    return village


# --- requests and plans ---------------------------------------------------------------------------


def request_list_for_user(user: User, *, village: Region | None = None) -> QuerySet[ProjectRequest]:
    q = _keeper_q(user, "village__")
    if user.household_id:
        q |= Q(household_id=user.household_id)
    qs = ProjectRequest.objects.filter(q).select_related("village", "plan").defer("village__boundary")
    if village is not None:
        qs = qs.filter(village=village)
    return qs.order_by(*PLAN_ORDER)


def request_get_for_user(user: User, request_id: int) -> ProjectRequest:
    return get_in_scope_or_404(request_list_for_user(user), Q(), pk=request_id)


def request_get_to_keep(user: User, request_id: int) -> ProjectRequest:
    """A request the user keeps (not merely one he asked)."""
    return get_in_scope_or_404(ProjectRequest.objects.select_related("village").defer("village__boundary"),
                               _keeper_q(user, "village__"), pk=request_id)


def plan_items(plan: ProjectPlan) -> QuerySet[ProjectRequest]:
    """The plan's requests in its stated order, each with its project if one was made."""
    return (plan.requests.exclude(state=RequestState.DECLINED).select_related("project")
            .order_by(*PLAN_ORDER))


def plan_for_village(village: Region, year: int) -> ProjectPlan | None:
    return ProjectPlan.objects.filter(village=village, year=year).first()


def plan_list_for_user(user: User, *, village: Region | None = None) -> QuerySet[ProjectPlan]:
    qs = ProjectPlan.objects.filter(_keeper_q(user, "village__")).select_related("village").defer("village__boundary")
    return qs.filter(village=village) if village is not None else qs


def plan_get_for_user(user: User, plan_id: int) -> ProjectPlan:
    return get_in_scope_or_404(plan_list_for_user(user), Q(), pk=plan_id)


# --- projects -------------------------------------------------------------------------------------


def live_spendings() -> QuerySet[Spending]:
    """Spending rows no later row corrects (a correction of 0 元 withdraws the row)."""
    return Spending.objects.filter(corrected_by__isnull=True)


def live_donations() -> QuerySet[Donation]:
    return Donation.objects.filter(corrected_by__isnull=True)


def spent_total(project: Project) -> int:
    return int(live_spendings().filter(project=project).aggregate(t=Sum("amount"))["t"] or 0)


@dataclass(frozen=True)
class Totals:
    spent: int
    donated: int
    labour_days: int
    donors: int


def totals_of(project_ids: Iterable[int]) -> dict[int, Totals]:
    """Spent, donated money and labour days per project, in two queries whatever their number."""
    ids = list(project_ids)
    spent = dict(live_spendings().filter(project_id__in=ids).values("project_id")
                 .annotate(t=Sum("amount")).values_list("project_id", "t"))
    given = {r["project_id"]: r for r in live_donations().filter(project_id__in=ids).values("project_id")
             .annotate(m=Sum("amount"), d=Sum("labour_days"))}
    donors: dict[int, int] = {}
    for pid, in live_donations().filter(project_id__in=ids).exclude(amount=0, labour_days=0).values_list("project_id"):
        donors[pid] = donors.get(pid, 0) + 1
    return {pid: Totals(spent=int(spent.get(pid) or 0), donated=int((given.get(pid) or {}).get("m") or 0),
                        labour_days=int((given.get(pid) or {}).get("d") or 0), donors=donors.get(pid, 0))
            for pid in ids}


def project_list_for_user(user: User, *, village: Region | None = None) -> QuerySet[Project]:
    qs = Project.objects.filter(_keeper_q(user, "village__")).select_related("village").defer("village__boundary")
    return qs.filter(village=village) if village is not None else qs


def project_get_for_user(user: User, project_id: int) -> Project:
    return get_in_scope_or_404(project_list_for_user(user), Q(), pk=project_id)


def project_detail(project: Project) -> Project:
    """The project with its milestones (and their photos), fundings, ledgers and history, prefetched."""
    return (Project.objects.select_related("village", "request").defer("village__boundary")
            .prefetch_related(Prefetch("milestones", Milestone.objects.prefetch_related("photos")),
                              "fundings", Prefetch("spendings", Spending.objects.prefetch_related("photos")
                                                   .select_related("corrects", "recorded_by")),
                              Prefetch("donations", Donation.objects.select_related("corrects")),
                              "events")
            .get(pk=project.pk))


def project_list_public(village: Region) -> QuerySet[Project]:
    """Every project of the village, for its public page (projects are made public as they are set up)."""
    return (Project.objects.filter(village=village).select_related("village").defer("village__boundary")
            .order_by("-created_at", "-id")
            .prefetch_related(Prefetch("milestones", Milestone.objects.prefetch_related("photos")), "fundings"))


def project_get_public(village: Region, project_id: int) -> Project:
    project = Project.objects.filter(village=village, pk=project_id).first()
    if project is None:
        raise NotFound()
    return project_detail(project)


def donation_list_public(project: Project) -> list[Donation]:
    """Standing gifts, names as the donor chose; nothing else about the donor."""
    return list(live_donations().filter(project=project).exclude(amount=0, labour_days=0)
                .order_by("donated_on", "id"))


def projects_waiting_for_funds(village: Region) -> QuerySet[Project]:
    """The village's projects an award would go to: not finished (规划中, 实施中) and with no award yet,
    most urgent first — the plan's order of their requests."""
    return (Project.objects.filter(village=village, state__in=(ProjectState.PLANNING, ProjectState.IN_PROGRESS),
                                   awarded_amount__isnull=True)
            .order_by(*(f"-request__{k[1:]}" if k.startswith("-") else f"request__{k}" for k in PLAN_ORDER)))


def awards_waiting(village: Region) -> list[VillageAward]:
    """Awards to the village no project has taken yet, oldest first: shown on its pages until one does."""
    return list(VillageAward.objects.filter(village=village, project__isnull=True).order_by("awarded_at", "id"))


def plan_list_public(village: Region) -> QuerySet[ProjectPlan]:
    return ProjectPlan.objects.filter(village=village).order_by("-year")


def photo_get_for_user(user: User, photo_id: int) -> Photo:
    """A milestone's photo is public with its project; a request's or a voucher's only for its keepers
    (and a request's photo for the household that sent it)."""
    photo = Photo.objects.select_related("request__village", "spending__project__village").filter(pk=photo_id).first()
    if photo is None:
        raise NotFound()
    if photo.milestone_id:
        return photo
    own = getattr(user, "household_id", None)  # an anonymous visitor has none
    if photo.request is not None:
        if covers_village(user, photo.request.village) or (own is not None and photo.request.household_id == own):
            return photo
    elif photo.spending is not None and covers_village(user, photo.spending.project.village):
        return photo
    raise NotFound()


