import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_household
from xiangzhi.cases import services as case_services
from xiangzhi.gridwork import selectors, services
from xiangzhi.gridwork.models import VisitOutcome
from xiangzhi.gridwork.tests.helpers import IN_A1_MICRO, IN_B1, fixes, key_person, report

pytestmark = pytest.mark.django_db


def visit(person, user, outcome=VisitOutcome.NORMAL):
    return services.visit_record(key_person=person, visitor=user, visited_at=timezone.now(), notes="",
                                 outcome=outcome)


def test_a_monthly_person_registered_40_days_ago_and_never_visited_is_10_days_overdue(county):
    person = key_person(county.households["a1"], code="elderly_alone", registered_days_ago=40)
    (due,) = selectors.visits_due_for_user(county.users["grid_worker"])
    assert due.key_person == person and due.last_visited_at is None
    assert due.due_on == timezone.localdate() - dt.timedelta(days=10)
    assert due.days_overdue == 10 and due.is_overdue


def test_a_person_visited_10_days_ago_is_not_due_until_the_cycle_runs_out(county):
    worker = county.users["grid_worker"]
    key_person(county.households["a1"], registered_days_ago=40)
    person = selectors.visits_due_for_user(worker)[0].key_person
    visit(person, worker)
    today = timezone.localdate()
    # Seen from ten days after today, the visit was made ten days ago: not due.
    assert selectors.visits_due_for_user(worker, on=today + dt.timedelta(days=10)) == []
    assert [d.days_overdue for d in selectors.visits_due_for_user(worker, on=today + dt.timedelta(days=10),
                                                                  within_days=20)] == [-20]
    (due,) = selectors.visits_due_for_user(worker, on=today + dt.timedelta(days=30))
    assert due.days_overdue == 0 and not due.is_overdue and due.due_on == today + dt.timedelta(days=30)
    assert selectors.visits_due_for_user(worker, on=today + dt.timedelta(days=31))[0].days_overdue == 1


def test_not_meeting_the_person_does_not_fulfil_the_cycle(county):
    worker = county.users["grid_worker"]
    person = key_person(county.households["a1"], registered_days_ago=40)
    not_met = visit(person, worker, VisitOutcome.NOT_MET)
    assert not not_met.on_time
    (due,) = selectors.visits_due_for_user(worker)
    assert due.days_overdue == 10 and due.last_visited_at is None


def test_cycles_come_from_the_category_and_scope_limits_the_list(county):
    key_person(county.households["a1"], code="disabled", registered_days_ago=40)  # quarterly: not due
    quarterly_late = key_person(county.households["a1_micro"], code="disabled", registered_days_ago=95)
    other_grid = key_person(county.households["b1"], registered_days_ago=40)
    due = selectors.visits_due_for_user(county.users["grid_worker"])
    assert [(d.key_person, d.days_overdue) for d in due] == [(quarterly_late, 5)]
    assert [d.key_person for d in selectors.visits_due_for_user(county.users["grid_worker_b"])] == [other_grid]
    assert len(selectors.visits_due_for_user(county.users["county_admin"])) == 2
    assert selectors.visits_due_for_user(county.users["department_staff"]) == []


def test_overdue_counts_roll_micro_grids_up_to_their_grid(county):
    key_person(county.households["a1"], registered_days_ago=40)
    key_person(county.households["a1_micro"], registered_days_ago=40)
    key_person(county.households["a2"], registered_days_ago=10)
    key_person(county.households["b1"], registered_days_ago=40)
    rows = selectors.grid_overdue_list_for_user(county.users["township_staff"])
    assert [(r.grid, r.key_people, r.overdue) for r in rows] == [(county.grid_a1, 2, 2), (county.grid_a2, 1, 0)]
    rows = selectors.grid_overdue_list_for_user(county.users["grid_chief"])
    assert [(r.grid, r.overdue) for r in rows] == [(county.grid_a1, 2)]


def test_a_worker_sees_own_patrols_and_a_supervisor_those_in_scope(county):
    worker, chief, worker_b = (county.users[k] for k in ("grid_worker", "grid_chief", "grid_worker_b"))
    mine = services.patrol_start(worker=worker, grid=county.grid_a1)
    chiefs = services.patrol_start(worker=chief, grid=county.grid_a1)
    other = services.patrol_start(worker=worker_b, grid=county.grid_b1)
    assert list(selectors.patrol_list_for_user(worker)) == [mine]
    assert set(selectors.patrol_list_for_user(chief)) == {mine, chiefs}
    assert set(selectors.patrol_list_for_user(county.users["township_staff"])) == {mine, chiefs}
    assert set(selectors.patrol_list_for_user(county.users["county_admin"])) == {mine, chiefs, other}
    assert not selectors.patrol_list_for_user(county.users["grid_guide"]).exists()
    assert not selectors.patrol_list_for_user(county.users["points_recorder"]).exists()


