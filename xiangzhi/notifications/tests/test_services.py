import logging

import pytest
from django.core import mail
from django.db import transaction

from tests.factories import UserFactory
from xiangzhi.core.errors import Forbidden
from xiangzhi.notifications.channels import Channel, DeliveryError
from xiangzhi.notifications.checks import notify_channels_check
from xiangzhi.notifications.models import Notification
from xiangzhi.notifications.services import (
    NotificationError,
    notification_deliver,
    notification_mark_all_read,
    notification_mark_read,
    notify,
)

HERE = "xiangzhi.notifications.tests.test_services"
delivered: list[int] = []


class RecordingChannel(Channel):
    name = "recording"

    def send(self, notification):
        delivered.append(notification.pk)


class FailingChannel(Channel):
    name = "failing"

    def send(self, notification):
        raise DeliveryError("网关返回 HTTP 500")


class BrokenChannel(Channel):
    name = "broken"

    def send(self, notification):
        raise RuntimeError("a bug in a channel")


@pytest.fixture(autouse=True)
def _recording(settings):
    delivered.clear()
    settings.NOTIFY_CHANNELS = [f"{HERE}.RecordingChannel"]
    yield
    delivered.clear()


@pytest.mark.django_db
def test_one_inbox_row_per_distinct_active_recipient(county):
    worker, cadre = county.users["grid_worker"], county.users["village_cadre"]
    gone = UserFactory(is_active=False)
    rows = notify(recipients=[worker, cadre, worker.pk, gone, worker], kind="case_assigned", title="新派遣事件",
                  body="SJ-001 路灯损坏", link="/cases/1/")
    assert [n.recipient_id for n in rows] == [worker.pk, cadre.pk]
    assert all(n.pk for n in rows)
    stored = Notification.objects.get(recipient=worker)
    assert (stored.kind, stored.title, stored.body, stored.link, stored.read_at) == (
        "case_assigned", "新派遣事件", "SJ-001 路灯损坏", "/cases/1/", None)
    assert not Notification.objects.filter(recipient=gone).exists()
    assert notify(recipients=[], kind="case_assigned", title="无人") == []
    assert notify(recipients=[gone], kind="case_assigned", title="无人") == []


@pytest.mark.django_db
def test_channels_run_only_after_the_callers_transaction_commits(county, django_capture_on_commit_callbacks):
    worker = county.users["grid_worker"]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            (row,) = notify(recipients=[worker], kind="case_overdue", title="事件超期")
            assert Notification.objects.filter(pk=row.pk).exists()  # the inbox row is there at once
        assert delivered == []  # …but nothing leaves before the commit
    assert delivered == [row.pk]
    row.refresh_from_db()
    assert row.deliveries == {"recording": "sent"}


@pytest.mark.django_db
def test_a_rolled_back_action_sends_nothing_and_leaves_no_row(county, django_capture_on_commit_callbacks):
    worker = county.users["grid_worker"]
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ZeroDivisionError),
          transaction.atomic()):
        notify(recipients=[worker], kind="case_overdue", title="事件超期")
        1 / 0  # noqa: B018
    assert callbacks == []
    assert delivered == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_failing_channel_is_recorded_and_the_others_still_run(settings, county,
                                                                 django_capture_on_commit_callbacks):
    settings.NOTIFY_CHANNELS = [f"{HERE}.FailingChannel", f"{HERE}.BrokenChannel", "xiangzhi.nowhere.Channel",
                                f"{HERE}.RecordingChannel", "xiangzhi.notifications.channels.LogChannel"]
    worker, chief = county.users["grid_worker"], county.users["grid_chief"]
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(recipients=[worker, chief], kind="case_supervised", title="督办")
    assert delivered == [n.pk for n in rows]
    for row in rows:
        row.refresh_from_db()
        assert row.deliveries == {
            "failing": "failed: 网关返回 HTTP 500",
            "broken": "failed: RuntimeError",
            "xiangzhi.nowhere.Channel": "failed: 无法加载渠道",
            "recording": "sent",
            "log": "sent",
        }
        assert row.read_at is None


@pytest.mark.django_db
def test_delivering_again_never_sends_twice_on_a_channel_that_succeeded(settings, county):
    settings.NOTIFY_CHANNELS = [f"{HERE}.RecordingChannel", f"{HERE}.FailingChannel"]
    (row,) = notify(recipients=[county.users["grid_worker"]], kind="visit_due", title="走访到期")
    first = notification_deliver(notification_id=row.pk)
    second = notification_deliver(notification_id=row.pk)
    assert delivered == [row.pk]
    assert first == second == {"recording": "sent", "failing": "failed: 网关返回 HTTP 500"}
    assert notification_deliver(notification_id=999999) == {}


