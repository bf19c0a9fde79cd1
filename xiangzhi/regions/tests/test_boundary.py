"""Redrawing a grid's boundary: refusals with their places, the revision kept, locate at once."""

import json

import pytest

from tests.factories import square
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.lib.geometry import area_m2, parse_boundary
from xiangzhi.regions.models import GridBoundaryRevision
from xiangzhi.regions.selectors import locate
from xiangzhi.regions.services import BoundaryRefused, grid_create, grid_set_boundary


def rect(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.fixture
def east(county):
    """东村 has two grids side by side: 第一网格 118.00–118.02, 第二网格 118.02–118.04 (no village outline:
    the village is where its grids are or were)."""
    county.grid_a1b = grid_create(region=county.village_a1, name="东村第二网格",
                                  boundary=rect(118.02, 37.70, 118.04, 37.72))
    return county


def refusal(grid, boundary, **kw):
    with pytest.raises(BoundaryRefused) as caught:
        grid_set_boundary(grid=grid, boundary=boundary, **kw)
    return caught.value


@pytest.mark.django_db
def test_a_self_intersecting_boundary_is_refused_at_its_crossing_and_nothing_is_written(east):
    bowtie = {"type": "Polygon", "coordinates": [[[118.0, 37.70], [118.02, 37.72], [118.02, 37.70], [118.0, 37.72],
                                                 [118.0, 37.70]]]}
    exc = refusal(east.grid_a1, bowtie, actor=east.users["village_cadre"], reason="重画")
    assert "边线自相交（东经 118.010000，北纬 37.710000）" in str(exc)
    (problem,) = exc.fields
    assert problem["problem"] == "invalid"
    assert problem["geometry"] == {"type": "Point", "coordinates": [118.01, 37.71]}
    east.grid_a1.refresh_from_db()
    assert east.grid_a1.boundary == square(118.00, 37.70, 0.02)
    assert not GridBoundaryRevision.objects.exists()


@pytest.mark.django_db
def test_a_boundary_leaving_its_village_is_refused_with_the_part_outside(east):
    exc = refusal(east.grid_a1, rect(118.00, 37.70, 118.02, 37.73))
    (problem,) = exc.fields
    assert problem["problem"] == "outside"
    assert "超出了东村的范围" in problem["message"] and "公顷" in problem["message"]
    assert parse_boundary(problem["geometry"]).bounds == pytest.approx((118.00, 37.72, 118.02, 37.73))
    # A village with an outline of its own is held to that outline, not to its grids.
    east.village_a1.boundary = rect(118.00, 37.70, 118.04, 37.73)
    east.village_a1.save(update_fields=["boundary"])
    east.grid_a1.refresh_from_db()
    grid_set_boundary(grid=east.grid_a1, boundary=rect(118.00, 37.70, 118.02, 37.73))


@pytest.mark.django_db
def test_an_overlap_with_a_neighbour_is_refused_beyond_the_tolerance_only(east):
    exc = refusal(east.grid_a1, rect(118.00, 37.70, 118.025, 37.72))
    (problem,) = exc.fields
    assert problem["problem"] == "overlap"
    assert "与东村第二网格重叠" in problem["message"]
    assert area_m2(parse_boundary(problem["geometry"])) == pytest.approx(0.005 * 0.02 * 110_574 * 111_320 * 0.7907,
                                                                        rel=0.01)
    # Drawn a hair (about 4 mm along 2.2 km, some 10 m²) over the shared edge: tolerated.
    grid_set_boundary(grid=east.grid_a1, boundary=rect(118.00, 37.70, 118.02000005, 37.72))
    # Both at once: every problem is reported.
    exc = refusal(east.grid_a1, rect(118.00, 37.70, 118.025, 37.73))
    assert [p["problem"] for p in exc.fields] == ["outside", "overlap"]


@pytest.mark.django_db
def test_a_saved_boundary_keeps_its_revision_and_locate_sees_it_at_once(east, django_capture_on_commit_callbacks):
    cadre = east.users["village_cadre"]
    house = (118.019, 37.71)
    assert locate(*house) == east.grid_a1  # the index is built now, and kept
    with django_capture_on_commit_callbacks(execute=True):
        grid_set_boundary(grid=east.grid_a1, boundary=rect(118.00, 37.70, 118.015, 37.72), actor=cadre,
                          reason="第一网格让出东侧")
    assert locate(*house) is None
    with django_capture_on_commit_callbacks(execute=True):
        revision = grid_set_boundary(grid=east.grid_a1b, boundary=rect(118.015, 37.70, 118.04, 37.72), actor=cadre,
                                     reason="第二网格并入东侧")
    assert locate(*house) == east.grid_a1b
    assert revision.before == rect(118.02, 37.70, 118.04, 37.72)
    assert revision.after == rect(118.015, 37.70, 118.04, 37.72)
    assert (revision.actor, revision.reason) == (cadre, "第二网格并入东侧")
    assert GridBoundaryRevision.objects.count() == 2
    east.grid_a1b.refresh_from_db()
    assert east.grid_a1b.boundary == rect(118.015, 37.70, 118.04, 37.72)


@pytest.mark.django_db
def test_only_boundary_editors_over_the_grid_may_and_must_say_why(east):
    good = rect(118.00, 37.70, 118.015, 37.72)
    with pytest.raises(Forbidden):
        grid_set_boundary(grid=east.grid_a1, boundary=good, actor=east.users["grid_chief"], reason="调整")
    with pytest.raises(NotFound):
        grid_set_boundary(grid=east.grid_a1, boundary=good, actor=east.users["township_staff_b"], reason="调整")
    with pytest.raises(Exception, match="修改原因"):
        grid_set_boundary(grid=east.grid_a1, boundary=good, actor=east.users["village_cadre"], reason=" ")
    assert not GridBoundaryRevision.objects.exists()


# --- the page and the API ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_draws_a_refusal_and_a_saved_boundary_leads_to_the_households(client, east):
    client.force_login(east.users["village_cadre"])
    url = f"/grids/{east.grid_a1.code}/boundary/"
    page = client.get(url)
    assert page.status_code == 200
    data = page.context["map_data"]
    assert [n["name"] for n in data["neighbours"]] == ["东村第二网格"]
    assert data["container"]["name"] == "东村" and data["container"]["geometry"]["type"] == "Polygon"
    bowtie = {"type": "Polygon", "coordinates": [[[118.0, 37.70], [118.02, 37.72], [118.02, 37.70], [118.0, 37.72],
                                                 [118.0, 37.70]]]}
    refused = client.post(url, {"boundary": json.dumps(bowtie), "reason": "重画"})
    assert refused.status_code == 422
    assert "边线自相交" in refused.content.decode()
    assert refused.context["map_data"]["boundary"] == bowtie  # drawn again, to be put right
    assert refused.context["map_data"]["problems"][0]["geometry"]["type"] == "Point"
    saved = client.post(url, {"boundary": json.dumps(rect(118.00, 37.70, 118.015, 37.72)), "reason": "让出东侧"})
    assert saved.status_code == 302 and saved["Location"] == f"/people/villages/{east.village_a1.code}/regrid/"
    assert "让出东侧" in client.get(url).content.decode()  # the history on the page


@pytest.mark.django_db
def test_the_api_answers_the_problems_with_their_geometry_and_lists_revisions(client, east):
    client.force_login(east.users["township_staff"])
    url = f"/api/v1/grids/{east.grid_a1.code}/boundary"
    response = client.put(url, {"boundary": rect(118.00, 37.70, 118.025, 37.72), "reason": "扩大"},
                          content_type="application/json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "boundary_refused"
    assert error["fields"][0]["problem"] == "overlap" and error["fields"][0]["geometry"]["type"] == "Polygon"
    no_reason = client.put(url, {"boundary": rect(118.00, 37.70, 118.015, 37.72)}, content_type="application/json")
    assert no_reason.status_code == 422 and "修改原因" in no_reason.json()["error"]["message"]
    ok = client.put(url, {"boundary": rect(118.00, 37.70, 118.015, 37.72), "reason": "让出东侧"},
                    content_type="application/json")
    assert ok.status_code == 200
    (revision,) = client.get(f"{url}/revisions").json()
    assert revision["reason"] == "让出东侧" and revision["actor_name"] == east.users["township_staff"].full_name
    assert revision["before"] == square(118.00, 37.70, 0.02)
