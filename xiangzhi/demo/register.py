"""The demo county's register, written from its plan (``demo.plan``): regions, grids and departments,
then village by village its households, residents, key people, party members' linked households,
places and organisations, then the accounts of its staff and of the first households of each village.

A village's people draw from a generator seeded with ``(seed, village code)``, so a village comes out
the same whether the whole county or only a few villages are built; the accounts draw from the
county's generator (``random.Random(seed)``), after the plan.
"""

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from functools import cached_property

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import models

from xiangzhi.accounts.models import Role, User
from xiangzhi.demo import geography as geo
from xiangzhi.demo.bulkload import row_maker
from xiangzhi.demo.households import (
    KIND_CUM,
    KIND_NAMES,
    REF_DATE,
    Person,
    birth_date,
    compose_household,
    tag_household,
)
from xiangzhi.demo.locations import place_households
from xiangzhi.demo.names import draw_name, draw_surname, lineage_surnames
from xiangzhi.demo.plan import GridPlan, Plan, ScaleSpec, VillagePlan, boundary_of, short_township_name
from xiangzhi.lib import idnumber
from xiangzhi.people.models import (
    Household,
    KeyCategory,
    KeyPerson,
    MemberHouseholdLink,
    Organisation,
    Place,
    Resident,
    Tag,
)
from xiangzhi.regions.models import Department, Grid, GridAssignment, GridDuty, Liaison, Region, RegionLevel
from xiangzhi.regions.services import grid_path, region_path

# Writes a model's rows in bulk and returns them with their keys, counting them per table.
Insert = Callable[[type[models.Model], list], list]

REVEAL_GROUP = "证件查看"
ADMIN_GROUP = "县级系统管理"
# The register's rows, made by the hundred thousand (``bulkload.row_maker``).
NEW_HOUSEHOLD = row_maker(Household)
NEW_RESIDENT = row_maker(Resident)
NEW_KEY_PERSON = row_maker(KeyPerson)
NEW_MEMBER_LINK = row_maker(MemberHouseholdLink)

TOWNSHIP_DEPARTMENTS = [
    (Department.Kind.ENFORCEMENT, "{short}综合执法中队"),
    (Department.Kind.MARKET, "{short}市场监管所"),
    (Department.Kind.POLICE, "{short}派出所"),
    (Department.Kind.POWER, "{short}供电所"),
    (Department.Kind.WATER, "{short}水务站"),
    (Department.Kind.ENVIRONMENT, "{short}环保所"),
    (Department.Kind.CIVIL, "{name}民政办"),
    (Department.Kind.PETITION, "{name}信访办"),
]
COUNTY_DEPARTMENTS = [
    (Department.Kind.ENFORCEMENT, "{name}综合行政执法局"),
    (Department.Kind.MARKET, "{name}市场监督管理局"),
    (Department.Kind.POLICE, "{city}市公安局{short}分局"),
    (Department.Kind.ENVIRONMENT, "{city}市生态环境局{short}分局"),
    (Department.Kind.CIVIL, "{name}民政局"),
    (Department.Kind.PETITION, "{name}信访局"),
]

PHONE_PREFIXES = (
    *(f"13{d}" for d in range(10)), "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
    "173", "175", "176", "177", "178", *(f"18{d}" for d in range(10)), "191", "195", "198", "199",
)
BRANDS = (
    "鑫源", "丰源", "惠农", "金穗", "绿源", "富民", "兴农", "康达", "盛丰", "瑞丰", "利民", "益农", "金丰",
    "众兴", "恒丰", "宏达", "福源", "绿野", "润丰", "德丰", "华盛", "永顺", "裕丰", "嘉禾", "新农",
)


