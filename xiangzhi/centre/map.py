"""The command centre's map (一键可查, C10; seed 004 "五个一"): the scope's grids with their names, a live
layer of the open cases clustered on the server, the workers on patrol, the key places, and a grid's
panel. Every read is scoped: the node (region or grid) follows the figures' rule (``home_node``,
``figures_region_get_for_user``), the cases ``case_scope_q``, the patrols gridwork's supervisors' rule
and the places the register's scope.

Clustering. At zoom ``z`` a cell is ``CELL_PX`` screen pixels square (Web Mercator, 256-pixel tiles)::

    Δlon = CELL_PX · 360 / (256 · 2^z)          Δlat = Δlon · cos φ     (φ: the view's middle latitude,
    cell = (⌊(lon + 180) / Δlon⌋, ⌊(lat + 90) / Δlat⌋)                    whole degrees, so cells stay put)

The node's open cases are grouped by cell and state in one aggregate query (how many, their summed
position and extent); those outside the view or without a location fall in one group of their own,
which counts only towards the node's totals under the map. A cell holding one case comes as that case;
from ``SINGLE_ZOOM`` on every case comes by itself. Cells are fixed on the globe, so panning never moves
a cluster, and the work is one indexed pass over the node's open cases, however many thousand.
"""

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import NotSupportedError, connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.utils import timezone

from xiangzhi.accounts.models import GRID_ROLES, AnyUser, Role, User
from xiangzhi.accounts.rules import can_read_register
from xiangzhi.accounts.scope import scope_of
from xiangzhi.cases.models import OPEN_STATUSES, Case, Category, Channel, HandlingLevel, Status
from xiangzhi.cases.rules import case_scope_q, figures_allowed
from xiangzhi.centre.figures import figures_grid_get_for_user, figures_region_get_for_user, home_node
from xiangzhi.core.errors import Invalid, field_error
from xiangzhi.core.inputs import require
from xiangzhi.disclosure.selectors import cadre_list_public
from xiangzhi.gridwork.selectors import PatrolPosition, patrol_position_list_for_user
from xiangzhi.people.models import (
    Household,
    KeyPerson,
    Organisation,
    OrganisationKind,
    Place,
    PlaceKind,
    Resident,
    counted,
)
from xiangzhi.people.selectors import organisation_list_for_user, place_list_for_user
from xiangzhi.regions.models import Department, Grid, GridDuty, Region
from xiangzhi.regions.selectors import department_list_for_user, grid_staff

CELL_PX = 64  # a cluster's cell on screen
SINGLE_ZOOM = 17  # from here on every case is drawn by itself
MAX_SINGLES = 1000  # single cases in one answer (a view at SINGLE_ZOOM holds a few dozen)
STALE_MINUTES = 30  # a patrol's last fix older than this is drawn faded
REFRESH_SECONDS = 60

# The map's colours: one per state group, overdue above all (red).
STATES: list[tuple[str, str, str]] = [
    ("overdue", "超时", "#d32f2f"),
    ("reported", "待受理", "#ef6c00"),
    ("handling", "办理中", "#1565c0"),
    ("checking", "待核查", "#00897b"),
    ("suspended", "缓办", "#757575"),
]
MAP_STATUSES = [*OPEN_STATUSES, Status.SUSPENDED]
_HANDLING = [Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS]
_CHECKING = [Status.HANDLED, Status.VERIFIED]


def _require(user: AnyUser) -> None:
    require(figures_allowed(user), "无权查看指挥中心地图")


# --- where the map stands and what it filters --------------------------------------------------------


def map_node_for_user(user: User, *, region: str = "", grid: str = "") -> Region | Grid | None:
    """The region or grid the map shows: the one asked for (404 outside the scope, like a missing
    one), else the user's own node; None for grid staff, whose map is their grids."""
    _require(user)
    if grid:
        return figures_grid_get_for_user(user, grid)
    if region:
        return figures_region_get_for_user(user, region)
    return home_node(user)


