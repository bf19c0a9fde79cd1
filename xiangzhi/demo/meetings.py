"""阳光报告会 and 四议两公开 for the demo county (seed 003: 述询定评 every quarter; 000/003: 四议两公开).

Most villages held the last four whole quarters' meetings (a few missed one): the secretary's report on
the 36 disclosure items, villagers' questions (some asked by QR), demands made commitments with an owner
of the village, a deadline and a measure, the vote, the township's screening. Earlier quarters are
published and their commitments mostly kept, a few done late, a few still open past the deadline; the
last quarter's meetings are published with their votes in most villages, waiting for the township in a
few, and their commitments partly done, partly under way, partly overdue. These rows are written in bulk.

Matters (四议两公开) go through the services, step by step at the time they happened: in one village —
the one whose road the projects demo followed to acceptance, or the first — one completed with its
result published (the village project, paid partly by members living away), one standing at the joint
meeting (step 3) with donations of its own from members living away, one stopped by a failed vote at
the party members' meeting; in about a quarter of the others (forty at most), one matter at some step. All made public
by the township but a few left waiting for its screening.

Deterministic for a seed and a build day: each village draws from ``seed:meetings:code``.
"""

import datetime as dt
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.meetings import services
from xiangzhi.meetings.models import (
    Commitment,
    CommitmentAction,
    CommitmentEvent,
    CommitmentState,
    Deliberation,
    MeetingAction,
    MeetingEvent,
    MeetingQuestion,
    MeetingState,
    QuestionSource,
    Screening,
    ScreeningDecision,
    StepKind,
    SunshineMeeting,
    quarter_bounds,
)
from xiangzhi.meetings.selectors import previous_quarter, quarter_of
from xiangzhi.meetings.services import full_day
from xiangzhi.projects.models import Project, ProjectState
from xiangzhi.regions.models import GridAssignment, Region, RegionLevel
from xiangzhi.regions.selectors import township_ids

QUARTERS = 4
ITEMS = 36  # 003: "围绕36项村务公开内容"
QUARTER_WORDS = {1: "一", 2: "二", 3: "三", 4: "四"}
# question, demand, measure, on-the-spot reply; a question without a demand was answered on the spot.
ASKED = [
    ("村北路灯坏了好几盏，晚上出门不安全，什么时候修？", "修复村北路灯", "联系供电所更换损坏灯具，网格员每周巡查",
     ""),
    ("村南排水沟堵了，一下雨就积水。", "清淤村南排水沟", "组织党员志愿者清淤，汛期前完成", ""),
    ("低保是怎么评的？希望把名单公开。", "公开低保评定程序和名单", "在村务公开栏和微信群公示评定程序、名单和监督电话",
     "评定经村民代表会议评议、乡镇审核"),
    ("村集体土地承包费收了多少，用到哪里了？", "公开土地承包费收支明细", "下次三务公开单列承包费收入和支出明细", ""),
    ("垃圾清运不及时，夏天味道大。", "垃圾清运改为每天一次", "与保洁公司协商增加清运频次，网格员监督", ""),
    ("村东生产桥护栏坏了，孩子上学过桥危险。", "修复村东生产桥护栏", "先设警示牌，申请维修资金更换护栏", ""),
    ("广场舞音响太吵，影响老人休息。", "规范广场文体活动时间", "与文艺队商定晚上九点前结束，控制音量", ""),
    ("老年人办医保资格认证不会用手机。", "帮老人办医保资格认证", "网格员入户帮办，村委会设帮办点", ""),
    ("有人在村道上堆放柴草，占道又有火灾隐患。", "清理占道柴草堆", "网格员逐户劝导，限期清理", ""),
    ("自来水水压低，高处的住户用不上水。", "解决高处住户用水", "报乡镇水务站检修加压泵", ""),
    ("农闲时能不能组织技能培训，好出去打工？", "组织农闲技能培训", "对接乡镇人社所，冬季开设电焊、家政培训班", ""),
    ("村卫生室周末不开门，看病不方便。", "卫生室周末安排值班", "与乡镇卫生院协调，周末上午轮流值班", ""),
]
ANSWERED = [
    ("今年的惠农补贴什么时候发？", "已于本月十五日前发放到一卡通，可到银行查询"),
    ("积分超市这季度什么时候开？", "季度末开放，具体时间在网格微信群通知"),
    ("上次说的修路，资金从哪里来？", "积分换项目奖补和村集体收入，明细已在公开栏公示"),
    ("村里的公益岗位怎么报名？", "到村党群服务中心登记，符合条件的优先安排"),
]
PROGRESS = ("已报乡镇，等待答复", "材料已采购，近期施工", "已与相关单位对接，正在办理", "已完成一半，网格员跟进")
WORKS = ("完成村内主街硬化和排水沟清淤", "开展人居环境整治，清理柴草堆和垃圾死角", "组织党员志愿服务和积分超市兑换",
         "完成秋收期间秸秆禁烧巡查", "调处邻里纠纷，做到小事不出村", "落实低保、残补等惠民政策")
