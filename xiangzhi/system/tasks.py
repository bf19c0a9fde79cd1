"""Every periodic schedule of the platform is declared here."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xiangzhi.backups.services import backup_scheduled
from xiangzhi.cases.services import case_deadline_sweep, category_suggester_refresh
from xiangzhi.gridwork.services import patrol_close_stale
from xiangzhi.inspections.services import task_overdue_sweep
from xiangzhi.keyring.services import rotation_resume_unfinished
from xiangzhi.meetings.services import commitment_overdue_sweep
from xiangzhi.points.services import cycles_advance
from xiangzhi.system.services import errors_prune, periodic_run, size_sample, worker_beat


@db_periodic_task(crontab(minute="*"))
def heartbeat():
    with periodic_run("heartbeat"):
        worker_beat()


@db_periodic_task(crontab(minute="*"))
def case_deadlines():
    """Warn before due, mark overdue, escalate by rule, archive after the evaluation window."""
    with periodic_run("case_deadlines"):
        case_deadline_sweep()


@db_periodic_task(crontab(minute="*/15"))
def patrols_close_stale():
    """Patrols nobody stopped (phone died, page closed) end after 12 hours at their last fix."""
    with periodic_run("patrols_close_stale"):
        patrol_close_stale()


@db_periodic_task(crontab(minute="*/10"))
def points_cycles():
    """The five-step points cycle: plan the years, open and close reviews, notices, redemption
    windows and settlements as their days come (catching up after downtime)."""
    with periodic_run("points_cycles"):
        cycles_advance()


@db_periodic_task(crontab(minute="7"))
def inspection_tasks_overdue():
    """督办: inspection tasks past their deadline are flagged overdue (and cost the village more)."""
    with periodic_run("inspection_tasks_overdue"):
        task_overdue_sweep()


@db_periodic_task(crontab(minute="17"))
def meeting_commitments_overdue():
    """逾期: sunshine-meeting commitments past their deadline get their overdue step, once each."""
    with periodic_run("meeting_commitments_overdue"):
        commitment_overdue_sweep()


@db_periodic_task(crontab(hour="3", minute="10"))
def category_suggester():
    """The category suggester learns the county's words: every case a dispatcher confirmed or corrected."""
    with periodic_run("category_suggester"):
        category_suggester_refresh()


@db_periodic_task(crontab(hour="1", minute="50"))
def daily_upkeep():
    """The day's size of the database and the uploads (运行状态's growth), and errors past 30 days pruned."""
    with periodic_run("daily_upkeep"):
        size_sample()
        errors_prune()


@db_periodic_task(crontab(minute="*/5"))
def key_rotation_resume():
    """密钥轮换: a rotation that a crash or a kill left unfinished goes on here, and its old key is retired."""
    with periodic_run("key_rotation_resume"):
        rotation_resume_unfinished()


@db_periodic_task(crontab(minute="*/15"))
def backup_daily():
    """每日备份 into BACKUP_DIR once a day from 02:30 local time (caught up after downtime; huey's crontab
    counts in UTC, so the task asks every quarter hour), then the retention: 7 daily, 4 weekly, 12 monthly."""
    with periodic_run("backup_daily"):
        backup_scheduled()