def test_worker_summaries_count_patrols_distance_hours_and_timely_visits(county):
    worker, chief = county.users["grid_worker"], county.users["grid_chief"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    services.patrol_record_points(patrol=patrol, actor=worker,
                                  points=fixes(patrol.started_at, [(118.001, 37.701), (118.011, 37.701)]))
    services.patrol_stop(patrol=patrol, actor=worker)
    patrol.refresh_from_db()
    services.patrol_start(worker=worker, grid=county.grid_a1)  # still open: counted, no distance or hours
    late = key_person(county.households["a1"], registered_days_ago=40)
    fresh = key_person(county.households["a1_micro"], registered_days_ago=5)
    visit(late, worker)
    visit(fresh, worker)
    visit(fresh, chief, VisitOutcome.NOT_MET)
    services.daily_log_save(worker=worker, date=timezone.localdate(), text="巡查")
    today = timezone.localdate()

    rows = {s.username: s for s in selectors.worker_summaries(county.users["township_staff"], today, today)}
    assert set(rows) == {"chief_a1", "worker_a1"}  # the guide of grid_a2 assists, is not summarised
    w = rows["worker_a1"]
    assert (w.patrols, w.distance_m, w.visits, w.visits_on_time, w.daily_logs) == (2, patrol.distance_m, 2, 1, 1)
    assert 870 < w.distance_m < 890 and w.on_time_rate == 0.5
    assert w.patrol_seconds == int((patrol.ended_at - patrol.started_at).total_seconds())
    c = rows["chief_a1"]
    assert (c.patrols, c.visits, c.visits_on_time, c.on_time_rate) == (0, 1, 0, 0.0)
    assert selectors.worker_summaries(county.users["township_staff_b"], today, today)[0].username == "worker_b1"
    yesterday = today - dt.timedelta(days=1)
    assert rows.keys() == {s.username for s in selectors.worker_summaries(county.users["village_cadre"], today, today)}
    assert selectors.worker_summaries(county.users["township_staff"], yesterday, yesterday)[0].visits == 0


def test_worker_summaries_take_a_constant_number_of_queries(county):
    today = timezone.localdate()
    staff = county.users["township_staff"]
    selectors.worker_summaries(staff, today, today)  # the user's scope is read once and kept
    with CaptureQueriesContext(connection) as few:
        selectors.worker_summaries(staff, today, today)
    from tests.factories import UserFactory
    from xiangzhi.accounts.models import Role
    from xiangzhi.regions.services import grid_assign

    for i in range(5):
        user = UserFactory(username=f"extra{i}", role=Role.GRID_WORKER)
        grid_assign(grid=county.grid_a2, user=user, duty="part_time")
        services.patrol_start(worker=user, grid=county.grid_a2)
        person = key_person(make_household(county.grid_a2), registered_days_ago=3)
        visit(person, user)
    with CaptureQueriesContext(connection) as many:
        rows = selectors.worker_summaries(staff, today, today)
    assert len(rows) == 7 and len(many) == len(few)


def test_worker_cases_come_overdue_first_then_by_due_time_and_suspended_last(county):
    worker = county.users["grid_worker"]
    paused = report(county, "缓办中", days_ago=20)
    case_services.case_accept(case=paused, actor=worker)
    case_services.case_suspend(case=paused, actor=worker, reason="等待配件到货")
    fresh = report(county, "刚上报", where=IN_A1_MICRO)
    later = report(county, "十天前", days_ago=10)
    earliest = report(county, "一月前", days_ago=30)
    report(county, "南村的", where=IN_B1, days_ago=40)
    handled_here = report(county, "已受理", days_ago=30)
    case_services.case_accept(case=handled_here, actor=worker, handle_myself=True)  # a new step's clock

    mine = selectors.worker_cases(worker)
    assert [r.case for r in mine.first] == [earliest, later, fresh, handled_here, paused]
    assert [r.is_overdue for r in mine.first][:2] == [True, True] and not mine.first[-1].is_overdue
    assert (mine.total, mine.overdue) == (5, 2)
    assert [r.case for r in selectors.worker_cases(worker, limit=2).first] == [earliest, later]
    assert selectors.worker_cases(county.users["grid_worker_b"]).total == 1
