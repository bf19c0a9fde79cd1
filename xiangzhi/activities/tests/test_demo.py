import pytest

from xiangzhi.activities.models import Activity, ActivitySignup, ActivityState
from xiangzhi.demo.activities import write_activities
from xiangzhi.points import selectors
from xiangzhi.points.models import EntryKind, PointsEntry

pytestmark = pytest.mark.django_db


def test_the_demo_runs_villages_activities_through_the_services_with_sign_ups_in_one_insert(county, rules):
    report = write_activities(seed=7, per_village=4)
    # Only 东村 has a points recorder or village cadre account in the small county.
    assert set(Activity.objects.values_list("village_id", flat=True)) == {county.village_a1.pk}
    assert report.activities == 5
    assert Activity.objects.filter(state=ActivityState.AWARDED).count() + report.skipped >= 1
    assert Activity.objects.filter(state=ActivityState.OPEN).count() >= 1
    assert report.signups == ActivitySignup.objects.count()
    for activity in Activity.objects.all():  # the sign-ups' insert keeps the service's rules
        signups = list(activity.signups.all())
        assert len({s.household_id for s in signups}) == len(signups)
        assert activity.capacity is None or sum(s.people for s in signups) <= activity.capacity
        assert all(activity.created_at <= s.signed_up_at < activity.starts_at for s in signups)
        assert {s.household.grid.region_id for s in signups} <= {activity.village_id}
    awards = PointsEntry.objects.filter(kind=EntryKind.AWARD)
    assert awards.count() == report.awarded and report.awarded > 0
    assert all(e.source.startswith("activity:") for e in awards)
    assert 0 < report.reviewed == awards.filter(review__decision="approved").count()  # the older ones, decided
    assert selectors.balance_mismatch_list() == []
    assert selectors.ledger_verify(county.village_a1) is None
    assert {a.title for a in Activity.objects.all()} <= {
        "清扫村道", "关爱孤寡老人", "义务植树", "防汛巡河", "人居环境集中整治", "移风易俗宣传"}
    again = write_activities(seed=7, per_village=4, villages=[county.village_a2])
    assert again.activities == 0
