"""党小组活动 in the admin, like the other party rows: listed within the signed-in user's scope, recorder by
name, never added, changed or deleted there (activities are recorded through ``group_activity_record``)."""

import datetime as dt

from django.contrib.auth.models import Permission
from django.test import TestCase
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role, User
from xiangzhi.party.models import GroupActivity
from xiangzhi.party.services import branch_create, group_activity_record, group_create, membership_add
from xiangzhi.party.tests.helpers import build_party, make_member

URL = "/admin/party/groupactivity/"


def admin_staff(user: User) -> User:
    """Admin-site access with every permission on party's rows (deletes included: the admin still refuses)."""
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="party"))
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


class GroupActivityAdminTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        day = timezone.localdate() - dt.timedelta(days=3)
        cls.ours = group_activity_record(group=cls.p.group, actor=cls.c.users["village_cadre"], held_on=day,
                                         kind="theme_day", title="主题党日：清理村道垃圾", attendees=2, note="")
        cadre_b1 = UserFactory(username="cadre_b1_admin", role=Role.VILLAGE_CADRE, region=cls.c.village_b1,
                               full_name="")
        branch_b1 = branch_create(village=cls.c.village_b1, name="南村党支部", actor=cadre_b1)
        group_b1 = group_create(branch=branch_b1, name="南村第一党小组", actor=cadre_b1)
        membership_add(group=group_b1, resident=make_member(cls.c.households["b1"].residents.get(relation="head")))
        cls.theirs = group_activity_record(group=group_b1, actor=cadre_b1, held_on=day, kind="study",
                                           title="集中学习", attendees=1, note="")

    def listed(self, role: str) -> set[int]:
        self.client.force_login(admin_staff(self.c.users[role]))
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        return {a.pk for a in response.context["cl"].queryset}

    def test_each_staff_member_lists_the_activities_of_his_scope_only(self):
        self.assertEqual(self.listed("county_admin"), {self.ours.pk, self.theirs.pk})
        self.assertEqual(self.listed("township_staff"), {self.ours.pk})
        self.assertEqual(self.listed("township_staff_b"), {self.theirs.pk})

    def test_the_recorder_is_named_never_by_login(self):
        self.client.force_login(admin_staff(self.c.users["county_admin"]))
        page = self.client.get(URL).content.decode()
        cadre = self.c.users["village_cadre"]
        self.assertIn(cadre.full_name, page)
        self.assertIn("村两委（未填姓名）", page)
        self.assertNotIn("cadre_b1_admin", page)

    def test_activities_are_read_only_in_the_admin(self):
        self.client.force_login(admin_staff(self.c.users["county_admin"]))
        self.assertEqual(self.client.get(URL + "add/").status_code, 403)
        change = self.client.post(f"{URL}{self.ours.pk}/change/", {"title": "改过的主题"})
        self.assertEqual(change.status_code, 403)
        self.assertEqual(self.client.post(f"{URL}{self.ours.pk}/delete/", {"post": "yes"}).status_code, 403)
        self.assertEqual(GroupActivity.objects.get(pk=self.ours.pk).title, "主题党日：清理村道垃圾")
