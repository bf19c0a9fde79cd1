"""The grid assessment in pages: the county ranking of grids with stars and the township filter, the grid
chief's 失分点 page (causes, links, hints, appeals in their window), deciding appeals, manual scores and
corrections on a grid, the card on the grid worker's day, and the yearly roll-up as a page, a printable
page and an .xlsx; every page refuses the wrong role and the wrong grid."""

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import RegionFactory, square
from xiangzhi.assessment import engine, services
from xiangzhi.assessment.models import Appeal, AppealState, LostPoint, Period, Score, SourceKind
from xiangzhi.assessment.tests.conftest import report
from xiangzhi.assessment.tests.grid_factories import HINT, grid_quarter, grid_scheme, late_cases, this_quarter
from xiangzhi.core.display import moment_text
from xiangzhi.regions.services import grid_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _late_cases(monkeypatch):
    monkeypatch.setitem(engine.SOURCES, SourceKind.CASE_LATE, late_cases)


@pytest.fixture
def scheme(county):
    return grid_scheme(county)


@pytest.fixture
def quarter(county, scheme):
    """This quarter so far, run and published: grid a1 lost 3 + 3 for two late cases and 5 by hand (89,
    三星, 4th of 4, 2nd in 下洼镇); grid b1 lost 3 (97, 五星)."""
    admin = county.users["county_admin"]
    q = this_quarter(county, scheme)
    report(county, "a1", "illegal_construction")
    report(county, "a1", "road_light", days_ago=3)
    report(county, "b1", "road_light", days_ago=2)
    services.manual_score_add(period=q, village=county.grid_a1, item=q.version.items.get(code="conduct"), points=5,
                              reason="网格例会缺席两次", evidence="会议签到表", actor=admin)
    services.period_run(period=q, actor=admin)
    services.period_publish(period=q, actor=admin)
    q.refresh_from_db()
    return q


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def grid_url(period, grid) -> str:
    return f"/assessment/periods/{period.pk}/grids/{grid.code}/"


def test_the_grid_ranking_shows_stars_ranks_and_a_township_filter(client, county, quarter):
    admin = county.users["county_admin"]
    services.score_correct(period=quarter, village=county.grid_a1, points=2, reason="复核更正", actor=admin)
    c = login(client, county, "township_staff")
    page = page_of(c, f"/assessment/periods/{quarter.pk}/")
    ranking = page[page.index('data-testid="ranking"'):]
    # Every grid of the county; the stars as text with their number in words; the corrected total beside.
    for grid in (county.grid_a1, county.grid_a2, county.grid_b1, county.grid_b1_unstaffed):
        assert grid.name in ranking
    assert 'aria-label="三星"' in ranking and '★★★<span class="xz-stars-off">☆☆</span>' in ranking
    assert 'aria-label="五星"' in ranking
    assert "89 <span" in ranking and "→ 91" in ranking
    counts = text_of(page[page.index('data-testid="star-counts"'):page.index('data-testid="ranking"')])
    assert "★★★★★ 3 个" in counts and "★★★ ☆☆ 1 个" in counts and "★ ☆☆☆☆ 0 个" in counts
    # Only the grids in the township's scope open.
    assert grid_url(quarter, county.grid_a1) in page and grid_url(quarter, county.grid_b1) not in page
    # 古城镇 alone: its two grids ranked 1 and 2 in the township.
    town = page_of(c, f"/assessment/periods/{quarter.pk}/?town={county.town_b.code}")
    rows = town[town.index("<tbody>"):town.index("</tbody>")]
    assert county.grid_b1.name in rows and county.grid_a1.name not in rows and "乡镇内名次" in town
    assert re.findall(r'<td class="text-end">(\d+)</td><td class="text-end">\d+</td>', rows) == ["1", "2"]
    assert c.get(f"/assessment/periods/{quarter.pk}/?town=999").status_code == 404


