"""/api/v1/supervision: the staff's questions, screening and answers with structured Chinese errors, and
the village codes. (Who may call what is in ``tests/access_supervision.py``.)"""

from django.test import TestCase

from tests.factories import build_small_county
from tests.web import post
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.tests.helpers import ask, at


class SupervisionApiTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def setUp(self):
        self.client.force_login(self.c.users["township_staff"])

    def test_list_screen_answer_and_read_back(self):
        q = ask(self.c.village_a1, "身份证370321198805121234的低保", now=at(2026, 1, 5))
        ask(self.c.village_b1, "南村的问题")
        listed = self.client.get("/api/v1/supervision/questions?state=overdue").json()
        self.assertEqual([i["id"] for i in listed["items"]], [q.pk])
        item = listed["items"][0]
        self.assertEqual((item["village"], item["state"], item["overdue"], item["masked_kinds"]),
                         (self.c.village_a1.code, "screening", True, ["id_number"]))
        self.assertNotIn("370321198805121234", item["text"])
        self.assertEqual(self.client.get("/api/v1/supervision/questions/counts").json(),
                         {"to_screen": 1, "to_answer": 0, "overdue": 1})
        refused = post(self.client, f"/api/v1/supervision/questions/{q.pk}/screen", {"passed": False})
        self.assertEqual(refused.status_code, 422)
        self.assertEqual(refused.json()["error"]["fields"], [{"field": "reason", "message": "必填"}])
        early = post(self.client, f"/api/v1/supervision/questions/{q.pk}/answer", {"answer": "已恢复"})
        self.assertEqual((early.status_code, early.json()["error"]["code"]), (409, "conflict"))
        passed = post(self.client, f"/api/v1/supervision/questions/{q.pk}/screen", {"passed": True})
        self.assertEqual((passed.status_code, passed.json()["state"]), (200, "waiting"))
        blank = post(self.client, f"/api/v1/supervision/questions/{q.pk}/answer", {"answer": " "})
        self.assertEqual((blank.status_code, blank.json()["error"]["message"]), (422, "请填写答复"))
        done = post(self.client, f"/api/v1/supervision/questions/{q.pk}/answer",
                    {"answer": "经核实已恢复发放", "post": "下洼镇民政办"})
        self.assertEqual((done.json()["state"], done.json()["answer_post"]), ("answered", "下洼镇民政办"))
        detail = self.client.get(f"/api/v1/supervision/questions/{q.pk}").json()
        self.assertEqual([d["outcome"] for d in detail["decisions"]], ["pass", "publish"])
        again = post(self.client, f"/api/v1/supervision/questions/{q.pk}/screen", {"passed": True})
        self.assertEqual(again.status_code, 409)
        gone = post(self.client, f"/api/v1/supervision/questions/{q.pk}/withdraw", {"reason": ""})
        self.assertEqual(gone.status_code, 422)

    def test_other_scopes_meet_not_found(self):
        q = ask(self.c.village_b1, "南村的问题")
        self.assertEqual(self.client.get(f"/api/v1/supervision/questions/{q.pk}").status_code, 404)
        r = post(self.client, f"/api/v1/supervision/questions/{q.pk}/screen", {"passed": True})
        self.assertEqual((r.status_code, r.json()["error"]["code"]), (404, "not_found"))

    def test_codes_list_the_link_of_the_code_in_force(self):
        services.village_code_reissue(village=self.c.village_a2, actor=self.c.users["township_staff"], reason="丢失")
        codes = {c["village"]: c for c in self.client.get("/api/v1/supervision/codes").json()["items"]}
        self.assertEqual(set(codes), {self.c.village_a1.code, self.c.village_a2.code})
        a2 = codes[self.c.village_a2.code]
        self.assertEqual(a2["generation"], 2)
        token = a2["url"].split("/v/")[1].strip("/")
        self.assertEqual(selectors.village_code_resolve(token), self.c.village_a2)
