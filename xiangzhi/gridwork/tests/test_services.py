import datetime as dt
import itertools

import pytest
from django.utils import timezone

from xiangzhi.core.errors import Forbidden, NotFound, status_of
from xiangzhi.gridwork import services
from xiangzhi.gridwork.models import DailyLog, Patrol, TrackPoint, Visit, VisitOutcome
from xiangzhi.gridwork.services import GridworkError, TrackFix
from xiangzhi.gridwork.tests.helpers import fixes, key_person
from xiangzhi.lib.geo_distance import haversine_m

pytestmark = pytest.mark.django_db

WALK = [(118.001, 37.701), (118.002, 37.701), (118.002, 37.702), (118.003, 37.702)]


def test_a_worker_has_one_open_patrol_at_a_time(county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    assert patrol.is_open and patrol.grid == county.grid_a1
    with pytest.raises(GridworkError) as exc:
        services.patrol_start(worker=worker, grid=county.grid_a1_micro)
    assert status_of(exc.value) == 409 and exc.value.code == "patrol_open"
    services.patrol_stop(patrol=patrol, actor=worker)
    # A micro-grid of the worker's grid is in scope too.
    assert services.patrol_start(worker=worker, grid=county.grid_a1_micro).is_open


def test_a_patrol_needs_a_grid_in_scope_and_a_patrolling_role(county):
    with pytest.raises(NotFound):
        services.patrol_start(worker=county.users["grid_worker"], grid=county.grid_b1)
    with pytest.raises(Forbidden):
        services.patrol_start(worker=county.users["township_staff"], grid=county.grid_a1)
    with pytest.raises(Forbidden):
        services.patrol_start(worker=county.users["grid_guide"], grid=county.grid_a2)
    assert not Patrol.objects.exists()


def test_points_are_appended_and_duplicates_ignored(county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    batch = fixes(patrol.started_at, WALK)
    result = services.patrol_record_points(patrol=patrol, actor=worker, points=batch[:3] + batch[:1])
    assert (result.accepted, result.duplicates, result.point_count) == (3, 1, 3)
    # The phone resends a batch it was not sure of: only the new fix is stored.
    result = services.patrol_record_points(patrol=patrol, actor=worker, points=batch)
    assert (result.accepted, result.duplicates, result.point_count) == (1, 3, 4)
    assert TrackPoint.objects.filter(patrol=patrol).count() == 4


@pytest.mark.parametrize(("fix", "message"), [
    (TrackFix(None, 118.0, 37.7), "时区"),
    (TrackFix(dt.datetime(2026, 1, 1, 8, 0), 118.0, 37.7), "时区"),
    ("before_start", "早于巡查开始"),
    ("future", "晚于当前时间"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("accuracy", "精度"),
])
def test_a_batch_with_a_bad_point_saves_nothing(county, fix, message):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    at = patrol.started_at + dt.timedelta(seconds=30)
    fix = {
        "before_start": TrackFix(patrol.started_at - dt.timedelta(minutes=10), 118.0, 37.7),
        "future": TrackFix(timezone.now() + dt.timedelta(minutes=10), 118.0, 37.7),
        "lon": TrackFix(at, 181.0, 37.7),
        "lat": TrackFix(at, 118.0, -91.0),
        "accuracy": TrackFix(at, 118.0, 37.7, -1.0),
    }.get(fix, fix)
    good = fixes(patrol.started_at, WALK[:2])
    with pytest.raises(GridworkError) as exc:
        services.patrol_record_points(patrol=patrol, actor=worker, points=[*good, fix])
    assert exc.value.fields[0]["field"] == "points[2]" and message in exc.value.fields[0]["message"]
    assert not TrackPoint.objects.exists()


def test_at_most_500_points_a_call_and_only_by_the_patrols_worker(county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    many = fixes(patrol.started_at, [(118.001, 37.701)] * 501, step_s=0.5)
    with pytest.raises(GridworkError):
        services.patrol_record_points(patrol=patrol, actor=worker, points=many)
    with pytest.raises(Forbidden):
        services.patrol_record_points(patrol=patrol, actor=county.users["grid_chief"], points=many[:1])
    assert services.patrol_record_points(patrol=patrol, actor=worker, points=many[:500]).accepted == 500


def test_stopping_computes_the_distance_from_the_precise_fixes(county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    batch = fixes(patrol.started_at, WALK)
    # A vague fix far off the route stays on the track but not in the distance.
    batch.insert(2, TrackFix(batch[1].recorded_at + dt.timedelta(seconds=5), 118.05, 37.75, 900.0))
    services.patrol_record_points(patrol=patrol, actor=worker, points=batch)
    with pytest.raises(Forbidden):
        services.patrol_stop(patrol=patrol, actor=county.users["grid_chief"])
    services.patrol_stop(patrol=patrol, actor=worker, note="村北路段")
    expected = sum(haversine_m(*a, *b) for a, b in itertools.pairwise(WALK))
    patrol.refresh_from_db()
    assert patrol.ended_at is not None and patrol.note == "村北路段"
    assert patrol.point_count == 5
    assert patrol.distance_m == round(expected) and 250 < patrol.distance_m < 350
    with pytest.raises(GridworkError) as exc:
        services.patrol_stop(patrol=patrol, actor=worker)
    assert status_of(exc.value) == 409


def test_a_late_batch_inside_a_stopped_patrol_is_taken_and_the_distance_redone(county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    batch = fixes(patrol.started_at, WALK, step_s=1)
    services.patrol_record_points(patrol=patrol, actor=worker, points=batch[:2])
    services.patrol_stop(patrol=patrol, actor=worker)
    first = patrol.distance_m
    services.patrol_record_points(patrol=patrol, actor=worker, points=batch[2:])
    patrol.refresh_from_db()
    assert patrol.point_count == 4 and patrol.distance_m > first


def test_the_sweep_closes_patrols_left_open_at_their_last_fix(county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    batch = fixes(patrol.started_at, WALK, step_s=60)
    services.patrol_record_points(patrol=patrol, actor=worker, points=batch)
    fresh = services.patrol_start(worker=county.users["grid_chief"], grid=county.grid_a1)
    later = timezone.now() + services.PATROL_MAX_DURATION + dt.timedelta(minutes=1)
    assert services.patrol_close_stale(now=later) == 2
    patrol.refresh_from_db()
    assert patrol.ended_at == batch[-1].recorded_at and patrol.distance_m > 0 and "超时自动结束" in patrol.note
    fresh.refresh_from_db()
    assert fresh.ended_at == fresh.started_at
    assert services.patrol_close_stale(now=later) == 0


def test_the_daily_log_is_one_per_day_and_editable_that_day_only(county):
    worker = county.users["grid_worker"]
    today = timezone.localdate()
    services.daily_log_save(worker=worker, date=today, text="巡查村北路，发现井盖破损一处")
    log = services.daily_log_save(worker=worker, date=today, text="  巡查村北路，井盖已报修 ")
    assert DailyLog.objects.get() == log and log.text == "巡查村北路，井盖已报修" and log.grid == county.grid_a1
    with pytest.raises(GridworkError):
        services.daily_log_save(worker=worker, date=today - dt.timedelta(days=1), text="补写昨天")
    with pytest.raises(GridworkError):
        services.daily_log_save(worker=worker, date=today, text="  ")
    with pytest.raises(Forbidden):
        services.daily_log_save(worker=county.users["village_cadre"], date=today, text="不是网格员")


def test_a_visit_is_recorded_in_scope_with_the_due_date_then_in_force(county):
    person = key_person(county.households["a1"], registered_days_ago=40)
    visit = services.visit_record(key_person=person, visitor=county.users["grid_worker"], visited_at=timezone.now(),
                                  notes="身体尚好，需要代购药品", outcome=VisitOutcome.NORMAL, lon=118.01, lat=37.71,
                                  place="家中")
    assert visit.due_on == person.registered_on + dt.timedelta(days=30)
    assert not visit.on_time  # ten days late
    # The next one is due 30 days after this visit.
    again = services.visit_record(key_person=person, visitor=county.users["village_cadre"],
                                  visited_at=timezone.now(), notes="", outcome=VisitOutcome.ISSUE_FOUND)
    assert again.due_on == timezone.localdate() + dt.timedelta(days=30) and again.on_time


def test_a_visit_outside_scope_or_by_the_wrong_role_is_refused(county):
    person = key_person(county.households["a1"])
    args = {"key_person": person, "visited_at": timezone.now(), "notes": "", "outcome": VisitOutcome.NORMAL}
    with pytest.raises(NotFound):
        services.visit_record(visitor=county.users["grid_worker_b"], **args)
    with pytest.raises(Forbidden):
        services.visit_record(visitor=county.users["township_staff"], **args)
    with pytest.raises(Forbidden):
        services.visit_record(visitor=county.users["grid_guide"], **args)
    assert not Visit.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"visited_at": "future"}, "visited_at"),
    ({"visited_at": "old"}, "visited_at"),
    ({"outcome": "great"}, "outcome"),
    ({"lon": 118.0}, "lon"),
    ({"lon": 200.0, "lat": 37.0}, "lon"),
])
def test_a_future_or_malformed_visit_is_refused(county, change, field):
    person = key_person(county.households["a1"], registered_days_ago=400)
    args = {"key_person": person, "visitor": county.users["grid_worker"], "visited_at": timezone.now(),
            "notes": "", "outcome": VisitOutcome.NORMAL, **change}
    if args["visited_at"] == "future":
        args["visited_at"] = timezone.now() + dt.timedelta(hours=1)
    elif args["visited_at"] == "old":
        args["visited_at"] = timezone.now() - dt.timedelta(days=30)
    with pytest.raises(GridworkError) as exc:
        services.visit_record(**args)
    assert exc.value.fields[0]["field"] == field
    assert not Visit.objects.exists()