def test_the_lost_points_page_names_each_cause_its_page_and_how_not_to_lose_it(client, county, quarter):
    c = login(client, county, "grid_chief")
    page = page_of(c, grid_url(quarter, county.grid_a1))
    words = text_of(page)
    assert "89 分" in words and "三星" in words and "全县第 4 名（共 4 个网格）" in words
    assert "乡镇第 2 名（共 2 个）" in words and "失分 11 分" in words
    assert "得 54/60 分 −6" in words and "得 35/40 分 −5" in words
    lost = list(LostPoint.objects.filter(score__run=quarter.current_run, score__grid=county.grid_a1,
                                         source=SourceKind.CASE_LATE))
    assert len(lost) == 2
    for lp in lost:
        assert f'href="/cases/{lp.source_id}/"' in page and lp.reason in page
    assert f"怎样不失分：{HINT}" in words and "网格例会缺席两次（依据：会议签到表）" in words
    deadline = services.appeal_deadline(quarter)
    assert f"申诉截止：{moment_text(deadline)}" in words
    assert page.count('data-testid="appeal-form"') == 4  # three lost points and the whole score
    # The grid worker sees the same page but may not appeal; the case he may open is linked for him too.
    worker = page_of(login(client, county, "grid_worker"), grid_url(quarter, county.grid_a1))
    assert "怎样不失分" in worker and 'data-testid="appeal-form"' not in worker
    assert f'href="/cases/{lost[0].source_id}/"' in worker


def test_the_wrong_role_and_the_wrong_grid_are_refused(client, county, scheme, quarter):
    a1, a2, b1 = (grid_url(quarter, g) for g in (county.grid_a1, county.grid_a2, county.grid_b1))
    allowed = {
        "county_admin": {a1, a2, b1}, "township_staff": {a1, a2}, "township_staff_b": {b1},
        "village_cadre": {a1}, "grid_chief": {a1}, "grid_worker": {a1}, "grid_worker_b": {b1},
        "grid_guide": {a2},
    }
    for role, urls in allowed.items():
        c = login(client, county, role)
        for url in (a1, a2, b1):
            assert c.get(url).status_code == (200 if url in urls else 404), (role, url)
    for role in ("points_recorder", "points_supervisor", "department_staff", "resident", "inspector"):
        c = login(client, county, role)
        for url in ("/assessment/", f"/assessment/periods/{quarter.pk}/", a1, "/assessment/grids/mine/",
                    f"/assessment/grids/year/{quarter.start.year}/"):
            assert c.get(url).status_code in (403, 404), (role, url)
    # An open period is the county's alone; the village scorecard is no grid worker's.
    opened = grid_quarter(county, scheme, start=quarter.start - dt.timedelta(days=120),
                          end=quarter.start - dt.timedelta(days=100))
    services.period_run(period=opened, actor=county.users["county_admin"])
    village = services.scheme_install_default(county=county.county)
    half = services.period_create(scheme=village, actor=county.users["county_admin"], start=quarter.start,
                                  end=quarter.end)
    services.period_run(period=half, actor=None)
    services.period_publish(period=half, actor=county.users["county_admin"])
    c = login(client, county, "grid_chief")
    assert c.get(grid_url(opened, county.grid_a1)).status_code == 404
    assert c.get(f"/assessment/periods/{half.pk}/").status_code == 404
    index = page_of(c, "/assessment/")
    assert quarter.name in index and "网格考核" in index and half.name not in index
    cadre = page_of(login(client, county, "village_cadre"), "/assessment/")
    assert "积分换项目</span>" in cadre and "网格考核</span>" in cadre
    assert login(client, county, "county_admin").get(grid_url(opened, county.grid_a1)).status_code == 200
    # The village page of a grid period and the grid page of the village period are no pages.
    assert c.get(f"/assessment/periods/{half.pk}/grids/{county.grid_a1.code}/").status_code == 404
    admin = login(client, county, "county_admin")
    assert admin.get(f"/assessment/periods/{quarter.pk}/villages/{county.village_a1.code}/").status_code == 404


