"""Plausible, exactly tiling boundaries for the demo: no real township, village or grid boundaries
are public, so we draw them.

Everything is WGS 84 lon/lat. One degree of longitude is shorter than one of latitude by cos(lat),
so Voronoi diagrams are computed with x scaled by that factor (an affine map keeps the edges
straight) and then clipped in lon/lat against the parent, which is already rounded: children are
cut from exactly the polygon that is stored for their parent.

No Django here: these functions only take and return shapely geometries.
"""

import math
import random

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon

KM_PER_DEGREE = 111.32
DECIMALS = 6
# A stored centre or place must sit clearly inside its polygon, not on an edge that rounding to
# six decimals could move it across (1e-6 degrees is about 0.1 m).
INSET = 3e-6


def noisy_outline(rng: random.Random, lon: float, lat: float, radius_km: float, vertices: int = 160) -> Polygon:
    """A star-shaped blob: a circle whose radius wanders with a few low harmonics, so the polygon
    is always simple (the radius never reaches zero)."""
    harmonics = [(k, rng.uniform(0.03, 0.16) / math.sqrt(k), rng.uniform(0, 2 * math.pi)) for k in range(2, 8)]
    scale = sum(a for _, a, _ in harmonics)
    shrink = 0.45 / scale if scale > 0.45 else 1.0
    kx = math.cos(math.radians(lat))
    coords = []
    for i in range(vertices):
        theta = 2 * math.pi * i / vertices
        wobble = sum(a * shrink * math.cos(k * theta + phase) for k, a, phase in harmonics)
        r = radius_km * (1 + wobble + rng.uniform(-0.015, 0.015))
        dx, dy = r * math.cos(theta), r * math.sin(theta)
        coords.append((lon + dx / (KM_PER_DEGREE * kx), lat + dy / KM_PER_DEGREE))
    return clean(Polygon(coords))


def polygonal(geom) -> Polygon | MultiPolygon:
    """The polygonal part of an overlay result (intersections can leave stray lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def clean(geom) -> Polygon | MultiPolygon:
    """Valid, polygonal and rounded to six decimals; rounding can create a bow-tie, so the result
    is checked again after it."""
    geom = polygonal(shapely.make_valid(geom) if not geom.is_valid else geom)
    for _ in range(4):
        geom = shapely.set_precision(geom, 10**-DECIMALS)
        geom = polygonal(shapely.transform(geom, lambda c: np.round(c, DECIMALS)))
        if geom.is_valid and not geom.is_empty:
            break
        geom = polygonal(shapely.make_valid(geom))
    if geom.is_empty or not geom.is_valid:
        raise ValueError("could not produce a valid polygon")
    return geom


def x_scale(geom) -> float:
    return math.cos(math.radians(geom.centroid.y))


def inner_point(geom) -> tuple[float, float]:
    """A rounded point well inside ``geom`` (a centre for locate, a spot for a street light)."""
    inner = geom.buffer(-INSET * 4)
    candidate = (inner if not inner.is_empty else geom).representative_point()
    point = Point(round(candidate.x, DECIMALS), round(candidate.y, DECIMALS))
    if not geom.buffer(-INSET).contains(point):
        candidate = geom.representative_point()
        point = Point(round(candidate.x, DECIMALS), round(candidate.y, DECIMALS))
    return point.x, point.y


class PointSampler:
    """Random points strictly inside polygons, keeping each polygon's inset and bounds between calls."""

    def __init__(self):
        self._cache: dict[int, tuple] = {}

    def _prepared(self, geom):
        key = id(geom)
        if key not in self._cache:
            inner = geom.buffer(-INSET * 2)
            if inner.is_empty:
                inner = geom
            shapely.prepare(inner)
            self._cache[key] = (geom, inner, inner.bounds)
        return self._cache[key]

    def point(self, rng: random.Random, geom) -> tuple[float, float]:
        _, inner, (minx, miny, maxx, maxy) = self._prepared(geom)
        for _ in range(500):
            x = round(rng.uniform(minx, maxx), DECIMALS)
            y = round(rng.uniform(miny, maxy), DECIMALS)
            if shapely.contains_xy(inner, x, y):
                return x, y
        return inner_point(geom)


