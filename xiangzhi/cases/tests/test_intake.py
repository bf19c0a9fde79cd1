"""What one report costs, and the work that waits for its commit: the intake is the path that comes
in bulk (devices, Open311, 12345 imports, every phone of the county)."""

import pytest

from xiangzhi.accounts.services import api_token_issue
from xiangzhi.cases import routing, tasks
from xiangzhi.cases.models import Case, Category, HandlingLevel
from xiangzhi.cases.selectors import case_owner_ids
from xiangzhi.cases.services import case_report
from xiangzhi.notifications.models import Notification
from xiangzhi.regions.models import Department

IN_A1_MICRO = (118.005, 37.705)


def report(user, category: str | Category = "road_light", **kw):
    if isinstance(category, str):
        category = Category.objects.get(code=category)
    lon, lat = IN_A1_MICRO
    return case_report(channel="worker", category=category, title="村口路灯不亮", lon=lon, lat=lat, reporter=user,
                       **{"is_proactive": True, **kw})


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "who", "queries"), [
    ("road_light", "resident", 6),  # to the grid
    ("livelihood_power", "grid_worker", 6),  # to the township's department
    ("road_light", "grid_worker", 7),  # the worker's own grid: his to handle, three steps in one more INSERT
])
def test_a_report_writes_its_rows_and_reads_nothing(county, code, who, queries, django_assert_num_queries):
    reporter, category = county.users[who], Category.objects.get(code=code)
    report(reporter, category)  # loads the routing tables, the grid index, the working calendar, his grids
    # The case, its key, its number and the report transition; SAVEPOINT and RELEASE because the
    # test's transaction turns the report's own into a savepoint.
    with django_assert_num_queries(queries):
        result = report(reporter, category, idempotency_key="k-1", fingerprint="f")
    expected = county.department if code == "livelihood_power" else None
    assert result.created and result.case.assignee_department == expected


@pytest.mark.django_db
def test_the_report_endpoint_runs_eight_queries(client, county, django_assert_num_queries):
    headers = {"Authorization": f"Bearer {api_token_issue(user=county.users['grid_worker'])}"}
    body = {"category": "road_light", "title": "路灯不亮", "lon": IN_A1_MICRO[0], "lat": IN_A1_MICRO[1],
            "proactive": True}
    client.post("/api/v1/cases", body, content_type="application/json", headers=headers)  # warm, and the token's use
    # The token; the report's four writes (between SAVEPOINT and RELEASE in a test) and its three
    # steps (his own grid: he takes it himself, one INSERT); the history and the photos of the answer;
    # the reporter's grids, for the actions the answer offers on a grid case.
    with django_assert_num_queries(11):
        response = client.post("/api/v1/cases", body, content_type="application/json",
                               headers={**headers, "Idempotency-Key": "abc"})
    assert response.status_code == 201
    assert [h["action"] for h in response.json()["history"]] == ["report", "accept", "dispatch", "start"]


@pytest.mark.django_db
def test_a_retry_returns_the_first_case_and_leaves_no_rows(county):
    worker = county.users["grid_worker"]
    first = report(worker, idempotency_key="k-1", fingerprint="f")
    again = report(worker, idempotency_key="k-1", fingerprint="f")
    assert again.case == first.case and not again.created and again.duplicates == []
    assert Case.objects.count() == 1 and first.case.transitions.count() == 4  # report, and his own three steps


@pytest.mark.django_db
def test_the_owners_are_told_once_the_report_commits(county, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = report(county.users["resident"], is_proactive=False).case
    told = set(Notification.objects.filter(kind="case_new", link=f"/cases/{case.pk}/").values_list(
        "recipient_id", flat=True))
    assert told == set(case_owner_ids([case])[case.pk]) and told

    with django_capture_on_commit_callbacks(execute=False) as waiting:
        rolled_back = report(county.users["resident"], is_proactive=False).case
    assert len(waiting) == 1 and not Notification.objects.filter(link=f"/cases/{rolled_back.pk}/").exists()


@pytest.mark.django_db
def test_with_the_queue_down_the_notices_are_written_in_the_request(county, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    real = tasks.case_owners_notify

    class QueueDown:
        call_local = staticmethod(real.call_local)

        def __call__(self, *args):
            raise ConnectionError("队列不可用")

    monkeypatch.setattr(tasks, "case_owners_notify", QueueDown())
    with django_capture_on_commit_callbacks(execute=True):
        case = report(county.users["resident"], is_proactive=False).case
    assert Notification.objects.filter(kind="case_new", link=f"/cases/{case.pk}/").exists()


@pytest.mark.django_db
def test_routing_reads_its_tables_again_when_told(county):
    worker = county.users["grid_worker"]
    assert report(worker, "livelihood_power").case.assignee_department == county.department
    Department.objects.filter(pk=county.department.pk).update(is_active=False)
    routing.reference_invalidate()
    moved = report(worker, "livelihood_power").case
    assert moved.assignee_department is None and moved.handling_level == HandlingLevel.TOWNSHIP
