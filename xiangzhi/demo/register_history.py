"""The register's recent history in the demo county, played through the real services as the field
would: a worker proposes, the village cadre confirms (or returns one with a reason), and every change
leaves its row beside the record.

Every village of the sample gets the everyday changes of a few months: a birth, a death, a villager
gone 外出 and one back, a new phone number, and a proposal or two still waiting for the cadre. The
rarer stories go round the villages, each to two of them: a marriage into a neighbouring village, a
move out of the county, a split, a merge (an old man joins his son's household; his own is closed),
a change of head, a refused proposal, a key person re-categorised and one whose 社区矫正 ended, a
street light moved, a township cadre replaced on a village, a party member's household handed to
another member, and a grid boundary redrawn with the household it now holds moved across.

The services stamp their rows with the present; each step is then put back on the day it happened
(``_Clock``), so the history reads as months of work. Deterministic for a seed and a moment: each
village draws from its own ``random.Random((seed, village))`` and every candidate list is ordered.
"""

import datetime as dt
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from shapely.geometry import Point, Polygon
from shapely.prepared import prep

from xiangzhi.accounts.models import Role, User
from xiangzhi.core.errors import Invalid
from xiangzhi.demo.names import draw_name
from xiangzhi.gridwork.models import TrackPoint, Visit
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.geometry import parse_boundary, to_geojson
from xiangzhi.people import services as people
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    KeyPerson,
    KeyPersonChange,
    MemberHouseholdLink,
    Place,
    PlaceChange,
    Relation,
    Resident,
    Tag,
    counted,
)
from xiangzhi.regions import services as regions
from xiangzhi.regions.models import Grid, GridAssignment, GridBoundaryRevision, GridDuty, Liaison, Region
from xiangzhi.regions.selectors import liaison_candidates, township_of

K = HouseholdChange.Kind
# At county scale only the first township's villages, at most this many: each change is a handful of
# queries, and the county's build should not grow by more than a few seconds.
COUNTY_SAMPLE = 8
PHONE_PREFIXES = ("135", "138", "139", "150", "152", "158", "176", "183", "187", "189", "199")
AWAY_PLACES = (
    ("济南市历城区", "建筑工地"), ("济南市槐荫区", "物流仓库"), ("青岛市黄岛区", "电子厂"),
    ("淄博市张店区", "饭店帮厨"), ("天津市滨海新区", "装修"), ("北京市大兴区", "快递分拣"),
    ("江苏省苏州市", "汽车配件厂"), ("烟台市福山区", "果园采摘"),
)
LEFT_TO = ("青岛市黄岛区（单位集体户）", "上海市浦东新区（购房落户）", "济南市历下区（单位集体户）",
           "北京市昌平区（随子女落户）")
# The tables the services add rows to here, counted into the build's report.
WRITTEN = (Household, Resident, HouseholdChange, KeyPerson, KeyPersonChange, PlaceChange, Liaison,
           MemberHouseholdLink, GridBoundaryRevision)
STORIES = ("split", "marriage", "merge", "refused", "move_out", "head", "key_category", "key_end", "place_move",
           "liaison", "member_link", "boundary")


@dataclass
class RegisterHistoryReport:
    villages: int = 0
    changes: Counter = field(default_factory=Counter)  # (kind, state) → rows written by the services
    stories: Counter = field(default_factory=Counter)  # story → times told
    household_id: int | None = None  # a household of the first village with the longest history
    household_number: str = ""
    cadre: str = ""  # that village's cadre login, who has changes waiting
    waiting: int = 0  # changes waiting for that cadre
    rows: Counter = field(default_factory=Counter)  # model label → rows added
    elapsed: float = 0.0

    @property
    def pending(self) -> int:
        return sum(n for (_, state), n in self.changes.items() if state == HouseholdChange.State.PENDING)

    @property
    def total(self) -> int:
        return sum(self.changes.values())


def sample_villages(scale: str) -> QuerySet[Region]:
    villages = Region.objects.filter(level="village").order_by("code")
    if scale == "street":
        return villages
    first = Region.objects.filter(level="township").order_by("code").first()
    if first is None:
        return villages.none()
    ids = list(villages.filter(path__startswith=first.path).values_list("id", flat=True)[:COUNTY_SAMPLE])
    return villages.filter(id__in=ids)


