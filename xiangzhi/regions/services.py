import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from shapely.geometry import MultiPolygon, Polygon

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.rules import can_manage_grids
from xiangzhi.accounts.scope import scope_of
from xiangzhi.accounts.services import account_create_for_staff, phone_clean
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.core.sms import GatewayError, sms_send
from xiangzhi.lib.geometry import (
    BoundaryError,
    area_m2,
    area_text,
    outside_part,
    overlapping_parts,
    parse_boundary,
    to_geojson,
)
from xiangzhi.regions.models import Grid, GridAssignment, GridBoundaryRevision, GridDuty, Liaison, Region
from xiangzhi.regions.rules import (
    TIER_LEVEL,
    can_assign_tier,
    can_edit_boundaries,
    can_edit_boundary,
    can_manage_liaison,
)
from xiangzhi.regions.selectors import boundary_surroundings, grid_index_invalidate, liaison_candidates

logger = logging.getLogger("xiangzhi.regions")


class GridError(Invalid):
    """A grid's boundary or place in the tree refused, with the reason in Chinese."""


def region_path(parent: Region | None, code: str) -> str:
    return f"{parent.path if parent else '/'}{code}/"


def grid_path(region: Region, parent: Grid | None, code: str) -> str:
    """A grid's place in the tree: below its parent grid, or directly below its region."""
    return f"{parent.path if parent else region.path}{code}/"


def boundary_center(geom: Polygon | MultiPolygon) -> tuple[float, float]:
    """(lon, lat) of a point inside the boundary, where the map puts the grid's label."""
    point = geom.representative_point()
    return round(point.x, 6), round(point.y, 6)


def grid_next_code(*, region: Region, parent: Grid | None) -> str:
    """Stable codes below the village: village code + 3 digits; a micro-grid adds 2 digits."""
    base, width = (parent.code, 2) if parent else (region.code, 3)
    siblings = Grid.objects.filter(region=region, parent=parent, code__startswith=base)
    last = siblings.aggregate(m=Max("code"))["m"]
    seq = int(last[len(base):]) + 1 if last and last[len(base):].isdigit() else 1
    if seq >= 10**width:
        raise GridError("该区域下的网格编号已用完")
    return f"{base}{seq:0{width}d}"


@transaction.atomic
def grid_create(
    *, region: Region, name: str, level: int = 3, parent: Grid | None = None, boundary: dict[str, Any] | None = None,
    code: str | None = None,
) -> Grid:
    if parent is not None and parent.region_id != region.id:
        raise GridError("上级网格不属于同一区域")
    grid = Grid(region=region, name=name, level=level, parent=parent)
    grid.code = code or grid_next_code(region=region, parent=parent)
    if Grid.objects.filter(code=grid.code).exists():
        raise GridError(f"网格编码 {grid.code} 已存在")
    grid.path = grid_path(region, parent, grid.code)
    if boundary is not None:
        geom = parse_boundary(boundary)
        grid.boundary = boundary
        grid.center_lon, grid.center_lat = boundary_center(geom)
    grid.save()
    transaction.on_commit(grid_index_invalidate)
    return grid


class BoundaryRefused(GridError):
    """A redrawn boundary refused. Each of ``fields`` is one problem (``problem``: invalid, outside,
    overlap) with ``geometry``, the offending place as GeoJSON (the crossing point, the part outside,
    the overlap), which the map page draws."""

    code = "boundary_refused"


def _problem(problem: str, message: str, geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"field": "boundary", "problem": problem, "message": message, "geometry": geometry}


