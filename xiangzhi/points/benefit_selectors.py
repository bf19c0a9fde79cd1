"""积分优先, read: the points each household earned in a benefit's basis period, the ranked list of
eligible households (live while the benefit is open, the list kept at closing once closed), the
benefits a user manages or anyone with the village's link may read, where a household stands in
its village's latest benefits, and the 核验码 of a closed list (its digest, recomputed on every view).
Publishing and closing are ``points.benefits``; other apps read these through ``points.selectors``,
which re-exports them."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet, Sum

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.lib import hashchain
from xiangzhi.people.models import Household
from xiangzhi.points.models import BenefitState, PointsBenefit, PointsBenefitRow, PointsEntry, ReviewDecision
from xiangzhi.points.notice_selectors import CATEGORISED_KINDS, mask_name
from xiangzhi.points.rules import can_publish_benefits
from xiangzhi.regions.models import Region, RegionLevel


@dataclass(frozen=True)
class BenefitRow:
    """An eligible household of a benefit: its points earned in the basis period, its place in the
    ranking (1, 2, 3… — ties broken by household number) and whether it is within the places."""

    household_id: int
    number: str
    head_name: str
    points: int
    position: int
    priority: bool

    @property
    def masked_name(self) -> str:
        return mask_name(self.head_name)


def benefit_points(village: Region, start: dt.date, end: dt.date) -> dict[int, int]:
    """Points each household earned by its conduct in the village from ``start`` to ``end`` (approved
    records, awards and corrections, less their reversals). Redemptions do not count against it."""
    return dict(
        PointsEntry.objects.filter(village_id=village.pk, review__decision=ReviewDecision.APPROVED,
                                   kind__in=CATEGORISED_KINDS, occurred_on__range=(start, end))
        .order_by().values("household_id").annotate(t=Sum("points")).values_list("household_id", "t")
    )


def benefit_rows_compute(benefit: PointsBenefit) -> list[BenefitRow]:
    """The ranked list from the ledger as it stands: households of the village now whose points in
    the basis period reach the threshold, by points (highest first), ties by household number; the
    first ``places`` are 优先."""
    totals = {hid: t for hid, t in
              benefit_points(benefit.village, benefit.basis_start, benefit.basis_end).items()
              if t >= benefit.threshold}
    households = (Household.objects.filter(grid__region_id=benefit.village_id, pk__in=list(totals))
                  .values_list("pk", "number", "head_name"))
    ranked = sorted(households, key=lambda h: (-totals[h[0]], h[1]))
    return [BenefitRow(household_id=pk, number=number, head_name=head, points=totals[pk], position=i,
                       priority=i <= benefit.places)
            for i, (pk, number, head) in enumerate(ranked, start=1)]


def benefit_eligible_households(benefit: PointsBenefit) -> list[BenefitRow]:
    """The benefit's ranked list: live while it is open, the list kept at closing once closed."""
    if benefit.state == BenefitState.CLOSED:
        return [BenefitRow(household_id=r.household_id, number=r.number, head_name=r.head_name, points=r.points,
                           position=r.position, priority=r.priority)
                for r in PointsBenefitRow.objects.filter(benefit=benefit).order_by("position")]
    return benefit_rows_compute(benefit)


def _document(benefit: PointsBenefit, rows: Iterable[BenefitRow | PointsBenefitRow]) -> dict[str, Any]:
    """What a closed list's digest covers: the benefit and the terms it was ranked by, and every row of
    the list in its order as (household number, points, place, 优先). Names are left out: the public
    list shows them masked, and whoever checks a posted list by hand reads numbers."""
    return {
        "benefit": benefit.pk, "village": benefit.village.code, "kind": benefit.kind, "title": benefit.title,
        "places": benefit.places, "threshold": benefit.threshold, "basis": [benefit.basis_start, benefit.basis_end],
        "closed_at": benefit.closed_at,
        "rows": [[r.number, r.points, r.position, r.priority] for r in rows],
    }


def benefit_digest(benefit: PointsBenefit, rows: Iterable[BenefitRow | PointsBenefitRow]) -> str:
    """SHA-256 (hex) of the benefit's terms and ``rows`` in their order (``lib.hashchain.digest``)."""
    return hashchain.digest(_document(benefit, rows))