def random_points(rng: random.Random, geom, n: int) -> list[tuple[float, float]]:
    """``n`` distinct points inside ``geom``, each the best of a few candidates (Mitchell's
    best-candidate sampling), which keeps Voronoi cells from being slivers."""
    sampler = PointSampler()
    kx = x_scale(geom)
    points: list[tuple[float, float]] = []
    taken: set[tuple[float, float]] = set()
    while len(points) < n:
        best, best_d = None, -1.0
        for _ in range(8 if points else 1):
            x, y = sampler.point(rng, geom)
            d = min((((x - px) * kx) ** 2 + (y - py) ** 2 for px, py in points), default=0.0)
            if (x, y) not in taken and d > best_d:
                best, best_d = (x, y), d
        if best is not None:
            points.append(best)
            taken.add(best)
    return points


def _voronoi(points: list[tuple[float, float]], parent, kx: float) -> list:
    scaled = MultiPoint([(x * kx, y) for x, y in points])
    minx, miny, maxx, maxy = parent.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = shapely.box((minx - pad) * kx, miny - pad, (maxx + pad) * kx, maxy + pad)
    cells = shapely.voronoi_polygons(scaled, extend_to=frame, ordered=True)
    unscale = np.array([1 / kx, 1.0])
    return [shapely.transform(cell, lambda c: c * unscale) for cell in cells.geoms]


def tile(rng: random.Random, parent, n: int, *, relax: int = 2) -> list[Polygon | MultiPolygon]:
    """Split ``parent`` into ``n`` cells that cover it with no overlap: a Voronoi diagram of
    random seeds, relaxed a little toward equal sizes (Lloyd), clipped to the parent."""
    if n <= 1:
        return [clean(parent)]
    kx = x_scale(parent)
    points = random_points(rng, parent, n)
    shapely.prepare(parent)
    for _ in range(relax):
        moved = []
        for point, cell in zip(points, _voronoi(points, parent, kx), strict=True):
            piece = polygonal(cell.intersection(parent))
            c = piece.centroid if not piece.is_empty else Point(point)
            moved.append((c.x, c.y) if parent.contains(c) else point)
        if len(set(moved)) == len(moved):
            points = moved
    # A cell clipped by a concave parent can fall apart; the piece holding the seed stays, and
    # each stray piece joins the neighbour it shares the longest edge with, so nothing is lost.
    cells, strays = [], []
    for point, cell in zip(points, _voronoi(points, parent, kx), strict=True):
        piece = polygonal(cell.intersection(parent))
        parts = list(piece.geoms) if isinstance(piece, MultiPolygon) else [piece]
        seed = Point(point)
        parts.sort(key=lambda part: (not part.intersects(seed), -part.area))
        cells.append(parts[0])
        strays += parts[1:]
    for stray in strays:
        edge = stray.boundary
        best = max(range(len(cells)), key=lambda i: cells[i].boundary.intersection(edge).length)
        cells[best] = polygonal(cells[best].union(stray))
    return [clean(cell) for cell in cells]


def split_counts(total: int, weights: list[float], *, minimum: int = 1) -> list[int]:
    """Largest-remainder apportionment of ``total`` over ``weights``, each getting at least ``minimum``."""
    n = len(weights)
    base = [minimum] * n
    rest = total - minimum * n
    if rest < 0:
        raise ValueError("total too small for the minimum")
    wsum = sum(weights)
    quotas = [rest * w / wsum for w in weights]
    floors = [int(q) for q in quotas]
    left = rest - sum(floors)
    order = sorted(range(n), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [b + f for b, f in zip(base, floors, strict=True)]


def poisson(rng: random.Random, lam: float) -> int:
    """How many of a thing that happens ``lam`` times on average (Knuth's method; above 60, where it
    would draw that many numbers, the normal curve it approaches)."""
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def area_km2(geom) -> float:
    kx = x_scale(geom)
    return geom.area * kx * KM_PER_DEGREE**2
