"""需要调整网格的户: listed after a boundary is redrawn, moved one by one with a history row."""

import pytest

from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.people.models import HouseholdChange
from xiangzhi.people.selectors import households_to_regrid
from xiangzhi.people.services import RegisterError, household_grid_move
from xiangzhi.regions.services import grid_create, grid_set_boundary


def rect(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.fixture
def moved(county, django_capture_on_commit_callbacks):
    """The house of household a1 stands at 118.019, 37.71; the east strip of 第一网格 goes to 第二网格."""
    county.grid_a1b = grid_create(region=county.village_a1, name="东村第二网格",
                                  boundary=rect(118.02, 37.70, 118.04, 37.72))
    house = county.households["a1"]
    house.lon, house.lat = 118.019, 37.71
    house.save(update_fields=["lon", "lat"])
    county.households["a1_micro"].lon, county.households["a1_micro"].lat = 118.005, 37.705  # stays where it is
    county.households["a1_micro"].save(update_fields=["lon", "lat"])
    assert households_to_regrid(county.village_a1) == []
    with django_capture_on_commit_callbacks(execute=True):  # the grid index is renewed on commit
        grid_set_boundary(grid=county.grid_a1, boundary=rect(118.00, 37.70, 118.015, 37.72))
        grid_set_boundary(grid=county.grid_a1b, boundary=rect(118.015, 37.70, 118.04, 37.72))
    return county


@pytest.mark.django_db
def test_a_house_in_another_grid_is_listed_and_moved_with_a_history_row(moved, django_assert_max_num_queries):
    house = moved.households["a1"]
    with django_assert_max_num_queries(4):
        rows = households_to_regrid(moved.village_a1)
    assert [(r.household, r.located) for r in rows] == [(house, moved.grid_a1b)]
    house.refresh_from_db()
    assert house.grid == moved.grid_a1  # nothing moved by itself
    cadre = moved.users["village_cadre"]
    change = household_grid_move(actor=cadre, household=house, grid=moved.grid_a1b, reason="边界调整")
    house.refresh_from_db()
    assert house.grid == moved.grid_a1b
    assert (change.kind, change.state, change.proposer, change.decider) == (
        HouseholdChange.Kind.GRID, HouseholdChange.State.CONFIRMED, cadre, cadre)
    assert (change.before, change.after) == ({"网格": "东村第一网格"}, {"网格": "东村第二网格"})
    assert change.note == "边界调整"
    assert households_to_regrid(moved.village_a1) == []


@pytest.mark.django_db
def test_a_move_is_refused_to_the_wrong_role_scope_or_village(moved):
    house = moved.households["a1"]
    with pytest.raises(Forbidden):
        household_grid_move(actor=moved.users["grid_chief"], household=house, grid=moved.grid_a1b, reason="调整")
    with pytest.raises(NotFound):
        household_grid_move(actor=moved.users["township_staff_b"], household=house, grid=moved.grid_a1b,
                            reason="调整")
    with pytest.raises(RegisterError, match="本村"):
        household_grid_move(actor=moved.users["township_staff"], household=house, grid=moved.grid_a2, reason="调整")
    with pytest.raises(RegisterError, match="调整原因"):
        household_grid_move(actor=moved.users["village_cadre"], household=house, grid=moved.grid_a1b, reason="")
    house.refresh_from_db()
    assert house.grid == moved.grid_a1 and not HouseholdChange.objects.filter(kind=HouseholdChange.Kind.GRID).exists()


@pytest.mark.django_db
def test_the_page_lists_the_house_and_its_button_moves_it(client, moved):
    client.force_login(moved.users["village_cadre"])
    url = f"/people/villages/{moved.village_a1.code}/regrid/"
    page = client.get(url).content.decode()
    assert "张建国户" in page and "调到东村第二网格" in page
    house = moved.households["a1"]
    response = client.post(f"{url}{house.pk}/", {"grid": moved.grid_a1b.code, "reason": "网格边界调整"})
    assert response.status_code == 302
    house.refresh_from_db()
    assert house.grid == moved.grid_a1b
    assert "没有需要调整网格的户" in client.get(url).content.decode()
    client.force_login(moved.users["township_staff_b"])
    assert client.get(url).status_code == 404
