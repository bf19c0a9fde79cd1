"""村务公开 for the demo county (seed 003): the county's template of 36 items in force from the first of
the last four complete quarters, and those quarters' disclosures in every village but one — filled,
screened by the township and published, most on time, some late, some never (overdue); the most recent
ones still waiting for screening or in draft where their due day has not come; 上级政策 from the county
and townships and 民生事项 from townships and villages; each village's cadres with the office phone.

Written in bulk (``insert`` is ``core.bulk.bulk_insert``: one COPY a table on PostgreSQL), rows as the
services would have left them — a disclosure, its screening (with the fingerprint of what was screened),
its version, the attachments its item requires and the submit/pass/publish events. Then, through the services, the
first village's party dues of a quarter corrected (withdrawn, corrected, screened again and
re-published with the reason; the old version kept) and one of its latest disclosures returned by the
township. The last village by code is left empty.

Deterministic for a seed and a build day: each village draws from ``seed:disclosure:<code>``.
"""

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.demo.names import draw_name, lineage_surnames
from xiangzhi.disclosure import selectors, services
from xiangzhi.disclosure.models import (
    Action,
    Attachment,
    Cadre,
    CadreState,
    Decision,
    Disclosure,
    DisclosureVersion,
    DueItem,
    Event,
    Post,
    Screening,
    State,
)
from xiangzhi.disclosure.selectors import Quarter
from xiangzhi.party.models import Branch
from xiangzhi.people.models import Resident
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.regions.selectors import ancestor_paths

Insert = Callable[[type[Model], list], list]

# Village behaviours: (share, chance a period is published at all, chance it is late when published).
HABITS = {"steady": (0.72, 0.99, 0.04), "late": (0.18, 0.97, 0.55), "patchy": (0.10, 0.78, 0.3)}
AREA_CODES = {"3701": "0531", "3716": "0543"}  # 济南, 滨州

