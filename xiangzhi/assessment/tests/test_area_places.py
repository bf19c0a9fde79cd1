"""A village under a 管区 (region level ``area``, between the township and the village, as in 沾化区): every
assessment page, export and API answer names its township as 乡镇/街道 — never the 管区 — and shows the
管区 beside it; a village straight under its township shows the township alone."""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.factories import RegionFactory, square
from xiangzhi.assessment import engine, selectors, services
from xiangzhi.assessment.models import SourceKind
from xiangzhi.assessment.tests.conftest import make_period
from xiangzhi.assessment.tests.grid_factories import grid_scheme, late_cases, this_quarter
from xiangzhi.regions.services import grid_create

pytestmark = pytest.mark.django_db
AREA = "古城第一管区"


@pytest.fixture
def north(county):
    """北村 of 古城镇, under 古城第一管区, with one grid."""
    area = RegionFactory(code="371603102201", name=AREA, level="area", parent=county.town_b)
    village = RegionFactory(code="371603102201001", name="北村", level="village", parent=area)
    grid = grid_create(region=village, name="北村第一网格", boundary=square(118.20, 37.70, 0.02))
    return village, grid


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_village_places_reads_township_and_area_from_the_path(county, north):
    village, _ = north
    places = selectors.village_places([village, county.village_b1])
    assert (places[village.pk].town, places[village.pk].area.name) == (county.town_b, AREA)
    assert (places[county.village_b1.pk].town, places[county.village_b1.pk].area) == (county.town_b, None)


def test_the_village_ranking_score_page_and_api_name_the_township_and_the_area(client, county, north):
    village, _ = north
    scheme = services.scheme_install_default(county=county.county)
    period = make_period(county, scheme, funded_count=2, warned_count=1, pool_yuan=1_000_000)
    admin = county.users["county_admin"]
    services.period_run(period=period, actor=admin)
    services.period_publish(period=period, actor=admin)
    client.force_login(county.users["township_staff_b"])

    ranking = client.get(f"/assessment/periods/{period.pk}/").content.decode()
    rows = {m.group(1): text_of(m.group(2)).strip()
            for m in re.finditer(r"<tr>.*?<a [^>]*>([^<]+)</a></td>\s*<td>(.*?)</td>", ranking, re.S)}
    assert rows == {"北村": f"古城镇 {AREA}", "南村": "古城镇"}  # his township's villages are links
    assert f"<td>{AREA}</td>" not in ranking

    page = client.get(f"/assessment/periods/{period.pk}/villages/{village.code}/").content.decode()
    assert f'data-testid="village-place">古城镇 · {AREA}</small>' in page
    plain = client.get(f"/assessment/periods/{period.pk}/villages/{county.village_b1.code}/").content.decode()
    assert 'data-testid="village-place">古城镇</small>' in plain

    api = {r["village"]: r for r in client.get(f"/api/v1/assessment/periods/{period.pk}/scores").json()}
    assert (api["北村"]["township"], api["北村"]["area"]) == ("古城镇", AREA)
    assert (api["东村"]["township"], api["东村"]["area"]) == ("下洼镇", None)
    detail = client.get(f"/api/v1/assessment/periods/{period.pk}/villages/{village.code}").json()
    assert (detail["township"], detail["area"]) == ("古城镇", AREA)


def test_grid_pages_rollup_export_and_appeals_name_the_township_and_the_area(client, county, north, monkeypatch):
    monkeypatch.setitem(engine.SOURCES, SourceKind.CASE_LATE, late_cases)
    _, grid = north
    admin = county.users["county_admin"]
    q = this_quarter(county, grid_scheme(county))
    services.period_run(period=q, actor=admin)
    services.period_publish(period=q, actor=admin)
    services.appeal_file(period=q, unit=grid, actor=admin, text_="请复核")
    client.force_login(county.users["township_staff_b"])

    board = text_of(client.get(f"/assessment/periods/{q.pk}/?town={county.town_b.code}").content.decode())
    assert re.search(rf"{grid.name} .* 北村 古城镇 {AREA}", board)
    page = client.get(f"/assessment/periods/{q.pk}/grids/{grid.code}/").content.decode()
    assert f"古城镇 · {AREA} · 北村" in page
    appeals = client.get(f"/assessment/periods/{q.pk}/appeals/").content.decode()
    assert f"古城镇 · {AREA} · 北村" in appeals
    api = client.get(f"/api/v1/assessment/periods/{q.pk}/grids/{grid.code}").json()
    assert (api["township"], api["area"]) == ("古城镇", AREA)

    year = q.start.year
    assert re.search(rf"{grid.name} 北村 古城镇 {AREA} ",
                     text_of(client.get(f"/assessment/grids/year/{year}/").content.decode()))
    printed = client.get(f"/assessment/grids/year/{year}/print/").content.decode()
    assert f"<td>古城镇（{AREA}）</td><td>北村</td>" in printed
    sheet = load_workbook(io.BytesIO(client.get(f"/assessment/grids/year/{year}/export.xlsx").content)).active
    rows = {r[3]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[grid.name][:3] == ("古城镇", AREA, "北村")
    assert rows[county.grid_b1.name][:3] == ("古城镇", None, "南村")
