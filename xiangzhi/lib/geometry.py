"""Boundaries as GeoJSON polygons, and a point-in-polygon index over them (shapely/GEOS).

Coordinates are WGS 84 longitude/latitude, as phones report them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

K = TypeVar("K")  # what an index answers with: a grid's id, a region…


class BoundaryError(ValueError):
    """A boundary that cannot be used, with a message in Chinese."""


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
        raise BoundaryError(f"边界不是有效的多边形：{explain_validity(geom)}")
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
