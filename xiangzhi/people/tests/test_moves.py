"""Marriages and moves, splits and merges, the head's death: who ends where, and whose history stays."""

import datetime as dt

import pytest
from django.test import TestCase

from tests.factories import RegionFactory, UserFactory, build_small_county, make_household
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Conflict, Invalid, NotFound
from xiangzhi.gridwork.selectors import visits_due_for_user
from xiangzhi.lib import crypto
from xiangzhi.people import selectors
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    IdentitySearch,
    KeyCategory,
    KeyPerson,
    KeyPersonChange,
    MemberHouseholdLink,
    Relation,
    Resident,
)
from xiangzhi.people.services import household_change_confirm, household_change_propose
from xiangzhi.regions.services import grid_create

Kind, State = HouseholdChange.Kind, HouseholdChange.State


def propose(c, kind, data, who="grid_worker", household="a1"):
    hh = c.households[household] if isinstance(household, str) else household
    return household_change_propose(actor=c.users[who], household=hh, kind=kind, data=data)


def member(household, relation=Relation.HEAD):
    return household.residents.filter(relation=relation).first()


def plain_id(resident):
    return crypto.decrypt(resident.id_number_encrypted)


class MovesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.county = build_small_county()
        cls.county.users["cadre_b1"] = UserFactory(username="cadre_b1", role=Role.VILLAGE_CADRE,
                                                   region=cls.county.village_b1)

    def setUp(self):
        for h in self.county.households.values():
            h.refresh_from_db()

    def test_a_move_within_the_county_hands_the_person_over_and_each_village_keeps_its_history(self):
        c = self.county
        a1, spouse = c.households["a1"], member(c.households["a1"], Relation.SPOUSE)
        counts_a1, counts_b1 = selectors.region_counts(c.village_a1), selectors.region_counts(c.village_b1)
        change = propose(c, Kind.MARRY_OUT, {"resident": spouse.pk, "destination": "county",
                                             "village": c.village_b1.code,
                                             "to_household": c.households["b1"].number, "relation": "spouse",
                                             "moved_on": "2026-03-01"})
        assert change.state == State.PENDING and spouse.household_id == a1.pk
        household_change_confirm(actor=c.users["village_cadre"], change=change)
        spouse.refresh_from_db()
        assert (spouse.household_id, spouse.relation) == (c.households["b1"].pk, "spouse")
        # the old village: the row stays on its household, the person is no longer theirs
        old_cadre = c.users["village_cadre"]
        assert [ch.kind for ch in selectors.household_change_history(old_cadre, a1)] == [Kind.MARRY_OUT]
        with pytest.raises(NotFound):
            selectors.resident_get_for_user(old_cadre, spouse.pk)
        # the new village sees him, and a row of its own
        new_cadre = c.users["cadre_b1"]
        assert selectors.resident_get_for_user(new_cadre, spouse.pk) == spouse
        mirror = selectors.household_change_history(new_cadre, c.households["b1"]).get()
        assert (mirror.kind, mirror.state, mirror.resident, mirror.after["迁入"]) == (
            Kind.MARRY_IN, State.CONFIRMED, spouse, spouse.name)
        assert not HouseholdChange.objects.filter(household__grid__region=c.village_b1).exclude(pk=mirror.pk).exists()
        assert selectors.region_counts(c.village_a1)["residents"] == counts_a1["residents"] - 1
        assert selectors.region_counts(c.village_b1)["residents"] == counts_b1["residents"] + 1

    def test_a_move_to_a_village_outside_the_county_is_refused_and_nothing_is_written(self):
        c = self.county
        other_county = RegionFactory(code="371625", name="博兴县", level="county")
        far = RegionFactory(code="371625100001", name="外县村", level="village", parent=other_county)
        grid_create(region=far, name="外县村网格")
        spouse = member(c.households["a1"], Relation.SPOUSE)
        with pytest.raises(Invalid, match="只能迁往本县的村"):
            propose(c, Kind.MOVE_OUT, {"resident": spouse.pk, "destination": "county", "village": far.code,
                                       "moved_on": "2026-03-01"}, who="village_cadre")
        assert not HouseholdChange.objects.exists()
        spouse.refresh_from_db()
        assert spouse.household_id == c.households["a1"].pk

    def test_a_move_to_a_new_household_in_another_village_gets_the_next_number(self):
        c = self.county
        child = member(c.households["a1"], Relation.CHILD)
        propose(c, Kind.MOVE_OUT, {"resident": child.pk, "destination": "county", "village": c.village_a2.code,
                                   "moved_on": "2026-03-01"}, who="village_cadre")
        child.refresh_from_db()
        new = child.household
        assert (new.grid, new.head_name, child.relation) == (c.grid_a2, child.name, Relation.HEAD)
        assert new.number == f"{c.grid_a2.code}0002"  # a2 already has 0001
        assert new.changes.get().kind == Kind.MOVE_IN

    def test_leaving_the_county_closes_the_record_and_stops_counting_and_visits(self):
        c = self.county
        a1 = c.households["a1"]
        spouse = member(a1, Relation.SPOUSE)
        KeyPerson.objects.create(resident=spouse, category=KeyCategory.objects.get(code="elderly_alone"),
                                 registered_on=dt.date(2025, 1, 5))
        assert [v.key_person.resident for v in visits_due_for_user(c.users["grid_worker"])] == [spouse]
        before = selectors.region_counts(c.county)
        change = propose(c, Kind.MOVE_OUT, {"resident": spouse.pk, "destination": "outside", "left_to": "济南市历城区",
                                            "moved_on": "2026-03-01"})
        household_change_confirm(actor=c.users["village_cadre"], change=change)
        spouse.refresh_from_db()
        assert (spouse.household_id, spouse.left_on, spouse.left_to) == (a1.pk, dt.date(2026, 3, 1), "济南市历城区")
        after = selectors.region_counts(c.county)
        assert (after["residents"], after["key_people"]) == (before["residents"] - 1, before["key_people"] - 1)
        assert visits_due_for_user(c.users["grid_worker"]) == []
        listed = selectors.household_list_for_user(c.users["village_cadre"]).get(pk=a1.pk)
        assert spouse not in listed.residents.all()  # the list, and the export built on it, leave her out
        with pytest.raises(Invalid, match="已迁出本县"):
            propose(c, Kind.PHONE, {"resident": spouse.pk, "phone": "13912345678"})

    def test_a_person_of_the_county_moves_in_by_id_number_with_his_history(self):
        c = self.county
        b1 = c.households["b1"]
        child = member(b1, Relation.CHILD)
        head_b1 = member(b1)
        with pytest.raises(Invalid, match="是原户的户主，请先在原户办理户主变更"):
            propose(c, Kind.MOVE_IN, {"origin": "county", "id_number": plain_id(head_b1), "relation": "other",
                                      "moved_on": "2026-03-01"})
        with pytest.raises(Invalid, match="本县没有登记这个身份证号"):
            propose(c, Kind.MOVE_IN, {"origin": "county", "id_number": "11010519491231002X", "relation": "other",
                                      "moved_on": "2026-03-01"})
        # naming someone by ID number is a lookup: recorded even when the proposal is refused
        looked = IdentitySearch.objects.filter(user=c.users["grid_worker"], kind="id_number").order_by("id")
        assert [(s.outcome, s.matched) for s in looked] == [("searched", 1), ("searched", 0)]
        assert looked[0].value_hash == head_b1.id_number_hash
        change = propose(c, Kind.MARRY_IN, {"origin": "county", "id_number": plain_id(child),
                                            "relation": "child_in_law",
                                            "moved_on": "2026-03-01"})
        assert change.before == {"原村": "南村"} and change.resident == child
        household_change_confirm(actor=c.users["village_cadre"], change=change)
        child.refresh_from_db()
        assert (child.household_id, child.relation) == (c.households["a1"].pk, "child_in_law")
        left = selectors.household_change_history(c.users["cadre_b1"], b1).get()
        assert (left.kind, left.resident, left.state) == (Kind.MARRY_OUT, child, State.CONFIRMED)

    def test_someone_from_beyond_the_county_moves_in(self):
        c = self.county
        with pytest.raises(Invalid, match="成年人（满18周岁）须填写身份证号"):
            propose(c, Kind.MOVE_IN, {"origin": "outside", "name": "刘芳", "sex": "F", "birth_date": "1990-02-03",
                                      "relation": "child_in_law", "moved_on": "2026-03-01"})
        change = propose(c, Kind.MOVE_IN, {"origin": "outside", "name": "刘小宝", "sex": "M",
                                           "birth_date": "2020-02-03", "relation": "grandchild",
                                           "moved_on": "2026-03-01", "from_place": "惠民县"}, who="village_cadre")
        assert change.state == State.CONFIRMED and change.before == {"来自": "惠民县"}
        assert Resident.objects.get(name="刘小宝").household == c.households["a1"]

    def test_a_split_must_leave_one_head_in_each_household(self):
        c = self.county
        a1 = c.households["a1"]
        head, spouse, child = member(a1), member(a1, Relation.SPOUSE), member(a1, Relation.CHILD)
        with pytest.raises(Invalid, match="分户后每户必须有一名户主"):
            propose(c, Kind.SPLIT, {"members": [child.pk]})
        with pytest.raises(Invalid, match="分户后每户必须有一名户主"):  # the head goes, nobody stays in charge
            propose(c, Kind.SPLIT, {"members": [head.pk, child.pk], "new_head": child.pk})
        with pytest.raises(Invalid, match="原户至少要留一名成员"):
            propose(c, Kind.SPLIT, {"members": [head.pk, spouse.pk, child.pk], "new_head": child.pk})
        assert not HouseholdChange.objects.exists() and Household.objects.count() == 4
        change = propose(c, Kind.SPLIT, {"members": [head.pk, child.pk], "new_head": child.pk,
                                         "remaining_head": spouse.pk, "to_grid": c.grid_a1_micro.code})
        household_change_confirm(actor=c.users["village_cadre"], change=change)
        for r in (head, spouse, child):
            r.refresh_from_db()
        a1.refresh_from_db()
        new = child.household
        assert (new.grid, new.head_name, new.number) == (c.grid_a1_micro, child.name, f"{c.grid_a1_micro.code}0002")
        assert (head.household, head.relation, child.relation) == (new, Relation.OTHER, Relation.HEAD)
        assert (a1.head_name, spouse.relation) == (spouse.name, Relation.HEAD)
        assert HouseholdChange.objects.get(pk=change.pk).after["新户编号"] == new.number
        assert new.changes.get().kind == Kind.SPLIT

    def test_a_merge_closes_the_other_household_and_keeps_it(self):
        c = self.county
        a1, micro = c.households["a1"], c.households["a1_micro"]
        with pytest.raises(Invalid, match="只能合并本村的户"):
            propose(c, Kind.MERGE, {"other": c.households["a2"].number, "other_head_relation": "parent"},
                    who="village_cadre")
        other_head = member(micro)
        propose(c, Kind.MERGE, {"other": micro.number, "other_head_relation": "parent"}, who="village_cadre")
        micro.refresh_from_db()
        other_head.refresh_from_db()
        assert (micro.closed_on is not None, micro.merged_into, micro.residents.count()) == (True, a1, 0)
        assert (other_head.household, other_head.relation) == (a1, Relation.PARENT)
        assert micro.changes.get().after["并入"].startswith("张建国户")
        assert micro not in selectors.household_list_for_user(c.users["village_cadre"])
        with pytest.raises(Invalid, match=r"已于.*注销"):
            propose(c, Kind.PHONE, {"resident": other_head.pk, "phone": "13912345678"}, household=micro,
                    who="village_cadre")

    def test_the_last_members_death_closes_the_household(self):
        c = self.county
        alone = make_household(c.grid_a1, size=1, head="孙老汉")
        head = member(alone)
        propose(c, Kind.DEATH, {"resident": head.pk, "died_on": "2026-03-01"}, household=alone, who="village_cadre")
        alone.refresh_from_db()
        assert alone.closed_on is not None and "户内已无其他成员" in alone.closed_reason

    def test_two_proposals_about_one_person_in_two_households_conflict(self):
        c = self.county
        child = member(c.households["b1"], Relation.CHILD)
        propose(c, Kind.MOVE_OUT, {"resident": child.pk, "destination": "outside", "left_to": "天津",
                                   "moved_on": "2026-03-01"}, household="b1", who="grid_worker_b")
        with pytest.raises(Conflict, match="已有一条待确认的「迁出」变动"):
            propose(c, Kind.MOVE_IN, {"origin": "county", "id_number": plain_id(child), "relation": "other",
                                      "moved_on": "2026-03-01"})


