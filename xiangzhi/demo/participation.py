"""通知公告, 民意调查 and 民情恳谈 for the demo county.

Every village (for a whole county, the first township's villages) gets notices from its cadres — one
on autumn fire safety shown on its public page and reminded once, one on the medical insurance due
this week, and where it has party members living away a letter to them (001) — and the township one
notice to all; each with one receipt a person, read by most who have an account, by fewer of those sent
an SMS, by nobody who has neither. Each village has a satisfaction survey of its households closed
two months ago with its results published (most ballots collected on paper by the grid's worker,
some on the villagers' phones) and this year's 实事项目 consultation still open. The public ones were
screened by the township's staff (the county's administrator for the township's own notice) and passed
a few hours after they went out — except, where there are several villages, the last village's
consultation still waiting and its fire notice returned with the reason. About half the
villages held two 百姓夜话 / 民情恳谈 evenings a quarter over the last year; each demand raised is a case
(channel 民情恳谈) played through the case rules like the case history, so the older ones are mostly
closed and the latest still open.

Rows are written in bulk (a few queries a table, whatever the scale): the receipts from the audiences
the service resolves (``participation.selectors.recipients_of``), the demands' cases from the case
history's stories. Deterministic for a seed and a build moment: each village draws from
``seed:participation:<village code>``.
"""

import base64
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases.models import Case, Channel, Transition
from xiangzhi.demo.bulkload import row_maker
from xiangzhi.demo.case_history import _County, _open, _place, _play
from xiangzhi.demo.names import draw_name
from xiangzhi.notifications.models import Notification
from xiangzhi.participation.models import (
    SCALE,
    Announcement,
    AnnouncementReceipt,
    AnnouncementReminder,
    AudienceKind,
    Meeting,
    MeetingDemand,
    MeetingKind,
    Poll,
    PollAnswer,
    PollBallot,
    PollOption,
    PollQuestion,
    PublicScreening,
    PublicState,
    QuestionKind,
    ReceiptChannel,
    ScreeningDecision,
    VoteUnit,
)
from xiangzhi.participation.selectors import Audience, audience_households, recipients_of
from xiangzhi.party.models import Branch
from xiangzhi.regions.models import Grid, GridAssignment, GridDuty, Region, RegionLevel
from xiangzhi.regions.selectors import township_ids

# Who reads, by how it reached him: (within a few days, in the end).
READ_SHARE = {ReceiptChannel.INBOX: 0.85, ReceiptChannel.SMS: 0.55, ReceiptChannel.NONE: 0.0}
NEW_RECEIPT = row_maker(AnnouncementReceipt)  # one a resident an announcement reaches
FIRE = ("关于做好秋冬季防火工作的通知",
        "近期天干物燥，请各户不在房前屋后堆放柴草，不在田间地头焚烧秸秆、垃圾；家中老人使用取暖设备注意用电安全。"
        "发现火情请立即拨打 119，并告知网格员。")
INSURANCE = ("关于缴纳城乡居民医疗保险的通知",
             "城乡居民医疗保险集中缴费即将截止，请尚未缴费的村民尽快通过手机或到村党群服务中心缴纳。"
             "低保、特困等人员由政府资助参保，有疑问请咨询网格员。")
AWAY_LETTER = ("致{village}在外党员的一封信",
               "各位在外党员：你们好！一年来村里硬化了生产路、安装了路灯，积分超市每季度开放。村里今年的发展计划已在"
               "村务公开栏公示，欢迎大家通过网格微信群和“乡治”平台参与村里的事，为家乡发展出主意、想办法。")
TOWN_NOTICE = ("关于开展“身边好人”推荐评选的通知",
               "为弘扬孝善文化，{town}开展“身边好人”“好媳妇好婆婆”推荐评选。请各村网格员广泛宣传，"
               "村民可向村委会推荐身边的好人好事，推荐截止后在村务公开页公示。")