@dataclass
class BenefitCheck:
    """A closed list checked against the digest stored at closing: ``problems`` is empty when it holds."""

    digest: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def benefit_verify(benefit: PointsBenefit) -> BenefitCheck | None:
    """Recompute the digest of a closed benefit from the rows kept at closing and compare it with the
    one stored then; None for an open benefit (its list is not fixed yet, so it has no 核验码)."""
    if benefit.state != BenefitState.CLOSED:
        return None
    rows = PointsBenefitRow.objects.filter(benefit=benefit).order_by("position")
    check = BenefitCheck(digest=benefit_digest(benefit, rows))
    if not benefit.content_hash:
        check.problems.append("名单截止时的核验码缺失")
    elif check.digest != benefit.content_hash:
        check.problems.append("名单与截止时的核验码不符：截止后名单或事项条件被改动")
    return check


def benefit_village_list_for_user(user: User) -> list[Region]:
    """Villages whose benefits the user may publish and manage."""
    if not can_publish_benefits(user):
        return []
    return list(scope_of(user).filter(Region.objects.filter(level=RegionLevel.VILLAGE), "path")
                .defer("boundary").order_by("code"))


def benefit_list_for_user(user: User) -> QuerySet[PointsBenefit]:
    """Benefits of the villages the user manages (none for other roles)."""
    if not can_publish_benefits(user):
        return PointsBenefit.objects.none()
    return (scope_of(user).filter(PointsBenefit.objects.all(), "village__path")
            .select_related("village", "published_by").defer("village__boundary"))


def benefit_get_for_user(user: User, benefit_id: int) -> PointsBenefit:
    benefit = benefit_list_for_user(user).filter(pk=benefit_id).first()
    if benefit is None:
        raise NotFound()
    return benefit


READERS_ONLY = "只有本村村民、村两委、积分管理员和乡镇积分管理人员可以查看积分优先事项"


def benefit_list_readable(user: User) -> QuerySet[PointsBenefit]:
    """Benefits the user may read: those they manage (``benefit_list_for_user``), or for a villager his
    own household's village's, as its public page shows them. Other roles are refused."""
    if can_publish_benefits(user):
        return benefit_list_for_user(user)
    if user.role != Role.RESIDENT:
        raise Forbidden(READERS_ONLY)
    village_id = None  # a villager without a household reads none
    if user.household_id is not None:
        village_id = Household.objects.filter(pk=user.household_id).values_list("grid__region_id", flat=True).first()
    return (PointsBenefit.objects.filter(village_id=village_id)
            .select_related("village", "published_by").defer("village__boundary"))


def benefit_get_readable(user: User, benefit_id: int) -> PointsBenefit:
    """One benefit the user may read; the same ``NotFound`` for one that does not exist and one that
    is not theirs."""
    benefit = benefit_list_readable(user).filter(pk=benefit_id).first()
    if benefit is None:
        raise NotFound()
    return benefit


def benefit_list_public(village: Region) -> QuerySet[PointsBenefit]:
    """A village's benefits for anyone with its link, newest first."""
    return PointsBenefit.objects.filter(village=village).order_by("-opens_on", "-pk")


def benefit_get_public(village: Region, benefit_id: int) -> PointsBenefit:
    benefit = PointsBenefit.objects.filter(village=village, pk=benefit_id).select_related("village").first()
    if benefit is None:
        raise NotFound()
    return benefit


@dataclass(frozen=True)
class BenefitStanding:
    benefit: PointsBenefit
    row: BenefitRow | None
    points: int | None  # None: closed, and the household was not on the list kept at closing


def benefit_standing_for_household(household: Household, *, limit: int = 10) -> list[BenefitStanding]:
    """The village's latest benefits and where the household stands in each: its row (eligible,
    with its place and whether it has priority) or None, and its points in the basis period."""
    out = []
    for benefit in benefit_list_public(household.grid.region)[:limit]:
        rows = benefit_eligible_households(benefit)
        row = next((r for r in rows if r.household_id == household.pk), None)
        if row is not None:
            points = row.points
        elif benefit.state == BenefitState.CLOSED:
            points = None
        else:
            points = benefit_points(benefit.village, benefit.basis_start, benefit.basis_end).get(household.pk) or 0
        out.append(BenefitStanding(benefit=benefit, row=row, points=points))
    return out
