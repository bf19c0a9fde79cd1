"""The demo's 积分优先 step on the small county (quick; it sorts before the modules that build the street
demo): benefits in several villages, one closed with its fixed list and 核验码, one open; the same
ledger gives the same benefits."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory, install_points_rulebooks, make_household
from xiangzhi.accounts.models import Role
from xiangzhi.demo.benefits import threshold_for, write_benefits
from xiangzhi.points import selectors, services
from xiangzhi.points.models import BenefitState, PointsBenefit, PointsBenefitRow

pytestmark = pytest.mark.django_db


def test_threshold_lets_about_twice_the_places_through():
    assert threshold_for([40, 37, 33, 31, 21, 12, 8], 2) == 31
    assert threshold_for([9, 8, 3], 1) == 8
    assert threshold_for([5, 3], 4) == 3  # fewer households than twice the places: all of them
    assert threshold_for([0, -2], 3) == 1


@pytest.fixture
def earned(county):
    """东村 and 西村 have cadres and points: in 东村 five households earn 1 to 4 records each (four a month
    at most), 西村's household four."""
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    UserFactory(role=Role.VILLAGE_CADRE, region=county.village_a2)
    recorder_a2 = UserFactory(role=Role.POINTS_RECORDER, region=county.village_a2)
    households = [make_household(county.grid_a1, head=f"孙{n}明") for n in "一二三四五"]
    day = timezone.localdate() - dt.timedelta(days=30)
    for times, household in enumerate([*households, county.households["a2"]], start=1):
        recorder = recorder_a2 if household == county.households["a2"] else county.users["points_recorder"]
        for _ in range(min(times, 4)):
            e = services.entry_record(actor=recorder, household=household, rule=rules["neighbour_help"],
                                      occurred_on=day).entry
            services.entry_review(actor=county.users["township_staff"], entry=e, approve=True)
    return households


def test_benefits_in_several_villages_one_closed_with_its_code_one_open(county, earned):
    report = write_benefits(villages=[county.village_a1, county.village_a2, county.village_b1])
    # 南村 has no village cadre in the small county: its honour is skipped.
    assert (report.published, report.closed, report.villages) == (
        3, 2, {county.village_a1.code, county.village_a2.code})
    training, job = PointsBenefit.objects.filter(village=county.village_a1).order_by("pk")
    assert (training.state, job.state) == (BenefitState.CLOSED, BenefitState.OPEN)
    assert training.closed_by == county.users["village_cadre"] and training.closes_on < timezone.localdate()
    check = selectors.benefit_verify(training)
    assert check is not None and check.ok and len(training.content_hash) == 64
    rows = list(training.rows.order_by("position"))
    # Five places, threshold at the 10th household's points: all five earners qualify, all 优先.
    assert [r.points for r in rows] == sorted((r.points for r in rows), reverse=True) and len(rows) == 5
    assert all(r.priority for r in rows) and report.rows == len(rows) + 1  # and 西村's one household
    assert job.content_hash == "" and job.closes_on > timezone.localdate()
    assert selectors.benefit_eligible_households(job)  # open: the live list


def _written():
    benefits = list(PointsBenefit.objects.order_by("pk").values_list(
        "village__code", "kind", "title", "places", "threshold", "basis_start", "basis_end", "opens_on",
        "closes_on", "state", "published_at", "closed_at"))
    rows = list(PointsBenefitRow.objects.order_by("benefit_id", "position").values_list(
        "benefit__title", "number", "points", "position", "priority"))
    return benefits, rows


def test_the_step_is_deterministic_and_leaves_villages_that_have_benefits_alone(county, earned):
    villages, now = [county.village_a1, county.village_a2], timezone.now()
    assert write_benefits(villages=villages, now=now).published == 3
    first = _written()
    assert write_benefits(villages=villages, now=now).published == 0  # they have theirs already
    PointsBenefitRow.objects.all().delete()
    PointsBenefit.objects.all().delete()
    assert write_benefits(villages=villages, now=now).published == 3
    assert _written() == first and len(first[1]) == 6
