"""The figures page and its API: the case figures (xiangzhi/cases) with grid work's visits beside them,
on the nine cases of ``xiangzhi.centre.tests.figures_story``."""

import pytest

from xiangzhi.centre.selectors import figures_for_user
from xiangzhi.centre.tests.figures_story import months_touched


@pytest.mark.django_db
def test_the_visits_stand_beside_the_whole_scopes_figures(county, story, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):  # five for the cases, four in gridwork's worker_summaries
        f = figures_for_user(county.users["township_staff"], start=story.start, end=story.end)
    assert f.received == 8 and f.closure_rate == 0.8
    assert f.visits is not None and f.visits.done == 0 and f.visits.on_time_rate is None
    town_b = figures_for_user(county.users["county_admin"], start=story.start, end=story.end, region=county.town_b)
    assert town_b.received == 1
    assert town_b.visits is None  # gridwork counts visits over the whole scope only
    assert figures_for_user(county.users["department_staff"], start=story.start, end=story.end).visits is None


# --- the page and the API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_figures_page_renders_with_formulas(client, county, story):
    client.force_login(county.users["township_staff"])
    page = client.get("/centre/figures/", {"start": story.start.isoformat(), "end": story.end.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert "合格率" in html and "85.7%" in html and "办结率" in html and "80.0%" in html
    assert "有效件 ÷ (上报件 − 待受理件)" in html  # the formula beside the number
    assert "走访按期率" in html  # grid work's visits beside the cases
    assert "plotly/plotly.min.js" not in html and 'data-testid="chart-months"' in html  # light charts
    assert 'http-equiv="refresh"' not in html
    assert client.get("/centre/figures/", {"region": county.town_b.code}).status_code == 404
    assert client.get("/centre/figures/", {"start": "not-a-date"}).status_code == 200  # falls back to defaults
    client.force_login(county.users["resident"])
    assert client.get("/centre/figures/").status_code == 403


@pytest.mark.django_db
def test_the_old_wall_mode_goes_to_the_wall_screen_with_its_scope(client, county, story):
    client.force_login(county.users["county_admin"])
    town = county.town_a.code
    old = client.get("/centre/figures/", {"wall": "1", "period": "year", "region": town, "category": "x"})
    assert old.status_code == 302 and old["Location"] == f"/centre/wall/?period=year&region={town}"
    # Two dates are no period the wall screen knows: it shows its own (the last twelve months).
    dates = client.get("/centre/figures/", {"wall": "1", "start": "2026-01-01", "end": "2026-02-01"})
    assert dates["Location"] == "/centre/wall/"
    assert client.get(old["Location"]).status_code == 200
    client.force_login(county.users["resident"])
    assert client.get("/centre/figures/", {"wall": "1"}).status_code == 403


@pytest.mark.django_db
def test_the_page_links_its_wall_screen_and_its_exports_with_its_own_scope_and_period(client, county, story):
    client.force_login(county.users["county_admin"])
    region = county.village_a1.code
    page = client.get("/centre/figures/", {"period": "year", "region": region, "charts": "interactive"})
    html = page.content.decode()
    query = f"period=year&amp;region={region}"
    assert f'href="/centre/wall/?{query}" data-testid="wall-link"' in html
    assert f'href="/centre/figures/export.xlsx?{query}" data-testid="export-xlsx"' in html
    assert f'href="/centre/figures/print/?{query}" data-testid="export-print"' in html
    assert client.get(f"/centre/figures/export.xlsx?period=year&region={region}").status_code == 200
    assert client.get(f"/centre/figures/print/?period=year&region={region}").status_code == 200


@pytest.mark.django_db
def test_the_figures_api(client, county, story):
    client.force_login(county.users["township_staff"])
    params = {"start": story.start.isoformat(), "end": story.end.isoformat()}
    body = client.get("/api/v1/cases/figures", params).json()
    assert body["received"] == 8 and body["valid_rate"] == round(6 / 7, 4) and body["closure_rate"] == 0.8
    assert body["closed_by_level"]["grid"] == 2
    assert body["formulas"]["closure_rate"]["name"] == "办结率"
    assert {r["name"]: r["received"] for r in body["by_child"]} == {"东村": 8, "西村": 0}
    assert len(body["by_month"]) == months_touched(story)
    assert body["departments"][0]["name"] == "下洼供电所"
    assert body["visits"] == {"done": 0, "on_time": 0, "on_time_rate": None}
    village = client.get("/api/v1/cases/figures", {**params, "region": county.village_a1.code}).json()
    assert village["received"] == 8 and village["child_label"] == "网格" and village["visits"] is None

    outside = client.get("/api/v1/cases/figures", {**params, "region": county.town_b.code})
    assert outside.status_code == 404 and outside.json()["error"]["code"] == "not_found"
    bad = client.get("/api/v1/cases/figures", {"start": "2026-13-01"})
    assert bad.status_code == 422
    backwards = client.get("/api/v1/cases/figures", {"start": "2026-05-01", "end": "2026-04-01"})
    assert backwards.status_code == 422
    client.force_login(county.users["resident"])
    assert client.get("/api/v1/cases/figures").status_code == 403
    client.logout()
    assert client.get("/api/v1/cases/figures").status_code == 401