def write_register_history(*, seed: int, villages: QuerySet[Region], now: dt.datetime | None = None
                           ) -> RegisterHistoryReport:
    started = time.monotonic()
    now = (now or timezone.now()).replace(microsecond=0)
    report = RegisterHistoryReport()
    before = {m: m.objects.count() for m in WRITTEN}
    chosen = list(villages.order_by("code"))
    n = len(chosen)
    for i, village in enumerate(chosen):
        stories = [s for k, s in enumerate(STORIES) if i in {k % n, (k + len(STORIES)) % n}]
        _Village(village, chosen[(i + 1) % n], random.Random(f"{seed}:register:{village.code}"), now,
                 report).write(stories)
        report.villages += 1
    if chosen:
        first = chosen[0]
        confirmed = Count("changes", filter=Q(changes__state=HouseholdChange.State.CONFIRMED))
        household = (Household.objects.filter(grid__region=first, closed_on__isnull=True)
                     .annotate(n=Count("changes"), done=confirmed).filter(n__gt=0)
                     .order_by("-done", "-n", "number").first())
        if household is not None:
            report.household_id, report.household_number = household.pk, household.number
        cadre = User.objects.filter(role=Role.VILLAGE_CADRE, region=first).order_by("id").first()
        if cadre is not None:
            report.cadre = cadre.username
            report.waiting = HouseholdChange.objects.filter(
                state=HouseholdChange.State.PENDING, household__grid__region=first).count()
    report.rows = Counter({m._meta.label: m.objects.count() - n for m, n in before.items()})
    report.elapsed = time.monotonic() - started
    return report


class _Clock:
    """Puts what one service call wrote back on the day it happened: its change rows (and the other
    household's mirror rows), the history rows of key people and boundaries, and the closing
    of a household or a member link that the call dated today."""

    TABLES = (HouseholdChange, KeyPersonChange, GridBoundaryRevision)

    def __init__(self, today: dt.date):
        self.today = today

    @contextmanager
    def at(self, proposed: dt.datetime, decided: dt.datetime | None = None) -> Iterator[None]:
        marks = {m: m.objects.aggregate(top=Max("pk"))["top"] or 0 for m in self.TABLES}
        yield
        done = decided or proposed
        new = HouseholdChange.objects.filter(pk__gt=marks[HouseholdChange])
        new.filter(decided_at__isnull=True).update(proposed_at=proposed)
        new.filter(decided_at__isnull=False).update(proposed_at=proposed, decided_at=done)
        KeyPersonChange.objects.filter(pk__gt=marks[KeyPersonChange]).update(at=done)
        GridBoundaryRevision.objects.filter(pk__gt=marks[GridBoundaryRevision]).update(at=done)
        day = timezone.localdate(done)
        Household.objects.filter(closed_on=self.today).update(closed_on=day)
        MemberHouseholdLink.objects.filter(ended_on=self.today).update(ended_on=day)