# What a village writes for each item: a sentence with the quarter's numbers drawn fresh.
CONTENT = {
    "party_organisation": "党支部设委员{a}名，下设党小组{b}个；书记主持全面工作，组织委员负责发展党员和党员教育，"
                          "宣传委员负责意识形态工作。",
    "party_recruitment": "本期有入党申请人{a}名、入党积极分子{b}名、发展对象{c}名，按程序培养考察。",
    "party_dues": "本期应缴党费党员{a}名，均已按标准缴纳，已上缴乡镇党委。",
    "party_meetings": "召开支部党员大会{a}次、支委会{b}次、党小组会{c}次，书记讲党课1次，开展主题党日{a}次。",
    "party_commitments": "全体党员公开承诺{a}项，已践诺{b}项；民主评议党员，评为优秀{c}名，合格其余。",
    "party_volunteering": "党员志愿服务{a}次，参加{b}人次；党员联系户走访{c}户次，帮助解决问题{a}件。",
    "village_work": "本期完成人居环境整治{a}次、道路养护{b}公里，年度重点工作完成进度{c}0%。",
    "deliberations": "经“四议两公开”决定事项{a}项：村内道路修缮、集体土地发包，均已张榜公布决议和实施结果。",
    "social_assistance": "本期新增低保{a}户、退出{b}户，临时救助{c}户，名单已在村务公开栏张贴。",
    "farm_subsidies": "发放耕地地力保护补贴，涉及{a}户，已通过“一卡通”打入农户账户。",
    "homestead": "受理宅基地申请{a}户，经村民代表会议讨论通过{b}户，已报乡镇审批。",
    "housing_repair": "完成危房改造{a}户、适老化改造{b}户，均已验收。",
    "insurance": "城乡居民医保参保{a}人，养老保险参保{b}人；低保、特困等困难群众个人缴费由政府代缴。",
    "village_rules": "开展户积分评定{a}次，公示积分{b}户，积分超市兑换{c}户次。",
    "monthly_accounts": "本月收支已经村务监督委员会审核，大额支出附凭证。",
    "income": "本期收入主要为集体土地发包收入和上级补助，明细见附件。",
    "spending": "本期支出主要为村内道路维修、保洁员工资和办公费用，明细见附件。",
    "cadre_pay": "按乡镇核定标准发放村干部基本报酬和绩效报酬，共{a}人。",
    "non_productive": "本期无超标准招待，差旅和会议支出均有审批。",
    "debts": "本期偿还旧欠工程款一笔，应收承包费{a}户，已催收{b}户。",
    "transfer_funds": "收到上级转移支付和专项资金，用于村级组织运转和公益事业，使用进度见附件。",
    "one_matter": "经村民代表会议议定“一事一议”事项{a}项，筹资筹劳情况已公示。",
    "project_funds": "村级工程项目按合同支付进度款，已完成工程量{a}0%。",
    "award_funds": "收到积分换项目等奖补资金，全部用于村级公益项目。",
    "donations": "收到在外乡贤和爱心人士捐款{a}笔，用于村内公益事业。",
    "relief": "发放救灾救济款物，受益{a}户。",
    "asset_register": "村集体资产年度清查完毕，经营性资产{a}项，非经营性资产{b}项，台账见附件。",
    "asset_leases": "集体房屋、场院出租{a}处，租金按合同收取。",
    "asset_changes": "本期购置办公设备{a}件，报废旧设备{b}件，经“四议两公开”决定。",
    "investments": "集体入股合作社{a}家，年度分红已计入集体收入。",
    "facilities": "路灯、饮水、文化广场设施管护人{a}名，维修{b}次。",
    "land_contracts": "集体土地发包{a}宗，合计{b}0亩，承包费按合同收缴，合同见附件。",
    "resource_register": "集体耕地{a}00亩、坑塘{b}处、荒地{c}0亩，台账已更新。",
    "land_compensation": "本期{a}项工程征收土地，补偿款按方案分配到户。",
    "reserve_land": "机动地发包{a}宗，已公开竞价。",
    "construction_land": "本年度集体经营性建设用地入市{a}宗，收益按方案分配。",
}
RETURN_REASON = "支出明细中有一笔修路款缺少村民代表会议决议，请补充附件后重新提交"
CORRECTION = ("实缴党费金额与党费台账不符", "实缴党费以党费台账为准，更正为台账金额")
POLICIES_COUNTY = [
    ("{county}耕地地力保护补贴发放方案", "补贴对象为拥有承包地经营权的农户，按确权面积发放，"
     "每亩补贴标准以县财政公布为准，通过社保卡（一卡通）发放到户。"),
    ("城乡居民基本医疗保险集中参保缴费的通知", "集中缴费期为每年9月至12月，个人缴费标准按省统一规定执行，"
     "低保、特困人员等困难群众个人缴费部分由政府资助。"),
    ("{county}农村危房改造和农房抗震改造实施办法", "改造对象为低保户、分散供养特困人员、低保边缘家庭等，"
     "由本人申请、村民代表会议评议、乡镇审核、县级审批。"),
    ("关于推行村级“小微权力”清单制度的通知", "村级事务按正面清单48项、负面清单32项运行，每项权力都有流程图，"
     "清单之外无权力。"),
]
POLICIES_TOWN = [
    ("{town}村级财务管理“村财乡管”办法", "各村收支统一由乡镇农经站代理记账，大额支出须经“四议两公开”程序。"),
    ("{town}秸秆禁烧和综合利用工作方案", "全面禁止露天焚烧秸秆，推广秸秆还田和饲料化利用，对综合利用给予补助。"),
]
LIVELIHOOD_TOWN = [
    ("65周岁以上老年人免费健康体检", "{town}卫生院组织65周岁以上老年人免费体检，请携带身份证和社保卡到村卫生室预约。"),
    ("冬季清洁取暖补贴申请", "已完成清洁取暖改造的农户可到村委会申请运行补贴，村委会汇总后报乡镇审核。"),
]
LIVELIHOOD_VILLAGE = [
    ("自来水管网维修停水通知", "因主管道维修，本周六上午8时至12时全村停水，请提前储水。"),
    ("秋季征兵报名", "18至22周岁男青年可到村委会报名参加秋季征兵，大学生可放宽至24周岁。"),
    ("村卫生室开展家庭医生签约服务", "家庭医生每月到村坐诊，行动不便的老人可预约上门服务。"),
    ("积分超市本季度末开放兑换", "本季度积分超市在季度末最后三天开放，请携带积分卡到村委会兑换。"),
]
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass
class DisclosureReport:
    items: int = 0
    villages: int = 0
    published: int = 0
    late: int = 0
    waiting: int = 0
    overdue: int = 0
    posts: int = 0
    cadres: int = 0
    corrected: str = ""