SURVEY_SCALES = ("对村务公开的满意程度", "对网格员服务的满意程度", "对村里人居环境的满意程度")
WISHES = ("硬化村北生产路", "主街安装太阳能路灯", "疏通村南排水沟", "修建村文化广场", "改造饮水管网", "增设健身器材")
VOLUNTEER = ("清扫村道", "关爱孤寡老人", "防汛巡河", "移风易俗宣传")
# A village's mood: the weights of 非常满意 … 非常不满意.
MOODS = ((48, 36, 11, 4, 1), (38, 40, 15, 5, 2), (30, 38, 20, 9, 3))
DEMANDS = [
    ("村南排水沟淤堵，下雨积水进院", "env_sewage"), ("主街几盏路灯不亮", "road_light"),
    ("村东垃圾点清运不及时", "env_garbage"), ("生产路坑洼，农机难走", "road_damage"),
    ("自来水水压小，高处人家用水难", "livelihood_water"), ("线路老化，夏天经常跳闸", "livelihood_power"),
    ("邻里宅基地界线有争议，请村里调解", "dispute_neighbour"), ("咨询医保缴费和报销政策", "petition_policy"),
    ("村口路段缺少减速带，车速太快", "safety_traffic"), ("土地流转费还没按时发放", "dispute_land"),
    ("老人想申请临时救助", "livelihood_welfare"), ("有人在田边焚烧秸秆", "env_straw_burning"),
]
PLACES = ("村党群服务中心", "村委会大院", "村文化广场", "{grid}胡同口", "{grid}网格长家院里")
SUMMARIES = ("围绕人居环境整治和冬季取暖安全拉家常，收集群众意见建议。",
             "通报村级项目进展和积分超市兑换情况，听取群众意见。",
             "宣讲医保缴费和惠农政策，现场解答群众咨询。",
             "围绕土地流转和道路硬化征求意见，群众发言踊跃。")
MEETING_SHARE = 0.5
RETURN_REASON = "请写明本村防火检查的时间安排和各网格负责人后重新发送，再申请公开"


@dataclass
class ParticipationReport:
    announcements: int = 0
    receipts: int = 0
    read: int = 0
    polls: int = 0
    ballots: int = 0
    on_paper: int = 0
    meetings: int = 0
    demands: int = 0
    resolved: int = 0
    screened: int = 0
    waiting: int = 0
    returned: int = 0


def write_participation(insert: Callable, *, seed: int, now: dt.datetime | None = None, scale: str = "street",
                        villages: list[Region] | None = None,
                        insert_raw: Callable | None = None) -> ParticipationReport:
    """``insert(model, rows)`` is the builder's counted ``bulk_create`` (it returns the rows with ids);
    ``insert_raw`` its ``core.bulk.bulk_insert`` (ids reserved too) for the big tables: receipts, ballots,
    answers. Every village at street scale; a county's first township's villages (or ``villages``)."""
    raw = insert_raw or insert
    now = (now or timezone.now()).replace(microsecond=0)
    report = ParticipationReport()
    if villages is None:
        qs = Region.objects.filter(level=RegionLevel.VILLAGE).defer("boundary").order_by("code")
        first = Region.objects.filter(level=RegionLevel.TOWNSHIP).order_by("code").first()
        if scale != "street" and first is not None:
            qs = qs.filter(path__startswith=first.path)
        villages = list(qs)
    if not villages:
        return report
    staff = _Staff(villages)
    screening = _Screening(villages, staff, seed, now)
    _announcements(insert, raw, villages, staff, seed, now, report, screening)
    _polls(insert, raw, villages, staff, seed, now, report, screening)
    screening.write(insert, report)
    _meetings(insert, villages, staff, seed, now, report)
    return report


class _Staff:
    """The accounts the demo acts as: each village's cadre, each township's staff, each grid's worker
    (a micro-grid's is its grid's), each household's account."""

    def __init__(self, villages: list[Region]):
        ids = [v.pk for v in villages]
        self.cadre: dict[int, int] = {}
        for region_id, pk in (User.objects.filter(role=Role.VILLAGE_CADRE, region_id__in=ids, is_active=True)
                              .order_by("id").values_list("region_id", "id")):
            self.cadre.setdefault(region_id, pk)
        self.town: dict[int, int] = {}
        for region_id, pk in (User.objects.filter(role=Role.TOWNSHIP_STAFF, is_active=True)
                              .order_by("id").values_list("region_id", "id")):
            self.town.setdefault(region_id, pk)
        parents = dict(Grid.objects.filter(region_id__in=ids).values_list("id", "parent_id"))
        self.worker: dict[int, int] = {}
        for grid_id, pk in (GridAssignment.objects.filter(grid_id__in=parents, ended_on__isnull=True)
                            .exclude(duty=GridDuty.GUIDE).order_by("duty", "id").values_list("grid_id", "user_id")):
            self.worker.setdefault(grid_id, pk)
        for grid_id, parent in parents.items():
            if grid_id not in self.worker and parent in self.worker:
                self.worker[grid_id] = self.worker[parent]
        self.household_account = dict(User.objects.filter(role=Role.RESIDENT, is_active=True, resident__isnull=True,
                                                          household__grid__region_id__in=ids)
                                      .order_by("-id").values_list("household_id", "id"))
        self.secretary = dict(Branch.objects.filter(village_id__in=ids, secretary__isnull=False)
                              .values_list("village_id", "secretary__name"))