@dataclass(frozen=True)
class MapFilters:
    category: Category | None = None
    group: str = ""
    level: str = ""
    department: Department | None = None
    channel: str = ""
    overdue_only: bool = False

    def query(self) -> dict[str, str]:
        """The filters as the query string of the queue and the map's own requests."""
        out = {"category": self.category.code if self.category else "", "group": self.group, "level": self.level,
               "department": self.department.code if self.department else "", "channel": self.channel,
               "overdue": "1" if self.overdue_only else ""}
        return {k: v for k, v in out.items() if v}


def map_filters_for_user(user: User, params: Any) -> MapFilters:
    """Read the filters of a request; an unknown value is refused, never silently widened to all."""
    category = group = level = channel = ""
    category_obj = department_obj = None
    if category := params.get("category", ""):
        category_obj = Category.objects.filter(code=category).first()
        if category_obj is None:
            raise Invalid("没有这个事件类别", fields=field_error("category", "未知类别"))
    if (group := params.get("group", "")) and not Category.objects.filter(group=group).exists():
        raise Invalid("没有这个类别大类", fields=field_error("group", "未知大类"))
    if (level := params.get("level", "")) and level not in HandlingLevel.values:
        raise Invalid("处置层级不正确", fields=field_error("level", "未知层级"))
    if (channel := params.get("channel", "")) and channel not in Channel.values:
        raise Invalid("来源不正确", fields=field_error("channel", "未知来源"))
    if department := params.get("department", ""):
        department_obj = department_choices_for_user(user).filter(code=department).first()
        if department_obj is None:
            raise Invalid("没有这个职能部门，或不在管辖范围内", fields=field_error("department", "未知部门"))
    return MapFilters(category=category_obj, group=group, level=level, department=department_obj, channel=channel,
                      overdue_only=params.get("overdue", "") in ("1", "true", "on"))


def department_choices_for_user(user: User) -> QuerySet[Department]:
    """Departments a dispatcher may filter by (township and county staff, as on the figures page)."""
    if user.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN) or user.is_superuser:
        return department_list_for_user(user).order_by("code")
    return Department.objects.none()


def node_choices_for_user(user: User) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(regions, grids) the map may be narrowed to: the regions under the user's node, indented by
    depth; a grid worker's own grids."""
    if user.role in GRID_ROLES:
        grids = (Grid.objects.filter(scope_of(user).q("path"), is_active=True).order_by("path")
                 .values_list("code", "name", "parent_id"))
        return [], [(code, ("　" if parent else "") + name) for code, name, parent in grids]
    home = home_node(user)
    if not isinstance(home, Region):
        return [], []
    rows = (Region.objects.filter(path__startswith=home.path).order_by("path")
            .values_list("code", "name", "path"))
    depth = home.path.count("/")
    return [(code, "　" * (path.count("/") - depth) + name) for code, name, path in rows], []


def _overdue_q(now: dt.datetime) -> Q:
    """超时未办结, exactly as the figures count it (``overdue_open``)."""
    return Q(status__in=OPEN_STATUSES) & (Q(overdue_at__isnull=False) | Q(close_due_at__lt=now))


def _state_case(now: dt.datetime) -> CaseWhen:
    """Each open case's state group, the first that holds in ``STATES``' order: overdue above all."""
    return CaseWhen(When(_overdue_q(now), then=Value("overdue")),
                    When(status=Status.REPORTED, then=Value("reported")),
                    When(status__in=_HANDLING, then=Value("handling")),
                    When(status__in=_CHECKING, then=Value("checking")),
                    default=Value("suspended"), output_field=CharField())


