"""locate(lon, lat) over the county's grids: the STR-tree index against testing every polygon."""

import random
import time

from bench.common import line, setup_django


def main() -> None:
    setup_django()
    from xiangzhi.regions.models import Grid
    from xiangzhi.regions.selectors import grid_index

    started = time.perf_counter()
    index = grid_index()
    build = time.perf_counter() - started
    grids = Grid.objects.filter(is_active=True, boundary__isnull=False)
    lons = list(grids.values_list("center_lon", flat=True))
    lats = list(grids.values_list("center_lat", flat=True))
    rng = random.Random(7)
    lo_x, hi_x, lo_y, hi_y = min(lons) - 0.05, max(lons) + 0.05, min(lats) - 0.05, max(lats) + 0.05
    points = [(rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)) for _ in range(50_000)]

    t0 = time.perf_counter()
    answers = [index.locate(x, y) for x, y in points]
    fast = time.perf_counter() - t0
    sample = points[:1000]
    t0 = time.perf_counter()
    naive_answers = [index.locate_naive(x, y) for x, y in sample]
    naive = time.perf_counter() - t0
    assert naive_answers == answers[:1000], "index and naive loop disagree"

    fast_rate = len(points) / fast
    naive_rate = len(sample) / naive
    inside = sum(a is not None for a in answers) / len(answers)
    print(f"locate over {len(index)} grids ({inside:.0%} of random points inside a grid; index built in {build:.2f} s)")
    line("indexed locate", f"{fast_rate:,.0f} lookups/s",
         f"checking every polygon in a loop: {naive_rate:,.0f} lookups/s (×{fast_rate / naive_rate:,.0f})",
         "≥ 20,000 lookups/s: " + ("met" if fast_rate >= 20_000 else "NOT met"))


if __name__ == "__main__":
    main()