_COLUMNS: dict[type[Model], dict[str, object]] = {}


def _row(model: type[Model], **values: object) -> Model:
    """A row for the bulk insert without Django's per-instance set-up (tens of thousands of them at county
    scale): every column's default, then ``values`` by attribute name (``village_id``)."""
    columns = _COLUMNS.get(model)
    if columns is None:
        columns = _COLUMNS[model] = {f.attname: None if f.primary_key else f.get_default()
                                     for f in model._meta.concrete_fields}
    obj = model.__new__(model)
    obj.__dict__.update(columns, **values)
    obj._state = ModelState()
    return obj


def _document(name: str) -> str:
    """One small PDF a kind, shared by the demo's attachments (kept from an earlier build)."""
    path = f"disclosure/demo/{name}"
    return path if default_storage.exists(path) else default_storage.save(path, ContentFile(PDF))


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59))))


def _periods(item: DueItem, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    start, end = selectors.period_of(item.cadence, item.active_from)
    while end < today:
        if start >= item.active_from:
            out.append((start, end))
        start, end = selectors.period_of(item.cadence, end + dt.timedelta(days=1))
    return out


def _content(item: DueItem, rng: random.Random) -> str:
    text = CONTENT.get(item.code, f"{item.title}情况已按要求公开。")
    return text.format(a=rng.randint(1, 9), b=rng.randint(1, 9), c=rng.randint(1, 9))


def _figures(item: DueItem, base: dict[str, int], rng: random.Random) -> list[list[object]]:
    """Money that drifts from period to period around the village's own level (so the public page has
    ups and downs to show)."""
    out: list[list[object]] = []
    for label in item.figure_labels:
        if label not in base:  # a quarter of the lines are nil in this village (no such income, no debts)
            base[label] = 0 if rng.random() < 0.25 else rng.randint(2_000, 300_000) * 100
        level = round(base[label] * rng.uniform(0.8, 1.25) / 100) * 100
        base[label] = level
        out.append([label, level])
    return out


def write_disclosures(insert: Insert, *, seed: int) -> DisclosureReport:
    report = DisclosureReport()
    now = timezone.now()
    today = timezone.localdate(now)
    first = Quarter.of(today)
    for _ in range(4):
        first = first.previous()
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).defer("boundary").order_by("code"))
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY).defer("boundary").order_by("code"))
    for county in counties:
        services.template_install_default(county=county, active_from=first.start)
    items_of = {c.pk: list(DueItem.objects.filter(county=c, is_active=True).order_by("sort")) for c in counties}
    report.items = sum(len(v) for v in items_of.values())
    county_of = {v.pk: next(c for c in counties if v.path.startswith(c.path)) for v in villages}
    cadre_of = dict(User.objects.filter(role=Role.VILLAGE_CADRE, region__level=RegionLevel.VILLAGE)
                    .order_by("id").values_list("region_id", "id"))
    staff_of: dict[int, list[int]] = {}
    for region_id, user_id in (User.objects.filter(role__in=(Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN), is_active=True)
                               .order_by("id").values_list("region_id", "id")):
        staff_of.setdefault(region_id, []).append(user_id)
    towns = {r.path: r for r in Region.objects.filter(level=RegionLevel.TOWNSHIP).defer("boundary")}
    documents = {name: _document(name) for name in ("会议记录.pdf", "收支凭证.pdf", "公示照片和名单.pdf")}
    empty = villages[-1] if len(villages) > 1 else None

    rows: list[Disclosure] = []
    plans: list[tuple[Disclosure, str, str, dt.datetime | None, random.Random]] = []  # row, fate, doc, at, rng
    for village in villages:
        cadre = cadre_of.get(village.pk)
        town = next((towns[p] for p in ancestor_paths(village.path) if p in towns), None)
        screeners = staff_of.get(town.pk, []) if town else []
        if village == empty or cadre is None or not screeners:
            continue
        report.villages += 1
        rng = random.Random(f"{seed}:disclosure:{village.code}")
        roll = rng.random()
        habit = "steady" if roll < HABITS["steady"][0] else "late" if roll < 1 - HABITS["patchy"][0] else "patchy"
        _, publish_share, late_share = HABITS[habit]
        money: dict[int, dict[str, int]] = {}
        for item in items_of[county_of[village.pk].pk]:
            for start, end in _periods(item, today):
                due = selectors.due_on(item, end)
                fate = "published" if rng.random() < publish_share else "missing"
                late = rng.random() < late_share
                day = (due + dt.timedelta(days=rng.randint(1, 25))) if late else \
                    end + dt.timedelta(days=rng.randint(1, max(1, item.due_days)))
                at = _at(day, rng)
                if fate == "published" and at > now:
                    fate = rng.choice(("submitted", "submitted", "draft", "missing"))
                    at = None
                if fate == "missing":
                    continue
                content = _content(item, rng)
                state = (State.PUBLISHED if fate == "published" else
                         State.SUBMITTED if fate == "submitted" else State.DRAFT)
                d = _row(Disclosure, village_id=village.pk, item_id=item.pk, period_start=start, period_end=end,
                         due_on=due, content=content, figures=_figures(item, money.setdefault(item.pk, {}), rng),
                         state=state, submitted_by_id=cadre if fate != "draft" else None, first_published_at=at,
                         created_at=(at or now) - dt.timedelta(days=rng.randint(1, 4)), created_by_id=cadre,
                         updated_at=at or now)
                doc = ("会议记录.pdf" if item.group in ("party", "village") else
                       "收支凭证.pdf" if item.group in ("finance", "funds") else "公示照片和名单.pdf")
                rows.append(d)
                plans.append((d, fate, doc, at, random.Random(f"{seed}:disclosure:{village.code}:{item.code}:{start}")))
                if fate == "published":
                    report.published += 1
                    report.late += at is not None and timezone.localdate(at) > due
                elif fate == "submitted":
                    report.waiting += 1
    # Raw inserts take a JSON field's text as it is.
    figures = {id(d): d.figures for d in rows}
    for d in rows:
        d.figures = json.dumps(d.figures, ensure_ascii=False)
    insert(Disclosure, rows)
    figures = {d.pk: figures[id(d)] for d in rows}
    item_by_id = {i.pk: i for items in items_of.values() for i in items}
    attachments, screenings, versions, events = [], [], [], []
    for d, _, doc, _, _ in plans:
        item = item_by_id[d.item_id]
        if item.attachment_required:
            attachments.append((d, _row(Attachment, region_id=d.village_id, disclosure_id=d.pk,
                                        kind=Attachment.Kind.PDF, name=doc, file=documents[doc], size_bytes=len(PDF),
                                        in_draft=True, added_at=d.created_at, added_by_id=d.created_by_id)))
    insert(Attachment, [a for _, a in attachments])
    attached = {d.pk: [a.pk] for d, a in attachments}
    town_of = {v.pk: next((towns[p] for p in ancestor_paths(v.path) if p in towns), None) for v in villages}
    for d, fate, _, at, rng in plans:
        town_staff = staff_of[town_of[d.village_id].pk]
        cadre = d.created_by_id
        submitted_at = (at or d.updated_at) - dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
        if fate == "draft":
            events.append(_row(Event, disclosure_id=d.pk, action=Action.OPEN, from_state="", to_state=State.DRAFT,
                                at=d.created_at, actor_id=cadre))
            continue
        events.append(_row(Event, disclosure_id=d.pk, action=Action.SUBMIT, from_state=State.DRAFT,
                            to_state=State.SUBMITTED, at=submitted_at, actor_id=cadre))
        if fate != "published":
            continue
        screener = town_staff[rng.randrange(len(town_staff))]
        passed_at = submitted_at + (at - submitted_at) / 2
        screening = _row(Screening, disclosure_id=d.pk, decision=Decision.PASS, reason="",
                              fingerprint=services.fingerprint(d.content, figures[d.pk], attached.get(d.pk, [])),
                              submitted_by_id=cadre, decided_at=passed_at, decided_by_id=screener)
        screenings.append(screening)
        events.append(_row(Event, disclosure_id=d.pk, action=Action.PASS, from_state=State.SUBMITTED,
                            to_state=State.PASSED, at=passed_at, actor_id=screener))
        events.append(_row(Event, disclosure_id=d.pk, action=Action.PUBLISH, from_state=State.PASSED,
                            to_state=State.PUBLISHED, at=at, actor_id=cadre))
    insert(Screening, screenings)
    screening_of = {s.disclosure_id: s.pk for s in screenings}
    for d, fate, _, at, _ in plans:
        if fate == "published":
            versions.append(_row(DisclosureVersion, disclosure_id=d.pk, number=1, title=item_by_id[d.item_id].title,
                                              content=d.content, figures=d.figures, reason="",
                                              screening_id=screening_of[d.pk], published_at=at,
                                              published_by_id=d.created_by_id))
    insert(DisclosureVersion, versions)
    through = DisclosureVersion.attachments.through
    insert(through, [_row(through, disclosureversion_id=v.pk, attachment_id=a) for v in versions
                     for a in attached.get(v.disclosure_id, [])])
    insert(Event, events)
    report.posts = _write_posts(insert, seed=seed, villages=villages, counties=counties, towns=towns,
                                staff_of=staff_of, cadre_of=cadre_of, empty=empty, today=today)
    report.cadres = _write_cadres(insert, seed=seed, villages=villages, cadre_of=cadre_of, town_of=town_of,
                                  staff_of=staff_of, empty=empty, now=now)
    report.corrected = _correct_and_return(villages, cadre_of, staff_of, town_of, now)
    report.overdue = sum(selectors.overdue_counts(villages, today=today).values())
    return report


