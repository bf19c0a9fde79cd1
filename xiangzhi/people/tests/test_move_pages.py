"""The move kinds on the phone form and the household page, and the register-change API."""

from django.test import TestCase

from tests.factories import UserFactory, build_small_county
from xiangzhi.accounts.models import Role
from xiangzhi.people.models import HouseholdChange, Relation

Kind, State = HouseholdChange.Kind, HouseholdChange.State


class MovePagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        cls.c.users["cadre_b1"] = UserFactory(username="cadre_b1", role=Role.VILLAGE_CADRE, region=cls.c.village_b1)
        cls.a1 = cls.c.households["a1"]
        cls.spouse = cls.a1.residents.get(relation=Relation.SPOUSE)

    def as_(self, who):
        self.client.force_login(self.c.users[who])
        return self.client

    def test_the_form_offers_the_new_kinds_and_asks_where_first(self):
        page = self.as_("grid_worker").get(f"/people/households/{self.a1.pk}/changes/new/").content.decode()
        for label in ("婚入", "婚出", "迁入", "迁出", "分户", "合户"):
            self.assertIn(label, page)
        self.assertNotIn("信息更正", page)
        self.assertNotIn("调整网格", page)
        ask = self.client.get(f"/people/households/{self.a1.pk}/changes/new/?kind=move_out").content.decode()
        self.assertIn("本县的村", ask)
        self.assertNotIn('data-testid="change-submit"', ask)
        form = self.client.get(f"/people/households/{self.a1.pk}/changes/new/?kind=move_out&destination=county")
        self.assertIn("南村", form.content.decode())  # the county's villages to choose from
        self.assertIn('data-testid="change-submit"', form.content.decode())
        for query in ("split", "merge", "death", "marry_in&origin=county", "marry_in&origin=outside",
                      "marry_out&destination=outside"):
            page = self.client.get(f"/people/households/{self.a1.pk}/changes/new/?kind={query}")
            self.assertEqual(page.status_code, 200, query)
            self.assertIn('data-testid="change-submit"', page.content.decode())

    def test_leaving_the_county_from_the_phone_then_shown_apart_on_the_household_page(self):
        url = f"/people/households/{self.a1.pk}/changes/new/"
        refused = self.as_("grid_worker").post(url, {"kind": "move_out", "destination": "county",
                                                     "resident": self.spouse.pk, "moved_on": "2026-03-01"})
        self.assertEqual(refused.status_code, 422)
        self.assertIn("请填写迁往的村", refused.content.decode())
        r = self.client.post(url, {"kind": "move_out", "destination": "outside", "resident": self.spouse.pk,
                                   "left_to": "济南市历城区", "moved_on": "2026-03-01"})
        self.assertEqual(r.status_code, 302)
        change = HouseholdChange.objects.get()
        self.assertEqual(self.as_("village_cadre").post(f"/people/changes/{change.pk}/confirm/").status_code, 302)
        page = self.client.get(f"/people/households/{self.a1.pk}/").content.decode()
        gone = page.split('data-testid="gone-residents"')[1].split("</ul>")[0]
        self.assertIn(self.spouse.name, gone)
        self.assertIn("已迁出", gone)
        self.assertIn("济南市历城区", gone)

    def test_the_api_lists_proposes_confirms_and_refuses_through_the_services(self):
        api = f"/api/v1/households/{self.a1.pk}/changes"
        body = {"kind": "move_out", "data": {"resident": self.spouse.pk, "destination": "county",
                                             "village": self.c.village_b1.code, "moved_on": "2026-03-01"}}
        worker = self.as_("grid_worker")
        created = worker.post(api, body, content_type="application/json")
        self.assertEqual(created.status_code, 201, created.content)
        self.assertEqual((created.json()["state"], created.json()["kind_name"]), ("pending", "迁出"))
        bad = worker.post(api, {"kind": "split", "data": {"members": [self.spouse.pk]}},
                          content_type="application/json")
        self.assertEqual(bad.status_code, 422)
        self.assertIn("分户后每户必须有一名户主", bad.json()["error"]["message"])
        self.assertEqual(bad.json()["error"]["fields"][0]["field"], "new_head")
        change_id = created.json()["id"]
        # a grid worker may not decide; another village's cadre does not even see it
        self.assertEqual(worker.post(f"/api/v1/changes/{change_id}/confirm").status_code, 403)
        self.assertEqual(self.as_("cadre_b1").post(f"/api/v1/changes/{change_id}/confirm").status_code, 404)
        self.assertEqual(self.client.get(api).status_code, 404)
        self.assertEqual(self.as_("grid_worker_b").post(api, body, content_type="application/json").status_code, 404)
        self.assertEqual(self.as_("resident").post(api, body, content_type="application/json").status_code, 403)
        cadre = self.as_("village_cadre")
        self.assertEqual(cadre.get("/api/v1/changes").json()["count"], 1)
        refused = cadre.post(f"/api/v1/changes/{change_id}/refuse", {"reason": " "}, content_type="application/json")
        self.assertEqual(refused.status_code, 422)
        done = cadre.post(f"/api/v1/changes/{change_id}/confirm")
        self.assertEqual(done.json()["state"], "confirmed")
        self.spouse.refresh_from_db()
        self.assertEqual(self.spouse.household.grid.region, self.c.village_b1)
        items = cadre.get(api).json()["items"]
        self.assertEqual([(i["kind"], i["resident_name"]) for i in items], [("move_out", self.spouse.name)])
        self.assertEqual(self.as_("resident").get(api).json()["count"], 1)  # the villager sees what was confirmed
