"""一村一码 for the demo county: every village's code (one re-issued after its poster was rained on), a
year of 码上问 — most answered in public by the village or township, a few waiting, some of them past
their deadline, a couple not shown with their reason, one with an ID number masked — and the latest
码上办 cases of the case history followed by a link sent to the reporter's phone.

Questions are written in bulk with their screening decisions; the re-issue goes through its service.
Deterministic for a seed and a build day: each village draws from ``seed:supervision:code``."""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.models import Case, Channel
from xiangzhi.cases.rules import calendar
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.redact import redact_personal
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.models import (
    ModerationDecision,
    ModerationOutcome,
    ModerationSubject,
    QrReport,
    Question,
    QuestionState,
    VillageCode,
)

# (category, question, answer)
ASKED = [
    ("affairs", "村里去年的集体收入有多少？都花在哪了？",
     "去年村集体经营性收入18.6万元，主要用于道路维修、保洁员工资和党群服务中心运转，明细已在三务公开栏第四季度公示。"),
    ("affairs", "村东那片集体土地承包给谁了？承包费多少？",
     "村东40亩集体土地经村民代表会议表决，公开竞价承包给本村种植户，每亩每年650元，承包合同已在村务公开栏公示。"),
    ("affairs", "村里的坑塘承包合同什么时候到期？到期后怎么办？",
     "坑塘承包合同明年3月到期，到期前将按“四议两公开”重新公开发包，方案会提前公示征求意见。"),
    ("policy", "今年的耕地地力保护补贴什么时候发？标准是多少？",
     "今年耕地地力保护补贴已于5月通过惠民惠农财政补贴资金“一卡通”发放，可持社保卡到银行查询到账明细。"),
    ("policy", "60岁以上老人的基础养老金今年涨了没有？",
     "城乡居民基础养老金今年每人每月提高20元，从7月起随养老金一并发放，不需要本人申请。"),
    ("policy", "农村危房改造今年还有名额吗？怎么申请？",
     "今年危房改造对象为低保户、分散供养特困人员等重点对象，可向村委会提出申请，由镇里组织鉴定后按程序申报。"),
    ("livelihood", "村里的自来水最近老停，什么时候能修好？",
     "已联系镇水务站，主管道漏点本周已修复；老化管网更换已列入明年项目计划，施工前会提前通知停水时间。"),
    ("livelihood", "低保申请需要什么材料，找谁办？",
     "携带身份证、户口本到村党群服务中心填写申请，村里入户调查、民主评议后报镇民政办审核，全程不收任何费用。"),
    ("livelihood", "冬天取暖的清洁能源补贴怎么领？",
     "已完成清洁取暖改造的户，补贴由镇里统一核对后打卡发放，名单在村务公开栏公示七天，有异议可向村委会反映。"),
    ("conduct", "村干部值班时间经常找不到人，能不能公布一下值班表？",
     "村两委值班表已张贴在党群服务中心门口，工作日8:00—12:00、14:00—17:30有人值班，节假日有专人轮值。"),
    ("conduct", "修路用的是哪个工程队？有没有公开招标？",
     "村北生产路工程经“四议两公开”程序，由镇公共资源交易平台公开招标确定施工单位，中标结果已公示。"),
    ("other", "村里能不能在文化广场多装几盏路灯？",
     "已收到大家的建议，文化广场照明已列入本年度村级项目计划，预计下个季度施工。"),
]
PII_QUESTION = ("livelihood", "我身份证号{id}，残疾人两项补贴申请两个月了怎么还没到？",
                "经查，您的申请材料已于上月报县残联审核，本月底前发放，届时会电话通知您。")
REJECTED = [("other", "隔壁那家天天吵架，村里管不管？", "涉及他人家事，请当面向村委会或网格员反映，由调解委员会处理"),
            ("other", "县城哪家饭店好吃？", "与村务无关，不予公开")]
REISSUE_REASON = "原海报被雨淋坏，更换新码"
QR_REPORTS = 12
PHONE_BASE = 13905439000


@dataclass
class SupervisionReport:
    codes: int = 0
    reissued: str = ""
    questions: int = 0
    answered: int = 0
    waiting: int = 0
    overdue: int = 0
    rejected: int = 0
    qr_reports: int = 0
    example_path: str = ""


def _due(start: dt.datetime, days: int) -> dt.datetime:
    return calendar().add_working_hours(timezone.localtime(start), days * 24)


def _government(region: Region | None) -> str:
    if region is None:
        return ""
    return region.name + ("办事处" if region.name.endswith("街道") else "人民政府")