class _Screening:
    """The township's decisions on the public notices and polls: each is passed a few hours after it went
    out by its township's staff (or, for the township's own notice, the county's administrator) — apart
    from the last of several villages, whose consultation waits and whose fire notice is returned."""

    def __init__(self, villages: list[Region], staff: _Staff, seed: int, now: dt.datetime):
        self.town_of = township_ids(v.pk for v in villages)
        self.staff, self.now = staff, now
        self.admin = (User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("id")
                      .values_list("id", flat=True).first())
        with_cadre = [v for v in villages if v.pk in staff.cadre]
        self.odd = with_cadre[-1].pk if len(with_cadre) > 1 else None
        self.rng = random.Random(f"{seed}:participation:screening")
        self.decided: list[tuple[Announcement | Poll, str, str, int, dt.datetime]] = []

    def decide(self, item: Announcement | Poll, town_id: int, since: dt.datetime, *, village_id: int | None = None,
               hold: bool = False, returned: bool = False) -> None:
        """Before the item is inserted: its public state, and the decision written once it has its id."""
        item.public_state = PublicState.WAITING
        odd = village_id is not None and village_id == self.odd
        if odd and hold:
            return
        actor = self.staff.town.get(town_id)
        if actor is None or actor == item.author_id:
            actor = self.admin
        at = since + dt.timedelta(hours=self.rng.randint(2, 20), minutes=self.rng.randint(0, 59))
        if actor is None or actor == item.author_id or at > self.now:
            return
        back = odd and returned
        item.public_state = PublicState.RETURNED if back else PublicState.PASSED
        self.decided.append((item, ScreeningDecision.RETURN if back else ScreeningDecision.PASS,
                             RETURN_REASON if back else "", actor, at))

    def write(self, insert, report: ParticipationReport) -> None:
        rows = [PublicScreening(announcement_id=item.pk if isinstance(item, Announcement) else None,
                                poll_id=item.pk if isinstance(item, Poll) else None, decision=decision,
                                reason=reason, actor_id=actor, at=at)
                for item, decision, reason, actor, at in self.decided if item.pk is not None]
        insert(PublicScreening, rows)
        report.screened = len(rows)
        report.returned = sum(r.decision == ScreeningDecision.RETURN for r in rows)
        report.waiting = (Announcement.objects.filter(public_state=PublicState.WAITING).count()
                          + Poll.objects.filter(public_state=PublicState.WAITING).count())


def _key(rng: random.Random) -> str:
    """An SMS link's key: 12 URL-safe characters (72 bits), as ``secrets.token_urlsafe(9)`` makes them."""
    return base64.urlsafe_b64encode(rng.getrandbits(72).to_bytes(9, "big")).decode()


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


# --- 通知公告 -------------------------------------------------------------------------------------------


