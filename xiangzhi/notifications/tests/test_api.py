import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiangzhi.notifications.models import Notification
from xiangzhi.notifications.services import notification_mark_read, notify


def as_user(client, user):
    client.force_login(user)
    return client


def _inbox(user, count: int, kind: str = "case_assigned") -> list[Notification]:
    return [notify(recipients=[user], kind=kind, title=f"消息{i}", link=f"/cases/{i}/")[0] for i in range(count)]


@pytest.mark.django_db
def test_the_list_holds_only_the_users_own_unread_first_and_paginated(client, county):
    worker, other = county.users["grid_worker"], county.users["grid_worker_b"]
    mine = _inbox(worker, 3)
    _inbox(other, 2)
    notification_mark_read(user=worker, notification=mine[2])  # the newest, read
    body = as_user(client, worker).get("/api/v1/notifications").json()
    assert body["count"] == 3
    assert [i["id"] for i in body["items"]] == [mine[1].pk, mine[0].pk, mine[2].pk]
    assert body["items"][0] == {
        "id": mine[1].pk, "kind": "case_assigned", "title": "消息1", "body": "", "link": "/cases/1/",
        "created_at": body["items"][0]["created_at"], "read_at": None,
    }
    assert body["items"][2]["read_at"] is not None
    unread = client.get("/api/v1/notifications", {"unread": "true"}).json()
    assert [i["id"] for i in unread["items"]] == [mine[1].pk, mine[0].pk]
    page = client.get("/api/v1/notifications", {"page_size": 2, "page": 2}).json()
    assert [i["id"] for i in page["items"]] == [mine[2].pk]


@pytest.mark.django_db
def test_the_list_takes_a_constant_number_of_queries(client, county):
    worker = county.users["grid_worker"]
    c = as_user(client, worker)
    _inbox(worker, 1)
    c.get("/api/v1/notifications")
    with CaptureQueriesContext(connection) as few:
        c.get("/api/v1/notifications")
    _inbox(worker, 15)
    with CaptureQueriesContext(connection) as many:
        assert c.get("/api/v1/notifications").json()["count"] == 16
    assert len(many) == len(few)


@pytest.mark.django_db
def test_marking_read_another_users_notification_is_the_same_404_as_a_missing_one(client, county):
    worker, other = county.users["grid_worker"], county.users["grid_worker_b"]
    (theirs,) = _inbox(other, 1)
    (mine,) = _inbox(worker, 1)
    c = as_user(client, worker)
    foreign = c.post(f"/api/v1/notifications/{theirs.pk}/read")
    missing = c.post("/api/v1/notifications/999999/read")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"error": {"code": "not_found", "message": "不存在或无权查看"}}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = c.post(f"/api/v1/notifications/{mine.pk}/read")
    assert response.status_code == 200
    assert response.json()["id"] == mine.pk and response.json()["read_at"] is not None
    assert c.post(f"/api/v1/notifications/{mine.pk}/read").json()["read_at"] == response.json()["read_at"]


@pytest.mark.django_db
def test_read_all_marks_only_the_users_own(client, county):
    worker, other = county.users["grid_worker"], county.users["grid_worker_b"]
    _inbox(worker, 2)
    _inbox(other, 2)
    c = as_user(client, worker)
    assert c.post("/api/v1/notifications/read-all").json() == {"updated": 2}
    assert c.post("/api/v1/notifications/read-all").json() == {"updated": 0}
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_bearer_tokens_reach_the_inbox_too(client, county):
    from xiangzhi.accounts.services import api_token_issue

    worker = county.users["grid_worker"]
    _inbox(worker, 1)
    token = api_token_issue(user=worker)
    body = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["count"] == 1


@pytest.mark.django_db
def test_anonymous_callers_are_refused(client, county):
    (row,) = _inbox(county.users["grid_worker"], 1)
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post(f"/api/v1/notifications/{row.pk}/read").status_code == 401
    response = client.post("/api/v1/notifications/read-all")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    row.refresh_from_db()
    assert row.read_at is None
