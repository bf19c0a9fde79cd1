"""The command centre's map: the case layer's clusters add up to the open cases in scope and view, overdue
as the figures count it, another township's cases never appear; workers on patrol; a grid's panel; the
JSON layers' refusals and query counts; the page and the tile setting. (Who may open what is in
``tests/test_access.py``; the page in a browser in ``tests/browser/test_centre_map.py``.)"""

import datetime as dt
import math

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import build_small_county
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Category
from xiangzhi.centre import map as centre_map
from xiangzhi.centre.figures import case_figures
from xiangzhi.core.errors import NotFound
from xiangzhi.gridwork import services as gridwork
from xiangzhi.people.models import KeyCategory, KeyPerson
from xiangzhi.settings import map_tile_origin

EVERYWHERE = centre_map.BBox(117.9, 37.6, 118.2, 37.8)
# Points inside the small county's grids (tests/factories.py): a1 (its micro-grid is the lower-left
# quarter), a2 in 西村, b1 in 古城镇.
A1 = [(118.012, 37.712), (118.015, 37.715), (118.0151, 37.7151), (118.018, 37.703), (118.003, 37.716)]
A1_MICRO = (118.004, 37.704)
A2 = [(118.055, 37.705), (118.065, 37.715)]
B1 = [(118.105, 37.705), (118.115, 37.715), (118.11, 37.71)]


def report(where, *, days_ago=0, code="road_light", reporter, **kw):
    now = timezone.now() - dt.timedelta(days=days_ago) if days_ago else None
    lon, lat = where if where else (None, None)
    return cases.case_report(category=Category.objects.get(code=code), title="地图测试", channel="hotline",
                             lon=lon, lat=lat, reporter=reporter, now=now, **kw).case


class MapTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        c = cls.c = build_small_county()
        town = c.users["township_staff"]
        cls.town, cls.county_admin = town, c.users["county_admin"]
        # 下洼镇: eight located open cases, three of them reported a month ago and now overdue, one
        # 垃圾 case; one closed-and-gone case; one without a location. 古城镇: three, one overdue.
        cls.a1 = [report(w, reporter=town, days_ago=30 if i < 2 else 0) for i, w in enumerate(A1)]
        cls.micro = report(A1_MICRO, reporter=town, code="env_garbage")
        cls.a2 = [report(A2[0], reporter=town, days_ago=30), report(A2[1], reporter=town)]
        cls.b1 = [report(w, reporter=c.users["township_staff_b"], days_ago=30 if i == 0 else 0)
                  for i, w in enumerate(B1)]
        rejected = report(A1[0], reporter=town)
        cases.case_reject(case=rejected, actor=town, reason="重复上报")
        cls.unlocated = report(None, reporter=town, fallback_region=c.town_a)
        cls.now = timezone.now()

    def layer(self, user, *, node=None, bbox=EVERYWHERE, zoom=12, **filters):
        node = node if node is not None else centre_map.map_node_for_user(user)
        return centre_map.case_layer_for_user(user, node=node, bbox=bbox, zoom=zoom,
                                              filters=centre_map.MapFilters(**filters), now=self.now)

    # --- the case layer -----------------------------------------------------------------------------

    def test_clusters_add_up_to_the_open_cases_in_scope_at_every_zoom(self):
        town_figures = case_figures(self.town, start=self.now - dt.timedelta(days=60), end=self.now + dt.timedelta(1),
                                    now=self.now)
        self.assertEqual(town_figures.overdue_open, 3)
        for zoom in (8, 11, 13, 15, 17):
            layer = self.layer(self.town, zoom=zoom)
            self.assertEqual((layer.count, layer.overdue), (8, 3), zoom)  # the unlocated one is not on the map
            everyone = self.layer(self.county_admin, zoom=zoom)
            self.assertEqual((everyone.count, everyone.overdue), (11, 4), zoom)
        single = self.layer(self.town, zoom=17)
        self.assertEqual({c.id for c in single.cases}, {c.pk for c in [*self.a1, self.micro, *self.a2]})
        self.assertFalse(single.clusters)
        # Far out, the township's cases gather: fewer markers than cases, and each cluster's states add up.
        far = self.layer(self.town, zoom=8)
        self.assertTrue(far.clusters)
        self.assertLess(len(far.clusters) + len(far.cases), 8)
        for cluster in far.clusters:
            self.assertEqual(sum(cluster.states.values()), cluster.count)
            west, south, east, north = cluster.bounds
            self.assertTrue(west <= cluster.lon <= east and south <= cluster.lat <= north)

    def test_the_view_and_the_filters_narrow_the_layer(self):
        only_a2 = centre_map.BBox(118.04, 37.69, 118.07, 37.72)
        layer = self.layer(self.town, bbox=only_a2, zoom=17)
        self.assertEqual({c.id for c in layer.cases}, {c.pk for c in self.a2})
        self.assertEqual([c.overdue for c in sorted(layer.cases, key=lambda c: c.id)], [True, False])
        self.assertEqual(self.layer(self.town, overdue_only=True).count, 3)
        garbage = Category.objects.get(code="env_garbage")
        self.assertEqual(self.layer(self.town, category=garbage).count, 1)
        # Narrowed to the village of a2, the county admin sees its two only.
        village = centre_map.map_node_for_user(self.county_admin, region=self.c.village_a2.code)
        self.assertEqual(self.layer(self.county_admin, node=village).count, 2)

    def test_another_township_never_appears(self):
        layer = self.layer(self.c.users["township_staff_b"], zoom=17)
        self.assertEqual({c.id for c in layer.cases}, {c.pk for c in self.b1})
        with self.assertRaises(NotFound):
            centre_map.map_node_for_user(self.town, region=self.c.town_b.code)
        # The grid worker of a1 sees his grid's cases (the micro-grid's among them), nothing of a2 or b1.
        worker = self.layer(self.c.users["grid_worker"], zoom=17)
        self.assertEqual({c.id for c in worker.cases}, {c.pk for c in [*self.a1, self.micro]})

    def test_totals_name_the_unlocated_and_do_not_depend_on_the_view(self):
        totals = centre_map.map_totals_for_user(self.town, node=centre_map.map_node_for_user(self.town), now=self.now)
        self.assertEqual((totals.open, totals.overdue, totals.unlocated), (9, 3, 1))
        only_a2 = centre_map.BBox(118.04, 37.69, 118.07, 37.72)
        for zoom in (9, 17):
            self.assertEqual(self.layer(self.town, bbox=only_a2, zoom=zoom).totals, totals)

    # --- the JSON layers ------------------------------------------------------------------------------

    def test_the_case_layer_endpoint_in_a_constant_number_of_queries(self):
        self.client.force_login(self.town)
        with CaptureQueriesContext(connection) as first:
            body = self.client.get("/centre/map/cases.json", {"bbox": "117.9,37.6,118.2,37.8", "zoom": "9"}).json()
        self.assertEqual(body["in_view"], {"open": 8, "overdue": 3})
        self.assertEqual(body["totals"], {"open": 9, "overdue": 3, "unlocated": 1})
        self.assertEqual(sum(c["overdue"] for c in body["clusters"]) + sum(c["overdue"] for c in body["cases"]), 3)
        for _ in range(6):
            report(A1[2], reporter=self.town, days_ago=30)
        with CaptureQueriesContext(connection) as again:
            body = self.client.get("/centre/map/cases.json", {"bbox": "117.9,37.6,118.2,37.8", "zoom": "9"}).json()
        self.assertEqual(body["in_view"]["overdue"], 9)
        self.assertEqual(len(again), len(first))
        self.assertLessEqual(len(first), 6)  # session, user, scope, the cells with the totals, the single cases

    def test_the_layers_refuse_bad_input_the_wrong_node_and_residents(self):
        self.client.force_login(self.town)
        bad = self.client.get("/centre/map/cases.json", {"bbox": "118,37", "zoom": "9"})
        self.assertEqual(bad.status_code, 422)
        self.assertEqual(bad.json()["error"]["fields"][0]["field"], "bbox")
        self.assertEqual(self.client.get("/centre/map/cases.json", {"bbox": "1,2,3,4", "zoom": "x"}).status_code, 422)
        self.assertEqual(self.client.get("/centre/map/cases.json",
                                         {"bbox": "1,2,3,4", "zoom": "9", "category": "nope"}).status_code, 422)
        outside = self.client.get("/centre/map/cases.json", {"bbox": "1,2,3,4", "zoom": "9",
                                                             "region": self.c.town_b.code})
        self.assertEqual((outside.status_code, outside.json()["error"]["code"]), (404, "not_found"))
        self.assertEqual(self.client.get(f"/centre/map/grids/{self.c.grid_b1.code}/").status_code, 404)
        self.client.force_login(self.c.users["resident"])
        for url in ("/centre/map/", "/centre/map/grids.json", "/centre/map/positions.json"):
            self.assertEqual(self.client.get(url).status_code, 403, url)

    def test_the_grid_layer_carries_names_and_villages(self):
        self.client.force_login(self.town)
        body = self.client.get("/centre/map/grids.json").json()
        names = {f["properties"]["name"]: f["properties"] for f in body["features"]}
        self.assertEqual(set(names), {"东村第一网格", "东村一组微网格", "西村第一网格"})
        self.assertEqual(names["东村一组微网格"]["parent"], self.c.grid_a1.code)
        self.assertEqual({v["name"] for v in body["villages"]}, {"东村", "西村"})
        village = self.client.get("/centre/map/grids.json", {"region": self.c.village_a2.code}).json()
        self.assertEqual([f["properties"]["name"] for f in village["features"]], ["西村第一网格"])

    def test_the_grid_layer_is_kept_until_a_grid_changes(self):
        from tests.factories import square
        from xiangzhi.regions.services import grid_set_boundary

        self.client.force_login(self.town)
        first = self.client.get("/centre/map/grids.json").json()
        with CaptureQueriesContext(connection) as again:
            self.assertEqual(self.client.get("/centre/map/grids.json").json(), first)
        self.assertFalse([q for q in again.captured_queries if "boundary" in q["sql"]])  # from the cache
        grid_set_boundary(grid=self.c.grid_a2, boundary=square(118.05, 37.70, 0.015), actor=self.county_admin,
                          reason="重新勘界")
        redrawn = self.client.get("/centre/map/grids.json").json()
        a2 = next(f for f in redrawn["features"] if f["properties"]["code"] == self.c.grid_a2.code)
        self.assertEqual(a2["geometry"]["coordinates"][0][2], [118.065, 37.715])

    def test_key_places_come_as_rows_under_the_node(self):
        from xiangzhi.people.services import place_add

        place_add(actor=self.c.users["grid_worker"], grid=self.c.grid_a1, kind="street_light", name="村口路灯",
                  label="17号杆", lon=118.011, lat=37.711)
        self.client.force_login(self.town)
        body = self.client.get("/centre/map/places.json").json()
        self.assertEqual([row[1:] for row in body["places"]], [["street_light", "村口路灯", "17号杆", 118.011, 37.711]])
        self.assertEqual(body["kinds"]["street_light"], "路灯")
        west = self.client.get("/centre/map/places.json", {"region": self.c.village_a2.code}).json()
        self.assertEqual(west["places"], [])
        self.client.force_login(self.c.users["department_staff"])  # reaches no register
        self.assertEqual(self.client.get("/centre/map/places.json").json()["places"], [])

    # --- workers on patrol ----------------------------------------------------------------------------

    def test_positions_are_the_last_fix_of_running_patrols_in_scope(self):
        u = self.c.users
        now = timezone.now()
        on_a1 = gridwork.patrol_start(worker=u["grid_worker"], grid=self.c.grid_a1)
        on_a1.started_at = now - dt.timedelta(hours=1)
        on_a1.save(update_fields=["started_at"])
        gridwork.patrol_record_points(patrol=on_a1, actor=u["grid_worker"], points=[
            gridwork.TrackFix(now - dt.timedelta(minutes=50), 118.01, 37.71),
            gridwork.TrackFix(now - dt.timedelta(minutes=40), 118.012, 37.712)])
        on_b1 = gridwork.patrol_start(worker=u["grid_worker_b"], grid=self.c.grid_b1)
        gridwork.patrol_record_points(patrol=on_b1, actor=u["grid_worker_b"],
                                      points=[gridwork.TrackFix(now, 118.11, 37.71)])
        gridwork.patrol_start(worker=u["grid_chief"], grid=self.c.grid_a1)  # no fix yet: nowhere to draw him
        town = centre_map.position_list_for_user(self.town, node=centre_map.map_node_for_user(self.town), now=now)
        self.assertEqual([(p["lon"], p["lat"], p["stale"], p["minutes"]) for p in town], [(118.012, 37.712, True, 40)])
        self.assertEqual(town[0]["name"], u["grid_worker"].full_name)
        county = centre_map.position_list_for_user(self.county_admin, node=None, now=now)
        self.assertEqual(sorted(p["stale"] for p in county), [False, True])
        self.assertEqual([p["lon"] for p in centre_map.position_list_for_user(u["grid_worker_b"], node=None)],
                         [118.11])
        self.assertEqual(centre_map.position_list_for_user(u["department_staff"], node=None), [])
        gridwork.patrol_stop(patrol=on_a1, actor=u["grid_worker"])
        self.assertEqual(centre_map.position_list_for_user(self.town, node=None, now=now), [])

    # --- a grid's panel ---------------------------------------------------------------------------------

    def test_a_grids_panel_counts_its_people_names_its_staff_and_links_its_cases(self):
        head = self.c.households["a1"].residents.first()
        KeyPerson.objects.create(resident=head, category=KeyCategory.objects.get(code="elderly_alone"),
                                 registered_on=timezone.localdate())
        self.client.force_login(self.town)
        with CaptureQueriesContext(connection) as queries:
            page = self.client.get(f"/centre/map/grids/{self.c.grid_a1.code}/")
        html = page.content.decode()
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("<html", html)  # a fragment for the panel
        self.assertIn('data-testid="panel-households">2<', html)  # a1 and its micro-grid's household
        self.assertIn("孤寡/空巢老人 1", html)
        self.assertIn(self.c.users["grid_worker"].full_name, html)
        self.assertIn("专职网格员", html)
        self.assertIn(f'/centre/cases/?grid={self.c.grid_a1.code}&amp;figure=overdue_open', html)
        self.assertRegex(html, r'data-testid="panel-open"><a [^>]*>6<')  # five in a1, one in its micro-grid
        self.assertRegex(html, r'data-testid="panel-overdue"><a [^>]*>2<')
        self.assertIn(f"/cases/{self.a1[0].pk}/", html)  # the overdue come first
        self.assertLessEqual(len(queries), 16)
        # Departments handle cases; they reach no register, so the panel counts no people for them.
        self.client.force_login(self.c.users["department_staff"])
        dept = self.client.get(f"/centre/map/grids/{self.c.grid_a1.code}/").content.decode()
        self.assertNotIn("panel-households", dept)
        self.assertIn('data-testid="panel-open"><a href="/centre/cases/?grid=', dept)

    def test_the_panels_numbers_are_the_queues_lists(self):
        """The panel's and the map's links land on the queue (another part of the centre) holding those cases."""
        from xiangzhi.centre.queue import queue_filter, queue_list

        panel = centre_map.grid_panel_for_user(self.town, self.c.grid_a1.code, now=self.now)
        totals = centre_map.map_totals_for_user(self.town, node=centre_map.map_node_for_user(self.town), now=self.now)
        for params, expected in (({"grid": self.c.grid_a1.code, "figure": "open"}, panel.open),
                                 ({"grid": self.c.grid_a1.code, "figure": "overdue_open"}, panel.overdue),
                                 ({"figure": "open"}, totals.open), ({"figure": "overdue_open"}, totals.overdue)):
            self.assertEqual(queue_list(self.town, queue_filter(self.town, params), now=self.now).count(), expected,
                             params)

    # --- the page, the tile setting ---------------------------------------------------------------------

    def test_the_page_is_in_the_centres_tabs_with_its_layers_and_no_tiles_by_default(self):
        self.client.force_login(self.town)
        html = self.client.get("/centre/map/").content.decode()
        self.assertIn('href="/centre/map/" aria-current="page">地图<', html)
        self.assertIn('data-cases="/centre/map/cases.json?"', html)
        self.assertIn("leaflet/leaflet.js", html)
        self.assertNotIn("data-tiles", html)
        filtered = self.client.get("/centre/map/", {"region": self.c.village_a1.code, "overdue": "1"})
        self.assertIn(f'data-cases="/centre/map/cases.json?region={self.c.village_a1.code}&amp;overdue=1"',
                      filtered.content.decode())
        self.assertEqual(self.client.get("/centre/map/", {"region": self.c.town_b.code}).status_code, 404)
        with override_settings(MAP_TILE_URL="http://10.1.2.3/tiles/{z}/{x}/{y}.png"):
            self.assertIn('data-tiles="http://10.1.2.3/tiles/{z}/{x}/{y}.png"',
                          self.client.get("/centre/map/").content.decode())

    def test_the_tile_setting_opens_exactly_its_origin(self):
        self.assertEqual(map_tile_origin(""), "")
        self.assertEqual(map_tile_origin("/tiles/{z}/{x}/{y}.png"), "")  # our own host: 'self' covers it
        self.assertEqual(map_tile_origin("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png"), "http://10.1.2.3:8080")
        self.assertEqual(map_tile_origin("https://gis.county.gov.cn/wmts/{z}/{x}/{y}.png"),
                         "https://gis.county.gov.cn")
        for bad in ("ftp://10.1.2.3/{z}.png", "//10.1.2.3/{z}.png", "http://{s}.tiles.example/{z}.png"):
            with self.assertRaises(ImproperlyConfigured):
                map_tile_origin(bad)


def test_cell_size_follows_the_formula():
    dlon, dlat = centre_map.cell_size(10, centre_map.BBox(117.0, 37.0, 119.0, 38.0))
    assert round(dlon, 6) == round(64 * 360 / (256 * 1024), 6)
    assert round(dlat / dlon, 4) == round(math.cos(math.radians(38)), 4)  # the view's middle, whole degrees
