import random

import pytest
from shapely.ops import unary_union

from xiangzhi.demo import geography as geo
from xiangzhi.demo.names import draw_name, lineage_surnames
from xiangzhi.demo.plan import short_township_name, short_village_name
from xiangzhi.lib.geometry import parse_boundary, to_geojson


def test_outline_is_valid_and_about_the_asked_size():
    outline = geo.noisy_outline(random.Random(1), 118.10, 37.70, 25)
    parse_boundary(to_geojson(outline))
    assert 1200 < geo.area_km2(outline) < 2800


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_tiles_cover_the_parent_without_overlap(n):
    rng = random.Random(n)
    parent = geo.noisy_outline(rng, 117.47, 36.55, 3)
    cells = geo.tile(rng, parent, n)
    assert len(cells) == n
    for cell in cells:
        parse_boundary(to_geojson(cell))
        assert cell.area > 0
    union = unary_union(cells)
    assert union.area == pytest.approx(parent.area, rel=1e-4)
    overlap = sum(c.area for c in cells) - union.area
    assert overlap < parent.area * 1e-6


def test_tiling_is_deterministic():
    def make():
        rng = random.Random(5)
        return [c.wkt for c in geo.tile(rng, geo.noisy_outline(rng, 117.47, 36.55, 3), 9)]

    assert make() == make()


def test_coordinates_are_rounded_to_six_decimals():
    rng = random.Random(3)
    cell = geo.tile(rng, geo.noisy_outline(rng, 117.47, 36.55, 3), 4)[0]
    for x, y in cell.exterior.coords:
        assert round(x, 6) == x and round(y, 6) == y


def test_split_counts_keeps_the_total_and_the_minimum():
    counts = geo.split_counts(74, [41, 43, 62, 50, 44, 36, 67, 35, 20, 27, 28, 1])
    assert sum(counts) == 74
    assert min(counts) == 1
    assert counts[6] == max(counts)  # 大高镇, the most villages


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("文祖北村村民委员会", "文祖北村"),
        ("文昌社区居民委员会", "文昌社区"),
        ("东杨村民委员会", "东杨村"),
        ("场直分场居民委员会", "场直分场"),
        ("海防渔业社虚拟生活区", "海防渔业社虚拟生活区"),
    ],
)
def test_short_village_names(full, short):
    assert short_village_name(full) == short


def test_short_township_names():
    assert short_township_name("文祖街道") == "文祖"
    assert short_township_name("下洼镇") == "下洼"
    assert short_township_name("海防办事处乡") == "海防办事处"


def test_names_follow_the_surname_and_lineage():
    rng = random.Random(1)
    name = draw_name(rng, "F", 1950, "王")
    assert name.startswith("王") and 2 <= len(name) <= 3
    assert lineage_surnames("马家峪村") == ("马",)
    assert lineage_surnames("文祖北村") == ()