def _published_post(insert_rows: list, kind: str, region: Region, title: str, body: str, dated: dt.date,
                    author: int, screener: int) -> None:
    at = timezone.make_aware(dt.datetime.combine(dated, dt.time(9, 30)))
    insert_rows.append((Post(region_id=region.pk, kind=kind, title=title, body=body, dated=dated,
                             state=State.PUBLISHED, submitted_by_id=author, published_at=at + dt.timedelta(hours=5),
                             created_at=at, created_by_id=author, updated_at=at + dt.timedelta(hours=5)),
                        author, screener, at))


def _write_posts(insert: Insert, *, seed: int, villages, counties, towns, staff_of, cadre_of, empty,
                 today: dt.date) -> int:
    """The county's and townships' policies and notices, and a few notices of each village (not the
    empty one), screened by someone other than their author and published."""
    rng = random.Random(f"{seed}:disclosure:posts")
    planned: list = []
    for county in counties:
        admins = staff_of.get(county.pk, [])
        if len(admins) < 2:
            continue
        for n, (title, body) in enumerate(POLICIES_COUNTY):
            _published_post(planned, "policy", county, title.format(county=county.name), body,
                            today - dt.timedelta(days=30 + 45 * n), admins[0], admins[1])
    for town in sorted(towns.values(), key=lambda t: t.code):
        staff = staff_of.get(town.pk, [])
        if len(staff) < 2:
            continue
        for n, (title, body) in enumerate(POLICIES_TOWN):
            _published_post(planned, "policy", town, title.format(town=town.name), body,
                            today - dt.timedelta(days=20 + 60 * n + rng.randint(0, 9)), staff[0], staff[1])
        for n, (title, body) in enumerate(LIVELIHOOD_TOWN):
            _published_post(planned, "livelihood", town, title, body.format(town=town.name),
                            today - dt.timedelta(days=10 + 40 * n + rng.randint(0, 9)), staff[0], staff[1])
    for village in villages:
        cadre = cadre_of.get(village.pk)
        town = next((towns[p] for p in ancestor_paths(village.path) if p in towns), None)
        if village == empty or cadre is None or town is None or not staff_of.get(town.pk):
            continue
        vr = random.Random(f"{seed}:disclosure:posts:{village.code}")
        for title, body in vr.sample(LIVELIHOOD_VILLAGE, vr.randint(1, 2)):
            _published_post(planned, "livelihood", village, title, body, today - dt.timedelta(days=vr.randint(3, 80)),
                            cadre, staff_of[town.pk][0])
    posts = insert(Post, [p for p, *_ in planned])
    screenings, events = [], []
    for (post, author, screener, at), row in zip(planned, posts, strict=True):
        screenings.append(Screening(post_id=row.pk, decision=Decision.PASS, reason="",
                                    fingerprint=services.fingerprint(post.body, [], [], post.title,
                                                                     post.dated.isoformat(), post.kind),
                                    submitted_by_id=author, decided_at=at + dt.timedelta(hours=2),
                                    decided_by_id=screener))
        events += [Event(post_id=row.pk, action=Action.SUBMIT, from_state=State.DRAFT, to_state=State.SUBMITTED,
                         at=at + dt.timedelta(minutes=20), actor_id=author),
                   Event(post_id=row.pk, action=Action.PASS, from_state=State.SUBMITTED, to_state=State.PASSED,
                         at=at + dt.timedelta(hours=2), actor_id=screener),
                   Event(post_id=row.pk, action=Action.PUBLISH, from_state=State.PASSED, to_state=State.PUBLISHED,
                         at=at + dt.timedelta(hours=5), actor_id=author)]
    insert(Screening, screenings)
    insert(Event, events)
    return len(posts)