def _under(node: Region | Grid) -> Q:
    """The cases under a node, asked so that each database reads the fewest rows. PostgreSQL plans
    ``LIKE 'prefix%'`` with both the status and the path index. SQLite takes one index and, knowing no
    more of a range than that it is a range, always prefers one on ``scope_path``: right for a
    township or smaller (a tenth of the county's cases or less), wrong for a whole county, where the
    open cases by status are far fewer than every case under it — so a county is asked with ``LIKE``,
    which SQLite cannot answer from the path index."""
    spans_a_county = isinstance(node, Region) and node.level in ("county", "city", "province")
    if connection.vendor == "sqlite" and not spans_a_county:
        return Q(scope_path__gte=node.path, scope_path__lt=node.path[:-1] + "0")  # '/' sorts just before '0'
    return Q(scope_path__startswith=node.path)


def map_case_list_for_user(user: User, *, node: Region | Grid | None, filters: MapFilters | None = None,
                           now: dt.datetime | None = None) -> QuerySet[Case]:
    """The open cases (缓办 included, as the figures' 未办结) the user may see under the node, filtered;
    with or without a location."""
    _require(user)
    now = now or timezone.now()
    qs = Case.objects.filter(status__in=MAP_STATUSES)
    if node is None or user.role == Role.DEPARTMENT_STAFF:
        qs = qs.filter(case_scope_q(user))
    # Otherwise the node lies inside the user's scope (``map_node_for_user`` checked it, or it is the
    # scope's own node): the scope's filter would add nothing under it but a pattern match per row.
    if node is not None:
        qs = qs.filter(_under(node))
    f = filters or MapFilters()
    if f.category is not None:
        qs = qs.filter(category=f.category)
    if f.group:
        qs = qs.filter(category__group=f.group)
    if f.level:
        qs = qs.filter(handling_level=f.level)
    if f.department is not None:
        qs = qs.filter(assignee_department=f.department)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.overdue_only:
        qs = qs.filter(_overdue_q(now))
    return qs


# --- the case layer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> "BBox":
        """``west,south,east,north`` in degrees (what Leaflet's ``getBounds().toBBoxString()`` gives)."""
        try:
            west, south, east, north = (float(v) for v in text.split(","))
        except ValueError:
            raise Invalid("地图范围不正确", fields=field_error("bbox", "应为 西,南,东,北 四个经纬度")) from None
        if not all(math.isfinite(v) for v in (west, south, east, north)) or west > east or south > north:
            raise Invalid("地图范围不正确", fields=field_error("bbox", "应为 西,南,东,北 四个经纬度"))
        return cls(max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))


def parse_zoom(text: str) -> int:
    try:
        zoom = int(text)
    except ValueError:
        raise Invalid("缩放级别不正确", fields=field_error("zoom", "应为 0～22 的整数")) from None
    if not 0 <= zoom <= 22:
        raise Invalid("缩放级别不正确", fields=field_error("zoom", "应为 0～22 的整数"))
    return zoom


def cell_size(zoom: int, bbox: BBox) -> tuple[float, float]:
    """(Δlon, Δlat) of a cluster cell at this zoom, by the formula at the top of this module."""
    dlon = CELL_PX * 360.0 / (256.0 * 2**zoom)
    middle = round((bbox.south + bbox.north) / 2)
    return dlon, dlon * max(math.cos(math.radians(middle)), 0.05)