PLACES = ("村党群服务中心", "村委会会议室", "村文化广场", "村综合服务站")


@dataclass
class MeetingsReport:
    meetings: int = 0
    published: int = 0
    questions: int = 0
    commitments: int = 0
    done: int = 0
    overdue: int = 0
    deliberations: int = 0
    showcase: str = ""


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


def _quarters(today: dt.date) -> list[tuple[int, int]]:
    """The last ``QUARTERS`` whole quarters, oldest first."""
    out = [previous_quarter(*quarter_of(today))]
    while len(out) < QUARTERS:
        out.append(previous_quarter(*out[-1]))
    return out[::-1]


def write_meetings(insert: Callable, *, seed: int = 0, villages: Iterable[Region] | None = None,
                   now: dt.datetime | None = None) -> MeetingsReport:
    now = (now or timezone.now()).replace(microsecond=0)
    today = timezone.localdate(now)
    report = MeetingsReport()
    if villages is None:
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).defer("boundary").order_by("code")
    villages = list(villages)
    cadres = {u.region_id: u for u in User.objects.filter(role=Role.VILLAGE_CADRE, is_active=True,
                                                          region__in=villages).order_by("-id")}
    kept = [v for v in villages if v.pk in cadres]
    owners = _owners(kept)
    towns = township_ids([v.pk for v in kept]) if kept else {}
    clerks = {u.region_id: u for u in User.objects.filter(role=Role.TOWNSHIP_STAFF, is_active=True,
                                                          region_id__in=set(towns.values())).order_by("-id")}
    quarters = _quarters(today)
    showcase = _showcase(kept)
    plans = []
    for village in kept:
        rng = random.Random(f"{seed}:meetings:{village.code}")
        screener = clerks.get(towns[village.pk]) or cadres[village.pk]
        plans.append(_Village(village, cadres[village.pk], screener, owners.get(village.pk) or [cadres[village.pk]],
                              rng, quarters, today, showcase=showcase is not None and village.pk == showcase.pk))
    _write_bulk(insert, plans, report)
    if showcase is not None:
        report.showcase = showcase.name
        _write_matters(seed, showcase, kept, cadres, clerks, towns, today, report)
    return report


def _showcase(villages: list[Region]) -> Region | None:
    """The village whose road the projects demo followed to acceptance, or the first."""
    road = Project.objects.filter(state=ProjectState.ACCEPTED, village__in=villages).order_by("id").first()
    first = villages[0] if villages else None
    return next((v for v in villages if road is not None and v.pk == road.village_id), first)


def _owners(villages: list[Region]) -> dict[int, list[User]]:
    """Who may own each village's commitments: its cadres and points staff, its grids' chiefs and workers."""
    out: dict[int, list[User]] = {}
    for u in User.objects.filter(region__in=villages, is_active=True,
                                 role__in=(Role.VILLAGE_CADRE, Role.POINTS_RECORDER, Role.POINTS_SUPERVISOR)) \
            .order_by("id"):
        out.setdefault(u.region_id, []).append(u)
    for a in (GridAssignment.objects.filter(grid__region__in=villages, ended_on__isnull=True, user__is_active=True,
                                            user__role__in=(Role.GRID_CHIEF, Role.GRID_WORKER))
              .select_related("user", "grid").order_by("id")):
        out.setdefault(a.grid.region_id, []).append(a.user)
    return out


@dataclass
class _Village:
    village: Region
    cadre: User
    screener: User
    owners: list[User]
    rng: random.Random
    quarters: list[tuple[int, int]]
    today: dt.date
    showcase: bool = False  # its last meeting published, with a commitment kept, one under way, one overdue


