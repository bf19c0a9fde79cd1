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
from xiangzhi.core.errors import Conflict, Invalid, NotFound, field_error
from xiangzhi.core.inputs import require, text
from xiangzhi.core.sms import GatewayError, sms_send
from xiangzhi.lib.geometry import parse_boundary
from xiangzhi.regions.models import Grid, GridAssignment, GridDuty, Region
from xiangzhi.regions.selectors import grid_index_invalidate

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


@transaction.atomic
def grid_set_boundary(*, grid: Grid, boundary: dict[str, Any]) -> Grid:
    geom = parse_boundary(boundary)  # raises BoundaryError before anything is written
    grid.boundary = boundary
    grid.center_lon, grid.center_lat = boundary_center(geom)
    grid.save(update_fields=["boundary", "center_lon", "center_lat", "updated_at"])
    transaction.on_commit(grid_index_invalidate)
    return grid


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
    assignment = GridAssignment.objects.create(grid=grid, user=user, duty=duty, started_on=started_on)
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
        locked.ended_on, locked.end_reason = ended_on, reason
        locked.save(update_fields=["ended_on", "end_reason"])
    assignment.ended_on, assignment.end_reason = locked.ended_on, locked.end_reason
    assignment.user._xiangzhi_scope = None
    return assignment
