import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from xiangzhi.cases import services
from xiangzhi.cases.models import Case, Category, HandlingLevel, Status, Transition
from xiangzhi.cases.selectors import case_owner_list
from xiangzhi.cases.services import case_deadline_sweep


def report(county, code="road_light", when=None):
    return services.case_report(category=Category.objects.get(code=code), title="事件", channel="resident",
                                lon=118.005, lat=37.705, reporter=county.users["resident"], now=when).case


@pytest.mark.django_db
def test_warn_then_overdue_each_exactly_once(county):
    case = report(county)
    assert case_deadline_sweep(now=case.warn_at - dt.timedelta(minutes=1)).warned == []
    first = case_deadline_sweep(now=case.warn_at + dt.timedelta(minutes=1))
    assert first.warned == [case.pk]
    assert case_deadline_sweep(now=case.warn_at + dt.timedelta(minutes=2)).warned == []
    late = case_deadline_sweep(now=case.due_at + dt.timedelta(minutes=1))
    assert late.overdue == [case.pk] and late.escalated == []  # road_light: notify only
    assert case_deadline_sweep(now=case.due_at + dt.timedelta(minutes=5)).overdue == []
    case.refresh_from_db()
    assert case.ever_overdue and case.overdue_at is not None
    assert list(case.transitions.values_list("action", flat=True)) == ["report", "warn", "overdue"]


@pytest.mark.django_db
def test_a_worker_down_for_an_hour_catches_up_once_per_case(county):
    start = timezone.now()
    cases = [report(county, when=start + dt.timedelta(minutes=i)) for i in range(5)]
    latest_due = max(c.due_at for c in cases)
    result = case_deadline_sweep(now=latest_due + dt.timedelta(hours=1))
    assert sorted(result.overdue) == sorted(c.pk for c in cases)
    assert case_deadline_sweep(now=latest_due + dt.timedelta(hours=1, minutes=1)).overdue == []
    assert Transition.objects.filter(action="overdue").count() == 5


@pytest.mark.django_db
def test_overdue_cases_of_escalating_categories_go_up_a_level(county):
    case = report(county, code="dispute_neighbour")  # notifies when overdue
    fire = report(county, code="livelihood_power")  # goes to the power department; escalates when overdue
    assert fire.handling_level == HandlingLevel.DEPARTMENT
    result = case_deadline_sweep(now=max(case.due_at, fire.due_at) + dt.timedelta(minutes=1))
    assert result.escalated == [fire.pk]
    fire.refresh_from_db()
    assert fire.handling_level == HandlingLevel.COUNTY and fire.escalation_count == 1
    assert fire.status == Status.DISPATCHED and fire.ever_overdue and fire.overdue_at is None


FIELDS = ("status", "handling_level", "assignee_department_id", "assignee_user_id", "escalation_count",
          "step_started_at", "due_at", "warn_at", "warned_at", "overdue_at", "accepted_at")


@pytest.mark.django_db
def test_the_sweeps_escalation_leaves_what_case_escalate_leaves(county):
    """The sweep escalates in bulk; the case, its history and its notices must be those of the service."""
    from xiangzhi.notifications.models import Notification

    by_sweep, by_service = report(county, code="livelihood_power"), report(county, code="livelihood_power")
    now = by_sweep.due_at + dt.timedelta(minutes=1)
    Case.objects.filter(pk=by_service.pk).update(due_at=now + dt.timedelta(days=30),
                                                 warn_at=now + dt.timedelta(days=29))
    assert case_deadline_sweep(now=now).escalated == [by_sweep.pk]
    by_service.refresh_from_db()
    services.case_escalate(case=by_service, actor=None, note="超时自动上报", system=True)
    Case.objects.filter(pk=by_service.pk).update(step_started_at=now)
    by_sweep.refresh_from_db()
    by_service.refresh_from_db()
    for name in FIELDS:
        if name in ("due_at", "warn_at", "accepted_at"):
            continue  # the service used the wall clock
        assert getattr(by_sweep, name) == getattr(by_service, name), name
    steps = lambda c: [(t.action, t.from_status, t.to_status, t.from_level, t.to_level)  # noqa: E731
                       for t in c.transitions.exclude(action="overdue")]
    assert steps(by_sweep) == steps(by_service)
    assert by_sweep.due_at > now and by_sweep.accepted_at == now
    county_admin = county.users["county_admin"]
    assert Notification.objects.filter(recipient=county_admin, kind="case_escalated",
                                       link=f"/cases/{by_sweep.pk}/").exists()
    assert not Notification.objects.filter(kind="case_overdue", link=f"/cases/{by_sweep.pk}/").exists()


@pytest.mark.django_db
def test_overdue_notices_reach_the_owners_of_each_case(county):
    from xiangzhi.notifications.models import Notification

    case = report(county)  # road_light: the grid's workers are told
    case_deadline_sweep(now=case.due_at + dt.timedelta(minutes=1))
    told = set(Notification.objects.filter(kind="case_overdue").values_list("recipient_id", flat=True))
    assert told == {u.pk for u in case_owner_list(case)} and told


@pytest.mark.django_db
def test_closed_cases_are_archived_after_the_evaluation_window(county, settings):
    u = county.users
    case = report(county)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=case, actor=u["grid_worker"], note="已修")
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    assert case_deadline_sweep(now=case.closed_at + dt.timedelta(days=1)).archived == []
    result = case_deadline_sweep(now=case.closed_at + dt.timedelta(days=settings.CASE_EVALUATION_DAYS, minutes=1))
    assert result.archived == [case.pk]
    case.refresh_from_db()
    assert case.status == Status.ARCHIVED


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_never_act_twice(county):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is a PostgreSQL property; SQLite serialises writers")
    cases = [report(county, code="livelihood_power") for _ in range(20)]
    when = max(c.due_at for c in cases) + dt.timedelta(minutes=1)
    results, errors = [], []

    def sweep():
        try:
            results.append(case_deadline_sweep(now=when))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    overdue = [pk for r in results for pk in r.overdue]
    escalated = [pk for r in results for pk in r.escalated]
    assert sorted(overdue) == sorted(c.pk for c in cases)  # each claimed exactly once
    assert sorted(escalated) == sorted(c.pk for c in cases)
    assert Transition.objects.filter(action="escalate").count() == 20
    assert all(c.escalation_count == 1 for c in Case.objects.all())