def _write_cadres(insert: Insert, *, seed: int, villages, cadre_of, town_of, staff_of, empty,
                  now: dt.datetime) -> int:
    """Each village's cadres: the party branch's secretary (from the register) as 书记、主任 (一肩挑), the
    village's accounts by name (村两委 as 副书记, the points staff as 报账员 and 村务监督委员会主任), a
    妇联主席 and a 委员 from its residents; all on the village office's landline."""
    secretaries = dict(Branch.objects.filter(secretary__isnull=False).values_list("village_id", "secretary_id"))
    names = dict(Resident.objects.filter(pk__in=secretaries.values()).values_list("pk", "name"))
    accounts: dict[int, dict[str, tuple[int, str]]] = {}
    for pk, region_id, role, name in (User.objects.filter(region__level=RegionLevel.VILLAGE, is_active=True,
                                                          role__in=(Role.VILLAGE_CADRE, Role.POINTS_RECORDER,
                                                                    Role.POINTS_SUPERVISOR))
                                      .exclude(full_name="").order_by("id")
                                      .values_list("pk", "region_id", "role", "full_name")):
        accounts.setdefault(region_id, {}).setdefault(role, (pk, name))
    rows: list[tuple[Cadre, int]] = []
    for village in villages:
        cadre = cadre_of.get(village.pk)
        town = town_of.get(village.pk)
        if village == empty or cadre is None or town is None or not staff_of.get(town.pk):
            continue
        rng = random.Random(f"{seed}:disclosure:cadres:{village.code}")
        phone = f"{AREA_CODES.get(village.code[:4], '0543')}-{rng.randint(2, 8)}{rng.randrange(10**6):06d}"
        mine = accounts.get(village.pk, {})
        lineage = lineage_surnames(village.name)
        people: list[tuple[str, str, str, int | None, int | None]] = []  # post, name, duties, user, resident
        secretary = secretaries.get(village.pk)
        if secretary:
            people.append(("党支部书记、村委会主任", names[secretary], "主持村党支部和村委会全面工作", None, secretary))
        duties = {Role.VILLAGE_CADRE: ("党支部副书记、村委会副主任", "分管党建、综治和网格化管理"),
                  Role.POINTS_RECORDER: ("报账员", "负责村级财务报账、户积分登记"),
                  Role.POINTS_SUPERVISOR: ("村务监督委员会主任", "监督村务公开、财务收支和户积分评定")}
        for role, (post, duty) in duties.items():
            if role in mine:
                people.append((post, mine[role][1], duty, mine[role][0], None))
        people.append(("妇联主席", draw_name(rng, "F", rng.randint(1970, 1988)), "负责妇女儿童工作和移风易俗",
                       None, None))
        people.append(("村委会委员", draw_name(rng, "M", rng.randint(1965, 1985), rng.choice(lineage) if lineage
                                               else None), "负责人居环境和安全生产", None, None))
        for n, (post, name, duty, user, resident) in enumerate(people, start=1):
            rows.append((Cadre(village_id=village.pk, name=name, post=post, duties=duty, office_phone=phone,
                               user_id=user, resident_id=resident, sort=n, state=CadreState.PASSED,
                               submitted_by_id=cadre, public_name=name, public_post=post, public_duties=duty,
                               public_phone=phone, created_at=now - dt.timedelta(days=200),
                               updated_at=now - dt.timedelta(days=198)), staff_of[town.pk][0]))
    cadres = insert(Cadre, [c for c, _ in rows])
    screenings, events = [], []
    for c, screener in rows:
        passed = c.updated_at
        screenings.append(Screening(cadre_id=c.pk, decision=Decision.PASS, reason="",
                                    fingerprint=services.fingerprint(c.duties, [], [], c.name, c.post, c.office_phone),
                                    submitted_by_id=c.submitted_by_id, decided_at=passed, decided_by_id=screener))
        events += [Event(cadre_id=c.pk, action=Action.SUBMIT, from_state="", to_state=CadreState.SUBMITTED,
                         at=c.created_at, actor_id=c.submitted_by_id),
                   Event(cadre_id=c.pk, action=Action.PASS, from_state=CadreState.SUBMITTED,
                         to_state=CadreState.PASSED, at=passed, actor_id=screener)]
    insert(Screening, screenings)
    insert(Event, events)
    return len(cadres)


