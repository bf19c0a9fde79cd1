"""The demo's three lists (``xiangzhi.demo.duties``) on the small county: the counts of seed 003, every
category of the catalog governed, cases routed where the catalog sent them except the one category the
duty list's second version moved, and the same seed drawing the same lists."""

from django.test import TestCase

from tests.factories import build_small_county
from xiangzhi.cases import routing
from xiangzhi.cases.models import Case, Category, HandlingLevel, Transition
from xiangzhi.demo.duties import CHANGED_CATEGORY, write_duties
from xiangzhi.duties import selectors
from xiangzhi.duties.models import ListItem, ListKind, ListVersion, VersionState

IN_A1 = {"lon": 118.015, "lat": 37.715}


def routes() -> dict[str, tuple]:
    routing.reference_invalidate()
    out = {}
    for category in Category.objects.filter(is_active=True):
        r = routing.route(category=category, fallback_region=None, **IN_A1)
        out[category.code] = (r.level, r.department.pk if r.department else None)
    return out


class DemoDutiesTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.c = build_small_county()

    def test_the_lists_of_seed_003_govern_every_category_as_the_catalog_did_but_one(self):
        before = routes()
        report = write_duties(seed=7)
        self.assertEqual((report.allowed, report.forbidden, report.lead, report.cooperate), (48, 32, 8, 157))
        self.assertEqual(report.counts, {ListKind.POWER: 80, ListKind.DUTY: 178, ListKind.TERRITORIAL: 165})
        active = {v.kind: v for v in ListVersion.objects.filter(state=VersionState.ACTIVE)}
        self.assertEqual(len({i.field for i in active[ListKind.DUTY].items.all()}), 7)
        self.assertEqual(len({i.field for i in active[ListKind.TERRITORIAL].items.all()}), 14)
        self.assertTrue(all(len(i.steps) >= 2 for i in active[ListKind.POWER].items.all()))
        self.assertTrue(all(i.post for i in active[ListKind.DUTY].items.all()))
        duty_versions = ListVersion.objects.filter(kind=ListKind.DUTY).order_by("number")
        self.assertEqual([(v.number, v.state) for v in duty_versions],
                         [(1, VersionState.RETIRED), (2, VersionState.ACTIVE)])
        rules = selectors.routing_rules()
        codes = set(Category.objects.filter(is_active=True).values_list("code", flat=True))
        self.assertEqual({code for county, code in rules if county == self.c.county.pk}, codes)
        after = routes()
        self.assertEqual({code for code in codes if before[code] != after[code]}, {CHANGED_CATEGORY})
        diff = selectors.version_diff(*duty_versions)
        # A villager reported 污水外溢 under each version: each case went where its version said, and says so.
        first, second = (Case.objects.get(number=n) for n in report.cases)
        self.assertEqual([(c.handling_level, c.transitions.get(action="report").list_version.number)
                          for c in (first, second)], [(HandlingLevel.VILLAGE, 1), (HandlingLevel.TOWNSHIP, 2)])
        sewage = next(i for i in active[ListKind.DUTY].items.all() if CHANGED_CATEGORY in i.category_codes)
        self.assertEqual(([c.code for c in diff.changed], diff.added, diff.removed), ([sewage.code], [], []))

    def test_the_same_seed_draws_the_same_lists(self):
        def drawn():
            return list(ListItem.objects.filter(version__state=VersionState.ACTIVE).order_by("version__kind", "code")
                        .values_list("code", "title", "organisation", "post", "unit"))

        write_duties(seed=3)
        first = drawn()
        Transition.objects.filter(list_version__isnull=False).update(list_version=None)
        ListItem.objects.all().delete()
        ListVersion.objects.all().delete()
        write_duties(seed=3)
        self.assertEqual(drawn(), first)
