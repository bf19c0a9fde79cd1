import pytest

from xiangzhi.lib.geo_distance import haversine_m, path_length_m


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_m(118.0, 37.0, 118.0, 38.0) == pytest.approx(111_195, rel=1e-3)


def test_a_degree_of_longitude_shrinks_with_latitude():
    assert haversine_m(118.0, 37.7, 119.0, 37.7) == pytest.approx(111_195 * 0.7912, rel=2e-3)


def test_same_point_is_zero_and_path_adds_its_legs():
    assert haversine_m(118.0, 37.7, 118.0, 37.7) == 0
    legs = [(118.0, 37.7), (118.001, 37.7), (118.001, 37.701)]
    assert path_length_m(legs) == pytest.approx(
        haversine_m(118.0, 37.7, 118.001, 37.7) + haversine_m(118.001, 37.7, 118.001, 37.701)
    )
    assert path_length_m([]) == 0 and path_length_m([(118.0, 37.7)]) == 0
