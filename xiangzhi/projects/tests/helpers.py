import datetime as dt

from django.utils import timezone

from xiangzhi.projects import services
from xiangzhi.projects.models import Urgency

TODAY = timezone.localdate()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def planned_request(county, title="硬化村北生产路", urgency=Urgency.URGENT, households=12):
    cadre = county.users["village_cadre"]
    row = services.request_submit(actor=cadre, village=county.village_a1, title=title, place="村北",
                                  urgency=urgency, households=households)
    return services.request_plan(actor=cadre, request=row)


def started_project(county, budget=200_000, started=20, title="硬化村北生产路"):
    """A project of village a1 begun ``started`` days ago, with two milestones."""
    cadre = county.users["village_cadre"]
    project = services.project_create(actor=cadre, request=planned_request(county, title=title), budget=budget,
                                      fundings=[("award", 150_000, ""), ("collective", 50_000, "")])
    services.project_advance(actor=cadre, project=project, on=ago(started))
    for name, day in (("路基平整", ago(started - 5)), ("浇筑路面", ago(started - 15))):
        services.milestone_add(actor=cadre, project=project, name=name, planned_on=day)
    return project
