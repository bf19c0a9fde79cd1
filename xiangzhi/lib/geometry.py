"""Boundaries as GeoJSON polygons, and a point-in-polygon index over them (shapely/GEOS).

Coordinates are WGS 84 longitude/latitude, as phones report them.
"""

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

K = TypeVar("K")  # what an index answers with: a grid's id, a region…


class BoundaryError(ValueError):
    """A boundary that cannot be used, with a message in Chinese; ``geometry`` is where it goes wrong
    (the point where an edge crosses another), as GeoJSON, when there is such a place."""

    def __init__(self, message: str, geometry: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.geometry = geometry


# explain_validity's reasons (GEOS), in the words the map page shows.
_VALIDITY_REASONS = {
    "Self-intersection": "边线自相交",
    "Ring Self-intersection": "边线在一个顶点处自相交",
    "Hole lies outside shell": "内环在外环之外",
    "Holes are nested": "内环互相嵌套",
    "Interior is disconnected": "多边形内部被分割成几块",
    "Nested shells": "外环互相嵌套",
    "Duplicate Rings": "有重复的环",
    "Too few points in geometry component": "顶点太少",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环没有闭合",
}
_VALIDITY = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>[-0-9.eE+]+) (?P<y>[-0-9.eE+]+)\]")


def validity_problem(geom: BaseGeometry) -> tuple[str, dict[str, Any] | None]:
    """Why an invalid geometry is invalid, in Chinese, and the point where it is (GeoJSON), if GEOS
    names one: "边线自相交（东经 118.010000，北纬 37.710000）"."""
    explained = explain_validity(geom)
    found = _VALIDITY.match(explained)
    if found is None:
        return f"边界不是有效的多边形：{explained}", None
    x, y = float(found["x"]), float(found["y"])
    reason = _VALIDITY_REASONS.get(found["reason"].strip(), found["reason"].strip())
    return (f"边界不是有效的多边形：{reason}（东经 {x:.6f}，北纬 {y:.6f}）",
            {"type": "Point", "coordinates": [x, y]})


def parse_boundary(geojson: object) -> Polygon | MultiPolygon:
    """Validate a GeoJSON Polygon or MultiPolygon and return it as a shapely geometry."""
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise BoundaryError("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon")
    try:
        geom = shape(geojson)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise BoundaryError(f"边界坐标格式不正确：{exc}") from None
    if geom.is_empty:
        raise BoundaryError("边界是空的")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError("边界坐标超出经纬度范围（经度 -180～180，纬度 -90～90）")
    if not geom.is_valid:
        raise BoundaryError(*validity_problem(geom))
    if geom.area == 0:
        raise BoundaryError("边界面积为零")
    return cast("Polygon | MultiPolygon", geom)  # its GeoJSON type was checked first


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    return mapping(geom)


def check_point(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryError("坐标超出经纬度范围")


@dataclass(frozen=True)
class Area(Generic[K]):
    key: K
    depth: int
    geometry: Polygon | MultiPolygon


class PointIndex(Generic[K]):
    """Answers "which deepest area contains this point" with an STR-tree and prepared polygons.

    Areas may nest (a micro-grid inside a grid); the deepest containing area wins.
    """

    def __init__(self, areas: Iterable[Area[K]]) -> None:
        self._areas: Sequence[Area[K]] = list(areas)
        geoms = [a.geometry for a in self._areas]
        for g in geoms:
            shapely.prepare(g)
        self._tree = shapely.STRtree(geoms)
        self._depths = [a.depth for a in self._areas]

    def __len__(self) -> int:
        return len(self._areas)

    def locate(self, lon: float, lat: float) -> K | None:
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        best: int = max(hits, key=lambda i: (self._depths[i], -i))
        return self._areas[best].key

    def nearest(self, lon: float, lat: float) -> K | None:
        """The key of the area nearest to the point (for points outside every area)."""
        if not self._areas:
            return None
        return self._areas[int(self._tree.nearest(shapely.Point(lon, lat)))].key

    def locate_naive(self, lon: float, lat: float) -> K | None:
        """The same answer by testing every polygon in turn; the benchmark's baseline."""
        point = shapely.Point(lon, lat)
        best: Area[K] | None = None
        for area in self._areas:
            if area.geometry.intersects(point) and (best is None or area.depth > best.depth):
                best = area
        return best.key if best else None


# --- checking a redrawn boundary against its surroundings ------------------------------------------

# Hand-drawn neighbours never meet exactly: an overlap with a neighbour, or a part outside the
# enclosing area, is tolerated up to 100 m² or 1% of the smaller polygon's area, whichever is less
# (a 1 km edge drawn 10 cm off is 100 m²; snapping to the neighbour's vertices avoids even that).
TOLERANCE_M2 = 100.0
TOLERANCE_SHARE = 0.01
_M_PER_DEGREE_LAT = 110_574.0
_M_PER_DEGREE_LON_AT_EQUATOR = 111_320.0


def area_m2(geom: BaseGeometry) -> float:
    """Area in square metres of a lon/lat geometry (a local flat projection: good to a fraction of a
    per cent over a village)."""
    if geom.is_empty:
        return 0.0
    k = math.cos(math.radians(geom.centroid.y))
    return float(geom.area) * _M_PER_DEGREE_LAT * _M_PER_DEGREE_LON_AT_EQUATOR * k


def tolerance_m2(*geoms: BaseGeometry) -> float:
    return min(TOLERANCE_M2, TOLERANCE_SHARE * min(area_m2(g) for g in geoms))


def area_text(m2: float) -> str:
    """An area in the unit a village cadre reads: 平方米 below a hectare, 公顷 above (1 亩 ≈ 667 m²)."""
    if m2 < 10_000:
        return f"{m2:,.0f} 平方米"
    return f"{m2 / 10_000:,.2f} 公顷"


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The areas of an overlay result: the lines and points where shapes only touch dropped."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else Polygon()


def outside_part(geom: BaseGeometry, container: BaseGeometry) -> BaseGeometry | None:
    """The part of ``geom`` outside ``container``, when it is more than the tolerance; else None."""
    outside = _polygonal(geom.difference(container))
    if area_m2(outside) > tolerance_m2(geom):
        return outside
    return None


def overlapping_parts(geom: BaseGeometry, others: Iterable[tuple[K, BaseGeometry]]) -> list[tuple[K, BaseGeometry]]:
    """Each neighbour that ``geom`` overlaps by more than the tolerance, with the overlap."""
    found = []
    for key, other in others:
        if not geom.intersects(other):
            continue
        overlap = _polygonal(geom.intersection(other))
        if area_m2(overlap) > tolerance_m2(geom, other):
            found.append((key, overlap))
    return found