def _announcements(insert, raw, villages, staff: _Staff, seed: int, now: dt.datetime,
                   report: ParticipationReport, screening: _Screening) -> None:
    today = timezone.localdate(now)
    planned: list[tuple[Announcement, Audience, random.Random, dt.timedelta | None]] = []
    towns = Region.objects.defer("boundary").filter(pk__in=set(township_ids(v.pk for v in villages).values()))
    for town in towns.order_by("code"):
        sender = staff.town.get(town.pk)
        if sender is None:
            continue
        rng = random.Random(f"{seed}:participation:{town.code}")
        title, body = TOWN_NOTICE
        planned.append(_notice(Audience(AudienceKind.TOWNSHIP, town), sender, title, body.format(town=town.name),
                               f"{town.name}综治中心", today - dt.timedelta(days=10), rng, public=True))
    for v in villages:
        sender = staff.cadre.get(v.pk)
        if sender is None:
            continue
        rng = random.Random(f"{seed}:participation:{v.code}")
        issuer = f"{v.name}村民委员会"
        audience = Audience(AudienceKind.VILLAGE, v)
        planned.append(_notice(audience, sender, *FIRE, issuer, today - dt.timedelta(days=rng.randint(15, 22)), rng,
                               public=True, remind=dt.timedelta(days=2)))
        planned.append(_notice(audience, sender, *INSURANCE, issuer, today - dt.timedelta(days=rng.randint(2, 5)),
                               rng))
        title, body = AWAY_LETTER
        planned.append(_notice(Audience(AudienceKind.AWAY_MEMBERS, v), sender, title.format(village=v.name), body,
                               f"中共{v.name}支部委员会", today - dt.timedelta(days=rng.randint(40, 60)), rng))
    rows, receipts, notices, reminders = [], [], [], []
    resolved = [(a, audience, rng, remind, recipients_of(audience, today=a.sent_at.date()))
                for a, audience, rng, remind in planned]
    resolved = [r for r in resolved if r[4]]
    for a, audience, *_, people in resolved:
        a.recipients = len(people)
        if a.is_public:
            village_id = audience.region.pk if audience.kind != AudienceKind.TOWNSHIP else None
            town_id = screening.town_of[village_id] if village_id is not None else audience.region.pk
            screening.decide(a, town_id, a.sent_at, village_id=village_id, returned=a.title == FIRE[0])
        rows.append(a)
    insert(Announcement, rows)
    for a, _, rng, remind, people in resolved:
        reminded_at = a.sent_at + remind if remind is not None else None
        unread_then = 0
        for p in people:
            channel = (ReceiptChannel.INBOX if p.user_id else ReceiptChannel.SMS if p.has_phone
                       else ReceiptChannel.NONE)
            read_at = None
            if rng.random() < READ_SHARE[channel]:
                read_at = a.sent_at + dt.timedelta(minutes=rng.randint(5, 60 * 24 * 4))
                if read_at > now:
                    read_at = None
            if reminded_at is not None and (read_at is None or read_at > reminded_at):
                unread_then += 1
            sms_round = 0
            if channel == ReceiptChannel.SMS:
                sms_round = 2 if reminded_at is not None and (read_at is None or read_at > reminded_at) else 1
            receipts.append(NEW_RECEIPT(
                announcement_id=a.pk, resident_id=p.resident_id, user_id=p.user_id, grid_id=p.grid_id,
                channel=channel, link_key=_key(rng) if channel == ReceiptChannel.SMS else "", sms_round=sms_round,
                sms_status="sent" if channel == ReceiptChannel.SMS else "", read_at=read_at,
                read_via=("site" if channel == ReceiptChannel.INBOX else "link") if read_at else ""))
            if p.user_id:
                notices.append(Notification(recipient_id=p.user_id, kind="announcement",
                                            title=f"{a.issuer}通知：{a.title}", body=a.body[:200],
                                            link=f"/participation/announcements/{a.pk}/", created_at=a.sent_at,
                                            read_at=read_at, deliveries={"xiangzhi.notifications.channels.LogChannel":
                                                                         "sent"}))
            report.read += read_at is not None
        if reminded_at is not None and reminded_at <= now and unread_then:
            reminders.append(AnnouncementReminder(announcement_id=a.pk, actor_id=a.author_id, at=reminded_at,
                                                  unread=unread_then))
    raw(AnnouncementReceipt, receipts)
    insert(Notification, notices)
    insert(AnnouncementReminder, reminders)
    report.announcements, report.receipts = len(rows), len(receipts)


def _notice(audience: Audience, sender: int, title: str, body: str, issuer: str, day: dt.date, rng: random.Random,
            *, public: bool = False, remind: dt.timedelta | None = None):
    sent = _at(day, rng.randint(8, 10), rng.randint(0, 59))
    a = Announcement(audience=audience.kind, region=audience.region, grid=audience.grid,
                     party_group=audience.group, scope_path=audience.path, audience_label=audience.label,
                     title=title, body=body, issuer=issuer, is_public=public, author_id=sender, sent_at=sent)
    return a, audience, rng, remind


# --- 民意调查 -------------------------------------------------------------------------------------------