def boundary_problems(grid: Grid, boundary: object) -> tuple[Polygon | MultiPolygon | None, list[dict[str, Any]]]:
    """The boundary parsed, and what is wrong with it where it stands: not a valid polygon; a part
    outside the village (or the parent grid) beyond the tolerance; an overlap with a sibling grid beyond
    the tolerance (``lib.geometry.TOLERANCE_M2``, ``TOLERANCE_SHARE``)."""
    try:
        geom = parse_boundary(boundary)
    except BoundaryError as exc:
        return None, [_problem("invalid", str(exc), exc.geometry)]
    around = boundary_surroundings(grid)
    problems = []
    if around.container is not None and (outside := outside_part(geom, around.container)) is not None:
        message = f"边界有 {area_text(area_m2(outside))} 超出了{around.container_name}的范围"
        problems.append(_problem("outside", message, to_geojson(outside)))
    for neighbour, overlap in overlapping_parts(geom, around.neighbours):
        problems.append(_problem(
            "overlap", f"边界与{neighbour.name}重叠 {area_text(area_m2(overlap))}", to_geojson(overlap)))
    return geom, problems


def grid_set_boundary(
    *, grid: Grid, boundary: dict[str, Any], actor: User | None = None, reason: str = "",
) -> GridBoundaryRevision:
    """Redraws a grid's boundary and keeps the revision (before, after, who, when, why). With ``actor``
    (a page or the API) only a boundary editor over the grid may, and must say why. Refused with every
    problem and its geometry (``BoundaryRefused``); nothing is written then. Boundary changes of one
    village are made one at a time: each is checked against the others' results."""
    if actor is not None:
        require(can_edit_boundaries(actor), "只有村两委、乡镇（街道）和县级管理人员可以修改网格边界")
        if not can_edit_boundary(actor, grid):
            raise NotFound()
    reason = text(reason, "reason", "修改原因", 200, required=actor is not None, error=GridError)
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=grid.region_id).first()
        locked = Grid.objects.select_for_update().select_related("region").get(pk=grid.pk)
        geom, problems = boundary_problems(locked, boundary)
        if problems or geom is None:
            raise BoundaryRefused("；".join(p["message"] for p in problems), fields=problems)
        revision = GridBoundaryRevision.objects.create(
            grid=locked, before=locked.boundary, after=boundary, actor=actor, at=timezone.now(), reason=reason)
        locked.boundary = boundary
        locked.center_lon, locked.center_lat = boundary_center(geom)
        locked.save(update_fields=["boundary", "center_lon", "center_lat", "updated_at"])
        transaction.on_commit(grid_index_invalidate)
    grid.boundary, grid.center_lon, grid.center_lat = locked.boundary, locked.center_lon, locked.center_lat
    grid.updated_at = locked.updated_at
    return revision


# --- staffing ----------------------------------------------------------------------------------

# The account role each duty takes: a chief is a 网格长 account, a worker (full or part time) a 网格员,
# a guide a 网格指导员.
DUTY_ROLE = {
    GridDuty.CHIEF: Role.GRID_CHIEF,
    GridDuty.FULL_TIME: Role.GRID_WORKER,
    GridDuty.PART_TIME: Role.GRID_WORKER,
    GridDuty.GUIDE: Role.GRID_GUIDE,
}
GUIDE_MAX_GRIDS = 2


class StaffingError(Invalid):
    """An assignment refused, with the reason in Chinese."""


class StaffingConflict(StaffingError, Conflict):
    """An assignment refused because of who already works the grid."""


def _require_manager(actor: User | None, grid: Grid) -> None:
    if actor is None:
        return
    require(can_manage_grids(actor), "只有县级管理员和乡镇（街道）综治中心可以安排网格人员")
    if not scope_of(actor).covers_path(grid.path):
        raise NotFound()