class ViewCell(Func):
    """The cell of a case inside the view, NULL outside it or without a location: ``axis`` "lon" or
    "lat" gives ⌊(value + offset) / size⌋, "id" the case itself (every case its own cell). The view's
    edges, offset and size are numbers computed here, written into the SQL as literals so that the
    GROUP BY repeats the SELECT's expression exactly. Values are non-negative (longitude + 180,
    latitude + 90), so SQLite's truncating cast is the floor."""

    output_field = IntegerField()

    def __init__(self, *, axis: str, bbox: "BBox", offset: float = 0.0, size: float = 1.0) -> None:
        super().__init__(F("lon"), F("lat"), F("id"))
        self.axis, self.bbox, self.offset, self.size = axis, bbox, float(offset), float(size)

    def _sql(self, compiler: Any, floor: str) -> tuple[str, list[Any]]:
        compiled = [compiler.compile(e) for e in self.source_expressions]
        if any(params for _, params in compiled):
            raise NotSupportedError("ViewCell: plain columns only")
        (lon, _), (lat, _), (pk, _) = compiled
        b = self.bbox
        inside = (f"{lon} >= {float(b.west)!r} AND {lon} <= {float(b.east)!r} AND "
                  f"{lat} >= {float(b.south)!r} AND {lat} <= {float(b.north)!r}")
        value = {"lon": lon, "lat": lat}.get(self.axis)
        cell = pk if value is None else floor.format(f"(({value}) + {self.offset!r}) / {self.size!r}")
        return f"CASE WHEN {inside} THEN {cell} END", []

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._sql(compiler, "CAST({} AS INTEGER)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._sql(compiler, "CAST(FLOOR({}) AS INTEGER)")

    def as_sql(self, compiler: Any, connection: Any, function: str | None = None, template: str | None = None,
               arg_joiner: str | None = None, **extra_context: Any) -> Any:
        raise NotSupportedError("ViewCell: SQLite and PostgreSQL only")


@dataclass
class Cluster:
    lon: float
    lat: float
    count: int
    states: dict[str, int]
    bounds: tuple[float, float, float, float]  # west, south, east, north of its cases

    @property
    def overdue(self) -> int:
        return self.states.get("overdue", 0)

    def as_dict(self) -> dict[str, Any]:
        return {"lon": round(self.lon, 6), "lat": round(self.lat, 6), "count": self.count, "overdue": self.overdue,
                "states": self.states, "bounds": [round(v, 6) for v in self.bounds]}


@dataclass
class MapCase:
    id: int
    number: str
    title: str
    category: str
    status: str
    state: str
    lon: float | None  # None only in a grid's panel: an open case reported without a location
    lat: float | None

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "title": self.title, "category": self.category,
                "status": Status(self.status).label, "state": self.state, "overdue": self.overdue,
                "lon": None if self.lon is None else round(self.lon, 6),
                "lat": None if self.lat is None else round(self.lat, 6), "url": f"/cases/{self.id}/"}


@dataclass
class MapTotals:
    open: int
    overdue: int
    unlocated: int  # open cases without a location: in the queue, never on the map


@dataclass
class CaseLayer:
    zoom: int
    clusters: list[Cluster] = field(default_factory=list)
    cases: list[MapCase] = field(default_factory=list)
    truncated: bool = False
    totals: MapTotals = field(default_factory=lambda: MapTotals(0, 0, 0))  # the node's, in view or not

    @property
    def count(self) -> int:
        return sum(c.count for c in self.clusters) + len(self.cases)

    @property
    def overdue(self) -> int:
        return sum(c.overdue for c in self.clusters) + sum(c.overdue for c in self.cases)


def _state_of(status: str, overdue: bool) -> str:
    if overdue:
        return "overdue"
    if status == Status.REPORTED:
        return "reported"
    if status in _CHECKING:
        return "checking"
    if status == Status.SUSPENDED:
        return "suspended"
    return "handling"


def _is_overdue(status: str, overdue_at: dt.datetime | None, close_due_at: dt.datetime | None,
                now: dt.datetime) -> bool:
    """``_overdue_q`` for one row."""
    return status in OPEN_STATUSES and (overdue_at is not None or (close_due_at is not None and close_due_at < now))


def _singles(qs: QuerySet[Case], now: dt.datetime, limit: int) -> list[MapCase]:
    rows = qs.order_by("id").values_list("id", "number", "title", "category__name", "status", "overdue_at",
                                         "close_due_at", "lon", "lat")[:limit]
    return [MapCase(pk, number, title, category, status, _state_of(status, _is_overdue(status, late, due, now)),
                    lon, lat)
            for pk, number, title, category, status, late, due, lon, lat in rows]