@pytest.mark.django_db
def test_an_account_deactivated_before_delivery_gets_only_the_inbox_row(county):
    worker = county.users["grid_worker"]
    (row,) = notify(recipients=[worker], kind="visit_due", title="走访到期")
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert notification_deliver(notification_id=row.pk) == {"recording": "skipped: 账号已停用"}
    assert delivered == []


@pytest.mark.django_db
def test_the_default_channel_logs_one_line(settings, county, caplog):
    settings.NOTIFY_CHANNELS = ["xiangzhi.notifications.channels.LogChannel"]
    (row,) = notify(recipients=[county.users["grid_worker"]], kind="case_assigned", title="新派遣事件",
                    link="/cases/7/")
    with caplog.at_level(logging.INFO, logger="xiangzhi.notifications"):
        assert notification_deliver(notification_id=row.pk) == {"log": "sent"}
    lines = [r.getMessage() for r in caplog.records if r.name == "xiangzhi.notifications"]
    assert len(lines) == 1
    assert f"id={row.pk}" in lines[0] and "kind=case_assigned" in lines[0] and "link=/cases/7/" in lines[0]


@pytest.mark.django_db
def test_the_email_channel_mails_accounts_with_an_address_and_skips_the_rest(settings, county):
    settings.NOTIFY_CHANNELS = ["xiangzhi.notifications.channels.EmailChannel"]
    with_mail = UserFactory(email="cadre@example.org")
    without = county.users["grid_worker"]
    rows = notify(recipients=[with_mail, without], kind="case_assigned", title="新派遣事件", body="SJ-002 道路破损")
    assert notification_deliver(notification_id=rows[0].pk) == {"email": "sent"}
    assert notification_deliver(notification_id=rows[1].pk) == {"email": "skipped: 无邮箱"}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["cadre@example.org"]
    assert mail.outbox[0].subject == "【乡治】新派遣事件"
    assert "SJ-002 道路破损" in mail.outbox[0].body


@pytest.mark.django_db
@pytest.mark.parametrize("kwargs", [
    {"kind": "Case Assigned"},
    {"kind": ""},
    {"title": "   "},
    {"link": "https://elsewhere.example/cases/1/"},
    {"link": "//elsewhere.example/cases/1/"},
    {"link": "javascript:alert(1)"},
    {"link": "/\\elsewhere.example"},
    {"link": "cases/1/"},
])
def test_what_cannot_be_shown_or_followed_is_refused(county, kwargs):
    arguments = {"recipients": [county.users["grid_worker"]], "kind": "case_assigned", "title": "标题", **kwargs}
    with pytest.raises(NotificationError):
        notify(**arguments)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_long_title_is_shortened_not_refused(county):
    (row,) = notify(recipients=[county.users["grid_worker"]], kind="case_assigned", title="路" * 500)
    assert len(row.title) == 200 and row.title.endswith("…")


@pytest.mark.django_db
def test_marking_read_is_for_the_recipient_and_keeps_the_first_time(county):
    worker, other = county.users["grid_worker"], county.users["grid_worker_b"]
    (row,) = notify(recipients=[worker], kind="case_assigned", title="新派遣事件")
    with pytest.raises(Forbidden):
        notification_mark_read(user=other, notification=row)
    first = notification_mark_read(user=worker, notification=row).read_at
    assert first is not None
    stale = Notification.objects.get(pk=row.pk)
    stale.read_at = None  # a copy loaded before the first read
    assert notification_mark_read(user=worker, notification=stale).read_at == first
    assert Notification.objects.get(pk=row.pk).read_at == first


@pytest.mark.django_db
def test_marking_all_read_touches_only_the_users_own_unread(county):
    worker, other = county.users["grid_worker"], county.users["grid_worker_b"]
    for i in range(3):
        notify(recipients=[worker, other], kind="case_assigned", title=f"事件{i}")
    assert notification_mark_all_read(user=worker) == 3
    assert notification_mark_all_read(user=worker) == 0
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 3


def test_the_start_up_check_names_unusable_channels(settings):
    settings.NOTIFY_CHANNELS = ["xiangzhi.notifications.channels.LogChannel"]
    assert notify_channels_check(None) == []
    settings.NOTIFY_CHANNELS = [
        "xiangzhi.nowhere.Channel",
        "xiangzhi.notifications.services.notify",
        "xiangzhi.notifications.channels.SmsGatewayChannel",
    ]
    settings.SMS_BACKEND = "xiangzhi.core.sms.GatewaySmsBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    settings.SMS_GATEWAY_SECRET = ""
    errors = notify_channels_check(None)
    assert [e.id for e in errors] == ["notifications.E001", "notifications.E002", "notifications.E003"]
    assert "SMS_GATEWAY_SECRET" in errors[2].msg