@transaction.atomic
def grid_assign(
    *, grid: Grid, user: User, duty: str, started_on: dt.date | None = None, actor: User | None = None,
) -> GridAssignment:
    """Puts ``user`` on ``grid`` in ``duty``. With ``actor`` (a page or the API), only a grid manager
    over the grid may. Refused: an unknown duty, an account whose role does not fit the duty, a second
    active chief, a guide on a third grid, the same person in the same duty twice."""
    _require_manager(actor, grid)
    if duty not in GridDuty.values:
        raise StaffingError(f"未知的网格职责：{duty}", fields=field_error("duty", "职责不正确"))
    duty_label = GridDuty(duty).label
    if user.role != DUTY_ROLE[GridDuty(duty)]:
        raise StaffingError(
            f"{user}的账号角色是“{user.get_role_display()}”，不能担任{duty_label}",
            fields=field_error("user", "角色与职责不符"),
        )
    if not grid.is_active:
        raise StaffingError("该网格已停用，不能安排人员")
    # One writer at a time per grid and per person: the checks below read what the others write.
    Grid.objects.select_for_update().filter(pk=grid.pk).first()
    User.objects.select_for_update().filter(pk=user.pk).first()
    active = GridAssignment.objects.filter(ended_on__isnull=True)
    if active.filter(grid=grid, user=user, duty=duty).exists():
        raise StaffingConflict(f"{user}已是该网格的{duty_label}", fields=field_error("user", "已在岗"))
    if duty == GridDuty.CHIEF:
        chief = active.filter(grid=grid, duty=GridDuty.CHIEF).select_related("user").first()
        if chief is not None:
            raise StaffingConflict(
                f"该网格已有在岗网格长（{chief.user}），一个网格只能有一名网格长；请先结束其任职",
                fields=field_error("duty", "已有网格长"),
            )
    if duty == GridDuty.GUIDE:
        guided = active.filter(user=user, duty=GridDuty.GUIDE).exclude(grid=grid).count()
        if guided >= GUIDE_MAX_GRIDS:
            raise StaffingConflict(
                f"{user}已指导 {guided} 个网格，一名网格指导员最多指导 {GUIDE_MAX_GRIDS} 个网格",
                fields=field_error("user", "指导网格已满"),
            )
    started_on = started_on or timezone.localdate()
    assignment = GridAssignment.objects.create(grid=grid, user=user, duty=duty, started_on=started_on,
                                               assigned_by=actor)
    user._xiangzhi_scope = None
    return assignment


@dataclass(frozen=True)
class NewStaff:
    assignment: GridAssignment
    sms_sent: bool


def grid_assign_new_account(
    *, grid: Grid, duty: str, full_name: str, phone: str, started_on: dt.date | None = None,
    actor: User | None = None,
) -> NewStaff:
    """Makes the account of a new grid worker and assigns him, in one transaction; then his login and
    temporary password go to his phone by SMS. The password is not kept anywhere but in the message."""
    if duty not in GridDuty.values:
        raise StaffingError(f"未知的网格职责：{duty}", fields=field_error("duty", "职责不正确"))
    _require_manager(actor, grid)
    with transaction.atomic():
        user, temporary = account_create_for_staff(full_name=full_name, phone=phone, role=DUTY_ROLE[GridDuty(duty)])
        assignment = grid_assign(grid=grid, user=user, duty=duty, started_on=started_on, actor=actor)
    message = (f"【乡治】您已被安排为{grid.name}的{GridDuty(duty).label}。登录账号：{user.username}，"
               f"临时密码：{temporary}。首次登录后请修改密码。")
    try:
        sms_send(phone_clean(phone), message)
    except GatewayError as exc:
        logger.warning("staff account %s: sms not sent: %s", user.pk, exc)
        return NewStaff(assignment=assignment, sms_sent=False)
    return NewStaff(assignment=assignment, sms_sent=True)


def grid_unassign(
    *, assignment: GridAssignment, ended_on: dt.date | None = None, reason: str = "", actor: User | None = None,
) -> GridAssignment:
    """Ends an assignment on a day, with a reason; the row stays as the grid's staffing history."""
    _require_manager(actor, assignment.grid)
    reason = text(reason, "reason", "结束原因", 200, required=actor is not None, error=StaffingError)
    ended_on = ended_on or timezone.localdate()
    with transaction.atomic():
        locked = GridAssignment.objects.select_for_update().select_related("user").get(pk=assignment.pk)
        if locked.ended_on is not None:
            raise StaffingConflict(f"该任职已于{day_text(locked.ended_on)}结束，不能再次结束")
        if ended_on < locked.started_on:
            raise StaffingError(
                f"结束日期不能早于起始日期（{day_text(locked.started_on)}）",
                fields=field_error("ended_on", "早于起始日期"),
            )
        locked.ended_on, locked.end_reason, locked.ended_by = ended_on, reason, actor
        locked.save(update_fields=["ended_on", "end_reason", "ended_by"])
    assignment.ended_on, assignment.end_reason = locked.ended_on, locked.end_reason
    assignment.ended_by = locked.ended_by
    assignment.user._xiangzhi_scope = None
    return assignment


