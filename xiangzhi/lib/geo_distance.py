"""Distances on the earth's surface between WGS 84 longitude/latitude points (haversine).

A phone's track is a few kilometres long; the spherical model's error (≤ 0.5 %) is far below
the GPS noise, so no ellipsoid is needed.
"""

from collections.abc import Iterable
from math import asin, cos, pi, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METRES_PER_DEGREE = EARTH_RADIUS_M * pi / 180  # along a meridian; times cos(latitude) along a parallel


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi = phi2 - phi1
    dlmb = radians(lon2 - lon1)
    h = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def path_length_m(points: Iterable[tuple[float, float]]) -> float:
    """Length of a polyline of (lon, lat) points, in metres."""
    total = 0.0
    previous = None
    for lon, lat in points:
        if previous is not None:
            total += haversine_m(previous[0], previous[1], lon, lat)
        previous = (lon, lat)
    return total