def _correct_and_return(villages, cadre_of, staff_of, town_of, now: dt.datetime) -> str:
    """Through the services: the first village's latest published party dues corrected (the old version
    kept), and the first village's most recent submission returned by the township."""
    corrected = ""
    for village in villages:
        cadre_id, town = cadre_of.get(village.pk), town_of.get(village.pk)
        d = (Disclosure.objects.filter(village=village, item__code="party_dues", state=State.PUBLISHED)
             .select_related("item", "village").order_by("-period_start").first())
        if cadre_id is None or town is None or d is None or not staff_of.get(town.pk):
            continue
        cadre, screener = User.objects.get(pk=cadre_id), User.objects.get(pk=staff_of[town.pk][0])
        published = d.first_published_at or now
        step = (now - published) / 6
        services.disclosure_withdraw(actor=cadre, disclosure=d, reason=CORRECTION[0], now=published + step)
        paid = {label: (fen - 2400 if fen >= 2400 else fen + 2400) if label == "实缴党费" else fen
                for label, fen in d.figures}
        services.disclosure_save(actor=cadre, disclosure=d, figures={k: f"{v / 100:.2f}" for k, v in paid.items()},
                                 now=published + 2 * step)
        services.disclosure_submit(actor=cadre, disclosure=d, now=published + 2 * step)
        services.disclosure_screen(actor=screener, disclosure=d, passed=True, now=published + 3 * step)
        services.disclosure_publish(actor=cadre, disclosure=d, reason=CORRECTION[1], now=published + 3 * step)
        corrected = f"{village.name}·{d.period_label}党费收缴情况"
        break
    waiting = (Disclosure.objects.filter(village__in=villages, state=State.SUBMITTED)
               .select_related("item", "village").order_by("village__code", "-period_end", "item__sort").first())
    if waiting is not None:
        town = town_of[waiting.village_id]
        screener = User.objects.get(pk=staff_of[town.pk][0])
        services.disclosure_screen(actor=screener, disclosure=waiting, passed=False, reason=RETURN_REASON,
                                   now=now - dt.timedelta(hours=3))
    return corrected
