import pytest

from tests.factories import square
from xiangzhi.regions.selectors import locate
from xiangzhi.regions.services import BoundaryRefused, GridError, grid_create, grid_set_boundary


@pytest.mark.django_db
def test_locate_finds_the_deepest_grid(county):
    assert locate(118.005, 37.705) == county.grid_a1_micro
    assert locate(118.015, 37.715) == county.grid_a1
    assert locate(118.105, 37.705) == county.grid_b1


@pytest.mark.django_db
def test_a_point_outside_every_grid_is_none(county):
    assert locate(100.0, 30.0) is None


@pytest.mark.django_db
def test_a_new_boundary_takes_effect_at_once(county):
    grid_set_boundary(grid=county.grid_b1, boundary=square(118.10, 37.70, 0.01))
    assert locate(118.105, 37.705) == county.grid_b1
    assert locate(118.115, 37.715) is None


@pytest.mark.django_db
def test_an_invalid_polygon_changes_nothing(county):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    before = county.grid_b1.boundary
    with pytest.raises(BoundaryRefused, match="自相交"):
        grid_set_boundary(grid=county.grid_b1, boundary=bowtie)
    county.grid_b1.refresh_from_db()
    assert county.grid_b1.boundary == before


@pytest.mark.django_db
def test_grid_codes_are_stable_below_the_village(county):
    grid = grid_create(region=county.village_a1, name="东村第二网格")
    assert grid.code == "371603101001002"
    micro = grid_create(region=county.village_a1, name="微网格", level=4, parent=county.grid_a1)
    assert micro.code == "37160310100100102"
    with pytest.raises(GridError):
        grid_create(region=county.village_a2, name="错挂", parent=county.grid_a1)
