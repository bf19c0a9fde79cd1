"""Two staff press 一键记分 at the same moment; many villagers sign up for the last places at once."""


import pytest
from django.db import connection

from tests.concurrency import run_threads
from xiangzhi.activities import services
from xiangzhi.activities.errors import ActivityConflict, ActivityError
from xiangzhi.activities.models import ActivitySignup, ActivityState
from xiangzhi.activities.tests.conftest import make_activity
from xiangzhi.points import selectors
from xiangzhi.points.models import PointsEntry, PointsReview

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="row locks; SQLite serialises writers")


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_awards_at_once_post_one_batch(county, rules):
    activity, _ = make_activity(county, rules, started=True, signups=["a1", "a1_micro"],
                                checked_in=["a1", "a1_micro"])
    staff = [county.users["village_cadre"], county.users["points_recorder"]]

    def award(i):
        return services.activity_award(actor=staff[i], activity=activity)

    results, errors = run_threads(2, award)
    assert len(results) == 1 and len(errors) == 1, errors
    assert isinstance(errors[0], ActivityConflict)
    assert len(results[0].entries) == 2
    assert PointsEntry.objects.filter(source=f"activity:{activity.pk}").count() == 2
    assert not PointsReview.objects.exists()  # pending the monthly review
    activity.refresh_from_db()
    assert activity.state == ActivityState.AWARDED and activity.awarded_by == results[0].entries[0].recorder
    assert selectors.balance_mismatch_list() == []
    assert selectors.ledger_verify(county.village_a1) is None


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sign_ups_at_once_never_overfill(county, rules):
    activity, _ = make_activity(county, rules, capacity=3)
    households = ["a1", "a1_micro"]

    def sign_up(i):
        return services.activity_signup(actor=county.users["village_cadre"], activity=activity,
                                        household=county.households[households[i]], people=2)

    results, errors = run_threads(2, sign_up)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ActivityError) and errors[0].code == "full"
    assert ActivitySignup.objects.filter(activity=activity).count() == 1
