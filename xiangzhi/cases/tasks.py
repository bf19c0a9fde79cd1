"""What the background worker does for cases: the notices of a new report, written after it commits."""

from huey.contrib.djhuey import db_task

from xiangzhi.cases.models import Case
from xiangzhi.cases.selectors import case_owner_ids
from xiangzhi.notifications.services import notify

# What decides who staffs a case's level (``selectors.case_owner_ids``), taken when it was reported.
OWNER_FIELDS = ("id", "handling_level", "grid_id", "scope_path", "assignee_department_id", "assignee_user_id")


@db_task()
def case_owners_notify(placed: dict, notice: dict) -> None:
    """Tell whoever staffs the level the case was ``placed`` at (``notice``: kind, title, body, link)."""
    case = Case(**placed)
    notify(recipients=case_owner_ids([case])[case.pk], **notice)
