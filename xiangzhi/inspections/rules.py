"""Who may do what in the monthly inspection (每月排查 → 调度 → 交办 → 督办)."""

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import has_role

# 督查员 inspect the villages of their township (or county) and verify what the villages put right.
can_inspect = has_role(Role.INSPECTOR)
# The village's cadres answer for its tasks and report them done.
can_complete_tasks = has_role(Role.VILLAGE_CADRE)
# Verifying (销号) or sending a task back: the inspector, or the township's comprehensive centre.
can_verify_tasks = has_role(Role.INSPECTOR, Role.TOWNSHIP_STAFF)
# The 调度/督办 board: overdue tasks by village, for those above the villages.
can_see_board = has_role(Role.INSPECTOR, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)
# Inspections and tasks are read by those above and by the village itself.
can_see_inspections = has_role(Role.INSPECTOR, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN, Role.VILLAGE_CADRE)