def test_the_chief_appeals_a_lost_point_and_the_township_upholds_it(client, county, quarter):
    lp = LostPoint.objects.filter(score__run=quarter.current_run, score__grid=county.grid_a1,
                                  source=SourceKind.CASE_LATE).first()
    url = grid_url(quarter, county.grid_a1)
    body = {"lost_point": lp.pk, "text": "该事件按时办结，系统时限有误", "evidence": "办结回执"}
    # A grid worker is no appellant; the chief of another grid never reaches this one.
    assert login(client, county, "grid_worker").post(url + "appeal/", body).status_code == 403
    assert login(client, county, "grid_worker_b").post(url + "appeal/", body).status_code == 403
    c = login(client, county, "grid_chief")
    page = c.post(url + "appeal/", {**body, "text": ""}, follow=True).content.decode()
    assert "请填写申诉理由" in page and not Appeal.objects.exists()
    page = c.post(url + "appeal/", body, follow=True).content.decode()
    assert "已提交申诉" in page and "待处理" in page
    appeal = Appeal.objects.get()
    assert (appeal.lost_point_id, appeal.lost_points, appeal.filed_by) == (lp.pk, 3, county.users["grid_chief"])
    assert page.count('data-testid="appeal-form"') == 3  # the appealed point's button is gone while pending
    page = c.post(url + "appeal/", body, follow=True).content.decode()
    assert "这一项已有待处理的申诉" in page
    # The other township neither sees nor decides it; the county admin sees it in his list.
    other = login(client, county, "township_staff_b")
    assert "该事件按时办结" not in page_of(other, f"/assessment/periods/{quarter.pk}/appeals/")
    decide = f"/assessment/appeals/{appeal.pk}/decide/"
    assert other.post(decide, {"upheld": "1", "outcome": "同意", "points_returned": "3"}).status_code == 404
    assert login(client, county, "grid_chief").post(decide, {"upheld": "1", "outcome": "x"}).status_code == 403
    assert "该事件按时办结" in page_of(login(client, county, "county_admin"),
                                     f"/assessment/periods/{quarter.pk}/appeals/")
    t = login(client, county, "township_staff")
    listing = page_of(t, f"/assessment/periods/{quarter.pk}/appeals/")
    assert "待处理 <strong>1</strong> 件" in listing and "最多 3 分" in listing and "办结回执" in listing
    page = t.post(decide, {"upheld": "1", "outcome": "", "points_returned": "3"}, follow=True).content.decode()
    assert "请填写处理意见" in page
    page = t.post(decide, {"upheld": "1", "outcome": "核实属实", "points_returned": "4"}, follow=True).content.decode()
    assert "退还分值应为 0～3 之间的整数" in page
    page = t.post(decide, {"outcome": "核实属实", "points_returned": "3"}, follow=True).content.decode()
    assert "请选择申诉是否成立" in page
    page = t.post(decide, {"upheld": "1", "outcome": "核实属实，按时办结", "points_returned": "3"},
                  follow=True).content.decode()
    assert "已处理" in page and "申诉成立" in page
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD and appeal.correction.points == 3
    page = t.post(decide, {"upheld": "0", "outcome": "再议"}, follow=True).content.decode()
    assert "该申诉已处理" in page
    # The chief sees the outcome beside the lost point and the returned points beside the original.
    page = page_of(login(client, county, "grid_chief"), url)
    words = text_of(page)
    assert "89 分 更正后 92 分" in words and "申诉退还 3 分" in words
    assert page.count('data-testid="appeal-form"') == 3  # a point decided is not appealed again here
    assert "处理意见：核实属实，按时办结 退还 3 分" in words
    ranking = page_of(client, f"/assessment/periods/{quarter.pk}/")
    assert "→ 92" in ranking


def test_an_appeal_after_the_deadline_is_refused_with_its_reason(client, county, quarter):
    Period.objects.filter(pk=quarter.pk).update(published_at=timezone.now() - dt.timedelta(days=7, minutes=1))
    url = grid_url(quarter, county.grid_a1)
    c = login(client, county, "grid_chief")
    page = page_of(c, url)
    assert "申诉期已过：申诉截止于" in page and 'data-testid="appeal-form"' not in page
    lp = LostPoint.objects.filter(score__run=quarter.current_run, score__grid=county.grid_a1).first()
    page = c.post(url + "appeal/", {"lost_point": lp.pk, "text": "晚了也想申诉"}, follow=True).content.decode()
    assert "申诉期已过（公布后 7 天内可申诉）" in page and not Appeal.objects.exists()


