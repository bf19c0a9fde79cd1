import pytest

from xiangzhi.lib.geometry import Area, BoundaryError, PointIndex, parse_boundary


def square(x, y, s):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]}


def test_a_self_intersecting_polygon_is_refused():
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(BoundaryError, match="不是有效的多边形"):
        parse_boundary(bowtie)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": "nonsense"},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]},
        "not a dict",
    ],
)
def test_malformed_boundaries_are_refused(bad):
    with pytest.raises(BoundaryError):
        parse_boundary(bad)


def test_index_returns_the_deepest_containing_area_or_none():
    index = PointIndex([
        Area("grid", 3, parse_boundary(square(0, 0, 2))),
        Area("micro", 4, parse_boundary(square(0, 0, 1))),
        Area("other", 3, parse_boundary(square(5, 5, 1))),
    ])
    assert index.locate(0.5, 0.5) == "micro"
    assert index.locate(1.5, 1.5) == "grid"
    assert index.locate(5.5, 5.5) == "other"
    assert index.locate(9, 9) is None
    for point in [(0.5, 0.5), (1.5, 1.5), (5.5, 5.5), (9, 9)]:
        assert index.locate(*point) == index.locate_naive(*point)