def write_supervision(insert: Callable, *, seed: int = 0, now: dt.datetime | None = None) -> SupervisionReport:
    now = (now or timezone.now()).replace(microsecond=0)
    report = SupervisionReport()
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).defer("boundary").select_related("parent")
                    .order_by("code"))
    if not villages:
        return report
    regions = {r.pk: r for r in Region.objects.filter(level__in=(RegionLevel.TOWNSHIP, RegionLevel.AREA))
               .defer("boundary")}
    cadres = dict(User.objects.filter(role=Role.VILLAGE_CADRE, is_active=True).order_by("-id")
                  .values_list("region_id", "id"))
    clerks = dict(User.objects.filter(role=Role.TOWNSHIP_STAFF, is_active=True).order_by("-id")
                  .values_list("region_id", "id"))

    def township(village: Region) -> Region | None:
        up = regions.get(village.parent_id or 0)
        while up is not None and up.level != RegionLevel.TOWNSHIP:
            up = regions.get(up.parent_id or 0)
        return up

    first_issue = now - dt.timedelta(days=420)
    insert(VillageCode, [VillageCode(village=v, generation=1, issued_at=first_issue, reason="首次生成")
                         for v in villages])
    report.codes = len(villages)
    questions: list[Question] = []
    deciders: list[tuple[int | None, int | None, str]] = []  # per question: screener, answerer, reject reason
    for village in villages:
        rng = random.Random(f"{seed}:supervision:{village.code}")
        town = township(village)
        cadre, clerk = cadres.get(village.pk), clerks.get(town.pk) if town else None
        for k in range(rng.randint(2, 6)):
            asked = now - dt.timedelta(days=rng.uniform(0, 365))
            asked = asked.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59), second=0)
            if asked > now:
                asked -= dt.timedelta(days=1)
            category, text_, answer = rng.choice(ASKED)
            draw, reject_reason = rng.random(), ""
            if village == villages[0] and k == 0:
                category, text_, answer = PII_QUESTION
                text_ = text_.format(id=idnumber.make("371603", dt.date(1968, 3, 9), 157))
                draw = 0.0
            elif draw > 0.95 or (village == villages[0] and k == 1):
                category, text_, reject_reason = rng.choice(REJECTED)
            q = Question(village=village, category=category, submission_id=f"demo-{village.code}-{k}", asked_at=asked,
                         screen_due_at=_due(asked, settings.SUPERVISION_SCREEN_DAYS),
                         answer_due_at=_due(asked, settings.SUPERVISION_ANSWER_DAYS))
            masked = redact_personal(text_)
            q.text, q.masked_kinds = masked.text, ",".join(masked.kinds)
            if rng.random() < 0.2:
                phone = f"1{rng.choice((3, 5, 8))}{rng.randrange(10**9):09d}"
                q.phone_encrypted = crypto.encrypt(phone)
                q.phone_hash = services.phone_hash_of(phone)
            screener = cadre or clerk
            pending = draw > 0.85 or ((now - asked).days < 12 and draw > 0.6)
            if screener is not None and reject_reason:
                q.state, q.screened_at, q.reject_reason = (QuestionState.REJECTED,
                                                           min(now, asked + dt.timedelta(hours=18)), reject_reason)
                report.rejected += 1
            elif screener is None or pending:
                # Not screened yet, or screened and not answered: past its deadline once old enough.
                if screener is not None and rng.random() < 0.5:
                    q.state, q.screened_at = QuestionState.WAITING, min(now, asked + dt.timedelta(hours=20))
                else:
                    q.state = QuestionState.SCREENING
                report.waiting += 1
                report.overdue += selectors.question_is_overdue(q, now)
            else:
                q.state = QuestionState.ANSWERED
                q.screened_at = min(now, asked + dt.timedelta(hours=rng.randint(2, 30)))
                q.answered_at = min(now, q.screened_at + dt.timedelta(days=rng.choice((1, 2, 2, 3, 4, 6, 8))))
                by_town = clerk is not None and (cadre is None or category == "policy")
                q.answered_by_id = clerk if by_town else cadre
                q.answer_post = _government(town) if by_town else f"{village.name}村委会"
                q.answer = answer
                report.answered += 1
            questions.append(q)
            deciders.append((screener, q.answered_by_id, q.reject_reason))
    insert(Question, questions)
    decisions = []
    for q, (screener, answerer, reject_reason) in zip(questions, deciders, strict=True):
        if q.screened_at is None:
            continue
        decisions.append(ModerationDecision(
            question=q, subject=ModerationSubject.QUESTION,
            outcome=ModerationOutcome.REJECT if reject_reason else ModerationOutcome.PASS, reason=reject_reason,
            masked_kinds=q.masked_kinds, actor_id=screener, decided_at=q.screened_at))
        if q.answered_at is not None:
            decisions.append(ModerationDecision(
                question=q, subject=ModerationSubject.ANSWER, outcome=ModerationOutcome.PUBLISH,
                actor_id=answerer, decided_at=q.answered_at))
    insert(ModerationDecision, decisions)
    report.questions = len(questions)

    # The poster of the first village whose township has a clerk was rained on: a new code a month ago.
    for village in villages:
        town = township(village)
        clerk_id = clerks.get(town.pk) if town else None
        if clerk_id is not None:
            services.village_code_reissue(village=village, actor=User.objects.get(pk=clerk_id), reason=REISSUE_REASON,
                                          now=now - dt.timedelta(days=30))
            report.reissued = village.name
            break
    report.example_path = f"/v/{selectors.village_code_token(villages[0])}/"

    # 码上办: the latest cases reported by QR without an account, each followed by its reporter's phone.
    latest = list(Case.objects.filter(channel=Channel.QR, reporter__isnull=True, region__level=RegionLevel.VILLAGE)
                  .order_by("-created_at", "-id")[:QR_REPORTS])
    rows = []
    for n, case in enumerate(latest):
        phone = str(PHONE_BASE + n)
        case.reporter_phone_encrypted = crypto.encrypt(phone)
        case.reporter_phone_masked = idnumber.mask_phone(phone)
        rows.append(QrReport(case=case, village_id=case.region_id, phone_hash=services.phone_hash_of(phone),
                             submission_id=f"demo-qr-{case.pk}", created_at=case.created_at,
                             link_sent_at=case.created_at))
    Case.objects.bulk_update(latest, ["reporter_phone_encrypted", "reporter_phone_masked"])
    insert(QrReport, rows)
    report.qr_reports = len(rows)
    return report