def case_layer_for_user(user: User, *, node: Region | Grid | None, bbox: BBox, zoom: int,
                        filters: MapFilters | None = None, now: dt.datetime | None = None) -> CaseLayer:
    """The open cases with a location inside ``bbox`` — clusters by cell, single cases where a cell
    holds one, every case by itself from ``SINGLE_ZOOM`` on — and the node's totals.

    One pass over the node's open cases, grouped by cell: the cases outside the view (or without a
    location) fall in one group of their own, which counts only towards the totals. One more query
    reads the single cases by id."""
    now = now or timezone.now()
    qs = map_case_list_for_user(user, node=node, filters=filters, now=now)
    if zoom >= SINGLE_ZOOM:
        cx, cy = ViewCell(axis="id", bbox=bbox), ViewCell(axis="id", bbox=bbox)
    else:
        dlon, dlat = cell_size(zoom, bbox)
        cx = ViewCell(axis="lon", bbox=bbox, offset=180.0, size=dlon)
        cy = ViewCell(axis="lat", bbox=bbox, offset=90.0, size=dlat)
    groups = (qs.annotate(cx=cx, cy=cy, state=_state_case(now)).values("cx", "cy", "state").order_by()
              .annotate(n=Count("id"), located=Count("lon"), lon_sum=Sum("lon"), lat_sum=Sum("lat"), west=Min("lon"),
                        east=Max("lon"), south=Min("lat"), north=Max("lat"), first=Min("id")))
    layer = CaseLayer(zoom=zoom)
    cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in groups:
        layer.totals.open += row["n"]
        layer.totals.overdue += row["n"] if row["state"] == "overdue" else 0
        layer.totals.unlocated += row["n"] - row["located"]
        if row["cx"] is not None:  # inside the view
            cells.setdefault((row["cx"], row["cy"]), []).append(row)
    single_ids = []
    for rows in cells.values():
        n = sum(r["n"] for r in rows)
        if n == 1:
            single_ids.append(rows[0]["first"])
            continue
        layer.clusters.append(Cluster(
            lon=sum(r["lon_sum"] for r in rows) / n, lat=sum(r["lat_sum"] for r in rows) / n, count=n,
            states={r["state"]: r["n"] for r in rows},
            bounds=(min(r["west"] for r in rows), min(r["south"] for r in rows), max(r["east"] for r in rows),
                    max(r["north"] for r in rows))))
    single_ids.sort()
    layer.truncated = len(single_ids) > MAX_SINGLES
    if single_ids:
        layer.cases = _singles(Case.objects.filter(pk__in=single_ids[:MAX_SINGLES]), now, MAX_SINGLES)
    layer.clusters.sort(key=lambda c: (c.lat, c.lon))
    return layer


def map_totals_for_user(user: User, *, node: Region | Grid | None, filters: MapFilters | None = None,
                        now: dt.datetime | None = None) -> MapTotals:
    """The node's open cases, overdue and without a location (what the map's line under it says)."""
    now = now or timezone.now()
    row = map_case_list_for_user(user, node=node, filters=filters, now=now).aggregate(
        open=Count("id"), overdue=Count("id", filter=_overdue_q(now)),
        unlocated=Count("id", filter=Q(lon__isnull=True) | Q(lat__isnull=True)))
    return MapTotals(row["open"], row["overdue"], row["unlocated"])


# --- grids, names, workers on patrol, places --------------------------------------------------------------


def map_grid_list_for_user(user: User, *, node: Region | Grid | None) -> QuerySet[Grid]:
    """The active grids the map draws: under the node, or a grid worker's own grids and their micro-grids."""
    _require(user)
    qs = Grid.objects.filter(is_active=True)
    if node is not None:
        qs = qs.filter(path__startswith=node.path)
    elif user.role in GRID_ROLES:
        qs = qs.filter(scope_of(user).q("path"))
    else:
        qs = qs.none()
    return qs.order_by("path")