def test_the_village_cadre_appeals_the_whole_score_of_a_grid_in_his_village(client, county, quarter):
    c = login(client, county, "village_cadre")
    page = c.post(grid_url(quarter, county.grid_a1) + "appeal/", {"text": "网格例会缺席系请假"},
                  follow=True).content.decode()
    assert "已提交申诉" in page and "对整体得分的申诉正在处理中" in page
    appeal = Appeal.objects.get()
    assert appeal.lost_point is None and appeal.grid == county.grid_a1
    assert c.post(grid_url(quarter, county.grid_a2) + "appeal/", {"text": "x"}).status_code == 404
    # Whole-score appeals return at most the points the grid lost.
    listing = page_of(login(client, county, "township_staff"), f"/assessment/periods/{quarter.pk}/appeals/")
    assert "整体得分" in listing and "最多 11 分" in listing


def test_the_county_scores_a_grid_by_hand_and_corrects_a_published_one(client, county, scheme):
    q = this_quarter(county, scheme)
    admin = county.users["county_admin"]
    services.period_run(period=q, actor=admin)
    item = q.version.items.get(code="conduct")
    url = grid_url(q, county.grid_b1)
    c = login(client, county, "county_admin")
    page = page_of(c, url)
    assert "人工评分" in page and "录入更正" not in page
    page = c.post(url + "manual/", {"item": item.pk, "points": "4", "reason": ""}, follow=True).content.decode()
    assert "请填写扣分原因" in page
    page = c.post(url + "manual/", {"item": item.pk, "points": "4", "reason": "台账缺失", "evidence": "督查通报第3期"},
                  follow=True).content.decode()
    assert "已录入人工评分" in page
    assert login(client, county, "township_staff_b").post(url + "manual/", {
        "item": item.pk, "points": "4", "reason": "x"}).status_code == 403
    services.period_run(period=q, actor=admin)
    c = login(client, county, "county_admin")
    assert "台账缺失（依据：督查通报第3期）" in page_of(c, url)
    services.period_publish(period=q, actor=admin)
    page = c.post(url + "correct/", {"points": "2", "reason": "台账已补齐"}, follow=True).content.decode()
    assert "已录入更正" in page and "更正后 98 分" in text_of(page) and "+2 分" in text_of(page)
    assert login(client, county, "township_staff_b").post(url + "correct/", {
        "points": "1", "reason": "x"}).status_code == 403


