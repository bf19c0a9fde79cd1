"""Who may do what in grid work."""

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import REGISTER_READERS, has_role

# 网格长/网格员 patrol their grids and keep a daily log.
PATROL_ROLES = frozenset({Role.GRID_CHIEF, Role.GRID_WORKER})
# 走访: grid staff, and village cadres who visit their village's key people too (四到四访).
VISIT_ROLES = PATROL_ROLES | {Role.VILLAGE_CADRE}
# 督导: whoever answers for the workers of an area sees their tracks, workload and timeliness.
SUPERVISOR_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_CHIEF})

can_patrol = has_role(*PATROL_ROLES)
can_visit = has_role(*VISIT_ROLES)
can_supervise = has_role(*SUPERVISOR_ROLES)
# Due visits name key people, so only those who may read the register see them.
can_see_due_visits = has_role(*REGISTER_READERS)