def _rounded(coords: Any) -> Any:
    """Coordinates to 5 decimals (about a metre): the map needs no more, and the answer shrinks by half."""
    if isinstance(coords, list | tuple):
        if coords and isinstance(coords[0], int | float):
            return [round(float(v), 5) for v in coords]
        return [_rounded(c) for c in coords]
    return coords


GRIDS_CACHE_SECONDS = 600


def grid_features_json_for_user(user: User, *, node: Region | Grid | None) -> bytes:
    """``grid_features_for_user`` as JSON, kept in the cache until a grid under the node is added,
    redrawn, renamed or retired (its ``updated_at``) or ten minutes pass (a village renamed): a
    county's 600 polygons are read and written out once, not on every opening of the map."""
    grids = map_grid_list_for_user(user, node=node)
    version = Grid.objects.filter(pk__in=grids.values("pk")).aggregate(n=Count("id"), at=Max("updated_at"))
    where = node.path if node is not None else "grids:" + ",".join(sorted(scope_of(user).paths))
    key = "centre-map-grids:" + hashlib.sha256(f"{where}|{version['n']}|{version['at']}".encode()).hexdigest()
    body: bytes | None = cache.get(key)
    if body is None:
        body = json.dumps(grid_features_for_user(user, node=node), ensure_ascii=False,
                          separators=(",", ":")).encode()
        cache.set(key, body, GRIDS_CACHE_SECONDS)
    return body


def grid_features_for_user(user: User, *, node: Region | Grid | None) -> dict[str, Any]:
    """The grids as GeoJSON, with what their names need: the village each lies in, its centre, and
    the villages themselves (named where their grids together leave room)."""
    rows = map_grid_list_for_user(user, node=node).values_list(
        "code", "name", "level", "parent__code", "region__code", "region__name", "center_lon", "center_lat",
        "boundary")
    features, villages = [], {}
    for code, name, level, parent, region_code, region_name, lon, lat, boundary in rows:
        if not boundary:
            continue
        geometry = {"type": boundary.get("type"), "coordinates": _rounded(boundary.get("coordinates"))}
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": code, "name": name, "level": level, "parent": parent or "", "village": region_code,
            "center": [lon, lat] if lon is not None and lat is not None else None}})
        villages[region_code] = region_name
    centres = {code: (lon, lat) for code, lon, lat in Region.objects.filter(code__in=villages).values_list(
        "code", "center_lon", "center_lat")}
    return {"type": "FeatureCollection", "features": features, "villages": [
        {"code": code, "name": name,
         "center": list(centres[code]) if centres.get(code, (None, None))[0] is not None else None}
        for code, name in sorted(villages.items())]}


