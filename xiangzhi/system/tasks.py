"""Every periodic schedule of the platform is declared here."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from xiangzhi.system.services import worker_beat


@db_periodic_task(crontab(minute="*"))
def heartbeat():
    worker_beat()
