"""党小组活动: recorded by the village's cadres and the township and county staff above, never in the
future, never by more members than the group has; listed on the group's page and over the API, counted
per group for the grid assessment, and the last one's day shown on the grid page."""

import datetime as dt

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.core.display import day_text
from xiangzhi.core.errors import Forbidden, Invalid, NotFound
from xiangzhi.party import selectors
from xiangzhi.party.models import GroupActivity
from xiangzhi.party.services import group_activity_record, group_create, membership_end
from xiangzhi.party.tests.helpers import build_party

TODAY = timezone.localdate()


def record(group, actor=None, **changes):
    values = {"held_on": TODAY - dt.timedelta(days=3), "kind": "theme_day", "title": "主题党日：清理村道垃圾",
              "attendees": 2, "note": "清理垃圾两车"}
    values.update(changes)
    return group_activity_record(group=group, actor=actor, **values)


class GroupActivityServiceTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        cls.cadre_b1 = UserFactory(username="cadre_b1_act", role=Role.VILLAGE_CADRE, region=cls.c.village_b1)

    def test_the_village_cadre_and_the_staff_above_record(self):
        for who in ("village_cadre", "township_staff", "county_admin"):
            made = record(self.p.group, self.c.users[who], title=f"{who}登记")
            self.assertEqual((made.recorded_by, made.group, made.attendees), (self.c.users[who], self.p.group, 2))
        self.assertEqual(GroupActivity.objects.count(), 3)

    def test_other_roles_are_refused_and_other_scopes_meet_not_found(self):
        for who in ("grid_chief", "grid_worker", "points_recorder", "points_supervisor", "department_staff",
                    "resident"):
            with self.assertRaises(Forbidden, msg=who):
                record(self.p.group, self.c.users[who])
        for user in (self.c.users["township_staff_b"], self.cadre_b1):
            with self.assertRaises(NotFound):
                record(self.p.group, user)
        self.assertFalse(GroupActivity.objects.exists())

    def test_bad_input_is_refused_in_chinese_and_writes_nothing(self):
        cadre = self.c.users["village_cadre"]
        cases = [
            ({"held_on": TODAY + dt.timedelta(days=1)}, "活动日期不能晚于今天", "held_on"),
            ({"attendees": 3}, "参加党员人数不能超过本组现有党员（2 名）", "attendees"),
            ({"attendees": 0}, "参加党员人数应为大于 0 的整数", "attendees"),
            ({"title": "  "}, "请填写活动主题", "title"),
            ({"title": "长" * 101}, "活动主题不能超过 100 个字", "title"),
            ({"kind": "party"}, "请选择活动类型", "kind"),
            ({"note": "长" * 501}, "情况说明不能超过 500 个字", "note"),
        ]
        for changes, message, field in cases:
            with self.assertRaisesMessage(Invalid, message) as caught:
                record(self.p.group, cadre, **changes)
            self.assertEqual(caught.exception.fields[0]["field"], field)
        self.assertFalse(GroupActivity.objects.exists())
        self.assertEqual(record(self.p.group, cadre, held_on=TODAY).held_on, TODAY)  # today is fine

    def test_attendees_count_only_members_in_the_group_now(self):
        membership_end(membership=self.p.membership, reason="组织关系转出")
        with self.assertRaisesMessage(Invalid, "（1 名）"):
            record(self.p.group, attendees=2)
        self.assertEqual(record(self.p.group, attendees=1).attendees, 1)

    def test_counts_per_group_between_two_days_inclusive_in_one_query(self):
        second = group_create(branch=self.p.branch, name="第二党小组", leader=self.p.spare)
        start, end = TODAY - dt.timedelta(days=90), TODAY - dt.timedelta(days=10)
        for days in (90, 50, 10, 9, 91):
            record(self.p.group, held_on=TODAY - dt.timedelta(days=days), attendees=1)
        record(second, held_on=start, attendees=1)
        lonely = group_create(branch=self.p.branch, name="第三党小组")
        with self.assertNumQueries(1):
            counts = selectors.group_activity_counts([self.p.group.pk, second.pk, lonely.pk], start, end)
        self.assertEqual(counts, {self.p.group.pk: 3, second.pk: 1, lonely.pk: 0})
        with self.assertNumQueries(0):
            self.assertEqual(selectors.group_activity_counts([], start, end), {})


class GroupActivityPagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        cls.earlier = record(cls.p.group, held_on=TODAY - dt.timedelta(days=40), title="集中学习党章", kind="study")

    def as_(self, who):
        self.client.force_login(self.c.users[who])
        return self.client

    def test_the_group_page_lists_activities_and_the_cadre_records_one_from_it(self):
        url = f"/party/groups/{self.p.group.pk}/"
        page = self.as_("village_cadre").get(url).content.decode()
        listed = page.split('data-testid="activities"')[1].split("</ul>")[0]
        for text in ("集中学习党章", "集中学习", "2 名党员参加", day_text(self.earlier.held_on)):
            self.assertIn(text, listed)
        self.assertIn('data-testid="activity-form"', page)
        self.assertIn("近一年 1 次", page)
        day = TODAY - dt.timedelta(days=1)
        r = self.client.post(url, {"action": "activity", "title": "入户走访独居老人", "kind": "visits",
                                   "held_on": day.isoformat(), "attendees": "2", "note": "走访 6 户"})
        self.assertEqual(r.status_code, 302)
        made = GroupActivity.objects.get(title="入户走访独居老人")
        self.assertEqual((made.held_on, made.kind, made.recorded_by), (day, "visits", self.c.users["village_cadre"]))
        refused = self.client.post(url, {"action": "activity", "title": "太多人", "kind": "meeting",
                                         "held_on": TODAY.isoformat(), "attendees": "9"})
        self.assertEqual(refused.status_code, 422)
        body = refused.content.decode()
        self.assertIn("参加党员人数不能超过本组现有党员（2 名）", body)
        self.assertIn('value="太多人"', body)  # what was typed stays in the form
        self.assertEqual(self.client.post(url, {"action": "activity", "title": "x", "kind": "meeting",
                                                "attendees": "两"}).status_code, 422)
        self.assertEqual(GroupActivity.objects.count(), 2)

    def test_the_county_admin_records_and_a_reader_only_reads(self):
        url = f"/party/groups/{self.p.group.pk}/"
        page = self.as_("county_admin").get(url).content.decode()
        self.assertIn('data-testid="activity-form"', page)
        self.assertNotIn('data-testid="member-form"', page)  # he records activities, he does not keep members
        page = self.as_("points_supervisor").get(url).content.decode()
        self.assertIn("集中学习党章", page)
        self.assertNotIn('data-testid="activity-form"', page)
        r = self.client.post(url, {"action": "activity", "title": "x", "kind": "meeting", "attendees": "1"})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(self.as_("township_staff_b").get(url).status_code, 404)

    def test_the_group_page_reads_in_the_same_number_of_queries_whatever_its_activities(self):
        url = f"/party/groups/{self.p.group.pk}/"
        client = self.as_("village_cadre")
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        for days in range(5):
            record(self.p.group, held_on=TODAY - dt.timedelta(days=days), attendees=1)
        with self.assertNumQueries(len(before.captured_queries)):
            client.get(url)

    def test_the_grid_page_shows_the_last_activity_of_the_group_serving_it(self):
        page = self.as_("grid_worker").get(f"/grids/{self.c.grid_a1.code}/").content.decode()
        last = page.split('data-testid="party-last-activity"')[1].split("</p>")[0]
        self.assertIn(f"党小组最近一次活动：{day_text(self.earlier.held_on)}", last)
        record(self.p.group, held_on=TODAY, title="今天的活动", attendees=1)
        page = self.client.get(f"/grids/{self.c.grid_a1.code}/").content.decode()
        self.assertIn(f"党小组最近一次活动：{day_text(TODAY)}", page)


class GroupActivityApiTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = build_party()
        cls.c = cls.p.county
        cls.cadre_b1 = UserFactory(username="cadre_b1_api_act", role=Role.VILLAGE_CADRE, region=cls.c.village_b1)
        cls.earlier = record(cls.p.group, held_on=TODAY - dt.timedelta(days=40), title="集中学习党章", kind="study")

    def as_(self, user):
        self.client.force_login(user if not isinstance(user, str) else self.c.users[user])
        return self.client

    def post(self, user, body):
        return self.as_(user).post("/api/v1/party/activities", body, content_type="application/json")

    def body(self, **changes):
        return {"group_id": self.p.group.pk, "held_on": TODAY.isoformat(), "kind": "service",
                "title": "志愿服务：帮助秋收", "attendees": 2, **changes}

    def test_the_list_is_scoped(self):
        items = self.as_("township_staff").get("/api/v1/party/activities").json()["items"]
        self.assertEqual([(a["title"], a["kind"], a["kind_name"], a["attendees"], a["village_code"]) for a in items],
                         [("集中学习党章", "study", "集中学习", 2, self.c.village_a1.code)])
        start = (TODAY - dt.timedelta(days=39)).isoformat()
        self.assertEqual(self.client.get(f"/api/v1/party/activities?start={start}").json()["count"], 0)
        self.assertEqual(self.as_("township_staff_b").get("/api/v1/party/activities").json()["count"], 0)
        self.assertEqual(self.as_("resident").get("/api/v1/party/activities").status_code, 403)
        self.assertEqual(self.as_(self.cadre_b1).get(f"/api/v1/party/activities?group_id={self.p.group.pk}")
                         .status_code, 404)

    def test_the_list_reads_in_the_same_number_of_queries_whatever_its_length(self):
        client = self.as_("village_cadre")
        with CaptureQueriesContext(connection) as before:
            client.get("/api/v1/party/activities")
        for days in range(5):
            record(self.p.group, held_on=TODAY - dt.timedelta(days=days), attendees=1)
        with self.assertNumQueries(len(before.captured_queries)):
            self.assertEqual(client.get("/api/v1/party/activities").json()["count"], 6)

    def test_create_goes_through_the_service_with_its_refusals(self):
        r = self.post("village_cadre", self.body())
        self.assertEqual(r.status_code, 201, r.content)
        self.assertEqual((r.json()["title"], r.json()["recorded_by_name"]),
                         ("志愿服务：帮助秋收", self.c.users["village_cadre"].full_name))
        r = self.post("village_cadre", self.body(held_on=(TODAY + dt.timedelta(days=1)).isoformat()))
        self.assertEqual(r.status_code, 422)
        self.assertEqual(r.json()["error"]["fields"][0]["field"], "held_on")
        r = self.post("county_admin", self.body(attendees=3))
        self.assertEqual(r.status_code, 422)
        self.assertIn("不能超过本组现有党员", r.json()["error"]["message"])
        self.assertEqual(self.post("points_recorder", self.body()).status_code, 403)  # reads, may not record
        self.assertEqual(self.post("township_staff_b", self.body()).status_code, 404)  # another township
        self.assertEqual(self.post(self.cadre_b1, self.body()).status_code, 404)  # another village
        self.assertEqual(GroupActivity.objects.count(), 2)