def position_list_for_user(user: User, *, node: Region | Grid | None,
                           now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Workers on patrol where they last were, by name; a fix older than ``STALE_MINUTES`` is stale."""
    _require(user)
    now = now or timezone.now()
    positions: list[PatrolPosition] = patrol_position_list_for_user(user, path=node.path if node else "")
    roles = dict(Role.choices)
    out = []
    for p in positions:
        minutes = max(0, int((now - p.recorded_at).total_seconds() // 60))
        out.append({"name": p.worker_name or f"{roles.get(p.worker_role, '')}（未填姓名）", "grid": p.grid_name,
                    "lon": round(p.lon, 6), "lat": round(p.lat, 6),
                    "at": timezone.localtime(p.recorded_at).strftime("%H:%M"), "minutes": minutes,
                    "stale": minutes >= STALE_MINUTES})
    return out


def place_features_for_user(user: User, *, node: Region | Grid | None) -> dict[str, Any]:
    """部件与场所 and located organisations under the node, in the register's scope (nothing for roles
    that reach no register). Rows, not objects — ``[id, kind, name, label, lon, lat]`` with the kinds'
    names once — since a county holds ten thousand of them."""
    _require(user)
    places: QuerySet[Place] = place_list_for_user(user)
    orgs: QuerySet[Organisation] = organisation_list_for_user(user).filter(lon__isnull=False, lat__isnull=False)
    if node is not None:
        places, orgs = places.filter(grid__path__startswith=node.path), orgs.filter(grid__path__startswith=node.path)
    return {
        "kinds": dict(PlaceKind.objects.values_list("code", "name")),
        "organisation_kinds": dict(OrganisationKind.objects.values_list("code", "name")),
        "places": list(places.order_by().values_list("pk", "kind_id", "name", "label", "lon", "lat")),
        "organisations": [[pk, kind, name, "", lon, lat] for pk, kind, name, lon, lat in orgs.order_by().values_list(
            "pk", "kind_id", "name", "lon", "lat")],
    }


# --- a grid's panel ----------------------------------------------------------------------------------


@dataclass
class PanelWorker:
    name: str
    duty: str
    office_phone: str


@dataclass
class GridPanel:
    grid: Grid
    households: int | None  # None: the user reaches no register (departments, 督查员)
    residents: int | None
    key_people: list[tuple[str, int]] | None
    workers: list[PanelWorker]
    office_phone: str  # the village committee's, as the village's public page lists it
    open: int
    overdue: int
    urgent: list[MapCase]  # the first open cases: overdue first, then by step deadline


def grid_panel_for_user(user: User, code: str, *, now: dt.datetime | None = None) -> GridPanel:
    """What a click on a grid shows: its people counted (for those who may read the register), who
    works it, and its open and overdue cases. A micro-grid counts its own people and shows its grid's
    staff when it has none of its own."""
    _require(user)
    now = now or timezone.now()
    grid = figures_grid_get_for_user(user, code)
    subtree = Grid.objects.filter(path__startswith=grid.path).values("id")
    households = residents = None
    key_people = None
    if can_read_register(user) and scope_of(user).households:
        households = Household.objects.filter(grid_id__in=subtree, closed_on__isnull=True).count()
        residents = Resident.objects.filter(counted(), household__grid_id__in=subtree).count()
        key_people = [(name, n) for name, n in KeyPerson.objects.filter(
            resident__household__grid_id__in=subtree, is_active=True).values_list("category__name").order_by(
            "category__name").annotate(n=Count("id"))]
    staff = list(grid_staff(grid))
    if not staff and grid.parent_id is not None and grid.parent is not None:
        staff = list(grid_staff(grid.parent))
    cadres = cadre_list_public(grid.region)
    phone_of = {c.user_id: c.public_phone for c in cadres if c.user_id and c.public_phone}
    office = next((c.public_phone for c in cadres if c.public_phone), "")
    duties = dict(GridDuty.choices)
    workers = [PanelWorker(a.user.full_name or f"{a.user.get_role_display()}（未填姓名）", duties.get(a.duty, a.duty),
                           phone_of.get(a.user_id, "")) for a in staff]
    cases = map_case_list_for_user(user, node=grid, now=now)
    totals = cases.aggregate(open=Count("id"), overdue=Count("id", filter=_overdue_q(now)))
    late = ExpressionWrapper(_overdue_q(now), output_field=BooleanField())
    urgent_ids = list(cases.alias(late=late).order_by(F("late").desc(), F("due_at").asc(nulls_last=True), "id")
                      .values_list("id", flat=True)[:5])
    urgent = {c.id: c for c in _singles(Case.objects.filter(pk__in=urgent_ids), now, 5)}
    return GridPanel(grid=grid, households=households, residents=residents, key_people=key_people, workers=workers,
                     office_phone=office, open=totals["open"], overdue=totals["overdue"],
                     urgent=[urgent[i] for i in urgent_ids if i in urgent])
