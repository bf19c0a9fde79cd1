"""Households as rural registers show them: who lives together, of what age and under which
names, with which tags, and who is on a key-population list. Functions of a random generator only.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from itertools import accumulate

from xiangzhi.demo.names import draw_given, draw_surname
from xiangzhi.people.models import Relation, Resident, Tag

# Ages are counted from a fixed day, not from today, so a seed gives the same people next year.
REF_DATE = dt.date(2026, 1, 1)

# Household types of an ageing North China village and their shares; the mean size comes out
# near 2.85 (40万 residents in 14万 households, seed 003).
HOUSEHOLD_KINDS = [
    ("alone_elderly", 0.14),
    ("elderly_couple", 0.21),
    ("couple", 0.09),
    ("nuclear", 0.28),
    ("three_generations", 0.15),
    ("nuclear_with_parent", 0.06),
    ("single", 0.07),
]
KIND_NAMES = [k for k, _ in HOUSEHOLD_KINDS]
KIND_CUM = list(accumulate(w for _, w in HOUSEHOLD_KINDS))


@dataclass(slots=True)
class Person:
    relation: str
    sex: str
    age: int
    name: str
    birth: dt.date | None = None
    away: bool = False
    tags: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    phone: str = ""


def birth_date(rng: random.Random, age: int) -> dt.date:
    return dt.date(REF_DATE.year - age - 1, 1, 1) + dt.timedelta(days=rng.randrange(365))


def _other_surname(rng, family: str) -> str:
    for _ in range(3):
        s = draw_surname(rng)
        if s != family:
            return s
    return s


def compose_household(
    rng: random.Random, kind: str, lineage: tuple[str, ...], lineage_share: float = 0.45
) -> list[Person]:
    """Members of one household, head first, with names that follow Chinese custom: children
    take the father's surname, a wife keeps her own."""
    family = draw_surname(rng, lineage, lineage_share)
    M, F = Resident.Sex.MALE, Resident.Sex.FEMALE

    def age_around(low, high, mode):
        return round(rng.triangular(low, high, mode))

    def person(relation, sex, age, surname):
        age = max(0, age)
        year = REF_DATE.year - age - 1
        return Person(relation, sex, age, surname + draw_given(rng, sex, year))

    def children(mother_age, n, relation, surname):
        kids = []
        for _ in range(n):
            age = mother_age - rng.randint(21, 36)
            if age < 0:
                continue
            kids.append(person(relation, rng.choice((M, M, F, F, M)), age, surname))
        return kids

    def couple(head_age, husband_heads=True):
        wife_age = head_age - rng.randint(-2, 5)
        husband = person(Relation.HEAD, M, head_age, family)
        wife = person(Relation.SPOUSE, F, wife_age, _other_surname(rng, family))
        if husband_heads:
            return [husband, wife], wife_age
        wife.relation, husband.relation = Relation.HEAD, Relation.SPOUSE
        return [wife, husband], wife_age

    if kind == "alone_elderly":
        sex = F if rng.random() < 0.62 else M
        return [person(Relation.HEAD, sex, age_around(62, 96, 77), family if sex == M else _other_surname(rng, family))]
    if kind == "elderly_couple":
        members, _ = couple(age_around(60, 90, 67), rng.random() > 0.05)
        return members
    if kind == "couple":
        members, _ = couple(age_around(44, 64, 57), rng.random() > 0.1)
        return members
    if kind == "nuclear":
        members, mother = couple(age_around(27, 62, 51), rng.random() > 0.08)
        n = rng.choices((1, 2, 3), (0.45, 0.45, 0.10))[0]
        return members + children(mother, n, Relation.CHILD, family)
    if kind == "nuclear_with_parent":
        members, mother = couple(age_around(32, 60, 48))
        members += children(mother, rng.choice((1, 2)), Relation.CHILD, family)
        parent_sex = F if rng.random() < 0.7 else M
        parent_age = members[0].age + rng.randint(22, 32)
        surname = family if parent_sex == M else _other_surname(rng, family)
        return [*members, person(Relation.PARENT, parent_sex, min(parent_age, 96), surname)]
    if kind == "three_generations":
        members, mother = couple(age_around(52, 80, 64), rng.random() > 0.07)
        son_age = max(20, mother - rng.randint(22, 32))
        son = person(Relation.CHILD, M, son_age, family)
        dil_age = son_age - rng.randint(-1, 4)
        dil = person(Relation.CHILD_IN_LAW, F, dil_age, _other_surname(rng, family))
        members += [son, dil]
        members += children(dil_age, rng.choices((1, 2), (0.55, 0.45))[0], Relation.GRANDCHILD, family)
        if rng.random() < 0.1:
            members += children(mother, 1, Relation.CHILD, family)
        return members
    # single: a bachelor (光棍) more often than not, now and then with a sibling
    sex = M if rng.random() < 0.7 else F
    members = [person(Relation.HEAD, sex, age_around(20, 66, 48), family if sex == M else _other_surname(rng, family))]
    if rng.random() < 0.15:
        members.append(person(Relation.SIBLING, rng.choice((M, F)), members[0].age + rng.randint(-8, 8), family))
    return members