class _Village:
    def __init__(self, village: Region, neighbour: Region, rng: random.Random, now: dt.datetime,
                 report: RegisterHistoryReport):
        self.v, self.neighbour, self.rng, self.now, self.report = village, neighbour, rng, now, report
        self.today = timezone.localdate(now)
        self.clock = _Clock(self.today)
        self.cadre = User.objects.filter(role=Role.VILLAGE_CADRE, region=village, is_active=True).order_by("id").first()
        # The full-time worker or chief of each basic grid: he proposes for the households under it.
        self.workers: dict[str, User] = {}
        for a in (GridAssignment.objects.filter(grid__region=village, grid__parent__isnull=True, ended_on__isnull=True,
                                                duty__in=[GridDuty.FULL_TIME, GridDuty.CHIEF])
                  .select_related("grid", "user").order_by("duty", "id")):
            self.workers.setdefault(a.grid.path, a.user)
        self.used: set[int] = set()  # households touched already: one story each
        # Households whose people have logins or signed up stay as they are; so do key people, whose
        # visits run to today.
        self.spared = set(User.objects.filter(household__isnull=False).values_list("household_id", flat=True))
        self.spared |= set(Household.objects.filter(grid__region=village).order_by("number")
                           .values_list("id", flat=True)[:6])
        self.keyed = set(KeyPerson.objects.filter(resident__household__grid__region=village, is_active=True)
                         .values_list("resident_id", flat=True))

    # ---- choosing -----------------------------------------------------------------------------

    def households(self) -> list[Household]:
        return list(Household.objects.filter(grid__region=self.v, closed_on__isnull=True)
                    .exclude(pk__in=self.used | self.spared).select_related("grid").order_by("number"))

    def members(self, household: Household) -> list[Resident]:
        return list(household.residents.filter(counted()).order_by("id"))

    def worker_for(self, household: Household) -> User | None:
        return next((u for path, u in self.workers.items() if household.grid.path.startswith(path)), None)

    def pick(self, test: Callable[[Household, list[Resident]], Any], *, worker: bool = False
             ) -> tuple[Household, list[Resident], Any]:
        """A random household (and what ``test`` found in it), with its grid's worker in post if
        ``worker``; marked used."""
        candidates = self.households()
        self.rng.shuffle(candidates)
        for household in candidates:
            if worker and self.worker_for(household) is None:
                continue
            folk = self.members(household)
            found = test(household, folk)
            if found:
                self.used.add(household.pk)
                return household, folk, found
        raise LookupError

    def age(self, r: Resident) -> int:
        b = r.birth_date
        return self.today.year - b.year - ((self.today.month, self.today.day) < (b.month, b.day))

    def free(self, r: Resident) -> bool:
        """Someone a story may happen to: no key-person entry, no party-member duty."""
        return r.pk not in self.keyed and Tag.PARTY_MEMBER not in r.tag_list

    # ---- the days ----------------------------------------------------------------------------

    def day(self, lo: int, hi: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(lo, hi))

    def moment(self, day: dt.date, *, after: dt.datetime | None = None, within_hours: int = 60) -> dt.datetime:
        """A working hour on ``day`` (or a few hours to days after ``after``), never later than an hour ago."""
        if after is not None:
            at = after + dt.timedelta(minutes=self.rng.randint(40, within_hours * 60))
        else:
            hour = dt.time(self.rng.randint(8, 17), self.rng.randint(0, 59))
            at = timezone.make_aware(dt.datetime.combine(day, hour))
        return min(at, self.now - dt.timedelta(minutes=self.rng.randint(60, 180)))

    # ---- the doors ---------------------------------------------------------------------------

    def change(self, household: Household, kind: str, data: dict, note: str, event: dt.date, *,
               decide: str = "confirm", reason: str = "", by_cadre: bool = False) -> HouseholdChange:
        """Proposed on ``event`` (or a day or two later) by the grid's worker, then confirmed, refused or
        left waiting (``decide``: confirm, refuse, wait); the cadre's own (where the grid has nobody in
        post, too) is applied at once."""
        assert self.cadre is not None
        proposer = (None if by_cadre else self.worker_for(household)) or self.cadre
        by_cadre = proposer == self.cadre
        proposed = self.moment(event + dt.timedelta(days=self.rng.randint(0, 2)))
        decided = None if decide == "wait" else proposed if by_cadre else self.moment(event, after=proposed)
        with self.clock.at(proposed, decided):
            c = people.household_change_propose(actor=proposer, household=household, kind=kind, data=data, note=note)
            if not by_cadre and decide == "confirm":
                c = people.household_change_confirm(actor=self.cadre, change=c)
            elif decide == "refuse":
                c = people.household_change_refuse(actor=self.cadre, change=c, reason=reason)
        self.report.changes[(kind, c.state)] += 1
        return c

    def write(self, stories: list[str]) -> None:
        if self.cadre is None:
            return
        for step in (self.birth, self.death, self.away, self.back, self.phone, self.waiting, *(
                getattr(self, f"story_{s}") for s in stories)):
            try:
                step()
            except (LookupError, Invalid):
                # Nobody in this village fits the story (a small community), or the register refused
                # it: the history is what the village could have had.
                continue
            if step.__name__.startswith("story_"):
                self.report.stories[step.__name__.removeprefix("story_")] += 1

    # ---- everyday changes --------------------------------------------------------------------

    def baby(self, household: Household, mother: Resident, born: dt.date) -> dict:
        sex = self.rng.choice(Resident.Sex.values)
        relation = Relation.CHILD if mother.relation in (Relation.HEAD, Relation.SPOUSE) else Relation.GRANDCHILD
        surname = household.head_name[:1]
        county = self.v.code[:6]
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if sex == Resident.Sex.MALE else 0)
            first17 = f"{county}{born:%Y%m%d}{seq:03d}"
            number = first17 + idnumber.check_char(first17)
            if not Resident.objects.filter(id_number_hash=crypto.lookup_hash(number)).exists():
                break
        return {"name": draw_name(self.rng, sex, born.year, surname), "sex": sex, "birth_date": born.isoformat(),
                "relation": relation, "id_number": number}

    def birth(self, *, decide: str = "confirm") -> None:
        def mother(h, folk):
            return next((r for r in folk if r.sex == Resident.Sex.FEMALE and 23 <= self.age(r) <= 36
                         and not r.is_away and r.relation in (Relation.SPOUSE, Relation.CHILD_IN_LAW)), None)

        household, _, mum = self.pick(mother, worker=decide != "confirm")
        born = self.day(12, 120) if decide == "confirm" else self.day(3, 10)
        data = self.baby(household, mum, born)
        self.change(household, K.BIRTH, data, f"{mum.name}生育，已办理出生证明", born + dt.timedelta(days=7),
                    decide=decide)

    def death(self) -> None:
        def old(h, folk):
            return next((r for r in folk if self.age(r) >= 78 and self.free(r) and not r.is_away), None)

        household, people_, r = self.pick(old)
        died = self.day(15, 150)
        data: dict[str, Any] = {"resident": r.pk, "died_on": died.isoformat()}
        others = [p for p in people_ if p.pk != r.pk and not p.is_away and self.age(p) >= 18]
        if r.relation == Relation.HEAD and others:
            spouse = next((p for p in others if p.relation == Relation.SPOUSE), None)
            data["new_head"] = (spouse or max(others, key=lambda p: (self.age(p), -p.pk))).pk
        elif r.relation == Relation.HEAD and len(people_) > 1:
            raise LookupError
        self.change(household, K.DEATH, data, "病故，已注销户口", died + dt.timedelta(days=3))

    def away(self, *, decide: str = "confirm", reason: str = "") -> None:
        def leaver(h, folk):
            return next((r for r in folk if 19 <= self.age(r) <= 48 and not r.is_away and self.free(r)
                         and r.relation != Relation.HEAD), None)

        household, _, r = self.pick(leaver, worker=decide != "confirm")
        place, work = self.rng.choice(AWAY_PLACES)
        since = self.day(20, 100) if decide == "confirm" else self.day(2, 8)
        data = {"resident": r.pk, "away_place": place, "away_work": work, "away_since": since.isoformat(),
                "away_expected_back": (since + dt.timedelta(days=self.rng.choice((120, 180, 300)))).isoformat()}
        self.change(household, K.AWAY, data, "本人电话告知外出务工", since + dt.timedelta(days=2),
                    decide=decide, reason=reason)

    def back(self) -> None:
        household, _, r = self.pick(lambda h, folk: next((r for r in folk if r.is_away and self.free(r)), None))
        event = self.day(10, 80)
        self.change(household, K.RETURN, {"resident": r.pk}, "返乡，在村务农", event)

    def phone(self, *, decide: str = "confirm") -> None:
        def with_phone(h, folk):
            return next((r for r in folk if r.phone_hash and not r.is_away and self.age(r) >= 25), None)

        household, _, r = self.pick(with_phone, worker=decide != "confirm")
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if not Resident.objects.filter(phone_hash=crypto.lookup_hash(number)).exists():
                break
        by_cadre = decide == "confirm"  # the cadre took this one at the village office himself
        self.change(household, K.PHONE, {"resident": r.pk, "phone": number}, "本人到村委会更换手机号",
                    self.day(5, 90) if by_cadre else self.day(1, 4), decide=decide, by_cadre=by_cadre)

    def waiting(self) -> None:
        """Proposals of the last few days the cadre has not decided yet."""
        self.away(decide="wait")
        if self.rng.random() < 0.5:
            self.birth(decide="wait")
        else:
            self.phone(decide="wait")

    # ---- the rarer stories -------------------------------------------------------------------

    def story_refused(self) -> None:
        self.away(decide="refuse", reason="经核实本人在县城务工、每天回村居住，不属于外出，请勿登记")

    def story_marriage(self) -> None:
        """A daughter marries into a household of the neighbouring village: 婚出 here, 婚入 there."""
        def bride(h, folk):
            return next((r for r in folk if r.sex == Resident.Sex.FEMALE and 22 <= self.age(r) <= 32
                         and r.relation == Relation.CHILD and self.free(r) and not r.is_away), None)

        grooms = list(Household.objects.filter(grid__region=self.neighbour, closed_on__isnull=True).exclude(
            pk__in=self.spared).filter(residents__relation=Relation.CHILD, residents__sex=Resident.Sex.MALE,
                                       residents__is_deceased=False, residents__left_on__isnull=True,
                                       residents__birth_date__range=(self.today - dt.timedelta(days=36 * 365),
                                                                     self.today - dt.timedelta(days=24 * 365)))
            .exclude(residents__relation=Relation.CHILD_IN_LAW).distinct().order_by("number")[:20])
        if not grooms:
            raise LookupError
        target = self.rng.choice(grooms)
        household, _, r = self.pick(bride)
        married = self.day(25, 120)
        data = {"resident": r.pk, "destination": "county", "village": self.neighbour.code,
                "to_household": target.number, "relation": Relation.CHILD_IN_LAW, "moved_on": married.isoformat()}
        self.change(household, K.MARRY_OUT, data, f"与{target.head_name}之子登记结婚，户口随迁",
                    married + dt.timedelta(days=5))

    def story_move_out(self) -> None:
        def mover(h, folk):
            return next((r for r in folk if 22 <= self.age(r) <= 40 and r.relation == Relation.CHILD
                         and self.free(r)), None)

        household, _, r = self.pick(mover)
        moved = self.day(20, 140)
        data = {"resident": r.pk, "destination": "outside", "left_to": self.rng.choice(LEFT_TO),
                "moved_on": moved.isoformat()}
        self.change(household, K.MOVE_OUT, data, "凭准迁证迁出", moved + dt.timedelta(days=4))

    def story_split(self) -> None:
        """A married son with his wife and children sets up his own household."""
        def son(h, folk):
            heir = next((r for r in folk if r.relation == Relation.CHILD and r.sex == Resident.Sex.MALE
                         and 26 <= self.age(r) <= 45 and not r.is_away), None)
            wife = next((r for r in folk if r.relation == Relation.CHILD_IN_LAW), None)
            rest = [r for r in folk if r.relation not in (Relation.CHILD_IN_LAW, Relation.GRANDCHILD)
                    and r is not heir]
            return (heir, wife) if heir and wife and rest and any(r.relation == Relation.HEAD for r in rest) else None

        household, people_, (heir, wife) = self.pick(son)
        going = [heir.pk, wife.pk] + [r.pk for r in people_ if r.relation == Relation.GRANDCHILD]
        match = re.fullmatch(r"(.*\D)(\d+)号", household.address)
        address = f"{match[1]}{int(match[2]) + 60}号" if match else household.address
        data = {"members": going, "new_head": heir.pk, "to_grid": household.grid.code, "address": address}
        self.change(household, K.SPLIT, data, "新宅建成，分户另立", self.day(30, 120))

    def story_merge(self) -> None:
        """An old man living alone joins his son's household; his own is closed, pointing there."""
        def alone(h, folk):
            if len(folk) != 1 or self.age(folk[0]) < 68 or folk[0].is_away or Tag.PARTY_MEMBER in folk[0].tag_list:
                return None
            if KeyPerson.objects.filter(resident=folk[0], is_active=True).exclude(category__code="elderly_alone"):
                return None
            surname = h.head_name[:1]
            return (Household.objects.filter(grid=h.grid, closed_on__isnull=True, head_name__startswith=surname,
                                             residents__relation=Relation.HEAD,
                                             residents__birth_date__gt=folk[0].birth_date + dt.timedelta(days=6940))
                    .exclude(pk__in=self.used | self.spared | {h.pk}).order_by("number").first())

        old_home, people_, son = self.pick(alone)
        self.used.add(son.pk)
        joined = self.day(20, 110)
        data = {"other": old_home.number, "other_head_relation": Relation.PARENT}
        self.change(son, K.MERGE, data, f"{people_[0].name}年老体弱，与儿子合户居住", joined)
        for entry in KeyPerson.objects.filter(resident=people_[0], is_active=True, category__code="elderly_alone"):
            with self.clock.at(self.moment(joined + dt.timedelta(days=3))):
                people.key_person_end(actor=self.cadre, key_person=entry, reason="已与儿子合户居住，不再独居",
                                      on=joined + dt.timedelta(days=3))

    def story_head(self) -> None:
        def heir(h, folk):
            head = next((r for r in folk if r.relation == Relation.HEAD), None)
            if head is None or self.age(head) < 75 or not self.free(head):
                return None
            return next((r for r in folk if r.relation == Relation.CHILD and 35 <= self.age(r) <= 60
                         and not r.is_away), None)

        household, _, son = self.pick(heir)
        data = {"resident": son.pk, "old_head_relation": Relation.PARENT}
        self.change(household, K.HEAD, data, "父亲年迈，户主改为儿子", self.day(15, 100))

    def story_key_category(self) -> None:
        entry = (KeyPerson.objects.filter(resident__household__grid__region=self.v, is_active=True,
                                          category__code="disabled", resident__is_deceased=False)
                 .exclude(resident__key_entries__category__code="mental_illness", resident__key_entries__is_active=True)
                 .select_related("resident__household__grid").order_by("id").first())
        if entry is None:
            raise LookupError
        actor = self.worker_for(entry.resident.household) or self.cadre
        with self.clock.at(self.moment(self.day(5, 40))):
            people.key_person_change_category(actor=actor, key_person=entry, category="mental_illness",
                                              reason="经县精神卫生中心确诊为严重精神障碍，改为每月走访")

    def story_key_end(self) -> None:
        """解除社区矫正: the village's own 社区矫正对象 if it has one, else one registered last year."""
        entry = (KeyPerson.objects.filter(resident__household__grid__region=self.v, is_active=True,
                                          category__code="community_correction")
                 .select_related("resident__household__grid").order_by("id").first())
        if entry is None:
            _, _, r = self.pick(lambda h, folk: next(
                (r for r in folk if r.sex == Resident.Sex.MALE and 25 <= self.age(r) <= 55 and self.free(r)
                 and not r.is_away), None))
            registered = self.day(280, 330)
            with self.clock.at(self.moment(registered)):
                entry = people.key_person_register(actor=self.cadre, resident=r, category="community_correction",
                                                   note="县司法局交付社区矫正，矫正期一年", on=registered)
        last = Visit.objects.filter(key_person=entry).aggregate(last=Max("visited_at"))["last"]
        ended = min(self.today - dt.timedelta(days=1),
                    max(timezone.localdate(last) + dt.timedelta(days=2) if last else entry.registered_on,
                        self.day(3, 30)))
        actor = self.worker_for(entry.resident.household) or self.cadre
        with self.clock.at(self.moment(ended)):
            people.key_person_end(actor=actor, key_person=entry, reason="解除社区矫正：矫正期满，司法所已发解除证明书",
                                  on=ended)

    def story_place_move(self) -> None:
        places = list(Place.objects.filter(grid__region=self.v, is_active=True, kind="street_light")
                      .select_related("grid").order_by("id"))
        self.rng.shuffle(places)
        for place in places[:10]:
            area = parse_boundary(place.grid.boundary)
            for dx, dy in ((0.00018, 0.0), (-0.00018, 0.0), (0.0, 0.00015), (0.0, -0.00015)):
                lon, lat = round(place.lon + dx, 6), round(place.lat + dy, 6)
                if area.buffer(-0.00003).contains(Point(lon, lat)):
                    # A place's history is append-only (``PlaceChange``): this move is this morning's.
                    people.place_move(actor=self.worker_for_grid(place.grid), place=place, lon=lon, lat=lat,
                                      reason="道路拓宽，路灯杆移到路边新位置")
                    return
        raise LookupError

    def worker_for_grid(self, grid: Grid) -> User:
        return next((u for path, u in self.workers.items() if grid.path.startswith(path)), self.cadre)

    def story_liaison(self) -> None:
        """The township moves the cadre who answers for this village; another takes over the next day."""
        liaison = (Liaison.objects.filter(region=self.v, tier=Liaison.Tier.TOWNSHIP_CADRE, ended_on__isnull=True)
                   .select_related("user", "region").first())
        township = township_of(self.v)
        town = User.objects.filter(role=Role.TOWNSHIP_STAFF, region=township, is_active=True).order_by("id").first()
        if liaison is None or town is None:
            raise LookupError
        successor = liaison_candidates(Liaison.Tier.TOWNSHIP_CADRE, self.v).exclude(pk=liaison.user_id).first()
        if successor is None:
            raise LookupError
        ended = self.day(20, 70)
        with self.clock.at(self.moment(ended)):
            regions.liaison_end(liaison=liaison, ended_on=ended, actor=town,
                                reason=f"工作调整，改由{successor.full_name}包联")
            regions.liaison_assign(region=self.v, user=successor, tier=Liaison.Tier.TOWNSHIP_CADRE,
                                   started_on=ended + dt.timedelta(days=1), actor=town)

    def story_member_link(self) -> None:
        """An old party member hands one of his households to a younger member."""
        links = list(MemberHouseholdLink.objects.filter(household__grid__region=self.v, ended_on__isnull=True,
                                                        household__closed_on__isnull=True)
                     .select_related("member", "household").order_by("-member__birth_date", "id"))
        if not links:
            raise LookupError
        link = links[-1]  # the oldest member's
        load = Counter(link.member_id for link in links)
        members = (Resident.objects.filter(counted(), household__grid__region=self.v, is_away=False,
                                           tags__contains=Tag.PARTY_MEMBER,
                                           birth_date__gt=self.today - dt.timedelta(days=60 * 365))
                   .exclude(pk=link.member_id).order_by("id"))
        successor = next((m for m in members if load[m.pk] < people.MEMBER_MAX_HOUSEHOLDS and load[m.pk] > 0), None)
        ended = self.day(10, 60)
        with self.clock.at(self.moment(ended)):
            people.member_link_end(link=link, ended_on=ended, actor=self.cadre,
                                   reason=f"{link.member.name}年事已高，联系户交由其他党员")
            if successor is not None:
                people.member_link_create(member=successor, households=[link.household], actor=self.cadre,
                                          started_on=ended + dt.timedelta(days=1))

    def story_boundary(self) -> None:
        """Two neighbouring grids' line is redrawn where it runs through a yard: the strip goes from B to
        A, and the household standing in it is moved to A."""
        grids = list(Grid.objects.filter(region=self.v, is_active=True).order_by("code"))
        leaves = [g for g in grids if not any(c.parent_id == g.pk for c in grids)]
        shapes = {g.pk: parse_boundary(g.boundary) for g in leaves}
        for a in leaves:
            for b in leaves:
                if a.pk == b.pk or a.parent_id != b.parent_id:
                    continue
                if shapes[a.pk].intersection(shapes[b.pk]).length < 0.0005:
                    continue
                if self._redraw(a, b, shapes[a.pk], shapes[b.pk]):
                    return
        raise LookupError

    def _redraw(self, a: Grid, b: Grid, shape_a: Any, shape_b: Any) -> bool:
        homes = [h for h in Household.objects.filter(grid=b, closed_on__isnull=True, lon__isnull=False)
                 .exclude(pk__in=self.used | self.spared).order_by("number")]
        if not homes:
            return False
        home = min(homes, key=lambda h: (shape_a.distance(Point(h.lon, h.lat)), h.number))
        reach = shape_a.distance(Point(home.lon, home.lat)) + 0.00006
        if reach > 0.0012:
            return False
        band = shape_a.buffer(reach, quad_segs=2)
        strip = shape_b.intersection(band)
        new_b, new_a = shape_b.difference(band), shape_a.union(strip)
        if not (isinstance(new_a, Polygon) and isinstance(new_b, Polygon) and new_a.is_valid and new_b.is_valid):
            return False
        inside = prep(strip)
        if any(inside.contains(Point(p.lon, p.lat)) for p in Place.objects.filter(grid=b).only("lon", "lat")):
            return False
        if any(inside.contains(Point(lon, lat)) for lon, lat in
               TrackPoint.objects.filter(patrol__grid=b).values_list("lon", "lat").iterator()):
            return False
        day = self.day(8, 40)
        reason = f"按实地踏勘调整与{a.name}的分界，{home.address or home.number}划入{a.name}"
        try:
            with self.clock.at(self.moment(day)):
                regions.grid_set_boundary(grid=b, boundary=to_geojson(new_b), actor=self.cadre, reason=reason)
                regions.grid_set_boundary(grid=a, boundary=to_geojson(new_a), actor=self.cadre, reason=reason)
        except regions.BoundaryRefused:
            return False
        moved = self.moment(day, after=self.moment(day))
        with self.clock.at(moved, moved):
            c = people.household_grid_move(actor=self.cadre, household=home, grid=a,
                                           reason=f"边界调整后房屋位于{a.name}")
        self.used.add(home.pk)
        self.report.changes[(K.GRID, c.state)] += 1
        return True
