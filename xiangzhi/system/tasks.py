"""Every periodic schedule of the platform is declared here."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xiangzhi.cases.services import case_deadline_sweep, category_suggester_refresh
from xiangzhi.gridwork.services import patrol_close_stale
from xiangzhi.inspections.services import task_overdue_sweep
from xiangzhi.meetings.services import commitment_overdue_sweep
from xiangzhi.points.services import cycles_advance
from xiangzhi.system.services import worker_beat


@db_periodic_task(crontab(minute="*"))
def heartbeat():
    worker_beat()


@db_periodic_task(crontab(minute="*"))
def case_deadlines():
    """Warn before due, mark overdue, escalate by rule, archive after the evaluation window."""
    case_deadline_sweep()


@db_periodic_task(crontab(minute="*/15"))
def patrols_close_stale():
    """Patrols nobody stopped (phone died, page closed) end after 12 hours at their last fix."""
    patrol_close_stale()


@db_periodic_task(crontab(minute="*/10"))
def points_cycles():
    """The five-step points cycle: plan the years, open and close reviews, notices, redemption
    windows and settlements as their days come (catching up after downtime)."""
    cycles_advance()


@db_periodic_task(crontab(minute="7"))
def inspection_tasks_overdue():
    """督办: inspection tasks past their deadline are flagged overdue (and cost the village more)."""
    task_overdue_sweep()


@db_periodic_task(crontab(minute="17"))
def meeting_commitments_overdue():
    """逾期: sunshine-meeting commitments past their deadline get their overdue step, once each."""
    commitment_overdue_sweep()


@db_periodic_task(crontab(hour="3", minute="10"))
def category_suggester():
    """The category suggester learns the county's words: every case a dispatcher confirmed or corrected."""
    category_suggester_refresh()
