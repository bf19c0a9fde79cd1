"""Six months of 每月排查 for the demo county: one inspector per township (the printed accounts list
the first), every village inspected each of the last six whole months, findings against the 六零
sub-items handed to the village cadre, most put right and verified in time, some late, a few still
open past their deadline (the township's 督办 board has something to show).

Dates run back from the day of the build; for one seed and one build day the rows come out the
same. A generator of its own (``seed:inspections``) leaves the rest of the county untouched.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.inspections.models import (
    FINDING_ITEMS,
    Finding,
    Inspection,
    TaskEvent,
    TaskEventAction,
    TaskState,
)
from xiangzhi.regions.models import Region, RegionLevel

MONTHS = 6
# Items and how often they are found: litter and traffic habits far more than crime.
WEIGHTS = {"accident_traffic": 5, "accident_fire": 3, "accident_drowning": 2, "petition_dispute": 2,
           "crime_security": 1, "building_illegal": 2, "pollution_burning": 4, "pollution_environment": 6,
           "epidemic_prevention": 1, "epidemic_animal": 2}
TEXTS = {
    "accident_traffic": ("村道多人骑摩托车未戴头盔", "农用三轮车违规载人", "路口缺少减速警示标志"),
    "accident_fire": ("农户私拉乱接电线", "柴草堆放紧靠灶房", "村部灭火器过期未更换"),
    "accident_drowning": ("山塘警示牌缺失", "河边防护栏损坏"),
    "petition_dispute": ("两户宅基地界址纠纷未调处", "土地流转租金纠纷群众反映强烈"),
    "crime_security": ("发现聚众赌博苗头", "夜间有偷盗农机具情况"),
    "building_illegal": ("三组一户未批先建", "超审批面积建房", "河道旁私搭棚屋"),
    "pollution_burning": ("田间焚烧秸秆", "村口焚烧生活垃圾"),
    "pollution_environment": ("垃圾收集点满溢未清运", "生活污水直排水沟", "房前屋后杂物乱堆"),
    "epidemic_prevention": ("卫生室消毒记录不全", "疫苗接种宣传不到位"),
    "epidemic_animal": ("病死猪未无害化处理", "养殖户防疫台账缺失"),
}
DONE_NOTES = ("已整改到位，附整改后照片", "已组织清理完毕", "已约谈当事人并整改", "已调处，双方签订协议")


@dataclass
class InspectionsReport:
    inspectors: int = 0
    inspections: int = 0
    findings: int = 0
    open_overdue: int = 0


def _months(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for _ in range(MONTHS):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(first)
    return sorted(out)


def write_inspections(insert: Callable, *, seed: int, password: str, accounts: list[dict],
                      today: dt.date | None = None) -> InspectionsReport:
    """Write the history. ``insert(model, rows)`` is the builder's counted ``bulk_create``; the
    inspectors' logins are added to ``accounts`` (the printed list)."""
    rng = random.Random(f"{seed}:inspections")
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    report = InspectionsReport()
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").defer("boundary"))
    hashed = make_password(password)
    inspectors = insert(User, [
        User(username=f"inspector_{t.code}", password=hashed, role=Role.INSPECTOR, full_name=f"{t.name}督查员",
             region=t) for t in townships
    ])
    accounts += [{"role": Role.INSPECTOR.value, "role_name": Role.INSPECTOR.label, "username": u.username,
                  "password": password, "scope_code": t.code, "full_name": u.full_name}
                 for u, t in zip(inspectors, townships, strict=True)]
    report.inspectors = len(inspectors)
    cadres: dict[int, int] = {}
    for user_id, region_id in (User.objects.filter(role=Role.VILLAGE_CADRE).order_by("-id")
                               .values_list("id", "region_id")):
        cadres[region_id] = user_id  # the first (lowest id) wins
    items = list(FINDING_ITEMS)
    weights = [WEIGHTS[i.code] for i in items]
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")
                    .values_list("id", "path", "center_lon", "center_lat"))
    inspector_of = {t.path: u.pk for t, u in zip(townships, inspectors, strict=True)}

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)

    inspections, plans = [], []
    for month in _months(today):
        for village_id, path, lon, lat in villages:
            inspector_id = next(pk for p, pk in inspector_of.items() if path.startswith(p))
            day = month.replace(day=rng.randint(6, 25))
            started = at(day, rng.randint(8, 15), rng.randint(0, 59))
            finished = started + dt.timedelta(minutes=rng.randint(40, 150))
            inspections.append(Inspection(
                village_id=village_id, month=month, inspector_id=inspector_id, started_at=started,
                finished_at=finished, lon=lon, lat=lat, fixed_at=started + dt.timedelta(minutes=5),
                note="按六零要求逐组排查"))
            count = rng.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]
            plans.append([(rng.choices(items, weights)[0], finished) for _ in range(count)])
    inspections = insert(Inspection, inspections)
    report.inspections = len(inspections)

    findings, fates = [], []
    for inspection, planned in zip(inspections, plans, strict=True):
        for item, finished in planned:
            found_on = finished.astimezone(tz).date()
            due_on = found_on + dt.timedelta(days=item.deadline_days)
            roll = rng.random()
            # Most put right in time, some late, a few still open; the recent ones are under way.
            if due_on >= today:
                fate = "open" if roll < 0.5 else ("done" if roll < 0.75 else "closed")
            else:
                fate = "closed" if roll < 0.85 else ("late" if roll < 0.95 else "overdue")
            done_on = (found_on + dt.timedelta(days=rng.randint(1, item.deadline_days)) if fate != "late"
                       else due_on + dt.timedelta(days=rng.randint(1, 10)))
            done_on = min(done_on, today)
            closed_on = min(done_on + dt.timedelta(days=2), today)
            state = {"open": TaskState.OPEN, "overdue": TaskState.OPEN, "done": TaskState.DONE}.get(
                fate, TaskState.CLOSED)
            late = fate in ("late", "overdue")
            findings.append(Finding(
                inspection_id=inspection.pk, village_id=inspection.village_id, item_code=item.code,
                text=rng.choice(TEXTS[item.code]), points=item.points, overdue_points=item.overdue_points,
                found_on=found_on, state=state, owner_id=cadres.get(inspection.village_id), due_on=due_on,
                overdue_at=at(due_on + dt.timedelta(days=1), 0, 7) if late else None, ever_overdue=late,
                done_at=at(done_on, 16) if state != TaskState.OPEN else None,
                closed_at=at(closed_on, 10 if closed_on > done_on else 18) if state == TaskState.CLOSED else None,
            ))
            fates.append((fate, inspection.inspector_id))
    findings = insert(Finding, findings)
    report.findings = len(findings)

    events = []
    for f, (fate, inspector_id) in zip(findings, fates, strict=True):
        events.append(TaskEvent(finding_id=f.pk, action=TaskEventAction.ASSIGN, from_state=TaskState.DRAFT,
                                to_state=TaskState.OPEN, actor_id=inspector_id,
                                note=f"交办，{f.due_on:%Y-%m-%d}前整改", at=at(f.found_on, 17)))
        if f.overdue_at:
            events.append(TaskEvent(finding_id=f.pk, action=TaskEventAction.OVERDUE, from_state=TaskState.OPEN,
                                    to_state=TaskState.OPEN, note="系统：已超过整改期限", at=f.overdue_at))
        if f.done_at:
            events.append(TaskEvent(finding_id=f.pk, action=TaskEventAction.COMPLETE, from_state=TaskState.OPEN,
                                    to_state=TaskState.DONE, actor_id=f.owner_id, note=rng.choice(DONE_NOTES),
                                    at=f.done_at))
        if f.closed_at:
            events.append(TaskEvent(finding_id=f.pk, action=TaskEventAction.VERIFY, from_state=TaskState.DONE,
                                    to_state=TaskState.CLOSED, actor_id=inspector_id, note="现场核验，予以销号",
                                    at=f.closed_at))
        report.open_overdue += fate == "overdue"
    insert(TaskEvent, events)
    return report
