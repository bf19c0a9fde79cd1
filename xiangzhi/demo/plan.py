"""The plan of a demo county before anything is written: which regions, villages and grids, their
polygons, and how many households each holds. The division list and shapely only; no queries.
"""

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from xiangzhi.demo import geography as geo
from xiangzhi.lib.geometry import parse_boundary, to_geojson
from xiangzhi.regions.models import RegionLevel

DIVISIONS = Path(__file__).resolve().parent.parent / "regions" / "data" / "divisions.json"
SCALES = ("street", "county")


@dataclass(frozen=True)
class ScaleSpec:
    county_code: str
    lon: float
    lat: float
    radius_km: float
    township_codes: tuple[str, ...] | None  # None: every township of the county
    households_total: int | None  # spread over villages; None: households_per_village instead
    households_per_village: tuple[int, int]
    grids_total: int  # level-3 grids, about
    max_grids_per_village: int
    micro_grids: tuple[int, int] | None  # micro-grids per level-3 grid
    areas_total: int  # management areas (管区); 0 for none
    county_departments: bool
    resident_accounts_per_village: int
    city_name: str
    # (born before year, address code): ID numbers keep the code in force when they were issued.
    id_codes: tuple[tuple[int, str], ...]
    products: tuple[str, ...]
    industries: tuple[str, ...]
    rivers: tuple[str, ...]


SPECS = {
    # 文祖街道: 23 villages, "13 … 4 … 32" grids in seed 000, about 250 micro-grids.
    "street": ScaleSpec(
        county_code="370114", lon=117.47, lat=36.55, radius_km=8.0, township_codes=("370114010",),
        households_total=None, households_per_village=(250, 350), grids_total=32, max_grids_per_village=2,
        micro_grids=(5, 10), areas_total=0, county_departments=False, resident_accounts_per_village=2,
        city_name="济南", id_codes=((2017, "370181"), (9999, "370114")),
        products=("大葱种植", "小米种植", "核桃种植", "花椒种植", "山楂种植", "中药材种植", "生猪养殖",
                  "乡村旅游", "农机服务", "林果种植"),
        industries=("锻造", "铁锅制造", "建材", "食品", "农产品加工", "包装"),
        rivers=("巴漏河", "漯河", "西巴漏河"),
    ),
    # 沾化区 (seed 003): 40万 residents, 14万 households, 586 level-3 grids, 74 second-level units.
    "county": ScaleSpec(
        county_code="371603", lon=118.10, lat=37.70, radius_km=25.0, township_codes=None,
        households_total=140_000, households_per_village=(0, 0), grids_total=586, max_grids_per_village=3,
        micro_grids=None, areas_total=74, county_departments=True, resident_accounts_per_village=1,
        city_name="滨州", id_codes=((2000, "372325"), (2015, "371624"), (9999, "371603")),
        products=("冬枣种植", "棉花种植", "小麦种植", "蔬菜种植", "水产养殖", "畜禽养殖", "农机服务",
                  "土地股份", "渔业捕捞", "果蔬种植"),
        industries=("冬枣加工", "渔具", "建材", "纺织", "食品", "机械", "盐化工"),
        rivers=("徒骇河", "秦口河", "潮河", "马颊河"),
    ),
}


@dataclass
class GridPlan:
    code: str
    name: str
    level: int
    geom: object
    households: int = 0
    children: list["GridPlan"] = field(default_factory=list)
    pk: int | None = None
    path: str = ""


@dataclass
class VillagePlan:
    code: str
    name: str
    township_code: str
    geom: object
    households: int = 0
    area_code: str | None = None
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class RegionPlan:
    code: str
    name: str
    level: str
    parent_code: str | None
    geom: object


def short_village_name(name: str) -> str:
    """文祖北村村民委员会 → 文祖北村, 东杨村民委员会 → 东杨村, 文昌社区居民委员会 → 文昌社区."""
    if name.endswith("村民委员会"):
        base = name.removesuffix("村民委员会")
        return base if base.endswith("村") else base + "村"
    return name.removesuffix("居民委员会")