class WhatADeathOrAMoveEndsTest(TestCase):
    """The register's change reaches what hangs on the person: his key-person entries end with a
    history row, his party-member links end, his login closes or follows him."""

    @classmethod
    def setUpTestData(cls):
        cls.county = build_small_county()

    def test_a_death_ends_his_key_person_entry_his_links_and_his_login(self):
        c = self.county
        a1, a2 = c.households["a1"], c.households["a2"]
        spouse = member(a1, Relation.SPOUSE)
        spouse.tags = "party_member"
        spouse.save(update_fields=["tags"])
        entry = KeyPerson.objects.create(resident=spouse, category=KeyCategory.objects.get(code="elderly_alone"),
                                         registered_on=dt.date(2025, 1, 5))
        link = MemberHouseholdLink.objects.create(member=spouse, household=a2, started_on=dt.date(2025, 1, 1))
        login = UserFactory(username="spouse_login", role=Role.RESIDENT, household=a1, resident=spouse)
        propose(c, Kind.DEATH, {"resident": spouse.pk, "died_on": "2026-03-01"}, who="village_cadre")
        entry.refresh_from_db()
        link.refresh_from_db()
        login.refresh_from_db()
        assert (entry.is_active, entry.ended_on, entry.end_reason) == (False, dt.date(2026, 3, 1), "已死亡")
        assert entry.changes.get(kind=KeyPersonChange.Kind.END).actor == c.users["village_cadre"]
        assert (link.ended_on, link.end_reason, link.ended_by) == (dt.date(2026, 3, 1), "已死亡",
                                                                   c.users["village_cadre"])
        assert login.is_active is False

    def test_a_merge_takes_the_logins_along_and_ends_the_closed_households_link(self):
        c = self.county
        a1, micro = c.households["a1"], c.households["a1_micro"]
        spouse = member(a1, Relation.SPOUSE)
        link = MemberHouseholdLink.objects.create(member=spouse, household=micro, started_on=dt.date(2025, 1, 1))
        login = UserFactory(username="micro_login", role=Role.RESIDENT, household=micro, resident=member(micro))
        propose(c, Kind.MERGE, {"other": micro.number, "other_head_relation": "parent"}, who="village_cadre")
        link.refresh_from_db()
        login.refresh_from_db()
        assert login.household == a1 and login.is_active
        assert link.ended_on is not None and link.end_reason.startswith("户已注销")

    def test_a_move_to_another_village_ends_his_links_there_and_his_login_follows(self):
        c = self.county
        a1, a2, b1 = c.households["a1"], c.households["a2"], c.households["b1"]
        spouse = member(a1, Relation.SPOUSE)
        link = MemberHouseholdLink.objects.create(member=spouse, household=a2, started_on=dt.date(2025, 1, 1))
        login = UserFactory(username="mover_login", role=Role.RESIDENT, household=a1, resident=spouse)
        propose(c, Kind.MOVE_OUT, {"resident": spouse.pk, "destination": "county", "village": c.village_b1.code,
                                   "to_household": b1.number, "relation": "spouse", "moved_on": "2026-03-01"},
                who="village_cadre")
        link.refresh_from_db()
        login.refresh_from_db()
        assert (login.household, login.is_active) == (b1, True)
        assert (link.ended_on, link.end_reason) == (dt.date(2026, 3, 1), f"迁往{c.village_b1.name}")
