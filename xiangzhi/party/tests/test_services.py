"""Keeping the party organisation: who may, and each refusal writing nothing."""

import datetime as dt

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.party import selectors
from xiangzhi.party.models import Branch, DutyPost, GroupGrid, Membership, PartyChange, PartyGroup
from xiangzhi.party.services import (
    branch_create,
    branch_update,
    duty_post_assign,
    duty_post_end,
    group_create,
    group_grid_add,
    group_grid_end,
    membership_add,
    membership_end,
    membership_move,
)
from xiangzhi.party.tests.helpers import build_party, make_member, post_kind

TODAY = timezone.localdate()


class PartyServicesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        cls.cadre = cls.c.users["village_cadre"]

    def test_the_built_organisation_reads_back_whole(self):
        org = selectors.organisation_of_village(self.c.village_a1)
        self.assertEqual(org.branch, self.p.branch)
        [group] = org.groups
        names = [m.resident.name for m in group.members_in_post]
        self.assertEqual(names, sorted([self.p.leader.name, self.p.member.name]))
        self.assertEqual([link.grid for link in group.grids_in_post], [self.c.grid_a1])
        self.assertEqual(org.ungrouped, [self.p.spare])
        self.assertEqual(org.unserved, [self.c.grid_a1_micro])
        self.assertEqual(selectors.grids_by_group(region=self.c.town_a), {self.p.group.pk: [self.c.grid_a1.pk]})
        self.assertEqual(selectors.group_of_grid(self.c.grid_a1), self.p.group)
        self.assertIsNone(selectors.group_of_grid(self.c.grid_a1, on=TODAY - dt.timedelta(days=1)))

    def test_village_cadre_and_township_staff_keep_their_villages_only(self):
        made = membership_add(group=self.p.group, resident=self.p.spare, actor=self.c.users["township_staff"])
        self.assertEqual(made.added_by, self.c.users["township_staff"])
        with self.assertRaises(NotFound):
            membership_end(membership=made, reason="调动", actor=self.c.users["township_staff_b"])
        for who in ("grid_chief", "points_recorder", "county_admin", "resident"):
            with self.assertRaises(Forbidden, msg=who):
                membership_end(membership=made, reason="调动", actor=self.c.users[who])
        cadre_b1 = UserFactory(username="cadre_b1_party", role=Role.VILLAGE_CADRE, region=self.c.village_b1)
        with self.assertRaises(NotFound):
            membership_end(membership=made, reason="调动", actor=cadre_b1)
        self.assertIsNone(Membership.objects.get(pk=made.pk).left_on)

    def test_a_non_member_a_deceased_or_a_departed_resident_is_refused(self):
        for changes, message in (({"tags": "low_income"}, "不是党员"), ({"is_deceased": True}, "已故"),
                                 ({"left_on": TODAY, "left_to": "济南市"}, "已迁出")):
            make_member(self.p.spare, **changes)
            with self.assertRaisesMessage(Invalid, message):
                membership_add(group=self.p.group, resident=self.p.spare, actor=self.cadre)
            make_member(self.p.spare, tags="party_member", is_deceased=False, left_on=None)
        self.assertFalse(Membership.objects.filter(resident=self.p.spare).exists())

    def test_a_resident_of_another_village_is_refused(self):
        other = make_member(self.c.households["a2"].residents.get(relation="head"))
        with self.assertRaisesMessage(Invalid, "不是东村的居民"):
            membership_add(group=self.p.group, resident=other)
        with self.assertRaisesMessage(Invalid, "不是东村的居民"):
            group_create(branch=self.p.branch, name="第二党小组", leader=other)
        self.assertFalse(PartyGroup.objects.filter(name="第二党小组").exists())

    def test_a_member_is_in_one_group_at_a_time_and_a_move_keeps_the_history(self):
        second = group_create(branch=self.p.branch, name="第二党小组")
        with self.assertRaisesMessage(Conflict, "已是第一党小组的成员"):
            membership_add(group=second, resident=self.p.member, actor=self.cadre)
        moved = membership_move(membership=self.p.membership, group=second, reason="按居住地调整", actor=self.cadre)
        self.assertEqual(moved.group, second)
        old = Membership.objects.get(pk=self.p.membership.pk)
        self.assertEqual((old.left_on, old.leave_reason, old.ended_by), (TODAY, "按居住地调整", self.cadre))
        self.assertEqual(Membership.objects.filter(resident=self.p.member).count(), 2)

    def test_ending_without_a_reason_is_refused_for_members_posts_and_grids(self):
        post = DutyPost.objects.get(membership=self.p.leader_membership)
        link = GroupGrid.objects.get(group=self.p.group)
        for end, obj in ((membership_end, {"membership": self.p.membership}), (duty_post_end, {"post": post}),
                         (group_grid_end, {"link": link})):
            with self.assertRaisesMessage(Invalid, "请填写原因"):
                end(reason="  ", actor=self.cadre, **obj)
        self.assertIsNone(Membership.objects.get(pk=self.p.membership.pk).left_on)
        self.assertIsNone(DutyPost.objects.get(pk=post.pk).ended_on)
        self.assertIsNone(GroupGrid.objects.get(pk=link.pk).ended_on)

    def test_a_leader_leaving_ends_his_posts_and_leaves_the_group_without_leader_on_record(self):
        membership_end(membership=self.p.leader_membership, reason="外出务工转出", actor=self.cadre)
        post = DutyPost.objects.get(membership=self.p.leader_membership)
        self.assertEqual(post.ended_on, TODAY)
        self.assertIn("外出务工转出", post.end_reason)
        self.assertIsNone(PartyGroup.objects.get(pk=self.p.group.pk).leader)
        change = PartyChange.objects.filter(group=self.p.group).first()
        self.assertEqual((change.before["组长"], change.after["组长"]), (self.p.leader.name, ""))
        with self.assertRaisesMessage(Conflict, "已于"):
            membership_end(membership=self.p.leader_membership, reason="再次", actor=self.cadre)

    def test_a_group_serves_only_grids_of_its_village_and_a_grid_has_one_group(self):
        with self.assertRaisesMessage(Invalid, "不是东村的网格"):
            group_grid_add(group=self.p.group, grid=self.c.grid_a2, actor=self.cadre)
        second = group_create(branch=self.p.branch, name="第二党小组")
        with self.assertRaisesMessage(Conflict, "已由第一党小组服务"):
            group_grid_add(group=second, grid=self.c.grid_a1, actor=self.cadre)
        self.assertEqual(GroupGrid.objects.count(), 1)
        link = GroupGrid.objects.get()
        group_grid_end(link=link, reason="网格调整", actor=self.cadre)
        group_grid_add(group=second, grid=self.c.grid_a1, actor=self.cadre)
        self.assertEqual(selectors.group_of_grid(self.c.grid_a1), second)

    def test_one_branch_per_village_and_changes_are_kept(self):
        with self.assertRaisesMessage(Conflict, "已有党支部"):
            branch_create(village=self.c.village_a1, name="另一个支部", actor=self.cadre)
        with self.assertRaisesMessage(Invalid, "只建在村"):
            branch_create(village=self.c.town_a, name="镇支部")
        branch_update(branch=self.p.branch, name="东村党总支", secretary=self.p.member, founded_on=None,
                      reason="换届", actor=self.cadre)
        change = PartyChange.objects.filter(branch=self.p.branch, group__isnull=True).first()
        self.assertEqual((change.before["书记"], change.after["书记"], change.reason, change.actor),
                         (self.p.leader.name, self.p.member.name, "换届", self.cadre))
        self.assertEqual(Branch.objects.get().name, "东村党总支")

    def test_posts_one_of_a_kind_for_a_member_in_post_with_duties(self):
        kind = post_kind()
        with self.assertRaisesMessage(Conflict, "已在政策宣传岗"):
            duty_post_assign(membership=self.p.leader_membership, kind=kind, duties="再来一个", actor=self.cadre)
        with self.assertRaisesMessage(Invalid, "请填写岗位职责"):
            duty_post_assign(membership=self.p.membership, kind=kind, duties="", actor=self.cadre)
        kind.is_active = False
        kind.save()
        with self.assertRaisesMessage(Invalid, "已停用"):
            duty_post_assign(membership=self.p.membership, kind=kind, duties="宣讲", actor=self.cadre)
        self.assertEqual(DutyPost.objects.count(), 1)

    def test_grid_identity_lists_home_members_with_posts_and_nothing_else(self):
        make_member(self.p.member, is_away=True, away_place="广东省深圳市")
        rows = selectors.grid_identity(self.c.grid_a1)
        self.assertEqual([(r.name, r.is_leader, r.posts) for r in rows], [(self.p.leader.name, True, ("政策宣传岗",))])
        self.assertEqual(selectors.grid_identity(self.c.grid_a2), [])
        org = selectors.organisation_of_village(self.c.village_a1)
        self.assertEqual([m.resident for m in org.away], [self.p.member])

    def test_the_organisation_reads_in_a_fixed_number_of_queries(self):
        with CaptureQueriesContext(connection) as before:
            selectors.organisation_of_village(self.c.village_a1)
        second = group_create(branch=self.p.branch, name="第二党小组", leader=self.p.spare)
        group_grid_add(group=second, grid=self.c.grid_a1_micro)
        duty_post_assign(membership=Membership.objects.get(resident=self.p.spare, left_on__isnull=True),
                         kind=post_kind("contact"), duties="联系群众")
        with self.assertNumQueries(len(before.captured_queries)):
            org = selectors.organisation_of_village(self.c.village_a1)
        self.assertEqual(len(org.groups), 2)
        with self.assertNumQueries(3):
            self.assertEqual(len(selectors.grid_identity(self.c.grid_a1_micro)), 1)