def short_township_name(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name.removesuffix(suffix)
    return name


def load_divisions() -> list[dict]:
    return json.loads(DIVISIONS.read_text(encoding="utf-8"))["regions"]


@dataclass
class Plan:
    spec: ScaleSpec
    regions: list[RegionPlan]
    villages: list[VillagePlan]
    full_villages: int  # villages of the scale when no subset is asked for


def plan_county(spec: ScaleSpec, rng: random.Random, villages_per_township: int | None = None) -> Plan:
    rows = load_divisions()
    by_code = {r["code"]: r for r in rows}
    county_row = by_code[spec.county_code]
    town_rows = [r for r in rows if r["parent"] == spec.county_code and r["level"] == "township"]
    if spec.township_codes is not None:
        town_rows = [r for r in town_rows if r["code"] in spec.township_codes]
    village_rows = {
        t["code"]: [r for r in rows if r["parent"] == t["code"] and r["level"] == "village"][:villages_per_township]
        for t in town_rows
    }

    outline = geo.noisy_outline(rng, spec.lon, spec.lat, spec.radius_km)
    county = RegionPlan(spec.county_code, county_row["name"], RegionLevel.COUNTY, None, outline)
    regions = [county]
    villages: list[VillagePlan] = []

    # Streets (街道, township codes 0xx) are the county seat: they take the cells nearest the middle.
    town_cells = _central_first(geo.tile(rng, outline, len(town_rows)), outline)
    streets = [t for t in town_rows if t["code"][6] == "0"]
    others = [t for t in town_rows if t["code"][6] != "0"]
    rng.shuffle(others)
    town_geom = {t["code"]: cell for t, cell in zip(streets + others, town_cells, strict=True)}

    area_counts = [0] * len(town_rows)
    if spec.areas_total:
        full = [sum(1 for r in rows if r["parent"] == t["code"]) for t in town_rows]
        area_counts = [
            min(n, len(village_rows[t["code"]]))
            for t, n in zip(town_rows, geo.split_counts(spec.areas_total, full), strict=True)
        ]

    for town, n_areas in zip(town_rows, area_counts, strict=True):
        tgeom = town_geom[town["code"]]
        regions.append(RegionPlan(town["code"], town["name"], RegionLevel.TOWNSHIP, county.code, tgeom))
        vrows = village_rows[town["code"]]
        if not vrows:
            continue
        if n_areas:
            n_areas = min(n_areas, len(vrows))
            area_geoms = geo.tile(rng, tgeom, n_areas)
            sizes = geo.split_counts(len(vrows), [g.area for g in area_geoms])
            start = 0
            for i, (ageom, size) in enumerate(zip(area_geoms, sizes, strict=True), start=1):
                code = f"{town['code']}A{i:02d}"
                regions.append(
                    RegionPlan(code, f"{short_township_name(town['name'])}第{_numeral(i)}管区", RegionLevel.AREA,
                               town["code"], ageom)
                )
                chunk = vrows[start:start + size]
                start += size
                villages += _place_villages(rng, chunk, ageom, town["code"], code)
        else:
            villages += _place_villages(rng, vrows, tgeom, town["code"], None)
    full_villages = sum(1 for r in rows if r["parent"] in {t["code"] for t in town_rows})
    return Plan(spec, regions, villages, full_villages)


def _numeral(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _central_first(cells: list, outline) -> list:
    middle = outline.centroid
    return sorted(cells, key=lambda c: c.centroid.distance(middle))


def _place_villages(rng, vrows, parent_geom, township_code, area_code) -> list[VillagePlan]:
    cells = _central_first(geo.tile(rng, parent_geom, len(vrows)), parent_geom)
    # Residents' committees (社区) sit in the township seat, in the middle; villages round about.
    communities = [r for r in vrows if r["name"].endswith("居民委员会")]
    others = [r for r in vrows if not r["name"].endswith("居民委员会")]
    rng.shuffle(others)
    return [
        VillagePlan(r["code"], short_village_name(r["name"]), township_code, cell, area_code=area_code)
        for r, cell in zip(communities + others, cells, strict=True)
    ]


def plan_households_and_grids(plan: Plan, rng: random.Random) -> None:
    spec = plan.spec
    villages = plan.villages
    subset = len(villages) / plan.full_villages
    grids_total = round(spec.grids_total * subset)
    if spec.households_total:
        weights = []
        for v in villages:
            w = math.exp(rng.gauss(0, 0.4))
            if v.name.endswith("社区"):
                w *= 2.2
            elif "虚拟" in v.name:
                w *= 0.15
            weights.append(w)
        total = round(spec.households_total * subset)
        for v, n in zip(villages, geo.split_counts(total, weights, minimum=20), strict=True):
            v.households = n
    else:
        lo, hi = spec.households_per_village
        for v in villages:
            v.households = rng.randint(lo, hi)

    # Larger villages get more grids: the top few get the maximum, the next ones two.
    extra = max(0, grids_total - len(villages))
    by_size = sorted(villages, key=lambda v: (-v.households, v.code))
    n_grids = {v.code: 1 for v in villages}
    if spec.max_grids_per_village >= 3:
        top = round(extra * 0.12)
        for v in by_size[:top]:
            n_grids[v.code] = 3
        extra -= 2 * top
        by_size = by_size[top:]
    for v in by_size[:extra]:
        n_grids[v.code] = 2

    for v in villages:
        cells = geo.tile(rng, v.geom, n_grids[v.code])
        shares = geo.split_counts(v.households, [c.area * rng.uniform(0.8, 1.2) for c in cells])
        for i, (cell, hh) in enumerate(zip(cells, shares, strict=True), start=1):
            g = GridPlan(f"{v.code}{i:03d}", f"{v.name}第{i}网格", 3, cell, households=hh)
            if spec.micro_grids:
                lo, hi = spec.micro_grids
                micro_cells = geo.tile(rng, cell, rng.randint(lo, hi))
                micro_shares = geo.split_counts(hh, [c.area * rng.uniform(0.7, 1.3) for c in micro_cells])
                for j, (mcell, mhh) in enumerate(zip(micro_cells, micro_shares, strict=True), start=1):
                    g.children.append(
                        GridPlan(f"{g.code}{j:02d}", f"{v.name}{i}-{j}微网格", 4, mcell, households=mhh)
                    )
            v.grids.append(g)


def boundary_of(geom) -> tuple[dict, float, float]:
    boundary = to_geojson(geom)
    parse_boundary(boundary)  # the same check a user's upload gets
    lon, lat = geo.inner_point(geom)
    return boundary, lon, lat
