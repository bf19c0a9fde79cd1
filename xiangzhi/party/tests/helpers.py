"""A small county with 东村's party organisation: a branch, one group serving 东村第一网格, two members
(张建国 the leader with a post, 李秀英) and a third party member of 东村 in no group yet."""

from dataclasses import dataclass

from tests.factories import SmallCounty, build_small_county
from xiangzhi.party.models import Branch, DutyPostKind, Membership, PartyGroup
from xiangzhi.party.services import branch_create, duty_post_assign, group_create, group_grid_add, membership_add
from xiangzhi.people.models import Resident


def make_member(resident: Resident, **changes) -> Resident:
    resident.tags = "party_member"
    for name, value in changes.items():
        setattr(resident, name, value)
    resident.save()
    return resident


def post_kind(code: str = "policy") -> DutyPostKind:
    kind, _ = DutyPostKind.objects.get_or_create(code=code, defaults={"name": "政策宣传岗", "sort": 10})
    return kind


@dataclass
class Party:
    county: SmallCounty
    branch: Branch
    group: PartyGroup
    leader: Resident
    member: Resident
    spare: Resident
    leader_membership: Membership
    membership: Membership


def build_party() -> Party:
    county = build_small_county()
    a1, micro = county.households["a1"], county.households["a1_micro"]
    leader = make_member(a1.residents.get(relation="head"))
    member = make_member(micro.residents.get(relation="head"))
    spare = make_member(a1.residents.exclude(relation="head").order_by("id").first())
    branch = branch_create(village=county.village_a1, name="东村党支部", secretary=leader)
    group = group_create(branch=branch, name="第一党小组", leader=leader)
    group_grid_add(group=group, grid=county.grid_a1)
    membership = membership_add(group=group, resident=member)
    leader_membership = Membership.objects.get(resident=leader, left_on__isnull=True)
    duty_post_assign(membership=leader_membership, kind=post_kind(), duties="宣讲惠民政策")
    return Party(county, branch, group, leader, member, spare, leader_membership, membership)