def test_the_lost_points_page_takes_the_same_queries_for_three_lost_points_or_forty(client, county, quarter,
                                                                                      django_assert_max_num_queries):
    c = login(client, county, "grid_chief")
    url = grid_url(quarter, county.grid_a1)
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    score = Score.objects.get(run=quarter.current_run, grid=county.grid_a1)
    item = quarter.version.items.get(code="late")
    LostPoint.objects.bulk_create([
        LostPoint(score=score, item=item, points=1, reason=f"事件{n}超时", source=SourceKind.CASE_LATE, source_id=n,
                  day=quarter.start, hint=HINT) for n in range(37)])
    Appeal.objects.create(period=quarter, village=county.village_a1, grid=county.grid_a1, text="整体申诉",
                          filed_by=county.users["grid_chief"], filed_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = c.get(url).content.decode()
    assert page.count('data-testid="lost-point"') == 40
    # The score, its lost points, the items, corrections, appeals, the counts, the chief's grids.
    assert len(few.captured_queries) <= 14


def test_the_grid_chief_reaches_his_quarter_from_his_day_in_one_tap(client, county, scheme):
    q = this_quarter(county, scheme)
    admin = county.users["county_admin"]
    report(county, "a1", "road_light")
    services.period_run(period=q, actor=admin)
    c = login(client, county, "grid_chief")
    assert 'data-testid="grid-assessment-card"' not in page_of(c, "/work/")  # nothing published yet
    assert c.get("/assessment/grids/mine/").url == "/assessment/"
    services.period_publish(period=q, actor=admin)
    day = page_of(c, "/work/")
    card = day[day.index('data-testid="grid-assessment-card"'):]
    assert f'href="{grid_url(q, county.grid_a1)}"' in card
    assert "本季度考核：" in card and "★★★★★" in card and "97 分，第 4 名" in card
    assert '>网格考核</a>' in day  # the menu
    assert c.get("/assessment/grids/mine/").url == grid_url(q, county.grid_a1)
    # The guide's home is the staff home: his grid's card there; the county's home has none.
    guide = page_of(login(client, county, "grid_guide"), "/")
    assert grid_url(q, county.grid_a2) in guide and "本季度考核：" in guide
    assert "本季度考核" not in page_of(login(client, county, "county_admin"), "/")
    town = login(client, county, "township_staff").get("/assessment/grids/mine/")
    assert town.url == f"/assessment/periods/{q.pk}/?town={county.town_a.code}"


def quarters_of_last_year(county, scheme):
    """Q1 and Q2 of last year, published; grid a1 loses 11 then 4 by hand and has 3 returned in Q2; grid b1
    loses nothing in Q1 and is 4 short in Q2; a Q3 left open counts nowhere."""
    admin = county.users["county_admin"]
    year = timezone.localdate().year - 1
    conduct = None
    out = []
    for n, (start, end, lost) in enumerate([
        (dt.date(year, 1, 1), dt.date(year, 3, 31), {county.grid_a1: 11}),
        (dt.date(year, 4, 1), dt.date(year, 6, 30), {county.grid_a1: 4, county.grid_b1: 4}),
        (dt.date(year, 7, 1), dt.date(year, 9, 30), {county.grid_a1: 40}),
    ]):
        q = grid_quarter(county, scheme, start=start, end=end)
        conduct = q.version.items.get(code="conduct")
        for grid, points in lost.items():
            services.manual_score_add(period=q, village=grid, item=conduct, points=points, reason="考勤", actor=admin,
                                      day=start)
        services.period_run(period=q, actor=admin)
        if n < 2:
            services.period_publish(period=q, actor=admin)
        out.append(q)
    services.score_correct(period=out[1], village=county.grid_a1, points=3, reason="申诉成立", actor=admin)
    return year, out


def test_the_yearly_rollup_averages_the_corrected_quarters_and_names_the_workers(client, county, scheme):
    year, (q1, q2, _) = quarters_of_last_year(county, scheme)
    c = login(client, county, "township_staff")
    page = page_of(c, f"/assessment/grids/year/{year}/")
    rows = text_of(page[page.index("<tbody>"):page.index("</tbody>")])
    # 下洼镇 only: a2 (100, 100 → 100.0 五星), a1 (89, 96+3=99 → 94.0 四星).
    assert county.grid_b1.name not in rows and q1.name in page and q2.name in page
    assert re.search(rf"{county.grid_a2.name} .* 100 100 100\.0 ★★★★★", rows)
    assert re.search(rf"{county.grid_a1.name} .* 89 99 94\.0 ★★★★ ☆", rows)
    chief, worker = county.users["grid_chief"], county.users["grid_worker"]
    assert f"{chief.full_name} （网格长） 、{worker.full_name} （专职网格员）" in rows
    assert chief.username not in page
    assert rows.index(county.grid_a2.name) < rows.index(county.grid_a1.name)
    # The county sees every grid; a grid worker his own; the open Q3 nowhere.
    county_rows = text_of(page_of(login(client, county, "county_admin"), f"/assessment/grids/year/{year}/"))
    assert re.search(rf"{county.grid_b1.name} .* 100 96 98\.0 ★★★★★", county_rows) and "第3季度" not in county_rows
    mine = text_of(page_of(login(client, county, "grid_worker_b"), f"/assessment/grids/year/{year}/"))
    assert county.grid_b1.name in mine and county.grid_a1.name not in mine
    assert "还没有公布的网格考核" in page_of(c, f"/assessment/grids/year/{year - 1}/")
    assert login(client, county, "points_recorder").get(f"/assessment/grids/year/{year}/").status_code == 403


def test_the_rollup_prints_without_the_menu_and_exports_every_cell_as_text(client, county, scheme):
    year, _ = quarters_of_last_year(county, scheme)
    c = login(client, county, "county_admin")
    printed = page_of(c, f"/assessment/grids/year/{year}/print/?town={county.town_a.code}")
    assert "@media print" in printed and "navbar" not in printed and 'data-testid="rollup"' in printed
    assert county.grid_a1.name in printed and county.grid_b1.name not in printed
    response = c.get(f"/assessment/grids/year/{year}/export.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["乡镇/街道", "管区", "村/社区", "网格", "网格编码", f"{year}年第1季度", f"{year}年第2季度",
                       "年度平均分", "星级", "网格员（现任）"]
    by_grid = {r[3]: r for r in rows[1:]}
    assert by_grid[county.grid_a1.name][5:9] == ["89", "99", "94.0", "四星"]
    assert by_grid[county.grid_b1.name][4] == county.grid_b1.code
    assert by_grid[county.grid_b1.name][:3] == ["古城镇", None, "南村"]  # no 管区 in the small county
    assert all(isinstance(v, str) for r in rows for v in r if v is not None)
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None)
    assert len(rows) == 1 + 4  # the four grids of the county


