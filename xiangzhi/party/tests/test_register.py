"""Party membership follows the register: a death or a move out of the county ends the member's
membership and posts that day with the reason (through ``people.signals.resident_left_register``); a move
to another village of the county keeps it, marked on the party pages for the transfer; a member living
away stays in his home group."""

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.party import selectors
from xiangzhi.party.models import Branch, DutyPost, Membership, PartyChange, PartyGroup
from xiangzhi.party.services import branch_create, group_create, membership_add
from xiangzhi.party.tests.helpers import build_party, make_member
from xiangzhi.people.models import HouseholdChange
from xiangzhi.people.services import household_change_confirm, household_change_propose

TODAY = timezone.localdate()
JOINED = dt.date(2024, 3, 1)


class RegisterEndsMembershipTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        cls.cadre = cls.c.users["village_cadre"]
        Membership.objects.update(joined_on=JOINED)
        DutyPost.objects.update(started_on=JOINED)

    def change(self, kind, data, *, who="village_cadre", household="a1"):
        return household_change_propose(actor=self.c.users[who], household=self.c.households[household], kind=kind,
                                        data=data)

    def test_a_death_ends_his_membership_posts_leadership_and_secretaryship_on_the_day(self):
        died = TODAY - dt.timedelta(days=10)
        self.change("death", {"resident": self.p.leader.pk, "died_on": died.isoformat(), "new_head": self.p.spare.pk})
        ended = Membership.objects.get(pk=self.p.leader_membership.pk)
        self.assertEqual((ended.left_on, ended.leave_reason, ended.ended_by), (died, "已死亡", self.cadre))
        post = DutyPost.objects.get(membership=ended)
        self.assertEqual((post.ended_on, post.end_reason, post.ended_by), (died, "离开党小组：已死亡", self.cadre))
        self.assertIsNone(PartyGroup.objects.get(pk=self.p.group.pk).leader)
        self.assertIsNone(Branch.objects.get(pk=self.p.branch.pk).secretary)
        traces = {(ch.group_id, ch.reason, ch.actor) for ch in PartyChange.objects.filter(actor=self.cadre)}
        self.assertEqual(traces, {(self.p.group.pk, "组长离开党小组：已死亡", self.cadre),
                                  (None, "支部书记已死亡", self.cadre)})
        self.assertIsNone(Membership.objects.get(pk=self.p.membership.pk).left_on)  # the others stay
        org = selectors.organisation_of_village(self.c.village_a1)
        self.assertEqual([m.resident for m in org.groups[0].members_in_post], [self.p.member])
        history = self.as_cadre().get(f"/party/groups/{self.p.group.pk}/").content.decode()
        self.assertIn("已死亡", history.split('data-testid="member-history"')[1])

    def test_a_post_begun_after_the_death_day_ends_on_its_first_day(self):
        started = TODAY - dt.timedelta(days=3)
        DutyPost.objects.update(started_on=started)
        died = TODAY - dt.timedelta(days=30)
        self.change("death", {"resident": self.p.leader.pk, "died_on": died.isoformat(), "new_head": self.p.spare.pk})
        self.assertEqual(Membership.objects.get(pk=self.p.leader_membership.pk).left_on, died)
        self.assertEqual(DutyPost.objects.get().ended_on, started)

    def test_nothing_ends_while_the_change_waits_and_all_of_it_when_the_cadre_confirms(self):
        died = TODAY - dt.timedelta(days=2)
        pending = self.change("death", {"resident": self.p.member.pk, "died_on": died.isoformat(),
                                        "new_head": self.c.households["a1_micro"].residents.exclude(
                                            pk=self.p.member.pk).first().pk},
                              who="grid_worker", household="a1_micro")
        self.assertEqual(pending.state, HouseholdChange.State.PENDING)
        self.assertIsNone(Membership.objects.get(pk=self.p.membership.pk).left_on)
        household_change_confirm(actor=self.cadre, change=pending)
        ended = Membership.objects.get(pk=self.p.membership.pk)
        self.assertEqual((ended.left_on, ended.leave_reason, ended.ended_by), (died, "已死亡", self.cadre))

    def test_a_move_out_of_the_county_ends_his_membership_with_where_he_went(self):
        moved = TODAY - dt.timedelta(days=5)
        other = self.c.households["a1_micro"].residents.exclude(pk=self.p.member.pk).first()
        self.change("move_out", {"resident": self.p.member.pk, "destination": "outside", "left_to": "济南市",
                                 "moved_on": moved.isoformat(), "new_head": other.pk}, household="a1_micro")
        ended = Membership.objects.get(pk=self.p.membership.pk)
        self.assertEqual((ended.left_on, ended.leave_reason, ended.ended_by),
                         (moved, "已迁出本县（济南市）", self.cadre))
        self.assertFalse(Membership.objects.filter(resident=self.p.member, left_on__isnull=True).exists())
        self.assertIsNone(Membership.objects.get(pk=self.p.leader_membership.pk).left_on)
        self.assertEqual(PartyGroup.objects.get(pk=self.p.group.pk).leader, self.p.leader)  # not the leader
        self.assertFalse(PartyChange.objects.filter(actor=self.cadre).exists())

    def test_a_move_within_the_county_keeps_the_membership_and_marks_it_for_transfer(self):
        cadre_b1 = UserFactory(username="cadre_b1_move", role=Role.VILLAGE_CADRE, region=self.c.village_b1)
        branch_b1 = branch_create(village=self.c.village_b1, name="南村党支部")
        self.assertEqual({m.name for m in selectors.grid_identity(self.c.grid_a1)},
                         {self.p.leader.name, self.p.member.name})
        other = self.c.households["a1_micro"].residents.exclude(pk=self.p.member.pk).first()
        self.change("move_out", {"resident": self.p.member.pk, "destination": "county",
                                 "village": self.c.village_b1.code, "to_household": self.c.households["b1"].number,
                                 "relation": "spouse", "moved_on": (TODAY - dt.timedelta(days=1)).isoformat(),
                                 "new_head": other.pk}, household="a1_micro")
        kept = Membership.objects.get(pk=self.p.membership.pk)
        self.assertIsNone(kept.left_on)
        self.assertEqual([m.name for m in selectors.grid_identity(self.c.grid_a1)], [self.p.leader.name])  # 亮身份
        org = selectors.organisation_of_village(self.c.village_a1)
        self.assertEqual([(m.pk, m.home_village_name) for m in org.moved], [(kept.pk, "南村")])
        marker = "已迁往南村，请办理组织关系转接"
        village = self.as_cadre().get(f"/party/villages/{self.c.village_a1.code}/").content.decode()
        moved = village.split('data-testid="moved"')[1].split("</a>")[0]
        self.assertIn(marker, moved)
        self.assertIn(f"/party/groups/{self.p.group.pk}/#m-{kept.pk}", moved)
        group = self.client.get(f"/party/groups/{self.p.group.pk}/").content.decode()
        item = group.split(f'id="m-{kept.pk}"')[1].split("</li>")[0]
        self.assertIn(marker, item)
        self.assertIn("<details open>", item)  # the end form at hand, the reason written in
        self.assertIn('value="组织关系转往南村"', item)
        self.assertEqual(group.count(marker), 1)  # the leader, still at home, is not marked
        # The new village sees him among its party members, still grouped in 东村.
        self.client.force_login(cadre_b1)
        south = self.client.get(f"/party/villages/{self.c.village_b1.code}/").content.decode()
        self.assertIn(f"{self.p.member.name}（组织关系在东村，待转入）", south.split('data-testid="ungrouped"')[1])
        # 东村's cadre ends it from the page; 南村's then places him in a group of its own.
        self.as_cadre().post(f"/party/members/{kept.pk}/end/", {"reason": "组织关系转往南村",
                                                                 "ended_on": TODAY.isoformat()})
        self.assertEqual(Membership.objects.get(pk=kept.pk).leave_reason, "组织关系转往南村")
        south_group = group_create(branch=branch_b1, name="第一党小组", actor=cadre_b1)
        self.assertEqual(membership_add(group=south_group, resident=self.p.member, actor=cadre_b1).group, south_group)

    def test_a_member_living_away_stays_in_his_home_group(self):
        self.change("away", {"resident": self.p.member.pk, "away_place": "广东省深圳市", "away_work": "电子厂务工",
                             "away_since": (TODAY - dt.timedelta(days=20)).isoformat()}, household="a1_micro")
        self.assertIsNone(Membership.objects.get(pk=self.p.membership.pk).left_on)
        org = selectors.organisation_of_village(self.c.village_a1)
        self.assertEqual([m.resident for m in org.away], [self.p.member])
        self.assertEqual(org.moved, [])

    def test_a_resident_in_no_group_leaves_the_party_organisation_untouched(self):
        make_member(self.p.spare)
        self.change("death", {"resident": self.p.spare.pk, "died_on": TODAY.isoformat()})
        self.assertEqual(Membership.objects.filter(left_on__isnull=False).count(), 0)
        self.assertFalse(PartyChange.objects.filter(actor=self.cadre).exists())

    def as_cadre(self):
        self.client.force_login(self.cadre)
        return self.client
