"""The demo's 村务公开 (``xiangzhi.demo.disclosure``) on the small county: the template, four quarters
published in a village with a cadre (rows as the services leave them), one corrected with its old
version kept, the empty village with none, posts screened by someone else, cadres on the office phone;
the same seed draws the same."""

import tempfile

from django.db import transaction
from django.test import TestCase, override_settings

from tests.factories import UserFactory, build_small_county
from xiangzhi.accounts.models import Role
from xiangzhi.core.bulk import bulk_insert
from xiangzhi.demo.disclosure import write_disclosures
from xiangzhi.disclosure import selectors, services
from xiangzhi.disclosure.models import (
    Cadre,
    Disclosure,
    DisclosureVersion,
    DueItem,
    Event,
    Post,
    Screening,
    State,
)


class DemoDisclosureTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()
        # A second screener in each township and the county, and a cadre for 西村, as the demo has.
        UserFactory(role=Role.COUNTY_ADMIN, region=cls.c.county)
        UserFactory(role=Role.TOWNSHIP_STAFF, region=cls.c.town_a)
        UserFactory(role=Role.VILLAGE_CADRE, region=cls.c.village_a2, full_name="孙立军")
        with override_settings(MEDIA_ROOT=tempfile.mkdtemp()):  # the tests' own media folders come later
            cls.report = write_disclosures(bulk_insert, seed=7)

    def test_four_quarters_in_every_village_but_the_empty_one(self):
        self.assertEqual(DueItem.objects.filter(county=self.c.county).count(), 36)
        self.assertEqual(self.report.villages, 2)
        self.assertFalse(Disclosure.objects.filter(village=self.c.village_b1).exists())  # the last: empty
        published = Disclosure.objects.filter(state=State.PUBLISHED)
        self.assertGreater(published.count(), 150)
        self.assertEqual(published.filter(versions__isnull=True).count(), 0)
        self.assertEqual(published.count() + 1, DisclosureVersion.objects.count())  # one corrected, both kept
        late = [d for d in published if d.is_late]
        self.assertTrue(late and len(late) < published.count() / 2)
        self.assertGreater(self.report.overdue, 0)

    def test_published_rows_are_as_the_services_would_leave_them(self):
        for d in Disclosure.objects.filter(state=State.PUBLISHED).select_related("item")[:200]:
            version = d.versions.order_by("-number").first()
            self.assertEqual(version.screening.decision, "pass")
            self.assertNotEqual(version.screening.decided_by_id, version.screening.submitted_by_id)
            self.assertEqual(version.screening.fingerprint, services.disclosure_fingerprint(d))
            if d.item.attachment_required:
                self.assertTrue(version.attachments.exists())
            self.assertEqual(list(Event.objects.filter(disclosure=d).values_list("action", flat=True))[-1],
                             "publish" if version.number == 1 else "republish")
        self.assertTrue(Disclosure.objects.filter(state=State.SUBMITTED).exists()
                        or Disclosure.objects.filter(state=State.RETURNED).exists()
                        or not Disclosure.objects.filter(first_published_at__isnull=True).exists())

    def test_one_correction_keeps_the_old_version(self):
        self.assertTrue(self.report.corrected.endswith("党费收缴情况"))
        d = Disclosure.objects.get(versions__number=2)
        old, new = d.versions.order_by("number")
        self.assertNotEqual(old.figures, new.figures)
        self.assertEqual(new.reason, "实缴党费以党费台账为准，更正为台账金额")
        page = selectors.disclosure_list_public(d.village, selectors.Quarter.of(d.period_end))
        row = next(r for _, g in page.groups for r in g if r.disclosure.pk == d.pk)
        self.assertTrue(row.corrected and not row.withdrawn)

    def test_posts_and_cadres(self):
        self.assertFalse(Post.objects.exclude(state=State.PUBLISHED).exists())
        for s in Screening.objects.filter(post__isnull=False):
            self.assertNotEqual(s.decided_by_id, s.submitted_by_id)
        titles = [p.title for p in selectors.post_list_public(self.c.village_a1, limit=None)]
        self.assertIn("沾化区耕地地力保护补贴发放方案", titles)
        self.assertIn("65周岁以上老年人免费健康体检", titles)
        cadres = selectors.cadre_list_public(self.c.village_a1)
        self.assertEqual([c.public_post for c in cadres][:1], ["党支部副书记、村委会副主任"])
        self.assertTrue(all(c.public_phone.startswith("0543-") for c in cadres))
        self.assertEqual(Cadre.objects.filter(village=self.c.village_b1).count(), 0)



class DemoSeedTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_the_same_seed_draws_the_same(self):
        def drawn():
            """What a build writes, undone afterwards."""
            with self.assertRaises(_Undo), transaction.atomic():
                write_disclosures(bulk_insert, seed=7)
                self.rows = list(Disclosure.objects.order_by("village__code", "item__sort", "period_start")
                                 .values_list("item__code", "period_start", "state", "figures", "content"))
                raise _Undo
            return self.rows

        first = drawn()
        self.assertTrue(first)
        self.assertEqual(drawn(), first)


class _Undo(Exception):
    pass
