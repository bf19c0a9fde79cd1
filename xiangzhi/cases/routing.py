"""Where a new case goes: location → grid (C1 ``locate``), category → level and department.

The level and the department kind of a category come from the county's duty lists in force (三张清单,
``xiangzhi.duties``): the 职责任务清单's item that governs the category, else the 属地责任清单's. Only a
category no item governs falls back on the catalog's columns (``Category.default_level`` and
``department_kind``), and the route says which decided (``Route.basis``, ``Route.list_version_id``).

Every report reads the same small tables: the category catalog, the region tree, the grids, the
departments and the lists in force. Each process keeps them in memory and reloads them with the grid
index (when grids change, or the index is invalidated) and at least every 30 seconds, so a department
switched off or a category changed elsewhere takes effect within that time; ``reference_invalidate``
reloads at once, and activating a list's version calls it. Each caller gets model instances of its own,
made from the kept rows.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models

from xiangzhi.cases.models import TERMS_FIELDS, Category, CategoryTerms, HandlingLevel
from xiangzhi.duties.selectors import Governing, routing_rules
from xiangzhi.duties.services import routing_connect
from xiangzhi.lib.geometry import PointIndex
from xiangzhi.regions.models import Department, Grid, Region, RegionLevel
from xiangzhi.regions.selectors import grid_index

RELOAD_SECONDS = 30

# What decided a route: an item of the county's duty list or territorial duty list in force, the
# category catalog's columns, or (outside every grid) the township's triage queue.
CATALOG = "catalog"
TRIAGE = "triage"


@dataclass
class Route:
    grid: Grid | None
    region: Region  # the village of the grid; the township for the triage queue
    scope_path: str
    level: str
    department: Department | None
    triage: bool = False
    basis: str = CATALOG  # "duty_list", "territorial_duty_list", CATALOG or TRIAGE
    list_version_id: int | None = None  # the list's version, when a list decided


class _Rows:
    """Rows of one table kept as value tuples; ``get`` makes a fresh instance (columns left out, such
    as boundaries, load on access like any deferred field)."""

    def __init__(self, model: type[models.Model], key: str, *, exclude: tuple[str, ...] = (), **filters):
        self.model = model
        self.fields = [f.attname for f in model._meta.concrete_fields if f.name not in exclude]
        self.db = model.objects.db
        self.rows = {row[self.fields.index(key)]: row
                     for row in model.objects.filter(**filters).order_by().values_list(*self.fields)}

    def get(self, key):
        row = self.rows.get(key)
        return None if row is None else self.model.from_db(self.db, self.fields, row)

    def value(self, key, field: str):
        return self.rows[key][self.fields.index(field)]


class _Reference:
    """What routing reads, loaded together: six queries."""

    def __init__(self, index: PointIndex):
        self.index = index
        self.loaded = time.monotonic()
        self.categories = _Rows(Category, "code")
        # category id → the id of its newest version of terms (the one a new case keeps to).
        self.terms = _Rows(CategoryTerms, "id")
        self.terms_in_force: dict[int, int] = {}
        for pk in sorted(self.terms.rows, key=lambda pk: self.terms.value(pk, "version")):
            self.terms_in_force[self.terms.value(pk, "category_id")] = pk
        self.regions = _Rows(Region, "id", exclude=("boundary",))
        self.grids = _Rows(Grid, "id", exclude=("boundary",), is_active=True)
        self.department_rows = _Rows(Department, "id", is_active=True)
        # (kind, region id) → the id of the region's first active department of that kind, by code.
        self.departments: dict[tuple[str, int], int] = {}
        rows = self.department_rows
        for pk in sorted(rows.rows, key=lambda pk: rows.value(pk, "code")):
            self.departments.setdefault((rows.value(pk, "kind"), rows.value(pk, "region_id")), pk)
        counties = [pk for pk in self.regions.rows if self.regions.value(pk, "level") == RegionLevel.COUNTY]
        self.first_county = min(counties, key=lambda pk: self.regions.value(pk, "code"), default=None)
        # (county id, category code) → the item of the county's lists in force that governs the category.
        self.lists: dict[tuple[int, str], Governing] = routing_rules()

    def governing(self, category: Category, region_id: int) -> tuple[str, str, Governing | None]:
        """(level, department kind, the list item's rule or None) for a category in a region: the
        county's lists in force first, the catalog's columns for a category no item governs."""
        county = self.ancestor(region_id, RegionLevel.COUNTY)
        rule = self.lists.get((county, category.code)) if county is not None else None
        if rule is not None:
            return rule.level, rule.department_kind, rule
        return category.default_level, category.department_kind, None

    def department(self, kind: str, region_id: int) -> Department | None:
        pk = self.departments.get((kind, region_id))
        return None if pk is None else self.department_rows.get(pk)

    def ancestor(self, region_id: int | None, level: str) -> int | None:
        """The region itself or the nearest one above it at ``level``."""
        while region_id is not None and region_id in self.regions.rows:
            if self.regions.value(region_id, "level") == level:
                return region_id
            region_id = self.regions.value(region_id, "parent_id")
        return None

    def grid(self, grid_id: int) -> Grid | None:
        grid = self.grids.get(grid_id)
        if grid is not None:
            grid.region = self.regions.get(grid.region_id)
        return grid


_lock = threading.Lock()
_state: dict = {"reference": None}


def _reference(*, fresh: bool = False) -> _Reference:
    index = grid_index()
    ref = _state["reference"]
    if fresh or ref is None or ref.index is not index or time.monotonic() - ref.loaded > RELOAD_SECONDS:
        with _lock:
            ref = _state["reference"]
            if fresh or ref is None or ref.index is not index or time.monotonic() - ref.loaded > RELOAD_SECONDS:
                ref = _state["reference"] = _Reference(index)
    return ref


def _reference_with(*, region_id: int | None = None, grid_id: int | None = None) -> _Reference:
    """The kept rows, reloaded first when they lack a region or grid made since they were loaded."""
    ref = _reference()
    if (region_id is not None and region_id not in ref.regions.rows) or (
            grid_id is not None and grid_id not in ref.grids.rows):
        ref = _reference(fresh=True)
    return ref


def reference_invalidate() -> None:
    _state["reference"] = None


def _category_names() -> dict[str, str]:
    return dict(Category.objects.order_by("sort", "group", "code").values_list("code", "name"))


def connect() -> None:
    """Tell the duty lists where category codes come from and to reload routing when a county's lists
    change (``CasesConfig.ready``)."""
    routing_connect(categories=_category_names, lists_changed=reference_invalidate)


def terms_in_force(category: Category) -> CategoryTerms | None:
    """The version of a category's terms in force, which a case reported now keeps to. The kept rows are
    reloaded when the catalog row in hand says the terms have changed since they were loaded; None only
    for a category that was never given terms (made behind the services' back)."""
    for fresh in (False, True):
        ref = _reference(fresh=fresh)
        pk = ref.terms_in_force.get(category.pk)
        terms = ref.terms.get(pk) if pk is not None else None
        if terms is not None and all(getattr(terms, f) == getattr(category, f) for f in TERMS_FIELDS):
            return terms
    return terms


def category_get_active(code: str) -> Category | None:
    """An active category of the catalog by its code."""
    category = _reference().categories.get(code)
    return category if category is not None and category.is_active else None


def category_list_active() -> list[Category]:
    """The catalog's active categories, in the catalog's order (其他 last), from the routing reference."""
    rows = _reference().categories
    categories = [c for c in (rows.get(code) for code in rows.rows) if c is not None and c.is_active]
    return sorted(categories, key=lambda c: (c.sort, c.group, c.code))


def _township_of(region_id: int) -> Region | None:
    """The township a region lies in (itself, for a township)."""
    ref = _reference_with(region_id=region_id)
    return ref.regions.get(ref.ancestor(region_id, RegionLevel.TOWNSHIP))


def route(*, category: Category, lon: float | None, lat: float | None,
          fallback_region: Region | Callable[[], Region | None] | None) -> Route:
    """A case inside a grid goes to the category's level for that grid; a case outside every grid
    (or without a location) lands in the township's triage queue — never dropped. ``fallback_region``
    (or a function giving it, called only when needed) places a case that has no usable location."""
    ref = _reference()
    grid_id = ref.index.locate(lon, lat) if lon is not None and lat is not None else None
    grid = _reference_with(grid_id=grid_id).grid(grid_id) if grid_id is not None else None
    if grid_id is not None and grid is None:  # switched off since the index was built
        grid = Grid.objects.select_related("region").get(pk=grid_id)
    if grid is None:
        region = _triage_region(lon, lat, fallback_region)
        return Route(grid=None, region=region, scope_path=region.path,
                     level=HandlingLevel.TOWNSHIP if region.level == "township" else HandlingLevel.COUNTY,
                     department=None, triage=True, basis=TRIAGE)
    ref = _reference_with(region_id=grid.region_id)
    level, kind, rule = ref.governing(category, grid.region_id)
    department = None
    if level == HandlingLevel.DEPARTMENT:
        department = _department_of_kind(ref, kind, grid.region_id)
        if department is None:
            level = HandlingLevel.TOWNSHIP
    return Route(grid=grid, region=grid.region, scope_path=grid.path, level=level, department=department,
                 basis=rule.list_kind if rule is not None else CATALOG,
                 list_version_id=rule.version_id if rule is not None else None)


def department_for(category: Category, region: Region) -> Department | None:
    """The township's department of the kind the lists (else the catalog) give the category, else the
    county's."""
    return department_route(category, region)[0]


def department_route(category: Category, region: Region) -> tuple[Department | None, int | None]:
    """``department_for`` and the version of the lists that chose the department's kind (None when the
    catalog did)."""
    ref = _reference_with(region_id=region.pk)
    _, kind, rule = ref.governing(category, region.pk)
    return _department_of_kind(ref, kind, region.pk), rule.version_id if rule is not None else None


def _department_of_kind(ref: _Reference, kind: str, region_id: int) -> Department | None:
    if not kind:
        return None
    township = ref.ancestor(region_id, RegionLevel.TOWNSHIP)
    if township is None:
        return None
    found = ref.department(kind, township)
    if found is None:
        county = ref.ancestor(ref.regions.value(township, "parent_id"), RegionLevel.COUNTY)
        if county is not None:
            found = ref.department(kind, county)
    return found


def _triage_region(lon, lat, fallback) -> Region:
    ref = _reference()
    if lon is not None and lat is not None:
        nearest = ref.index.nearest(lon, lat)
        if nearest is not None:
            grid = _reference_with(grid_id=nearest).grid(nearest) or Grid.objects.get(pk=nearest)
            township = _township_of(grid.region_id)
            if township is not None:
                return township
    if callable(fallback):
        fallback = fallback()
    if fallback is not None:
        return _township_of(fallback.pk) or fallback
    if ref.first_county is None:
        raise ValueError("尚未配置任何行政区域")
    return ref.regions.get(ref.first_county)
