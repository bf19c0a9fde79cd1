"""The 党组织 pages, 亮身份 on the grid page, and the API."""

from django.test import TestCase
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.lib import crypto
from xiangzhi.party.models import DutyPost, GroupGrid, Membership, PartyGroup
from xiangzhi.party.tests.helpers import build_party, make_member

TODAY = timezone.localdate()


class PartyPagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        make_member(cls.p.member, is_away=True, away_place="广东省深圳市", away_work="电子厂务工")

    def as_(self, who):
        self.client.force_login(self.c.users[who])
        return self.client

    def test_the_village_page_shows_branch_groups_members_posts_grids_and_away_members(self):
        page = self.as_("village_cadre").get(f"/party/villages/{self.c.village_a1.code}/").content.decode()
        self.assertIn("东村党支部", page)
        group = page.split('data-testid="groups"')[1].split("</ul>\n\n")[0]
        for text in ("第一党小组", self.p.leader.name, self.p.member.name, "政策宣传岗", "东村第一网格", "在外"):
            self.assertIn(text, group)
        away = page.split('data-testid="away"')[1].split("</ul>")[0]
        self.assertIn(self.p.member.name, away)
        self.assertIn("广东省深圳市", away)
        self.assertIn(self.p.spare.name, page.split('data-testid="ungrouped"')[1].split("</p>")[0])
        self.assertIn("东村一组微网格", page.split('data-testid="unserved"')[1])
        self.assertIn('data-testid="group-form"', page)

    def test_readers_read_without_forms_and_the_cadre_is_sent_to_his_village(self):
        page = self.as_("points_supervisor").get(f"/party/villages/{self.c.village_a1.code}/").content.decode()
        self.assertIn("第一党小组", page)
        for form in ("branch-form", "group-form"):
            self.assertNotIn(f'data-testid="{form}"', page)
        group = self.client.get(f"/party/groups/{self.p.group.pk}/").content.decode()
        self.assertIn(self.p.leader.name, group)
        self.assertNotIn('data-testid="member-form"', group)
        self.assertRedirects(self.as_("village_cadre").get("/party/"), f"/party/villages/{self.c.village_a1.code}/")
        listing = self.as_("township_staff").get("/party/").content.decode()
        self.assertIn("东村党支部", listing)
        self.assertIn("西村", listing)
        self.assertNotIn("南村", listing)

    def test_the_cadre_keeps_the_group_from_the_page(self):
        client, url = self.as_("village_cadre"), f"/party/groups/{self.p.group.pk}/"
        self.assertEqual(client.post(url, {"action": "member", "resident": self.p.spare.pk}).status_code, 302)
        spare = Membership.objects.get(resident=self.p.spare, left_on__isnull=True)
        kind = DutyPost.objects.get().kind
        r = client.post(url, {"action": "post", "membership": spare.pk, "kind": kind.pk, "duties": "入户宣讲"})
        self.assertEqual(r.status_code, 302)
        r = client.post(url, {"action": "grid", "grid": self.c.grid_a1_micro.pk})
        self.assertEqual(r.status_code, 302)
        self.assertTrue(GroupGrid.objects.filter(grid=self.c.grid_a1_micro, ended_on__isnull=True).exists())
        refused = client.post(url, {"action": "member", "resident": self.p.spare.pk})
        self.assertEqual(refused.status_code, 409)
        self.assertIn("已是第一党小组的成员", refused.content.decode())
        client.post(f"/party/members/{spare.pk}/end/", {"reason": ""})
        self.assertIsNone(Membership.objects.get(pk=spare.pk).left_on)  # no reason: nothing ended
        client.post(f"/party/members/{spare.pk}/end/", {"reason": "组织关系转出", "ended_on": TODAY.isoformat()})
        self.assertEqual(Membership.objects.get(pk=spare.pk).leave_reason, "组织关系转出")
        history = client.get(url).content.decode().split('data-testid="member-history"')[1]
        self.assertIn(self.p.spare.name, history)
        self.assertIn("组织关系转出", history)

    def test_a_grid_of_another_village_and_a_leader_of_another_group_are_refused_on_the_page(self):
        url = f"/party/groups/{self.p.group.pk}/"
        self.assertEqual(self.as_("village_cadre").post(url, {"action": "grid", "grid": self.c.grid_b1.pk}).status_code,
                         404)  # not his to see
        r = self.as_("township_staff").post(url, {"action": "grid", "grid": self.c.grid_a2.pk})
        self.assertEqual(r.status_code, 422)
        self.assertIn("西村第一网格不是东村的网格", r.content.decode())
        r = self.client.post(f"/party/villages/{self.c.village_a1.code}/", {"action": "group", "name": "第二党小组",
                                                                           "leader": self.p.member.pk})
        self.assertEqual(r.status_code, 409)
        self.assertIn("请先调入本组再任组长", r.content.decode())
        self.assertFalse(PartyGroup.objects.filter(name="第二党小组").exists())
        self.assertEqual(GroupGrid.objects.count(), 1)

    def test_the_grid_page_shows_members_and_posts_and_no_personal_data(self):
        page = self.as_("grid_worker").get(f"/grids/{self.c.grid_a1.code}/").content.decode()
        identity = page.split('data-testid="party-identity"')[1].split("</ul>")[0]
        self.assertIn(self.p.leader.name, identity)
        self.assertIn("政策宣传岗", identity)
        self.assertIn("党小组长", identity)
        self.assertNotIn(self.p.member.name, identity)  # living away: not on the grid today
        leader = self.p.leader
        for secret in (crypto.decrypt(leader.id_number_encrypted), crypto.decrypt(leader.phone_encrypted),
                       leader.birth_date.isoformat(), f"{leader.birth_date:%Y年%m月%d日}"):
            self.assertNotIn(secret, page)
        other = self.as_("grid_worker_b").get(f"/grids/{self.c.grid_b1.code}/").content.decode()
        self.assertNotIn('data-testid="party-identity"', other)


class PartyApiTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        cls.cadre_b1 = UserFactory(username="cadre_b1_api", role=Role.VILLAGE_CADRE, region=cls.c.village_b1)

    def as_(self, user):
        self.client.force_login(user if not isinstance(user, str) else self.c.users[user])
        return self.client

    def test_lists_are_scoped(self):
        groups = self.as_("township_staff").get("/api/v1/party/groups").json()["items"]
        self.assertEqual([(g["name"], g["leader_name"], [x["grid_code"] for x in g["grids"]]) for g in groups],
                         [("第一党小组", self.p.leader.name, [self.c.grid_a1.code])])
        members = self.client.get("/api/v1/party/members").json()["items"]
        self.assertEqual({m["name"] for m in members}, {self.p.leader.name, self.p.member.name})
        self.assertNotIn("id_number", members[0])
        for url in ("/api/v1/party/branches", "/api/v1/party/groups", "/api/v1/party/members", "/api/v1/party/posts"):
            self.assertEqual(self.as_("township_staff_b").get(url).json()["count"], 0, url)
            self.assertEqual(self.as_("resident").get(url).status_code, 403, url)
        self.assertEqual(self.as_(self.cadre_b1).get(f"/api/v1/party/members?group_id={self.p.group.pk}").status_code,
                         404)

    def test_writes_go_through_the_services(self):
        api = self.as_("village_cadre")
        r = api.post("/api/v1/party/members", {"group_id": self.p.group.pk, "resident_id": self.p.spare.pk},
                     content_type="application/json")
        self.assertEqual(r.status_code, 201, r.content)
        membership_id = r.json()["id"]
        r = api.post("/api/v1/party/posts", {"membership_id": membership_id, "kind": "mediation", "duties": "调解"},
                     content_type="application/json")
        self.assertEqual(r.status_code, 201, r.content)
        self.assertEqual(r.json()["kind_name"], "矛盾调解岗")
        r = api.post(f"/api/v1/party/members/{membership_id}/end", {"reason": ""}, content_type="application/json")
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r.json()["error"]["fields"][0]["field"], "reason")
        r = api.post(f"/api/v1/party/members/{membership_id}/end", {"reason": "转出"}, content_type="application/json")
        self.assertEqual((r.status_code, r.json()["posts"]), (200, []))
        other = make_member(self.c.households["b1"].residents.get(relation="head"))
        r = api.post("/api/v1/party/members", {"group_id": self.p.group.pk, "resident_id": other.pk},
                     content_type="application/json")
        self.assertEqual(r.status_code, 404)
        r = self.as_("points_recorder").post("/api/v1/party/members", {"group_id": self.p.group.pk,
                                                                       "resident_id": self.p.spare.pk},
                                             content_type="application/json")
        self.assertEqual(r.status_code, 403)