def _polls(insert, raw, villages, staff: _Staff, seed: int, now: dt.datetime, report: ParticipationReport,
           screening: _Screening) -> None:
    today = timezone.localdate(now)
    half = "上半年" if today.month > 6 else "下半年"
    survey_year = today.year if today.month > 6 else today.year - 1
    plans = []
    for v in villages:
        sender = staff.cadre.get(v.pk)
        if sender is None:
            continue
        rng = random.Random(f"{seed}:participation:polls:{v.code}")
        audience = Audience(AudienceKind.VILLAGE, v)
        households = list(audience_households(audience).order_by("id").values_list("id", "grid_id"))
        if not households:
            continue
        wishes = rng.sample(WISHES, 4)
        closed = Poll(audience=audience.kind, region=v, scope_path=audience.path, audience_label=audience.label,
                      title=f"{survey_year}年{half}村级事务满意度测评", unit=VoteUnit.HOUSEHOLD,
                      description="请各户对村务公开、网格员服务和人居环境打分，结果在村务公开页公布。",
                      opens_at=_at(today - dt.timedelta(days=75), 8, 0),
                      closes_at=_at(today - dt.timedelta(days=61), 20, 0), is_public=True,
                      electorate=len(households), author_id=sender,
                      created_at=_at(today - dt.timedelta(days=76), 16, 0))
        questions = [(t, QuestionKind.SCALE, list(SCALE)) for t in SURVEY_SCALES]
        questions.append(("今年最希望村里办的一件实事", QuestionKind.SINGLE, [(w, None) for w in wishes]))
        plans.append((closed, questions, households, rng, rng.uniform(0.55, 0.85), rng.choice(MOODS)))
        current = Poll(audience=audience.kind, region=v, scope_path=audience.path, audience_label=audience.label,
                       title=f"{today.year}年村级实事项目征求意见", unit=VoteUnit.HOUSEHOLD,
                       description="村两委拟定了几件实事，请每户选出最急需办的一件，结果截止后公布。",
                       opens_at=_at(today - dt.timedelta(days=3), 8, 0),
                       closes_at=_at(today + dt.timedelta(days=11), 20, 0), is_public=True,
                       electorate=len(households), author_id=sender,
                       created_at=_at(today - dt.timedelta(days=4), 17, 0))
        questions = [("最急需办的一件实事", QuestionKind.SINGLE, [(w, None) for w in wishes]),
                     ("您家愿意参加哪些志愿服务", QuestionKind.MULTIPLE, [(w, None) for w in VOLUNTEER])]
        plans.append((current, questions, households, rng, rng.uniform(0.2, 0.35), rng.choice(MOODS)))
        screening.decide(closed, screening.town_of[v.pk], closed.created_at, village_id=v.pk)
        screening.decide(current, screening.town_of[v.pk], current.created_at, village_id=v.pk, hold=True)
    insert(Poll, [p for p, *_ in plans])
    question_rows = [PollQuestion(poll_id=p.pk, position=i, text=text, kind=kind)
                     for p, questions, *_ in plans for i, (text, kind, _) in enumerate(questions, start=1)]
    insert(PollQuestion, question_rows)
    by_poll: dict[int, list[PollQuestion]] = defaultdict(list)
    for q in question_rows:
        by_poll[q.poll_id].append(q)
    option_rows = []
    for p, questions, *_ in plans:
        for q, (_, _, options) in zip(by_poll[p.pk], questions, strict=True):
            option_rows += [PollOption(question_id=q.pk, position=i, text=text, value=value)
                            for i, (text, value) in enumerate(options, start=1)]
    insert(PollOption, option_rows)
    options: dict[int, list[PollOption]] = defaultdict(list)
    for o in option_rows:
        options[o.question_id].append(o)
    ballots, picks = [], []
    for p, _, households, rng, share, mood in plans:
        until = min(p.closes_at, now)
        span = max(60, int((until - p.opens_at).total_seconds()))
        wish_weights = [rng.randint(1, 6) for _ in range(4)]
        for household_id, grid_id in households:
            if rng.random() >= share:
                continue
            account = staff.household_account.get(household_id)
            online = account is not None and rng.random() < 0.8
            voter = account if online else staff.worker.get(grid_id) or p.author_id
            ballot = PollBallot(poll_id=p.pk, household_id=household_id, voter_id=voter, on_paper=not online,
                                cast_at=p.opens_at + dt.timedelta(seconds=rng.randrange(span)))
            chosen = []
            for q in by_poll[p.pk]:
                opts = options[q.pk]
                if q.kind == QuestionKind.SCALE:
                    chosen.append((q.pk, [rng.choices(opts, mood)[0].pk]))
                elif q.kind == QuestionKind.SINGLE:
                    chosen.append((q.pk, [rng.choices(opts, wish_weights)[0].pk]))
                else:
                    chosen.append((q.pk, [o.pk for o in rng.sample(opts, rng.randint(1, 2))]))
            ballots.append(ballot)
            picks.append(chosen)
    raw(PollBallot, ballots)
    raw(PollAnswer, [PollAnswer(ballot_id=b.pk, question_id=q, option_id=o)
                        for b, chosen in zip(ballots, picks, strict=True) for q, opts in chosen for o in opts])
    report.polls, report.ballots = len(plans), len(ballots)
    report.on_paper = sum(b.on_paper for b in ballots)


