"""Where the demo's houses stand: a point inside each household's grid (micro-grid), drawn from a
generator of its own per village, so the village's other draws come out as before."""

import random

from xiangzhi.demo.geography import PointSampler
from xiangzhi.demo.plan import GridPlan
from xiangzhi.people.models import Household


def place_households(households: list[Household], leaves: list[GridPlan], *, seed: int, village_code: str) -> None:
    """Sets ``lon``/``lat`` on the unsaved households (before their bulk insert: no extra writes)."""
    rng = random.Random(f"{seed}:{village_code}:houses")
    sampler = PointSampler()
    geoms = {leaf.pk: leaf.geom for leaf in leaves}
    for household in households:
        household.lon, household.lat = sampler.point(rng, geoms[household.grid_id])