def tag_household(rng: random.Random, members: list[Person]) -> bool:
    """Tags and key-population categories at the rates rural registers show. Returns whether the
    household is on 低保 or 特困 (its head is then a hardship-family key person)."""
    working = [p for p in members if 18 <= p.age <= 50]
    for p in working:
        p.away = rng.random() < 0.25
    for p in members:
        age, male = p.age, p.sex == Resident.Sex.MALE
        if age >= 18:
            factor = 0.3 if age < 25 else 0.8 if age < 40 else 1.25
            if rng.random() < (0.08 if male else 0.032) * factor:
                p.tags.append(Tag.PARTY_MEMBER)
            if male and 22 <= age <= 85 and rng.random() < 0.019:
                p.tags.append(Tag.VETERAN)
            if rng.random() < 0.001 * (1.5 if age >= 45 else 0.6):
                p.keys.append("petitioner")
            if rng.random() < 0.004:
                p.keys.append("mental_illness")
            if 18 <= age <= 65 and rng.random() < (0.0008 if male else 0.0002):
                p.keys.append("community_correction")
            if 20 <= age <= 55 and rng.random() < (0.0005 if male else 0.0001):
                p.keys.append("drug_rehab")
        disabled_rate = 0.007 if age < 18 else 0.017 if age < 60 else 0.04 if age < 80 else 0.075
        if rng.random() < disabled_rate:
            p.tags.append(Tag.DISABLED)
            p.keys.append("disabled")

    elderly_only = all(p.age >= 60 for p in members)
    if elderly_only:
        for p in members:
            p.tags.append(Tag.EMPTY_NEST)
        # 孤寡/空巢 on the monthly visit list: those past 70 living alone and couples both past 80;
        # younger empty-nesters are tagged but not visited, or a worker would have 70 visits a month.
        if (len(members) == 1 and members[0].age >= 70) or all(p.age >= 80 for p in members):
            for p in members:
                p.keys.append("elderly_alone")
    elif working and all(p.away for p in working):
        for p in members:
            if p.age < 16 or p.age >= 60:
                p.tags.append(Tag.LEFT_BEHIND)
    else:
        parents_away = {p.relation for p in members if p.away}
        for p in members:
            if p.age < 16:
                parents = (Relation.HEAD, Relation.SPOUSE) if p.relation == Relation.CHILD else (
                    Relation.CHILD, Relation.CHILD_IN_LAW)
                present = [m for m in members if m.relation in parents and not m.away]
                if not present and any(r in parents_away for r in parents):
                    p.tags.append(Tag.LEFT_BEHIND)

    any_disabled = any(Tag.DISABLED in p.tags for p in members)
    hardship = False
    if len(members) == 1 and (members[0].age >= 60 or any_disabled) and rng.random() < 0.05:
        members[0].tags.append(Tag.EXTREME_POVERTY)
        hardship = True
    elif rng.random() < 0.018 + (0.12 if any_disabled else 0) + (0.02 if elderly_only else 0):
        for p in members:
            p.tags.append(Tag.LOW_INCOME)
        hardship = True
    if hardship:
        members[0].keys.append("hardship_family")
    return hardship