# --- 民情恳谈 / 百姓夜话 ------------------------------------------------------------------------------------


def _quarters(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The last four calendar quarters up to yesterday, the current one cut short."""
    first = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    out = []
    for _ in range(4):
        month = first.month + 3
        end = (dt.date(first.year + 1, month - 12, 1) if month > 12 else dt.date(first.year, month, 1)) - dt.timedelta(
            days=1)
        out.append((first, min(end, today - dt.timedelta(days=1))))
        prev = first.month - 3
        first = dt.date(first.year - 1, prev + 12, 1) if prev < 1 else dt.date(first.year, prev, 1)
    return [(a, b) for a, b in reversed(out) if a <= b]


def _meetings(insert, villages, staff: _Staff, seed: int, now: dt.datetime, report: ParticipationReport) -> None:
    today = timezone.localdate(now)
    county = _County()
    next_id = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    meetings, demands, cases, transitions = [], [], [], []
    grid_names = dict(Grid.objects.filter(region__in=villages).values_list("id", "name"))
    parents = dict(Grid.objects.filter(region__in=villages).values_list("id", "parent_id"))
    for n, v in enumerate(villages):
        rng = random.Random(f"{seed}:participation:meetings:{v.code}")
        recorder = staff.cadre.get(v.pk)
        leaves = county.leaves.get(v.pk, [])
        if recorder is None or not leaves or (n and rng.random() >= MEETING_SHARE):
            continue
        village = county.regions[v.pk]
        township = county.regions[county.township_of(v.pk)]
        host = f"村党支部书记{staff.secretary[v.pk]}" if v.pk in staff.secretary else "村两委"
        for start, end in _quarters(today):
            span = (end - start).days + 1
            for offset in sorted(rng.sample(range(span), k=min(2, span))):
                held = start + dt.timedelta(days=offset)
                leaf = rng.choice(leaves)
                top = parents.get(leaf.id) or leaf.id
                meeting = Meeting(
                    village_id=v.pk, kind=MeetingKind.EVENING if rng.random() < 0.7 else MeetingKind.CONSULTATION,
                    held_on=held, place=rng.choice(PLACES).format(grid=grid_names.get(top, "")), host_name=host,
                    attendance=rng.randint(18, 60), summary=rng.choice(SUMMARIES), recorded_by_id=recorder,
                    created_at=_at(held, 21, rng.randint(30, 59)))
                meetings.append(meeting)
                for title, code in rng.sample(DEMANDS, rng.randint(1, 4)):
                    category = county.categories.get(code) or county.categories.get("other")
                    if category is None:
                        continue
                    leaf = rng.choice(leaves)
                    created = min(_at(held, 20, rng.randint(0, 59)), now)
                    case = Case(id=next_id, category=category, created_at=created, step_started_at=created,
                                channel=Channel.MEETING, title=title)
                    next_id += 1
                    _place(case, county, rng, leaf, village, township, False)
                    kind = meeting.get_kind_display()
                    case.description = f"来源：{held.month}月{held.day}日{kind}（{meeting.place}）"
                    case.reporter_name = draw_name(rng, "M" if rng.random() < 0.6 else "F", rng.randint(1945, 1995))
                    story = _open(county, case, now, leaf.worker, "")
                    story.leaf = leaf
                    _play(county, story, rng, township[0])
                    transitions += story.finish()
                    cases.append(case)
                    demands.append((meeting, MeetingDemand(title=title, raised_by=case.reporter_name,
                                                           category_id=category.pk,
                                                           grid_id=parents.get(leaf.id) or leaf.id,
                                                           case_id=case.id, recorded_by_id=recorder,
                                                           created_at=meeting.created_at)))
    for c in cases:
        c.number = f"{c.created_at:%Y%m%d}{c.id:07d}"
    insert(Case, cases)
    insert(Transition, sorted(transitions, key=lambda t: (t.created_at, t.case_id)))
    if cases and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Case]):
                cursor.execute(sql)
    insert(Meeting, meetings)
    for meeting, demand in demands:
        demand.meeting_id = meeting.pk
    insert(MeetingDemand, [d for _, d in demands])
    report.meetings, report.demands = len(meetings), len(demands)
    report.resolved = sum(c.closed_at is not None for c in cases)
