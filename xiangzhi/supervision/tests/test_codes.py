"""一村一码's code: a signed token naming the village and its generation. A forged, tampered or unknown
code opens a clear page and never another village; a re-issued code retires the old posters."""

from django.core import signing
from django.test import TestCase

from tests.factories import build_small_county
from xiangzhi.core.errors import Forbidden
from xiangzhi.supervision import selectors, services
from xiangzhi.supervision.errors import CodeForged, CodeReplaced, SupervisionError
from xiangzhi.supervision.models import VillageCode
from xiangzhi.supervision.tests.helpers import page_of


class VillageCodeTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_a_code_opens_its_own_village_and_no_other(self):
        a1, a2 = self.c.village_a1, self.c.village_a2
        self.assertEqual(selectors.village_code_resolve(selectors.village_code_token(a1)), a1)
        self.assertEqual(selectors.village_code_resolve(selectors.village_code_token(a2)), a2)
        token = selectors.village_code_token(a1)
        value, signature = token.split(":")
        tampered = f"{value.replace(a1.code, a2.code)}:{signature}"  # a1's signature, a2's name
        for bad in (tampered, token[:-1] + ("A" if token[-1] != "A" else "B"), value, "", "abc:def", ":" * 3,
                    signing.Signer(salt="another").sign(f"{a2.code}.1"),  # another link's signature
                    signing.Signer(salt="xiangzhi.supervision.village-code").sign("999999999999.1"),  # no village
                    signing.Signer(salt="xiangzhi.supervision.village-code").sign(f"{a1.code}.x"),
                    signing.Signer(salt="xiangzhi.supervision.village-code").sign(f"{self.c.town_a.code}.1")):
            with self.subTest(bad=bad), self.assertRaises(CodeForged):
                selectors.village_code_resolve(bad)

    def test_reissuing_retires_the_old_poster_and_a_future_generation_is_forged(self):
        a1 = self.c.village_a1
        old = selectors.village_code_token(a1)
        row = services.village_code_reissue(village=a1, actor=self.c.users["township_staff"], reason="海报被雨淋坏")
        self.assertEqual((row.generation, row.reason, row.issued_by),
                         (2, "海报被雨淋坏", self.c.users["township_staff"]))
        with self.assertRaises(CodeReplaced):
            selectors.village_code_resolve(old)
        new = selectors.village_code_token(a1)
        self.assertNotEqual(new, old)
        self.assertEqual(selectors.village_code_resolve(new), a1)
        with self.assertRaises(CodeForged):
            selectors.village_code_resolve(selectors.village_code_token(a1, generation=3))
        # The other villages' codes are untouched.
        self.assertEqual(selectors.village_code_resolve(selectors.village_code_token(self.c.village_a2)),
                         self.c.village_a2)

    def test_only_the_township_or_county_over_the_village_reissues_with_a_reason(self):
        a1 = self.c.village_a1
        for role in ("village_cadre", "township_staff_b", "grid_worker", "resident"):
            with self.subTest(role=role), self.assertRaises(Forbidden):
                services.village_code_reissue(village=a1, actor=self.c.users[role], reason="丢失")
        with self.assertRaises(SupervisionError):
            services.village_code_reissue(village=a1, actor=self.c.users["county_admin"], reason=" ")
        self.assertFalse(VillageCode.objects.exists())
        services.village_code_reissue(village=a1, actor=self.c.users["county_admin"], reason="丢失")
        self.assertEqual(selectors.village_code_generation(a1), 2)


class CodePagesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_a_forged_code_answers_a_clear_page_never_another_village(self):
        a1, a2 = self.c.village_a1, self.c.village_a2
        token = selectors.village_code_token(a1)
        value, signature = token.split(":")
        tampered = f"{value.replace(a1.code, a2.code)}:{signature}"
        for path in ("/v/{}/", "/v/{}/ask/", "/v/{}/report/", "/v/{}/questions/"):
            with self.subTest(path=path):
                page = self.client.get(path.format(tampered))
                self.assertEqual(page.status_code, 404)
                body = page.content.decode()
                self.assertIn("二维码无效", body)
                self.assertNotIn(a2.name, body)
                self.assertNotIn(a1.name, body)
                self.assertEqual(self.client.post(path.format(tampered), {"text": "问"}).status_code, 404)

    def test_an_old_poster_says_the_code_was_replaced(self):
        a1 = self.c.village_a1
        old = page_of(a1)
        services.village_code_reissue(village=a1, actor=self.c.users["township_staff"], reason="海报丢失")
        page = self.client.get(old)
        self.assertEqual(page.status_code, 410)
        self.assertIn("此码已更换，请扫描村务公开栏上的新码", page.content.decode())
        self.assertNotIn(a1.name, page.content.decode())
        self.assertEqual(self.client.get(page_of(a1)).status_code, 200)

    def test_the_qr_image_carries_the_code_in_force_and_the_old_address_leads_to_it(self):
        a1 = self.c.village_a1
        image = self.client.get(f"/qr/{a1.code}.svg")
        self.assertEqual((image.status_code, image["Content-Type"]), (200, "image/svg+xml"))
        self.assertIn(b"<svg", image.content)
        old = self.client.get(f"/points/public/{a1.code}/qr.svg")
        self.assertEqual((old.status_code, old["Location"]), (302, f"/qr/{a1.code}.svg"))
        self.assertEqual(self.client.get("/qr/999999999999.svg").status_code, 404)
        self.assertEqual(self.client.get(f"/qr/{self.c.town_a.code}.svg").status_code, 404)

    def test_staff_print_the_poster_and_reissue_from_the_codes_page(self):
        a1 = self.c.village_a1
        self.client.force_login(self.c.users["village_cadre"])
        listing = self.client.get("/supervision/codes/").content.decode()
        self.assertIn(a1.name, listing)
        self.assertNotIn(self.c.village_b1.name, listing)
        self.assertNotIn("更换二维码", listing)  # the village prints; the township re-issues
        poster = self.client.get(f"/supervision/codes/{a1.code}/poster/").content.decode()
        for words in ("码上知", "码上问", "码上办", a1.name, "<svg", "第1版"):
            self.assertIn(words, poster)
        self.assertEqual(self.client.get(f"/supervision/codes/{self.c.village_b1.code}/poster/").status_code, 404)
        self.client.force_login(self.c.users["township_staff"])
        refused = self.client.post(f"/supervision/codes/{a1.code}/reissue/", {"reason": ""}, follow=True)
        self.assertIn("请填写更换原因", refused.content.decode())
        done = self.client.post(f"/supervision/codes/{a1.code}/reissue/", {"reason": "海报被撕"})
        self.assertEqual(done["Location"], f"/supervision/codes/{a1.code}/poster/")
        self.assertIn("第2版", self.client.get(done["Location"]).content.decode())
