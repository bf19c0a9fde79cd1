import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.gridwork.models import Patrol, TrackPoint, Visit
from xiangzhi.gridwork.tests.helpers import key_person

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def point(at: dt.datetime, lon=118.005, lat=37.705, accuracy=6.0):
    return {"recorded_at": at.isoformat(), "lon": lon, "lat": lat, "accuracy_m": accuracy}


def test_a_patrol_through_the_api_start_points_stop(client, county):
    c = as_user(client, county.users["grid_worker"])
    started = post(c, "/api/v1/work/patrols", {})
    assert started.status_code == 201
    body = started.json()
    assert body["grid_code"] == county.grid_a1.code and body["is_open"] and body["worker"] == "worker_a1"
    again = post(c, "/api/v1/work/patrols", {"grid": county.grid_a1_micro.code})
    assert again.status_code == 409 and again.json()["error"]["code"] == "patrol_open"

    t0 = timezone.now()
    points = [point(t0 + dt.timedelta(seconds=15 * i), lon=118.005 + 0.001 * i) for i in range(4)]
    url = f"/api/v1/work/patrols/{body['id']}"
    sent = post(c, f"{url}/points", {"points": points + points[:1]})
    assert sent.status_code == 200 and sent.json() == {"accepted": 4, "duplicates": 1, "point_count": 4}
    stopped = post(c, f"{url}/stop", {"note": "例行巡查"})
    assert stopped.status_code == 200
    assert not stopped.json()["is_open"] and 250 < stopped.json()["distance_m"] < 300
    assert post(c, f"{url}/stop", {}).status_code == 409
    detail = c.get(url).json()
    assert len(detail["points"]) == 4 and detail["note"] == "例行巡查"
    assert c.get("/api/v1/work/patrols").json()["count"] == 1


def test_bad_points_answer_422_with_the_point_named(client, county):
    c = as_user(client, county.users["grid_worker"])
    patrol_id = post(c, "/api/v1/work/patrols", {}).json()["id"]
    now = timezone.now()
    response = post(c, f"/api/v1/work/patrols/{patrol_id}/points",
                    {"points": [point(now), point(now + dt.timedelta(seconds=5), lat=95.0)]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == [{"field": "points[1]", "message": "纬度应在 -90～90 之间"}]
    assert not TrackPoint.objects.exists()


def test_patrol_writes_refuse_the_wrong_role_and_another_workers_patrol(client, county):
    worker_patrol = post(as_user(client, county.users["grid_worker"]), "/api/v1/work/patrols", {}).json()["id"]
    staff = as_user(client, county.users["township_staff"])
    assert post(staff, "/api/v1/work/patrols", {"grid": county.grid_a1.code}).status_code == 403
    assert post(staff, f"/api/v1/work/patrols/{worker_patrol}/stop", {}).status_code == 403
    # The chief of the same grid may read the patrol but not write to it; another grid's worker neither.
    chief = as_user(client, county.users["grid_chief"])
    assert chief.get(f"/api/v1/work/patrols/{worker_patrol}").status_code == 200
    assert post(chief, f"/api/v1/work/patrols/{worker_patrol}/stop", {}).status_code == 404
    other = as_user(client, county.users["grid_worker_b"])
    assert other.get(f"/api/v1/work/patrols/{worker_patrol}").status_code == 404
    assert post(other, f"/api/v1/work/patrols/{worker_patrol}/points",
                {"points": [point(timezone.now())]}).status_code == 404
    assert post(other, "/api/v1/work/patrols", {"grid": county.grid_a1.code}).status_code == 404
    assert Patrol.objects.get().ended_at is None


def test_due_visits_and_recording_a_visit(client, county):
    person = key_person(county.households["a1"], registered_days_ago=40)
    key_person(county.households["b1"], registered_days_ago=40)
    c = as_user(client, county.users["grid_worker"])
    (due,) = c.get("/api/v1/work/visits/due").json()["items"]
    assert (due["key_person_id"], due["days_overdue"], due["overdue"]) == (person.id, 10, True)
    assert due["due_on"] == (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    response = post(c, "/api/v1/work/visits", {"key_person_id": person.id, "outcome": "issue_found",
                                               "notes": "反映房屋漏雨", "place": "家中", "lon": 118.01, "lat": 37.71})
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "issue_found" and body["on_time"] is False and body["visitor"] == "worker_a1"
    assert c.get("/api/v1/work/visits/due").json()["count"] == 0
    assert c.get("/api/v1/work/visits/due?within_days=31").json()["count"] == 1
    assert c.get("/api/v1/work/visits").json()["count"] == 1


def test_visit_writes_refuse_wrong_scope_wrong_role_and_the_future(client, county):
    person = key_person(county.households["a1"], registered_days_ago=40)
    body = {"key_person_id": person.id, "outcome": "normal"}
    assert post(as_user(client, county.users["grid_worker_b"]), "/api/v1/work/visits", body).status_code == 404
    assert post(as_user(client, county.users["township_staff"]), "/api/v1/work/visits", body).status_code == 403
    assert post(as_user(client, county.users["resident"]), "/api/v1/work/visits", body).status_code == 403
    c = as_user(client, county.users["village_cadre"])
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response = post(c, "/api/v1/work/visits", {**body, "visited_at": future})
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "visited_at"
    assert post(c, "/api/v1/work/visits", {**body, "outcome": "fine"}).status_code == 422
    assert not Visit.objects.exists()
    assert post(c, "/api/v1/work/visits", body).status_code == 201


def test_the_daily_log_get_and_put(client, county):
    c = as_user(client, county.users["grid_chief"])
    assert c.get("/api/v1/work/daily-log").json()["text"] == ""
    saved = c.put("/api/v1/work/daily-log", {"text": "走访三户"}, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["grid_code"] == county.grid_a1.code
    assert c.get("/api/v1/work/daily-log").json()["text"] == "走访三户"
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    refused = c.put("/api/v1/work/daily-log", {"text": "补写", "date": yesterday}, content_type="application/json")
    assert refused.status_code == 422
    staff = as_user(client, county.users["township_staff"])
    assert staff.put("/api/v1/work/daily-log", {"text": "x"}, content_type="application/json").status_code == 403


def test_summaries_are_for_supervisors_within_their_scope(client, county):
    key_person(county.households["a1"], registered_days_ago=40)
    assert as_user(client, county.users["grid_worker"]).get("/api/v1/work/summaries").status_code == 403
    c = as_user(client, county.users["township_staff"])
    names = {row["username"] for row in c.get("/api/v1/work/summaries").json()}
    assert names == {"chief_a1", "worker_a1"}
    assert c.get("/api/v1/work/summaries?start=2026-03-01&end=2026-02-01").status_code == 422
    (row,) = c.get("/api/v1/work/overdue-by-grid").json()
    assert (row["grid_code"], row["key_people"], row["overdue"]) == (county.grid_a1.code, 1, 1)
    b = as_user(client, county.users["township_staff_b"])
    assert {row["username"] for row in b.get("/api/v1/work/summaries").json()} == {"worker_b1"}
    assert b.get("/api/v1/work/overdue-by-grid").json() == []
