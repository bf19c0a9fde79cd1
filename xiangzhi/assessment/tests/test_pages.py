import pytest

from xiangzhi.assessment import services
from xiangzhi.assessment.models import PeriodState, SchemeVersion
from xiangzhi.assessment.tests.conftest import report

pytestmark = pytest.mark.django_db


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def test_the_county_runs_publishes_and_sees_the_ranking_down_to_the_case(client, county, scheme, period):
    case = report(county, "a1", "illegal_construction")
    c = login(client, county, "county_admin")
    assert "积分换项目" in c.get("/assessment/").content.decode()
    page = c.post(f"/assessment/periods/{period.pk}/run/", follow=True).content.decode()
    assert "已计算全部村/社区的得分与排名" in page and 'data-testid="ranking"' in page
    assert "获奖励" in page and "通报诫勉" in page and "公布" in page
    village = c.get(f"/assessment/periods/{period.pk}/villages/{county.village_a1.code}/").content.decode()
    assert f'href="/cases/{case.pk}/"' in village and case.number in village and "−4" in village
    c.post(f"/assessment/periods/{period.pk}/publish/")
    period.refresh_from_db()
    assert period.state == PeriodState.PUBLISHED
    page = c.post(f"/assessment/periods/{period.pk}/run/", follow=True).content.decode()
    assert "不能重新计算" in page


def test_a_village_cadre_sees_published_rankings_and_only_his_own_village(client, county, scheme, period):
    services.period_run(period=period, actor=None)
    c = login(client, county, "village_cadre")
    assert c.get(f"/assessment/periods/{period.pk}/").status_code == 404  # not published yet
    services.period_publish(period=period, actor=county.users["county_admin"])
    page = c.get(f"/assessment/periods/{period.pk}/").content.decode()
    assert county.village_b1.name in page and f"villages/{county.village_a1.code}/" in page
    assert f"villages/{county.village_b1.code}/" not in page
    assert c.get(f"/assessment/periods/{period.pk}/villages/{county.village_a1.code}/").status_code == 200
    assert c.get(f"/assessment/periods/{period.pk}/villages/{county.village_b1.code}/").status_code == 404
    assert c.post(f"/assessment/periods/{period.pk}/close/").status_code == 403


def test_the_scheme_editor_refuses_weights_that_do_not_add_up(client, county, scheme):
    c = login(client, county, "county_admin")
    draft = c.post(f"/assessment/schemes/{scheme.pk}/versions/new/", {"note": "加一项"}, follow=True)
    version = SchemeVersion.objects.get(scheme=scheme, number=2)
    assert "草稿" in draft.content.decode()
    page = c.post(f"/assessment/versions/{version.pk}/items/", {
        "group": "零事故", "code": "fire_drill", "name": "消防演练", "weight": "5", "source": "manual"},
        follow=True).content.decode()
    assert "已保存项目" in page and 'data-testid="weights">105<' in page
    page = c.post(f"/assessment/versions/{version.pk}/activate/", follow=True).content.decode()
    assert "各项分值合计 105 分，应为 100 分" in page
    version.refresh_from_db()
    assert version.state == "draft"


def test_a_manual_score_without_a_reason_is_refused_on_the_page(client, county, scheme, period):
    services.period_run(period=period, actor=None)
    item = period.version.items.get(code="accident_serious")
    c = login(client, county, "county_admin")
    url = f"/assessment/periods/{period.pk}/villages/{county.village_a2.code}/"
    page = c.post(url + "manual/", {"item": item.pk, "points": "2", "reason": ""}, follow=True).content.decode()
    assert "请填写扣分原因" in page


def test_the_api_answers_scores_in_scope(client, county, scheme, period):
    report(county, "b1", "illegal_land")
    services.period_run(period=period, actor=None)
    services.period_publish(period=period, actor=county.users["county_admin"])
    c = login(client, county, "township_staff_b")
    rows = c.get(f"/api/v1/assessment/periods/{period.pk}/scores").json()
    assert [r["rank"] for r in rows] == [1, 2, 3] and rows[-1]["village"] == county.village_b1.name
    detail = c.get(f"/api/v1/assessment/periods/{period.pk}/villages/{county.village_b1.code}").json()
    assert detail["total"] == 96 and detail["lost_points"][0]["source"] == "cases"
    assert c.get(f"/api/v1/assessment/periods/{period.pk}/villages/{county.village_a1.code}").status_code == 404
    assert c.get("/api/v1/assessment/schemes").status_code == 403


def test_the_ranking_and_a_village_page_take_a_fixed_number_of_queries(client, county, scheme, period,
                                                                        django_assert_max_num_queries):
    for village in ("a1", "a1", "a2", "b1"):
        report(county, village, "illegal_construction")
    services.period_run(period=period, actor=None)
    c = login(client, county, "county_admin")
    with django_assert_max_num_queries(14):
        assert c.get(f"/assessment/periods/{period.pk}/").status_code == 200
    with django_assert_max_num_queries(14):
        assert c.get(f"/assessment/periods/{period.pk}/villages/{county.village_a1.code}/").status_code == 200
    with django_assert_max_num_queries(10):
        assert c.get(f"/api/v1/assessment/periods/{period.pk}/scores").status_code == 200
