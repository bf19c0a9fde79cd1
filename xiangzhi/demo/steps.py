"""The demo county's steps after its register, in build order: grid work, configuration, two years of
cases, the three lists, points, volunteer activities, the points cycle, 积分优先, the points shops,
villagers' own sign-ups, the register's last months, the party, participation, inspections, village
projects and the 六零 assessment, the grid assessment, 村务公开, 一村一码, phone visits, 阳光报告会 and
the audit trail. Each step writes through its own module and says one line of what it wrote; the
builder times each (``STEPS``: the step's name in the report, the step).

A step leans on the ones before it (the case history reads the configuration, the assessments read the
cases as participation left them), so the order of ``STEPS`` is the build's.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from xiangzhi.accounts.models import Role, User
from xiangzhi.demo.activities import write_activities
from xiangzhi.demo.assessment import write_assessment
from xiangzhi.demo.audit import write_audit
from xiangzhi.demo.benefits import write_benefits
from xiangzhi.demo.case_history import PER_HOUSEHOLD, write_case_history
from xiangzhi.demo.configuration import write_configuration
from xiangzhi.demo.cycle import write_cycle
from xiangzhi.demo.disclosure import write_disclosures
from xiangzhi.demo.duties import write_duties
from xiangzhi.demo.grid_assessment import write_grid_assessment
from xiangzhi.demo.gridwork import write_grid_work
from xiangzhi.demo.inspections import write_inspections
from xiangzhi.demo.meetings import write_meetings
from xiangzhi.demo.participation import write_participation
from xiangzhi.demo.party import write_party
from xiangzhi.demo.phone_visits import write_phone_visits
from xiangzhi.demo.plan import Plan
from xiangzhi.demo.points import write_points
from xiangzhi.demo.projects import ProjectsReport, write_projects
from xiangzhi.demo.register import Insert
from xiangzhi.demo.register_history import RegisterHistoryReport, sample_villages, write_register_history
from xiangzhi.demo.shop import write_first_redemption, write_shops
from xiangzhi.demo.signups import write_signups
from xiangzhi.demo.supervision import write_supervision
from xiangzhi.people.models import Household
from xiangzhi.regions.models import Region, RegionLevel


@dataclass
class Build:
    """What the steps share: the build's seed, scale and plan, its writers, the passwords of the demo
    roles, each village's first households (those with an account), the report's counts and logins
    (added to in place) and its line printer; and what a step leaves for a later one."""

    seed: int
    scale: str
    plan: Plan
    insert: Insert
    insert_raw: Insert
    passwords: dict[Role, str]
    first_households: dict[str, list[tuple[int, str, str]]]
    counts: Counter  # model label → rows inserted
    accounts: list[dict]
    say: Callable[[str], None]
    register: RegisterHistoryReport | None = None
    households_built: int | None = None  # the last household of the register, before its last months


def grid_work(b: Build) -> None:
    # Grid work: three months of visits; patrol tracks and daily logs at street scale only, where
    # they are worth looking at (a county's 1,400 workers' GPS fixes would only cost build time).
    write_grid_work(b.insert, b.plan, seed=b.seed, tracks=b.scale == "street")
    b.say("  已生成走访记录" + ("、巡查轨迹和工作日志" if b.scale == "street" else ""))


def configuration(b: Build) -> None:
    # 配置: a category's terms changed last month, next year's holidays, a township's own duplicate distance;
    # before the case history, whose cases reported since the change keep the new terms.
    configured = write_configuration()
    b.say(f"  配置：{configured.edited or '无'}；{configured.year} 年节假日 {configured.days} 天"
          + (f"；{configured.override}" if configured.override else ""))


def case_history(b: Build) -> None:
    # Two years of cases, played through the workflow's rules and written in bulk (case_history).
    history = write_case_history(b.insert, seed=b.seed, per_household=PER_HOUSEHOLD[b.scale])
    b.say(f"  已生成两年事件历史：{history.cases:,} 件，处置记录 {history.transitions:,} 条")


def three_lists(b: Build) -> None:
    # 三张清单: the county's lists in force from now on; cases filed after this step are routed by them.
    lists = write_duties(seed=b.seed)
    b.say(f"  三张清单：小微权力 正面 {lists.allowed} 项、负面 {lists.forbidden} 项；职责任务 "
          f"{lists.counts.get('duty_list', 0)} 项；属地责任 {lists.counts.get('territorial_duty_list', 0)} 项"
          f"（乡镇牵头 {lists.lead}、配合 {lists.cooperate}）；职责任务清单第2版：{lists.changed}"
          + (f"，前后两件上报：{'、'.join(lists.cases)}" if any(lists.cases) else ""))


def household_points(b: Build) -> None:
    # Household points: each township's rulebook, five weeks of records and their monthly review.
    accounts = {hid for heads in b.first_households.values() for hid, _, _ in heads}
    points = write_points(b.insert_raw, seed=b.seed, scale=b.scale, with_accounts=accounts)
    b.say(f"  已生成积分：{points.rulebooks} 个乡镇的积分细则，积分记录 {points.entries:,} 条"
          f"（已审核 {points.reviews:,} 条，待审核 {points.pending:,} 条）")


def volunteer_activities(b: Build) -> None:
    # Volunteer activities through their services: every village at street scale, the first
    # township's villages for a whole county (each sign-up is a handful of queries).
    villages = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")
    if b.scale != "street":
        first = Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").first()
        villages = villages.filter(path__startswith=first.path)
    done = write_activities(seed=b.seed, villages=villages)
    b.say(f"  志愿服务活动：{done.activities} 场，报名 {done.signups:,} 户次，到场 {done.checked_in:,}，"
          f"记分 {done.awarded:,} 户次")


def points_cycle(b: Build) -> None:
    # The five-step cycle through the real services: notices, objections, a redemption window.
    cycle = write_cycle()
    b.say(f"  积分周期：已发布季度公示 {cycle.notices} 份，处理异议 {cycle.objections} 件，"
          f"开放兑换期 {cycle.windows} 个")


def priority_benefits(b: Build) -> None:
    # 积分优先: a few benefits in the first villages, two closed with their lists fixed and 核验码.
    benefits = write_benefits()
    b.say(f"  积分优先：{len(benefits.villages)} 个村发布 {benefits.published} 项，已截止 {benefits.closed} 项"
          f"（固定名单 {benefits.rows} 户）")


def points_shops(b: Build) -> None:
    # Every village's points supermarket, and a first bag of washing powder taken home.
    shops = write_shops(b.insert, seed=b.seed)
    first = write_first_redemption()
    b.say(f"  积分超市：{shops.villages} 个村上架 {shops.items} 种商品和服务"
          + (f"；{first.username} 兑换洗衣粉一袋（单号 {first.order_number}）" if first.order_number else ""))


def signups(b: Build) -> None:
    # Villagers who signed themselves up by phone, waiting for their village cadre (listed with
    # the other logins: their phone number and the residents' demo password).
    applicants = write_signups(b.passwords[Role.RESIDENT])
    b.counts[User._meta.label] += len(applicants)
    b.accounts.extend([
        {"role": Role.RESIDENT.value, "role_name": "村民（待村里确认）", "username": u.username,
         "password": b.passwords[Role.RESIDENT], "scope_code": "", "full_name": u.full_name}
        for u in applicants
    ])
    b.say(f"  村民自助注册：{len(applicants)} 份申请等待村里确认")


def register_history(b: Build) -> None:
    # The register's last months through its services: births, deaths, moves, a split and a merge,
    # key people, a place, a liaison, a member link and a boundary (register_history).
    b.households_built = Household.objects.aggregate(last=models.Max("id"))["last"]  # the grid assessment's register
    register = write_register_history(seed=b.seed, villages=sample_villages(b.scale))
    b.register = register
    b.counts.update(register.rows)
    b.say(f"  户籍变动：{register.villages} 个村登记变动 {register.total:,} 条，"
          f"待村干部确认 {register.pending} 条")


def party_branches(b: Build) -> None:
    # 党组织: every village's branch, 2–4 groups serving its grids, members (those away too) and posts.
    party = write_party(b.insert, seed=b.seed)
    b.say(f"  党组织：{party.branches} 个党支部，{party.groups} 个党小组，党员 {party.members:,} 名"
          f"（在外 {party.away:,} 名），设岗 {party.posts:,} 个，两年党小组活动 {party.activities:,} 次")


def participation(b: Build) -> None:
    # 群众参与: notices with read receipts, a closed survey and an open one, 民情恳谈 whose demands are cases —
    # before the assessments, which read the cases of their periods as they stood at each period's end.
    met = write_participation(b.insert, insert_raw=b.insert_raw, seed=b.seed,
                              scale=b.scale)
    b.say(f"  群众参与：通知 {met.announcements} 条（回执 {met.receipts:,} 条，已读 {met.read:,}），"
          f"民意调查 {met.polls} 个（投票 {met.ballots:,} 户，入户代录 {met.on_paper:,}），"
          f"民情恳谈 {met.meetings} 场，诉求 {met.demands} 条（已办结 {met.resolved}）")


def inspections(b: Build) -> None:
    # 每月排查: six months of inspections in every village, findings handed over and followed up.
    checks = write_inspections(b.insert, seed=b.seed, password=b.passwords[Role.INSPECTOR],
                               accounts=b.accounts)
    b.say(f"  每月排查：{checks.inspectors} 名督查员，排查 {checks.inspections:,} 村次，发现问题 "
          f"{checks.findings:,} 个（逾期未整改 {checks.open_overdue} 个）")


def projects_and_assessment(b: Build) -> None:
    # 积分换项目: the 六零 scorecard over two half-years, run, published and closed (after the inspections);
    # between the two, 村级项目 — every village's requests and plan, projects under way, one followed to
    # completion — so the earlier half's awards reach the projects the funded villages set up.
    made: list[ProjectsReport] = []
    scored = write_assessment(between=lambda: made.append(write_projects(seed=b.seed)))
    works = made[0]
    b.say(f"  村级项目：群众需求 {works.requests:,} 条，列入计划 {works.planned:,} 条，立项 {works.projects} 个"
          + (f"；已完工验收：{works.completed}" if works.completed else ""))
    b.say(f"  积分换项目：{scored.periods} 个半年考核期，{scored.villages} 个村排名，奖励 {scored.funded} 个村 "
          f"{scored.funded_yuan:,} 元，通报诫勉 {scored.warned} 个，组织处理 {scored.flagged} 个；"
          f"奖补已由项目承接 {scored.awards_taken} 笔，待安排项目 {scored.awards_waiting} 笔")


def grid_assessment(b: Build) -> None:
    # 网格考核: this year's quarters on the default grid scheme, the last one published with its appeals.
    grids = write_grid_assessment(b.insert_raw, seed=b.seed, households_through=b.households_built)
    star_names = ("一星", "二星", "三星", "四星", "五星")
    stars = "，".join(f"{name} {grids.stars[n]} 个" for n, name in enumerate(star_names, 1))
    b.say(f"  网格考核：{grids.quarters} 个季度，{grids.last_name} {grids.grids} 个网格已公布（{stars}），"
          f"人工评分 {grids.manual} 条，申诉 {grids.appeals} 件（成立 {grids.upheld} 件）；"
          f"补录巡查 {grids.patrols:,} 次、走访 {grids.visits:,} 次")


def disclosures(b: Build) -> None:
    # 村务公开: the 36-item template and the last four quarters' disclosures (some late, some overdue, one
    # corrected, one village empty), 上级政策 and 民生事项, each village's cadres.
    shown = write_disclosures(b.insert_raw, seed=b.seed)
    b.say(f"  村务公开：{shown.villages} 个村公开 {shown.published:,} 项（逾期公开 {shown.late:,}），"
          f"待审核 {shown.waiting}，逾期未公开 {shown.overdue:,}；政策和民生事项 {shown.posts} 条，"
          f"干部 {shown.cadres:,} 名；更正示例：{shown.corrected}")


def supervision(b: Build) -> None:
    # 一村一码: every village's code (one re-issued), a year of 码上问, the latest 码上办 cases with follow links.
    codes = write_supervision(b.insert, seed=b.seed)
    b.say(f"  一村一码：{codes.codes} 个村的码（{codes.reissued}已更换新码），"
          f"码上问 {codes.questions:,} 条（已答复 {codes.answered:,}，待办 {codes.waiting}，"
          f"其中超时 {codes.overdue}，未通过 {codes.rejected}），码上办跟踪链接 {codes.qr_reports} 件；"
          f"示例 {codes.example_path}")


def phone_visits(b: Build) -> None:
    # 电话回访: each township's 综治中心 calls a few reporters without an account (after 码上办's cases).
    calls = write_phone_visits()
    b.say(f"  电话回访：记录评价 {calls.rated} 件，未接通 {calls.unanswered} 次")


def meetings(b: Build) -> None:
    # 阳光报告会 (the last four quarters, most published) and 四议两公开 (one village's three matters, a few more).
    sunshine = write_meetings(b.insert, seed=b.seed)
    b.say(f"  阳光报告会：{sunshine.meetings:,} 场（已公开 {sunshine.published:,}），"
          f"质询 {sunshine.questions:,} 条，承诺 {sunshine.commitments:,} 件"
          f"（办结 {sunshine.done:,}，逾期 {sunshine.overdue:,}）；"
          f"四议两公开事项 {sunshine.deliberations} 件（{sunshine.showcase}）")


def audit(b: Build) -> None:
    # 审计: each township's trail also holds a reveal and a register export.
    trail = write_audit()
    b.say(f"  审计日志：查看敏感信息 {trail.reveals} 次，导出 {trail.exports} 次（另有各项发布、导入自动记录）")


STEPS: list[tuple[str, Callable[[Build], None]]] = [
    ("走访和巡查", grid_work),
    ("配置", configuration),
    ("两年事件历史", case_history),
    ("三张清单", three_lists),
    ("积分记录", household_points),
    ("志愿服务活动", volunteer_activities),
    ("积分周期", points_cycle),
    ("积分优先", priority_benefits),
    ("积分超市", points_shops),
    ("村民自助注册", signups),
    ("户籍变动", register_history),
    ("党组织", party_branches),
    ("群众参与", participation),
    ("每月排查", inspections),
    ("村级项目和积分换项目", projects_and_assessment),
    ("网格考核", grid_assessment),
    ("村务公开", disclosures),
    ("一村一码", supervision),
    ("电话回访", phone_visits),
    ("阳光报告会", meetings),
    ("审计日志", audit),
]
