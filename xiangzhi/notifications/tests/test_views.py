import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiangzhi.notifications.models import Notification
from xiangzhi.notifications.services import notification_mark_read, notify


def as_user(client, user):
    client.force_login(user)
    return client


def _one(user, **kwargs) -> Notification:
    return notify(recipients=[user], kind=kwargs.pop("kind", "case_assigned"),
                  title=kwargs.pop("title", "新派遣事件"), **kwargs)[0]


def _inbox_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "notifications_notification" in q["sql"]]


@pytest.mark.django_db
def test_the_inbox_lists_the_users_own_messages_unread_first(client, county):
    worker = county.users["grid_worker"]
    old = _one(worker, title="旧消息已读")
    new = _one(worker, title="新消息未读", body="SJ-009 路灯损坏")
    _one(county.users["grid_worker_b"], title="别人的消息")
    notification_mark_read(user=worker, notification=old)
    page = as_user(client, worker).get("/inbox/").content.decode()
    assert "别人的消息" not in page
    assert page.index("新消息未读") < page.index("旧消息已读")
    assert "SJ-009 路灯损坏" in page and "事件派遣" in page
    assert f'hx-post="/inbox/{new.pk}/read/"' in page and f'hx-post="/inbox/{old.pk}/read/"' not in page
    unread_only = client.get("/inbox/?unread=1").content.decode()
    assert "新消息未读" in unread_only and "旧消息已读" not in unread_only


@pytest.mark.django_db
def test_anonymous_visitors_go_to_login(client, county):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_marking_read_with_htmx_swaps_the_item_and_the_badge(client, county):
    worker = county.users["grid_worker"]
    first, _second = _one(worker), _one(worker)
    response = as_user(client, worker).post(f"/inbox/{first.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert f'id="notification-{first.pk}"' in fragment and 'data-testid="mark-read"' not in fragment
    assert 'id="nav-unread"' in fragment and 'hx-swap-oob="true"' in fragment and ">1<" in fragment
    first.refresh_from_db()
    assert first.read_at is not None
    plain = client.post(f"/inbox/{_second.pk}/read/")
    assert plain.status_code == 302 and plain["Location"] == "/inbox/"


@pytest.mark.django_db
def test_opening_a_message_marks_it_read_and_follows_its_link(client, county):
    worker = county.users["grid_worker"]
    row = _one(worker, link="/cases/12/")
    response = as_user(client, worker).post(f"/inbox/{row.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/cases/12/"
    row.refresh_from_db()
    assert row.read_at is not None
    no_link = _one(worker)
    assert client.post(f"/inbox/{no_link.pk}/open/")["Location"] == "/inbox/"
    # A link written behind the service's back is still never followed off the site.
    Notification.objects.filter(pk=no_link.pk).update(link="//elsewhere.example/")
    assert client.post(f"/inbox/{no_link.pk}/open/")["Location"] == "/inbox/"
    assert client.get(f"/inbox/{row.pk}/open/").status_code == 405


@pytest.mark.django_db
def test_another_users_message_is_not_found(client, county):
    theirs = _one(county.users["grid_worker_b"])
    c = as_user(client, county.users["grid_worker"])
    assert c.post(f"/inbox/{theirs.pk}/open/").status_code == 404
    assert c.post(f"/inbox/{theirs.pk}/read/", headers={"HX-Request": "true"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.django_db
def test_read_all_clears_the_badge(client, county):
    worker = county.users["grid_worker"]
    for _ in range(3):
        _one(worker)
    c = as_user(client, worker)
    assert 'data-testid="read-all"' in c.get("/inbox/").content.decode()
    response = c.post("/inbox/read-all/", follow=True)
    page = response.content.decode()
    assert "已将 3 条消息标为已读" in page
    assert 'data-testid="read-all"' not in page
    assert not Notification.objects.filter(recipient=worker, read_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_badge_shows_the_unread_count_with_one_count_query_per_page(client, county):
    worker = county.users["grid_worker"]
    c = as_user(client, worker)
    with CaptureQueriesContext(connection) as queries:
        page = c.get("/work/").content.decode()
    assert 'data-testid="inbox-link"' in page
    assert 'class="badge rounded-pill text-bg-danger d-none"' in page  # nothing unread: hidden
    assert len(_inbox_queries(queries)) == 1
    for _ in range(2):
        _one(worker)
    with CaptureQueriesContext(connection) as queries:
        page = c.get("/work/").content.decode()
    assert len(_inbox_queries(queries)) == 1
    assert 'data-testid="unread-badge">2<' in page
    for _ in range(98):
        _one(worker)
    assert 'data-testid="unread-badge">99+<' in c.get("/work/").content.decode()


@pytest.mark.django_db
def test_pages_without_a_signed_in_user_count_nothing(client, county):
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/accounts/login/").content.decode()
    assert _inbox_queries(queries) == []
    assert "inbox-link" not in page


@pytest.mark.django_db
def test_the_admin_lists_messages_with_their_delivery_record_read_only(client, county):
    from tests.factories import UserFactory

    row = _one(county.users["grid_worker"], title="督办：路灯损坏")
    Notification.objects.filter(pk=row.pk).update(deliveries={"log": "sent", "sms": "failed: 网关返回 HTTP 503"})
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/notifications/notification/").content.decode()
    assert "督办：路灯损坏" in page and "网关返回 HTTP 503" in page
    assert client.get("/admin/notifications/notification/add/").status_code == 403


@pytest.mark.django_db
def test_the_api_schema_lists_the_inbox_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/notifications", "/api/v1/notifications/read-all",
            "/api/v1/notifications/{notification_id}/read"} <= set(paths)
