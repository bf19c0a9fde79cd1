"""Village projects for the demo county: every village's residents' requests (some from the villagers'
own phones), this year's plan in its order with one declined request, a few projects under way, and in
one village one project followed to completion — milestones with photos, spending, 15万 given by
members living away (001) and the villagers' labour — then accepted by the township.

The village of that project is the first (by code) holding an award waiting for a project — the earlier
half-year's 积分换项目 funds (``demo.assessment`` writes the projects between its two halves) — or, with
none, the first village. A project set up in a village with an award waiting takes it
(``project_create``): the completed one is paid by its award, the village collective's share (at least
3万) and the donations; one under way by its award and a quarter more from the collective.

Everything goes through the projects services, each step at the time it would have happened
(``now=``). Deterministic for a seed and a build day: each village draws from ``seed:projects:code``.
"""

import datetime as dt
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from PIL import Image, ImageDraw

from xiangzhi.accounts.models import Role, User
from xiangzhi.lib.photos import ProcessedPhoto, process
from xiangzhi.projects import selectors, services
from xiangzhi.projects.models import Project, ProjectRequest
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import township_of

# title, place, why
ASKS = [
    ("硬化村北生产路", "村北到麦田的土路", "下雨天泥泞，农机进不去，秋收拉粮难"),
    ("村内主街安装太阳能路灯", "主街和村委会门前", "晚上太黑，老人孩子出门不安全"),
    ("清淤疏浚村南排水沟", "村南排水沟", "汛期排水不畅，去年淹了十几户的菜地"),
    ("修建村文化广场", "村委会东侧空地", "村里没有跳广场舞、开会的地方"),
    ("改造村级饮水管网", "全村", "管网老化，经常停水漏水"),
    ("修缮村小学围墙", "村小学", "围墙开裂，存在安全隐患"),
    ("建设垃圾分类收集点", "各网格路口", "垃圾乱倒，夏天有异味"),
    ("维修生产桥", "村东小清河", "桥面破损，三轮车过桥危险"),
    ("建设老年人日间照料中心", "村党群服务中心", "留守老人多，白天没人照看"),
    ("增设健身器材", "村文化广场", "村民锻炼没有器材"),
]
DECLINE = "超出村级财力，已转报乡镇统筹"
MILESTONES = ["方案公示和村民代表会议表决", "招标选定施工队", "主体施工", "竣工自查"]


@dataclass
class ProjectsReport:
    requests: int = 0
    planned: int = 0
    projects: int = 0
    completed: str = ""


def _cadre(village: Region) -> User | None:
    return User.objects.filter(role=Role.VILLAGE_CADRE, region=village, is_active=True).order_by("id").first()


def _photo(rng: random.Random, label: int) -> ProcessedPhoto:
    """A site photo stand-in: sky, ground and a stripe of road, drawn from the village's random numbers."""
    img = Image.new("RGB", (480, 360), (135 + rng.randint(0, 40), 180 + rng.randint(0, 40), 225))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 200, 480, 360), fill=(110 + rng.randint(0, 30), 140, 80))
    draw.polygon([(200, 200), (280, 200), (420 + label * 10, 360), (60 - label * 10, 360)], fill=(150, 150, 150))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return process(out.getvalue())


def write_projects(*, seed: int = 0, villages: Iterable[Region] | None = None,
                   now: dt.datetime | None = None) -> ProjectsReport:
    now = (now or timezone.now()).replace(microsecond=0)
    report = ProjectsReport()
    if villages is None:
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")
    kept = [(village, cadre) for village in villages if (cadre := _cadre(village)) is not None]
    awarded = [v for v, _ in kept if selectors.awards_waiting(v)]
    showcase = (awarded or [v for v, _ in kept] or [None])[0]
    for village, cadre in kept:
        rng = random.Random(f"{seed}:projects:{village.code}")
        _village(village, cadre, rng, now, report, showcase=village == showcase)
    return report


def _award_waiting(village: Region) -> int:
    """What a project set up in ``village`` now will be awarded (the oldest award waiting), if any."""
    waiting = selectors.awards_waiting(village)
    return waiting[0].amount if waiting else 0


def _village(village: Region, cadre: User, rng: random.Random, now: dt.datetime, report: ProjectsReport, *,
             showcase: bool) -> None:
    villager = (User.objects.filter(role=Role.RESIDENT, household__grid__region=village, is_active=True)
                .order_by("id").first())
    asks = rng.sample(ASKS, k=rng.randint(4, 6))
    if showcase:
        asks = [ASKS[0], *[a for a in asks if a != ASKS[0]]]
    this_year = timezone.localtime(now).year
    rows: list[ProjectRequest] = []
    for i, (title, place, reason) in enumerate(asks):
        at = now - dt.timedelta(days=rng.randint(100, 160) if i == 0 and showcase else rng.randint(20, 90),
                                hours=rng.randint(0, 8))
        by_villager = villager is not None and i == len(asks) - 1
        rows.append(services.request_submit(
            actor=villager if by_villager else cadre, village=village, title=title, place=place, reason=reason,
            urgency=1 if i == 0 and showcase else rng.randint(1, 4), households=rng.randint(3, 60), now=at))
    report.requests += len(rows)
    planned = []
    for row in rows[:3]:
        planned.append(services.request_plan(actor=cadre, request=row, year=this_year,
                                             now=row.submitted_at + dt.timedelta(days=rng.randint(3, 10))))
    report.planned += len(planned)
    services.request_decline(actor=cadre, request=rows[3], reason=DECLINE,
                             now=rows[3].submitted_at + dt.timedelta(days=5))
    if showcase:
        _completed(planned[0], cadre, rng, now, report)
    elif rng.random() < 0.35:
        _under_way(planned[0], cadre, rng, now, report)