class Register:
    """The register's writer for one build: what it wrote so far (regions by code, departments, the
    first households of each village), and the ID numbers and phones already given out."""

    def __init__(self, spec: ScaleSpec, seed: int, rng: random.Random, insert: Insert, *, counts: Counter,
                 grids_by_level: Counter):
        self.spec = spec
        self.seed = seed
        self.rng = rng
        self.insert = insert
        self.counts = counts  # model label → rows, for the rows written outside ``insert``
        self.grids_by_level = grids_by_level
        self.used_ids: set[int] = set()
        self.used_phones: set[int] = set()
        self.first_households: dict[str, list[tuple[int, str, str]]] = {}
        self.regions: dict[str, Region] = {}
        self.departments: list[Department] = []

    @cached_property
    def categories(self) -> dict[str, int]:
        """Key-person categories by code, as the seeding migrations wrote them."""
        return dict(KeyCategory.objects.values_list("code", "id"))

    # regions, grids, departments ----------------------------------------------------------------

    def write_regions(self, plan: Plan) -> None:
        levels = [RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.AREA]
        for level in levels:
            rows = []
            for rp in plan.regions:
                if rp.level != level:
                    continue
                parent = self.regions.get(rp.parent_code) if rp.parent_code else None
                boundary, lon, lat = boundary_of(rp.geom)
                rows.append(Region(code=rp.code, name=rp.name, level=level, parent=parent,
                                   path=region_path(parent, rp.code), boundary=boundary,
                                   center_lon=lon, center_lat=lat))
            for region in self.insert(Region, rows):
                self.regions[region.code] = region
        rows = []
        for v in plan.villages:
            parent = self.regions[v.area_code or v.township_code]
            boundary, lon, lat = boundary_of(v.geom)
            rows.append(Region(code=v.code, name=v.name, level=RegionLevel.VILLAGE, parent=parent,
                               path=region_path(parent, v.code), boundary=boundary, center_lon=lon, center_lat=lat))
        for region in self.insert(Region, rows):
            self.regions[region.code] = region

    def write_grids(self, plan: Plan) -> None:
        def make(gp: GridPlan, region: Region, parent: Grid | None) -> Grid:
            boundary, lon, lat = boundary_of(gp.geom)
            gp.path = grid_path(region, parent, gp.code)
            return Grid(code=gp.code, name=gp.name, level=gp.level, region=region, parent=parent, path=gp.path,
                        boundary=boundary, center_lon=lon, center_lat=lat)

        top = [(gp, make(gp, self.regions[v.code], None)) for v in plan.villages for gp in v.grids]
        for (gp, _), grid in zip(top, self.insert(Grid, [g for _, g in top]), strict=True):
            gp.pk = grid.pk
        self.grids_by_level[3] += len(top)
        micro = [
            (child, make(child, grid.region, grid))
            for gp, grid in top
            for child in gp.children
        ]
        for (gp, _), grid in zip(micro, self.insert(Grid, [g for _, g in micro]), strict=True):
            gp.pk = grid.pk
        self.grids_by_level[4] += len(micro)

    def write_departments(self, plan: Plan) -> None:
        rows = []
        county = self.regions[self.spec.county_code]
        short_county = county.name.removesuffix("区").removesuffix("县")
        if self.spec.county_departments:
            for i, (kind, pattern) in enumerate(COUNTY_DEPARTMENTS, start=1):
                name = pattern.format(name=county.name, short=short_county, city=self.spec.city_name)
                rows.append(Department(code=f"{county.code}D{i:02d}", name=name, kind=kind, region=county))
        for rp in plan.regions:
            if rp.level != RegionLevel.TOWNSHIP:
                continue
            town = self.regions[rp.code]
            for i, (kind, pattern) in enumerate(TOWNSHIP_DEPARTMENTS, start=1):
                name = pattern.format(name=town.name, short=short_township_name(town.name))
                rows.append(Department(code=f"{town.code}D{i:02d}", name=name, kind=kind, region=town))
        self.departments = self.insert(Department, rows)

    # one village's people ------------------------------------------------------------------------

    def id_number(self, rng: random.Random, birth: dt.date, sex: str) -> str:
        code = next(c for before, c in self.spec.id_codes if birth.year < before)
        if rng.random() < 0.08:  # moved in or re-registered: today's code
            code = self.spec.county_code
        odd = sex == Resident.Sex.MALE
        while True:
            seq = rng.randrange(500) * 2 + (1 if odd else 0)
            first17 = f"{code}{birth:%Y%m%d}{seq:03d}"
            key = int(first17)
            if key not in self.used_ids:
                self.used_ids.add(key)
                return first17 + idnumber.check_char(first17)

    def phone(self, rng: random.Random) -> str:
        while True:
            number = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            key = int(number)
            if key not in self.used_phones:
                self.used_phones.add(key)
                return number

    def write_village(self, v: VillagePlan) -> None:
        rng = random.Random(f"{self.seed}:{v.code}")
        lineage = (*lineage_surnames(v.name), draw_surname(rng))
        # Old villages are a few lineages; a town community is a mix.
        lineage_share = 0.12 if v.name.endswith("社区") else 0.45
        leaves = [leaf for g in v.grids for leaf in (g.children or [g])]
        is_community = v.name.endswith("社区")
        group_size = rng.randint(28, 45)

        households: list[Household] = []
        families: list[list[Person]] = []
        # Where micro-grids exist each is one villagers' group (村民小组); otherwise groups run
        # through the village in numbering order.
        by_micro = len(leaves) > len(v.grids)
        last_house: Counter = Counter()
        index = 0
        for ordinal, leaf in enumerate(leaves, start=1):
            for seq in range(1, leaf.households + 1):
                kind = rng.choices(KIND_NAMES, cum_weights=KIND_CUM)[0]
                members = compose_household(rng, kind, lineage, lineage_share)
                tag_household(rng, members)
                group = ordinal if by_micro else index // group_size + 1
                last_house[group] += rng.choice((1, 1, 1, 2)) if last_house[group] else 1
                house = last_house[group]
                if is_community:
                    address = f"{v.name}{group}号楼{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 2)}室"
                elif v.name.endswith("分场"):
                    address = f"{v.name}{group}队{house}号"
                else:
                    address = f"{v.name}{group}组{house}号"
                households.append(NEW_HOUSEHOLD(grid_id=leaf.pk, number=f"{leaf.code}{seq:04d}", address=address,
                                                head_name=members[0].name))
                families.append(members)
                index += 1
        place_households(households, leaves, seed=self.seed, village_code=v.code)
        households = self.insert(Household, households)

        residents: list[Resident] = []
        people: list[Person] = []
        for household, members in zip(households, families, strict=True):
            for p in members:
                p.birth = birth_date(rng, p.age)
                if p.age >= 18:
                    has_phone = rng.random() < (0.95 if p.age < 70 else 0.7 if p.age < 80 else 0.35)
                    p.phone = self.phone(rng) if has_phone else ""
                r = NEW_RESIDENT(household_id=household.pk, name=p.name, sex=p.sex, birth_date=p.birth,
                                 relation=p.relation, tags=",".join(dict.fromkeys(p.tags)), is_away=p.away)
                r.set_id_number(self.id_number(rng, p.birth, p.sex))
                r.set_phone(p.phone)
                residents.append(r)
                people.append(p)
        residents = self.insert(Resident, residents)

        keys = [
            NEW_KEY_PERSON(resident_id=r.pk, category_id=self.categories[code],
                           registered_on=REF_DATE - dt.timedelta(days=rng.randint(30, 2200)))
            for r, p in zip(residents, people, strict=True)
            for code in dict.fromkeys(p.keys)
        ]
        self.insert(KeyPerson, keys)

        self.write_member_links(rng, households, residents, people)
        self.write_places(rng, v, leaves)
        self.write_organisations(rng, v, leaves, lineage)
        heads = [
            (h.pk, h.number, h.head_name)
            for h in households[: self.spec.resident_accounts_per_village]
        ]
        self.first_households[v.code] = heads

    def write_member_links(self, rng, households, residents, people) -> None:
        """党员联系户: members at home and of working age take the next 5–10 households in order
        (households are numbered by grid, so these are neighbours)."""
        members = [r.pk for r, p in zip(residents, people, strict=True)
                   if Tag.PARTY_MEMBER in p.tags and not p.away and 22 <= p.age <= 75]
        rng.shuffle(members)
        links = []
        start = 0
        for member in members:
            if start >= len(households):
                break
            take = rng.randint(5, 10)
            links += [NEW_MEMBER_LINK(member_id=member, household_id=h.pk, started_on=dt.date(2024, 1, 1))
                      for h in households[start:start + take]]
            start += take
        self.insert(MemberHouseholdLink, links)

    def write_places(self, rng, v: VillagePlan, leaves: list[GridPlan]) -> None:
        places = []

        sampler = geo.PointSampler()

        def put(kind, name, leaf=None):
            leaf = leaf or rng.choice(leaves)
            lon, lat = sampler.point(rng, leaf.geom)
            places.append(Place(grid_id=leaf.pk, kind_id=kind, name=name, lon=lon, lat=lat))

        centre = leaves[0]
        put("service_centre", f"{v.name}党群服务中心", centre)
        put("clinic", f"{v.name}卫生室", centre)
        if rng.random() < 0.15:
            put("school", f"{v.name}小学")
        for i in range(rng.randint(1, 3)):
            put("shop", f"{v.name}{('便民超市', '小卖部', '农资店')[i]}")
        for g_index, g in enumerate(v.grids, start=1):
            inside = g.children or [g]
            for i in range(1, rng.randint(4, 9) + 1):
                put("street_light", f"{v.name}{g_index}网格路灯{i:02d}", rng.choice(inside))
            for i in range(1, rng.randint(2, 5) + 1):
                put("manhole", f"{v.name}{g_index}网格井盖{i:02d}", rng.choice(inside))
            put("hydrant", f"{v.name}{g_index}网格消防栓", rng.choice(inside))
            road = ("中心街", "村南路", "村北路", "东西大街", "南北大街")
            for i in range(rng.randint(1, 2)):
                put("road", f"{v.name}{road[(g_index + i) % len(road)]}", rng.choice(inside))
            if rng.random() < 0.3:
                put("bridge", f"{v.name}{('漫水桥', '生产桥', '便民桥')[g_index % 3]}", rng.choice(inside))
            if rng.random() < 0.15:
                put("river", f"{rng.choice(self.spec.rivers)}{v.name}段", rng.choice(inside))
        self.insert(Place, places)

    def write_organisations(self, rng, v: VillagePlan, leaves, lineage) -> None:
        # 沾化: 1832 cooperatives and 3597 family farms over 14万 households (seed 003).
        county_name = self.regions[self.spec.county_code].name
        orgs = []

        def add(kind, name, contact):
            orgs.append(Organisation(grid_id=rng.choice(leaves).pk, kind_id=kind, name=name, contact_name=contact))

        def contact():
            sex = Resident.Sex.MALE if rng.random() < 0.8 else Resident.Sex.FEMALE
            return draw_name(rng, sex, rng.randint(1962, 1992), draw_surname(rng, lineage, 0.45))

        for _ in range(geo.poisson(rng, v.households * 1832 / 140_000)):
            product = rng.choice(self.spec.products)
            add("cooperative", f"{county_name}{v.name}{rng.choice(BRANDS)}{product}专业合作社",
                contact())
        for _ in range(geo.poisson(rng, v.households * 3597 / 140_000)):
            person = contact()
            add("family_farm", f"{county_name}{person}家庭农场", person)
        for _ in range(geo.poisson(rng, 0.6)):
            add("enterprise",
                f"{self.spec.city_name}{rng.choice(BRANDS)}{rng.choice(self.spec.industries)}有限公司", contact())
        add("social", f"{v.name}红白理事会", contact())
        if rng.random() < 0.5:
            add("social", f"{v.name}老年人协会", contact())
        if rng.random() < 0.6:
            add("social", f"{v.name}志愿服务队", contact())
        self.insert(Organisation, orgs)

    # accounts ------------------------------------------------------------------------------------

    def write_accounts(self, plan: Plan, passwords: dict[Role, str]) -> list[dict]:
        """Every staff account, the first households' accounts and their groups, grid posts and 包保;
        returns the logins (role, username, password, scope) for the accounts file."""
        rng = self.rng
        hashes = {role: make_password(pw) for role, pw in passwords.items()}
        users: list[User] = []
        meta: list[dict] = []
        phones = set()

        def staff_name():
            sex = Resident.Sex.MALE if rng.random() < 0.62 else Resident.Sex.FEMALE
            return draw_name(rng, sex, rng.randint(1966, 1999))

        def staff_phone():
            while True:
                number = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if number not in phones:
                    phones.add(number)
                    return number

        def add(role: Role, username: str, scope_code: str, *, full_name: str | None = None, **fields) -> User:
            name = full_name or staff_name()
            user = User(username=username, password=hashes[role], role=role, full_name=name,
                        phone="" if role == Role.RESIDENT else staff_phone(), **fields)
            users.append(user)
            meta.append({"role": role.value, "role_name": role.label, "username": username,
                         "password": passwords[role], "scope_code": scope_code, "full_name": name})
            return user

        county = self.regions[self.spec.county_code]
        admins = [add(Role.COUNTY_ADMIN, f"admin_{county.code}", county.code, region=county, is_staff=True),
                  add(Role.COUNTY_ADMIN, f"admin_{county.code}_2", county.code, region=county, is_staff=True)]
        townships = [self.regions[rp.code] for rp in plan.regions if rp.level == RegionLevel.TOWNSHIP]
        town_staff: dict[str, list[User]] = {}
        for town in townships:
            town_staff[town.code] = [
                add(Role.TOWNSHIP_STAFF, f"town_{town.code}_{i}", town.code, region=town) for i in (1, 2)
            ]
        for dept in self.departments:
            add(Role.DEPARTMENT_STAFF, f"dept_{dept.code}", dept.code, department=dept)
        for v in plan.villages:
            region = self.regions[v.code]
            add(Role.VILLAGE_CADRE, f"cadre_{v.code}", v.code, region=region)
            add(Role.POINTS_RECORDER, f"recorder_{v.code}", v.code, region=region)
            add(Role.POINTS_SUPERVISOR, f"supervisor_{v.code}", v.code, region=region)

        # 一格一人 needs something to show: a few grids are left without a chief or worker.
        top_grids = [(v, g) for v in plan.villages for g in v.grids]
        n_vacant = max(1, round(len(top_grids) * 0.025))
        vacant = {g.code for _, g in rng.sample(top_grids, n_vacant)}
        assignments: list[tuple[User, int, str]] = []
        for _v, g in top_grids:
            if g.code in vacant:
                continue
            assignments.append((add(Role.GRID_CHIEF, f"chief_{g.code}", g.code), g.pk, GridDuty.CHIEF))
            assignments.append((add(Role.GRID_WORKER, f"grid_{g.code}", g.code), g.pk, GridDuty.FULL_TIME))
            for child in g.children:
                # Part-time micro-grid workers are mostly villager group leaders; a few posts are open.
                if rng.random() < 0.96:
                    user = add(Role.GRID_WORKER, f"grid_{child.code}", child.code)
                    assignments.append((user, child.pk, GridDuty.PART_TIME))

        # 网格指导员: township cadres, each guiding one or two grids of their township.
        guides_of_village: dict[str, list[User]] = {}
        guide_no = 0
        guides_of_town: dict[str, list[User]] = {}
        for town in townships:
            grids = [(v, g) for v, g in top_grids if v.township_code == town.code]
            i = 0
            while i < len(grids):
                take = 2 if rng.random() < 0.5 and i + 1 < len(grids) else 1
                chunk = grids[i:i + take]
                i += take
                guide_no += 1
                user = add(Role.GRID_GUIDE, f"guide_{guide_no}", ",".join(g.code for _, g in chunk))
                guides_of_town.setdefault(town.code, []).append(user)
                for v, g in chunk:
                    assignments.append((user, g.pk, GridDuty.GUIDE))
                    guides_of_village.setdefault(v.code, []).append(user)

        for v in plan.villages:
            for household_id, number, head in self.first_households.get(v.code, []):
                add(Role.RESIDENT, f"resident_{number}", number, full_name=head, household_id=household_id)

        users = self.insert(User, users)

        group = Group.objects.create(name=REVEAL_GROUP)
        self.counts[Group._meta.label] += 1
        group.permissions.add(Permission.objects.get(codename="reveal_identity", content_type__app_label="people"))
        revealers = [u for u in users if u.role in (Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF)]
        self.insert(User.groups.through, [User.groups.through(user_id=u.pk, group_id=group.pk) for u in revealers])
        # County admins configure grids, departments, categories and accounts in the (scoped) admin.
        admin_group = Group.objects.create(name=ADMIN_GROUP)
        self.counts[Group._meta.label] += 1
        admin_group.permissions.add(*Permission.objects.filter(
            content_type__app_label__in=["regions", "people", "accounts"]
        ).exclude(codename__startswith="delete_").exclude(codename="reveal_identity"))
        self.insert(User.groups.through, [
            User.groups.through(user_id=u.pk, group_id=admin_group.pk) for u in users if u.role == Role.COUNTY_ADMIN
        ])

        start = dt.date(2024, 1, 1)
        self.insert(GridAssignment, [
            GridAssignment(grid_id=grid_id, user=user, duty=duty,
                           started_on=start + dt.timedelta(days=rng.randrange(600)))
            for user, grid_id, duty in assignments
        ])

        # 四级包保: county leaders take the townships, township cadres the villages.
        liaisons = []
        for i, town in enumerate(townships):
            liaisons.append(Liaison(user=admins[i % len(admins)], region=town, tier=Liaison.Tier.COUNTY_LEADER,
                                    started_on=start))
        for v in plan.villages:
            cadre = (guides_of_village.get(v.code) or guides_of_town.get(v.township_code)
                     or town_staff[v.township_code])[0]
            liaisons.append(Liaison(user=cadre, region=self.regions[v.code], tier=Liaison.Tier.TOWNSHIP_CADRE,
                                    started_on=start))
        self.insert(Liaison, liaisons)
        return meta