def test_numbers_that_are_not_numbers_are_refused_in_words(client, county, quarter):
    url = grid_url(quarter, county.grid_a1)
    chief = Client(raise_request_exception=False)
    chief.force_login(county.users["grid_chief"])
    assert chief.post(url + "appeal/", {"lost_point": "12abc", "text": "x"}).status_code == 400
    appeal = services.appeal_file(period=quarter, unit=county.grid_a1, actor=county.users["grid_chief"], text_="请复核")
    t = login(client, county, "township_staff")
    body = {"upheld": "1", "outcome": "属实", "points_returned": "3x"}
    page = t.post(f"/assessment/appeals/{appeal.pk}/decide/", body, follow=True).content.decode()
    assert "退还分值应为整数" in page
    assert t.get(f"/assessment/grids/year/{10**6}/").status_code == 404


def test_a_grid_under_a_management_area_ranks_in_its_township(client, county, scheme):
    """Where a 管区 stands between the township and the village, the township ranking, the filter and the
    roll-up still go by the township."""
    area = RegionFactory(code="371603102201", name="古城第一管区", level="area", parent=county.town_b)
    village = RegionFactory(code="371603102201001", name="北村", level="village", parent=area)
    grid = grid_create(region=village, name="北村第一网格", boundary=square(118.20, 37.70, 0.02))
    admin = county.users["county_admin"]
    q = this_quarter(county, scheme)
    services.manual_score_add(period=q, village=county.grid_b1, item=q.version.items.get(code="conduct"), points=1,
                              reason="台账缺页", actor=admin)
    services.period_run(period=q, actor=admin)
    services.period_publish(period=q, actor=admin)
    scores = {s.grid_id: s for s in Score.objects.filter(run__period=q)}
    # 古城镇: 南村第二网格 (100), 北村第一网格 (100), 南村第一网格 (99).
    assert [scores[g.pk].town_rank for g in (county.grid_b1_unstaffed, grid, county.grid_b1)] == [1, 2, 3]
    c = login(client, county, "township_staff_b")
    town = page_of(c, f"/assessment/periods/{q.pk}/?town={county.town_b.code}")
    assert grid.name in town and "古城镇 3 个网格" in text_of(town)
    assert "乡镇第 2 名（共 3 个）" in text_of(page_of(c, grid_url(q, grid)))
    rollup = text_of(page_of(c, f"/assessment/grids/year/{q.start.year}/"))
    assert re.search(rf"{grid.name} 北村 古城镇 ", rollup)