def _under_way(row: ProjectRequest, cadre: User, rng: random.Random, now: dt.datetime, report: ProjectsReport) -> None:
    made = row.submitted_at + dt.timedelta(days=12)
    budget = rng.randint(8, 40) * 10_000
    fundings = [("collective", budget // 4, ""), ("award", budget - budget // 4, "")]
    if award := _award_waiting(row.village):  # the project takes it: its award and a quarter more
        budget, fundings = award + budget // 4, fundings[:1]
    project = services.project_create(actor=cadre, request=row, budget=budget, now=made, fundings=fundings)
    report.projects += 1
    start = timezone.localtime(made).date() + dt.timedelta(days=5)
    if start >= timezone.localdate(now):
        return
    services.project_advance(actor=cadre, project=project, on=start, now=made + dt.timedelta(days=5))
    for k, name in enumerate(MILESTONES):
        services.milestone_add(actor=cadre, project=project, name=name, planned_on=start + dt.timedelta(days=10 * k))
    first = project.milestones.first()
    if first is not None and first.planned_on < timezone.localdate(now):
        services.milestone_done(actor=cadre, milestone=first, done_on=first.planned_on, now=now)
        services.spending_record(actor=cadre, project=project, amount=budget // 5, purpose="材料款（首批）",
                                 spent_on=first.planned_on, now=now)


DONATED = 150_000  # by members living away (001)


def _completed(row: ProjectRequest, cadre: User, rng: random.Random, now: dt.datetime,
               report: ProjectsReport) -> None:
    """村北生产路: the award waiting for the village (积分换项目奖补), the village collective's share (the
    rest of 380,000 元, at least 30,000) and 150,000 given by members living away; 380,000 元 unless the
    award alone passes 200,000. Built in about two months, completed and accepted."""
    made = row.submitted_at + dt.timedelta(days=14)
    award = _award_waiting(row.village)
    collective = max(30_000, 380_000 - DONATED - award)
    project = services.project_create(
        actor=cadre, request=row, budget=award + collective + DONATED, now=made,
        description="硬化村北生产路 1.2 公里，路面宽 4 米，C25 混凝土 18 厘米厚，两侧设排水边沟。",
        fundings=[("collective", collective, "村集体经济收入")])
    report.projects += 1
    today = timezone.localdate(now)
    start = today - dt.timedelta(days=75)
    services.project_advance(actor=cadre, project=project, on=start, now=now, note="施工队进场")
    for k, name in enumerate(MILESTONES):
        services.milestone_add(actor=cadre, project=project, name=name, planned_on=start + dt.timedelta(days=15 * k))
    donors = [("刘志强", "在外乡贤（天津）", 60_000, False), ("王建华", "在外乡贤（济南）", 50_000, False),
              ("张秀梅", "在外乡贤（北京）", 30_000, False), ("李卫东", "在外乡贤（青岛）", 10_000, True)]
    for k, (name, note, amount, anonymous) in enumerate(donors):
        services.donation_record(actor=cadre, project=project, kind="money", donor_name=name, donor_note=note,
                                 amount=amount, anonymous=anonymous, donated_on=start + dt.timedelta(days=k), now=now)
    for k, name in enumerate(("村民义务投工（一组）", "村民义务投工（二组）")):
        services.donation_record(actor=cadre, project=project, kind="labour", donor_name=name, labour_days=40 + 8 * k,
                                 donated_on=start + dt.timedelta(days=20 + k), now=now)
    spending = [(2, 9_800, "方案设计和公示"), (18, 150_000, "混凝土和砂石（首批）"), (33, 120_000, "混凝土（二批）"),
                (45, 62_000, "施工人工和机械"), (58, 28_600, "排水边沟和收尾")]
    for days, amount, purpose in spending:
        services.spending_record(actor=cadre, project=project, amount=amount, purpose=purpose,
                                 spent_on=start + dt.timedelta(days=days), now=now)
    for k, milestone in enumerate(project.milestones.all()):
        services.milestone_done(actor=cadre, milestone=milestone, done_on=milestone.planned_on + dt.timedelta(days=2),
                                photos=[_photo(rng, k)], now=now)
    services.project_advance(actor=cadre, project=project, on=start + dt.timedelta(days=62), now=now)
    town = township_of(row.village)
    clerk = User.objects.filter(role=Role.TOWNSHIP_STAFF, region=town, is_active=True).order_by("id").first()
    services.project_advance(actor=clerk or cadre, project=project, on=start + dt.timedelta(days=70),
                             now=now, note="乡镇组织验收合格")
    report.completed = f"{row.village.name}·{Project.objects.get(pk=project.pk).title}"