# --- 四级包保 ------------------------------------------------------------------------------------


class LiaisonError(Invalid):
    """A liaison refused, with the reason in Chinese."""


class LiaisonConflict(LiaisonError, Conflict):
    """A liaison refused because of who already answers for the place."""


def _require_liaison_manager(actor: User | None, tier: str, region: Region) -> None:
    if actor is None:
        return
    if not can_assign_tier(actor, tier):
        raise Forbidden(f"无权安排{Liaison.Tier(tier).label}" if tier in Liaison.Tier.values else None)
    if not can_manage_liaison(actor, tier, region):
        raise NotFound()


@transaction.atomic
def liaison_assign(
    *, region: Region, user: User, tier: str, group_name: str = "", started_on: dt.date | None = None,
    actor: User | None = None,
) -> Liaison:
    """Makes ``user`` answerable for ``region`` in ``tier`` (a village cadre for one group of the village).
    Refused: an unknown tier, a region of the wrong level, a person who is not a cadre of the level
    above the place, a place that already has someone in post in that tier."""
    if tier not in Liaison.Tier.values:
        raise LiaisonError(f"未知的包联层级：{tier}", fields=field_error("tier", "层级不正确"))
    _require_liaison_manager(actor, tier, region)
    label = Liaison.Tier(tier).label
    if region.level != TIER_LEVEL[tier]:
        raise LiaisonError(f"{region.name}不是{label}的对象", fields=field_error("region", "区域层级不符"))
    if tier == Liaison.Tier.VILLAGE_CADRE:
        group_name = text(group_name, "group_name", "村民小组", 50, required=True, error=LiaisonError)
    else:
        group_name = ""
    if not liaison_candidates(tier, region).filter(pk=user.pk).exists():
        raise LiaisonError(
            f"{user}（{user.get_role_display()}）不能担任{region.name}的{label}",
            fields=field_error("user", "人员不符合该层级"),
        )
    # One writer at a time per place: the check below reads what the others write.
    Region.objects.select_for_update().filter(pk=region.pk).first()
    current = (Liaison.objects.filter(region=region, tier=tier, group_name=group_name, ended_on__isnull=True)
               .select_related("user").first())
    if current is not None:
        place = f"{region.name}{group_name}"
        raise LiaisonConflict(
            f"{place}已有在任的包联干部（{current.user}），请先结束其包联",
            fields=field_error("user", "已有在任包联干部"),
        )
    return Liaison.objects.create(region=region, user=user, tier=tier, group_name=group_name,
                                  started_on=started_on or timezone.localdate(), assigned_by=actor)


def liaison_end(
    *, liaison: Liaison, ended_on: dt.date | None = None, reason: str = "", actor: User | None = None,
) -> Liaison:
    """Ends a liaison on a day, with a reason; the row stays as the place's history."""
    _require_liaison_manager(actor, liaison.tier, liaison.region)
    reason = text(reason, "reason", "结束原因", 200, required=True, error=LiaisonError)
    ended_on = ended_on or timezone.localdate()
    with transaction.atomic():
        locked = Liaison.objects.select_for_update().get(pk=liaison.pk)
        if locked.ended_on is not None:
            raise LiaisonConflict(f"该包联已于{day_text(locked.ended_on)}结束，不能再次结束")
        if ended_on < locked.started_on:
            raise LiaisonError(
                f"结束日期不能早于起始日期（{day_text(locked.started_on)}）",
                fields=field_error("ended_on", "早于起始日期"),
            )
        locked.ended_on, locked.end_reason, locked.ended_by = ended_on, reason, actor
        locked.save(update_fields=["ended_on", "end_reason", "ended_by"])
    liaison.ended_on, liaison.end_reason, liaison.ended_by = locked.ended_on, locked.end_reason, locked.ended_by
    return liaison
