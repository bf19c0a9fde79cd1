"""积分优先: publishing and closing benefits, the ranked eligible list, its pages and who may see them."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory, make_household
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import PointsConflict, PointsError
from xiangzhi.points.models import BenefitState, PointsBenefit, PointsBenefitRow

pytestmark = pytest.mark.django_db


def earn(county, household, rule, times=1, recorder=None):
    total = 0
    for _ in range(times):
        e = services.entry_record(actor=recorder or county.users["points_recorder"], household=household, rule=rule,
                                  occurred_on=timezone.localdate()).entry
        services.entry_review(actor=county.users["county_admin"], entry=e, approve=True)
        total += e.points
    return total


def publish(county, *, actor="village_cadre", village=None, places=1, threshold=1, **kw):
    today = timezone.localdate()
    args = {"kind": "training", "title": "电商技能培训", "description": "县就业局举办",
            "basis_start": today - dt.timedelta(days=365), "basis_end": today,
            "closes_on": today + dt.timedelta(days=7)}
    args.update(kw)
    return services.benefit_publish(actor=county.users[actor], village=village or county.village_a1,
                                    places=places, threshold=threshold, **args)


@pytest.fixture
def ranked(county, rules):
    """Village a1: 张建国 (a1) earns twice, 李秀英 (a1_micro) and 孙小明 (a1_third) once each — a tie."""
    third = make_household(county.grid_a1, head="孙小明")
    one = earn(county, county.households["a1"], rules["neighbour_help"], times=2) // 2
    earn(county, county.households["a1_micro"], rules["neighbour_help"])
    earn(county, third, rules["neighbour_help"])
    return {"third": third, "one": one}


# --- services and selectors ---------------------------------------------------------------------


def test_ranked_by_points_ties_by_household_number_first_places_have_priority(county, ranked):
    one = ranked["one"]
    benefit = publish(county, places=2, threshold=one)
    rows = selectors.benefit_eligible_households(benefit)
    tied = sorted([county.households["a1_micro"], ranked["third"]], key=lambda h: h.number)
    assert [r.household_id for r in rows] == [county.households["a1"].pk, tied[0].pk, tied[1].pk]
    assert [r.points for r in rows] == [2 * one, one, one]
    assert [r.position for r in rows] == [1, 2, 3]
    assert [r.priority for r in rows] == [True, True, False]


def test_threshold_leaves_out_households_below_it_and_redemption_does_not_count(county, ranked):
    one = ranked["one"]
    a1 = county.households["a1"]
    services.entry_redeem(village_id=county.village_a1.pk, household_id=a1.pk, points=2 * one,
                          actor=county.users["points_recorder"], source="test:redeem", note="兑换")
    rows = selectors.benefit_eligible_households(publish(county, places=5, threshold=2 * one))
    assert [(r.household_id, r.points) for r in rows] == [(a1.pk, 2 * one)]


def test_other_villages_households_are_never_listed(county, ranked, rules):
    recorder_a2 = UserFactory(role=Role.POINTS_RECORDER, region=county.village_a2)
    earn(county, county.households["a2"], rules["neighbour_help"], times=3, recorder=recorder_a2)
    rows = selectors.benefit_eligible_households(publish(county, places=5, threshold=1))
    assert county.households["a2"].pk not in {r.household_id for r in rows}


@pytest.mark.parametrize(("field", "message"), [("places", "名额应大于 0"), ("threshold", "积分门槛应大于 0")])
@pytest.mark.parametrize("value", [0, -3])
def test_places_or_threshold_not_positive_is_refused_in_chinese(county, field, message, value):
    with pytest.raises(PointsError, match=message):
        publish(county, **{field: value})
    assert not PointsBenefit.objects.exists()


def test_only_the_villages_staff_publish(county):
    with pytest.raises(Forbidden):
        publish(county, actor="grid_worker")
    with pytest.raises(Forbidden):
        publish(county, actor="points_supervisor")
    with pytest.raises(NotFound):
        publish(county, actor="village_cadre", village=county.village_a2)
    with pytest.raises(NotFound):
        publish(county, actor="township_staff_b")
    assert publish(county, actor="points_recorder").village == county.village_a1
    assert publish(county, actor="township_staff").published_by == county.users["township_staff"]
    assert PointsBenefit.objects.count() == 2


def test_closing_freezes_the_list_later_points_do_not_change_it(county, ranked, rules):
    one = ranked["one"]
    benefit = publish(county, places=1, threshold=one)
    services.benefit_close(actor=county.users["village_cadre"], benefit=benefit)
    benefit.refresh_from_db()
    assert benefit.state == BenefitState.CLOSED
    assert PointsBenefitRow.objects.filter(benefit=benefit).count() == 3
    # Points after closing: the tied household now leads the live computation, not the kept list.
    earn(county, ranked["third"], rules["neighbour_help"], times=3)
    rows = selectors.benefit_eligible_households(benefit)
    assert rows[0].household_id == county.households["a1"].pk and rows[0].priority
    assert [r.points for r in rows] == [2 * one, one, one]
    assert selectors.benefit_rows_compute(benefit)[0].household_id == ranked["third"].pk
    with pytest.raises(PointsConflict, match="已截止"):
        services.benefit_close(actor=county.users["village_cadre"], benefit=benefit)


def test_due_benefits_close_on_their_own(county, ranked):
    benefit = publish(county, closes_on=timezone.localdate())
    assert services.benefits_close_due(timezone.localdate()) == 0
    assert services.benefits_close_due(timezone.localdate() + dt.timedelta(days=1)) == 1
    benefit.refresh_from_db()
    assert benefit.state == BenefitState.CLOSED and benefit.rows.count() == 3


# --- pages --------------------------------------------------------------------------------------


def test_cadre_publishes_from_the_page_and_sees_names(client, county, ranked):
    client.force_login(county.users["village_cadre"])
    today = timezone.localdate()
    response = client.post("/points/benefits/", {
        "village": county.village_a1.code, "kind": "job", "title": "村保洁员岗位", "description": "",
        "places": "1", "threshold": str(ranked["one"]), "basis_start": (today - dt.timedelta(days=30)).isoformat(),
        "basis_end": today.isoformat(), "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=7)).isoformat()}, follow=True)
    page = response.content.decode()
    assert "村保洁员岗位" in page and "张建国户" in page and "优先" in page
    assert PointsBenefit.objects.get().kind == "job"


def test_page_refuses_zero_places_in_chinese(client, county):
    client.force_login(county.users["village_cadre"])
    today = timezone.localdate().isoformat()
    response = client.post("/points/benefits/", {
        "village": county.village_a1.code, "kind": "job", "title": "岗位", "places": "0", "threshold": "10",
        "basis_start": today, "basis_end": today, "opens_on": today, "closes_on": today})
    assert response.status_code == 422
    assert "名额应大于 0" in response.content.decode()
    assert not PointsBenefit.objects.exists()


def test_public_page_shows_masked_names_only(client, county, ranked):
    benefit = publish(county, places=1, threshold=ranked["one"])
    page = client.get(f"/points/public/{county.village_a1.code}/benefits/").content.decode()
    assert benefit.title in page and "张*国户" in page and "李*英户" in page
    assert "张建国" not in page and "李秀英" not in page and "孙小明" not in page
    assert "13800138000" not in page
    for resident in county.households["a1"].residents.all():
        assert resident.id_number_masked not in page
    notice = client.get(f"/points/public/{county.village_a1.code}/").content.decode()
    assert f"/points/public/{county.village_a1.code}/benefits/" in notice


def test_public_page_of_another_villages_benefit_is_404(client, county):
    benefit = publish(county)
    assert client.get(f"/points/public/{county.village_a2.code}/benefits/?benefit={benefit.pk}").status_code == 404
    assert client.get("/points/public/000000000000/benefits/").status_code == 404


def test_staff_pages_wrong_scope_404_wrong_role_403(client, county):
    benefit = publish(county)
    client.force_login(county.users["township_staff_b"])
    assert client.get(f"/points/benefits/{benefit.pk}/").status_code == 404
    assert client.post(f"/points/benefits/{benefit.pk}/close/").status_code == 404
    client.force_login(county.users["resident"])
    assert client.get("/points/benefits/").status_code == 403
    assert client.get(f"/points/benefits/{benefit.pk}/").status_code == 404
    benefit.refresh_from_db()
    assert benefit.state == BenefitState.OPEN


def test_villager_sees_on_the_points_book_whether_the_household_qualifies(client, county, ranked):
    publish(county, title="电商培训", places=1, threshold=ranked["one"])
    publish(county, title="信用贷款", places=1, threshold=100 * ranked["one"])
    client.force_login(county.users["resident"])
    page = client.get("/points/book/").content.decode()
    assert "电商培训" in page and "优先（第 1 名）" in page
    assert "信用贷款" in page and "未达门槛" in page