def _write_bulk(insert: Callable, plans: list[_Village], report: MeetingsReport) -> None:
    """Meetings first (their ids), then questions, commitments, and the history rows of all three."""
    meetings: list[SunshineMeeting] = []
    drawn: list[tuple[_Village, int]] = []  # (village plan, index of its quarter) per meeting
    for plan in plans:
        rng = plan.rng
        skip = rng.randrange(QUARTERS - 1) if rng.random() < 0.12 else None  # a few missed one (never the last)
        for i, (year, quarter) in enumerate(plan.quarters):
            if i == skip:
                continue
            last = i == QUARTERS - 1
            end = quarter_bounds(year, quarter)[1]
            held_on = min(end - dt.timedelta(days=rng.randint(2, 25)), plan.today)
            attendance = rng.randint(45, 160)
            voters = attendance - rng.randint(0, 6)
            satisfied = round(voters * rng.uniform(0.72, 0.93))
            basically = round((voters - satisfied) * rng.uniform(0.5, 0.9))
            state = MeetingState.PUBLISHED
            if last and not plan.showcase and rng.random() < 0.1:
                state = MeetingState.SUBMITTED
            items = ITEMS - rng.choice((0, 0, 0, 2, 4))
            works = "；".join(rng.sample(WORKS, 2))
            income = rng.randint(8, 60)
            text = (f"{year}年第{QUARTER_WORDS[quarter]}季度，村两委围绕村务公开的 {items} 项内容向群众报告："
                    f"村集体收入 {income} 万元、支出 {rng.randint(4, income)} 万元，明细已在公开栏公示；{works}；"
                    "上季度群众提出的诉求逐件说明办理情况。")
            held_at = _at(held_on, 19, 30)
            meetings.append(SunshineMeeting(
                village=plan.village, year=year, quarter=quarter, held_on=held_on, place=rng.choice(PLACES),
                attendance=attendance, items_reported=items, report=text, satisfied=satisfied,
                basically_satisfied=basically, dissatisfied=voters - satisfied - basically,
                voted_at=held_at + dt.timedelta(hours=2), state=state,
                submitted_at=held_at + dt.timedelta(days=1),
                published_at=held_at + dt.timedelta(days=3) if state == MeetingState.PUBLISHED else None,
                created_at=held_at + dt.timedelta(hours=3), created_by=plan.cadre))
            drawn.append((plan, i))
    meetings = insert(SunshineMeeting, meetings)
    report.meetings += len(meetings)
    report.published += sum(1 for m in meetings if m.state == MeetingState.PUBLISHED)

    questions: list[MeetingQuestion] = []
    asks: list[tuple[SunshineMeeting, tuple[str, str, str, str] | None]] = []
    for meeting, (plan, _) in zip(meetings, drawn, strict=True):
        rng = plan.rng
        at = meeting.created_at
        showing = plan.showcase and meeting.year == plan.quarters[-1][0] and meeting.quarter == plan.quarters[-1][1]
        for ask in rng.sample(ASKED, 3 if showing else rng.randint(1, 3)):
            source = QuestionSource.QR if rng.random() < 0.3 else QuestionSource.ONSITE
            questions.append(MeetingQuestion(meeting=meeting, text=ask[0], source=source, reply=ask[3],
                                             recorded_at=at, recorded_by=plan.cadre))
            asks.append((meeting, ask))
        for text, reply in rng.sample(ANSWERED, rng.randint(0, 2)):
            questions.append(MeetingQuestion(meeting=meeting, text=text, reply=reply, recorded_at=at,
                                             recorded_by=plan.cadre))
            asks.append((meeting, None))
    questions = insert(MeetingQuestion, questions)
    report.questions += len(questions)

    plan_of = {m.pk: plan for m, (plan, _) in zip(meetings, drawn, strict=True)}
    last_of = {m.pk: i == QUARTERS - 1 for m, (_, i) in zip(meetings, drawn, strict=True)}
    commitments: list[Commitment] = []
    shown = 0
    for question, (meeting, ask) in zip(questions, asks, strict=True):
        if ask is None:
            continue
        plan = plan_of[meeting.pk]
        rng = plan.rng
        days = (30, 60, 90, 120, 150) if last_of[meeting.pk] else (15, 30, 45, 60, 90, 120)
        deadline = meeting.held_on + dt.timedelta(days=rng.choice(days))
        roll = rng.random()
        done_on = None
        if plan.showcase and last_of[meeting.pk]:  # kept; under way, due later; overdue
            deadline = [meeting.held_on + dt.timedelta(days=30),
                        min(max(plan.today + dt.timedelta(days=25), meeting.held_on), meeting.held_on
                            + dt.timedelta(days=300)), meeting.held_on + dt.timedelta(days=15)][shown % 3]
            done_on = min(meeting.held_on + dt.timedelta(days=12), plan.today) if shown % 3 == 0 else None
            shown += 1
        elif last_of[meeting.pk]:
            if roll < 0.55:
                done_on = meeting.held_on + dt.timedelta(days=rng.randint(3, max(3, (deadline - meeting.held_on).days)))
        elif roll < 0.82:
            done_on = deadline - dt.timedelta(days=rng.randint(0, (deadline - meeting.held_on).days))
        elif roll < 0.93:
            done_on = deadline + dt.timedelta(days=rng.randint(3, 30))
        if done_on is not None and done_on > plan.today:
            done_on = None
        state = CommitmentState.DONE if done_on else CommitmentState.OPEN
        overdue = state == CommitmentState.OPEN and deadline < plan.today
        commitments.append(Commitment(
            meeting=meeting, village_id=meeting.village_id, question=question, demand=ask[1],
            owner=rng.choice(plan.owners), deadline=deadline, measure=ask[2], state=state, done_on=done_on,
            evidence=f"{ask[1]}已完成，经网格员回访群众满意" if done_on else "",
            overdue_at=_at(deadline + dt.timedelta(days=1), 1) if overdue or (done_on and done_on > deadline)
            else None, created_at=meeting.created_at, created_by=plan.cadre))
    commitments = insert(Commitment, commitments)
    report.commitments += len(commitments)
    report.done += sum(1 for c in commitments if c.state == CommitmentState.DONE)
    report.overdue += sum(1 for c in commitments if c.overdue_on(plan_of[c.meeting_id].today))

    events: list[MeetingEvent] = []
    screenings: list[Screening] = []
    per_meeting: dict[int, list[str]] = {}
    for q in questions:
        per_meeting.setdefault(q.meeting_id, []).append(f"{q.get_source_display()}：{q.text[:60]}")
    made: dict[int, list[str]] = {}
    for c in commitments:
        made.setdefault(c.meeting_id, []).append(c.demand)
    for meeting in meetings:
        plan = plan_of[meeting.pk]
        at, actor = meeting.created_at, plan.cadre
        held = f"{full_day(meeting.held_on)} 在{meeting.place}召开，参会 {meeting.attendance} 人"
        rows = [(MeetingAction.RECORD, at, held),
                (MeetingAction.REPORT, at, f"通报村务 {meeting.items_reported} 项")]
        rows += [(MeetingAction.QUESTION, at, t) for t in per_meeting.get(meeting.pk, [])]
        rows += [(MeetingAction.COMMITMENT, at, d) for d in made.get(meeting.pk, [])]
        rows += [(MeetingAction.VOTE, at, f"满意 {meeting.satisfied}，基本满意 {meeting.basically_satisfied}，"
                                          f"不满意 {meeting.dissatisfied}（参会 {meeting.attendance} 人）"),
                 (MeetingAction.SUBMIT, meeting.submitted_at, "")]
        events += [MeetingEvent(meeting=meeting, action=a, actor=actor, at=t, note=n) for a, t, n in rows]
        if meeting.state == MeetingState.PUBLISHED:
            events.append(MeetingEvent(meeting=meeting, action=MeetingAction.PASS, actor=plan.screener,
                                       at=meeting.published_at, note=""))
            screenings.append(Screening(meeting=meeting, decision=ScreeningDecision.PASS, actor=plan.screener,
                                        at=meeting.published_at))
    insert(MeetingEvent, events)
    insert(Screening, screenings)

    steps: list[CommitmentEvent] = []
    for c in commitments:
        plan = plan_of[c.meeting.pk]
        rng = plan.rng
        steps.append(CommitmentEvent(commitment=c, action=CommitmentAction.MAKE, to_state=CommitmentState.OPEN,
                                     actor=plan.cadre, at=c.created_at,
                                     note=f"责任人 {c.owner.full_name}，{full_day(c.deadline)} 前：{c.measure}"))
        span = (min(c.deadline, plan.today) - c.meeting.held_on).days
        midway = c.meeting.held_on + dt.timedelta(days=max(1, span // 2))
        if (c.done_on is None or c.done_on > midway) and midway <= plan.today and (plan.showcase or rng.random() < 0.7):
            steps.append(CommitmentEvent(commitment=c, action=CommitmentAction.PROGRESS,
                                         from_state=CommitmentState.OPEN, to_state=CommitmentState.OPEN,
                                         actor=c.owner, at=_at(midway, 16), note=rng.choice(PROGRESS)))
        if c.overdue_at is not None:
            steps.append(CommitmentEvent(commitment=c, action=CommitmentAction.OVERDUE, from_state=CommitmentState.OPEN,
                                         to_state=CommitmentState.OPEN, at=c.overdue_at, note="系统：已超过完成时限"))
        if c.done_on is not None:
            late = "（逾期办结）" if c.done_on > c.deadline else ""
            steps.append(CommitmentEvent(commitment=c, action=CommitmentAction.DONE, from_state=CommitmentState.OPEN,
                                         to_state=CommitmentState.DONE, actor=c.owner, at=_at(c.done_on, 17),
                                         note=f"{full_day(c.done_on)} 办结{late}：{c.evidence}"))
    insert(CommitmentEvent, sorted(steps, key=lambda e: e.at))


# --- 四议两公开, through the services ---------------------------------------------------------------


def _vote(rng: random.Random, expected: int, *, passes: bool = True) -> dict:
    attendance = expected - rng.randint(0, max(0, expected // 4))
    if passes:
        votes_for = attendance - rng.randint(0, attendance // 6)
    else:
        votes_for = attendance // 2 - rng.randint(0, attendance // 6)
    against = (attendance - votes_for) * 2 // 3
    return {"expected": expected, "attendance": attendance, "votes_for": votes_for, "votes_against": against,
            "votes_abstain": attendance - votes_for - against}


MINUTES = {
    StepKind.BRANCH: "党支部委员会议研究，同意提交两委联席会议商议",
    StepKind.JOINT: "村两委联席会议商议，形成初步方案，提交党员大会审议",
    StepKind.MEMBERS: "党员大会审议方案",
    StepKind.REPRESENTATIVES: "村民代表会议表决",
    StepKind.DECISION_PUBLIC: "决议在村务公开栏和网格微信群公示 7 天，无异议",
    StepKind.RESULT_PUBLIC: "实施结果和资金使用明细在村务公开栏公示",
}
EXPECTED = {StepKind.BRANCH: 7, StepKind.JOINT: 9, StepKind.MEMBERS: 46, StepKind.REPRESENTATIVES: 31}
MORE_MATTERS = 40  # at most, beyond the showcase's three: a county's 450 villages need no more to show the list
SMALL_MATTERS = ("修缮村小学围墙", "建设垃圾分类收集点", "增设健身器材", "维修村东生产桥", "改造村级饮水管网",
                 "村集体机动地对外发包")


def _steps(d: Deliberation, cadre: User, rng: random.Random, days: list[tuple[str, dt.date]], *,
           fail: str | None = None) -> None:
    for kind, day in days:
        args = _vote(rng, EXPECTED[kind], passes=kind != fail) if kind in EXPECTED else {}
        minutes = MINUTES[kind]
        if kind == fail:
            minutes += "：赞成票未过半数，事项终止"
        elif kind in (StepKind.MEMBERS, StepKind.REPRESENTATIVES):
            minutes += "：赞成票过半数，通过"
        published = kind in (StepKind.DECISION_PUBLIC, StepKind.RESULT_PUBLIC)
        place = "村务公开栏、网格微信群" if published else "村党群服务中心"
        services.deliberation_step_record(actor=cadre, deliberation=d, kind=kind, held_on=day, minutes=minutes,
                                          place=place, now=_at(day, 21), **args)


def _write_matters(seed: int, showcase: Region, villages: list[Region], cadres: dict[int, User],
                   clerks: dict[int, User], towns: dict[int, int], today: dt.date, report: MeetingsReport) -> None:
    road = Project.objects.filter(state=ProjectState.ACCEPTED, village=showcase).order_by("id").first()
    rng = random.Random(f"{seed}:meetings:matters:{showcase.code}")
    cadre = cadres[showcase.pk]
    order = [StepKind.BRANCH, StepKind.JOINT, StepKind.MEMBERS, StepKind.REPRESENTATIVES, StepKind.DECISION_PUBLIC,
             StepKind.RESULT_PUBLIC]

    def back(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    # 1. Completed, its result published: the road the projects demo followed (donations on the project).
    if road is not None and road.started_on and road.accepted_on:
        start = road.started_on - dt.timedelta(days=45)
        days = [start + dt.timedelta(days=d) for d in (5, 10, 16, 22, 25)]
        days.append(min(road.accepted_on + dt.timedelta(days=2), today))
        title, amount, project = road.title, road.budget, road
    else:
        days = [back(d) for d in (150, 144, 137, 130, 127, 10)]
        title, amount, project = "硬化村北生产路", 380_000, None
    first = days[0] - dt.timedelta(days=6)
    done = services.deliberation_propose(actor=cadre, village=showcase, title=title, proposer="村民代表联名",
                                         proposed_on=first, amount=amount, project=project, now=_at(first, 20),
                                         description="村北到麦田的土路雨天泥泞，农机进不去，群众要求硬化。")
    _steps(done, cadre, rng, list(zip(order, days, strict=True)))
    # 2. At the joint meeting (step 3), with donations of its own from members living away and labour.
    lights = services.deliberation_propose(actor=cadre, village=showcase, title="村内主街安装太阳能路灯",
                                           proposer="网格党小组", proposed_on=back(40), amount=120_000,
                                           now=_at(back(40), 20), description="主街和村委会门前安装太阳能路灯 40 盏，"
                                           "资金由村集体和在外乡贤捐助解决。")
    _steps(lights, cadre, rng, [(StepKind.BRANCH, back(33)), (StepKind.JOINT, back(26))])
    givers = (("胡忠辉", True, 50_000, 20, False), ("王建华", True, 30_000, 18, False),
              ("刘秀英", True, 10_000, 15, True), ("张建军", False, 2_000, 12, False))
    for name, away, amount, days_ago, anonymous in givers:
        services.deliberation_donation_record(actor=cadre, deliberation=lights, kind="money", donor_name=name,
                                              donated_on=back(days_ago), amount=amount, living_away=away,
                                              anonymous=anonymous, now=_at(back(days_ago), 18))
    services.deliberation_donation_record(actor=cadre, deliberation=lights, kind="labour",
                                          donor_name="第一网格党员志愿队", donated_on=back(10), labour_days=36,
                                          now=_at(back(10), 18))
    # 3. Stopped: the party members voted it down.
    square = services.deliberation_propose(actor=cadre, village=showcase, title="占用村东耕地修建文化广场",
                                           proposer="村两委", proposed_on=back(100), amount=300_000,
                                           now=_at(back(100), 20),
                                           description="在村东集体耕地上修建文化广场，需调整 6 户承包地。")
    _steps(square, cadre, rng, [(StepKind.BRANCH, back(92)), (StepKind.JOINT, back(86)), (StepKind.MEMBERS, back(80))],
           fail=StepKind.MEMBERS)
    matters = [done, lights, square]
    # In about a quarter of the other villages, one matter at some step.
    for village in villages:
        if village.pk == showcase.pk:
            continue
        vrng = random.Random(f"{seed}:meetings:matters:{village.code}")
        if vrng.random() > 0.25 or len(matters) >= MORE_MATTERS + 3:
            continue
        vcadre = cadres[village.pk]
        reached = vrng.randint(1, len(order))
        start = vrng.randint(30 + 8 * reached, 200)
        d = services.deliberation_propose(actor=vcadre, village=village, title=vrng.choice(SMALL_MATTERS),
                                          proposer=vrng.choice(("村两委", "村民代表联名", "网格党小组")),
                                          proposed_on=back(start), amount=vrng.randint(2, 30) * 10_000,
                                          now=_at(back(start), 20))
        _steps(d, vcadre, vrng, [(kind, back(start - 6 * (k + 1))) for k, kind in enumerate(order[:reached])])
        matters.append(d)
    for k, d in enumerate(matters):
        clerk = clerks.get(towns[d.village_id]) or cadres[d.village_id]
        if k < 3 or random.Random(f"{seed}:meetings:screen:{d.pk}").random() < 0.8:
            services.deliberation_screen(actor=clerk, deliberation=d, passed=True,
                                         now=_at(min(d.created_at.date() + dt.timedelta(days=2), today), 9))
    report.deliberations = len(matters)
