"""The gateway channels against a real HTTP server on the loopback address (never anywhere else)."""

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import UserFactory
from xiangzhi.accounts.services import user_wechat_bind
from xiangzhi.core import sms as sms_module
from xiangzhi.notifications.channels import SIGNATURE_HEADER, DeliveryError, post_signed_json
from xiangzhi.notifications.services import notification_deliver, notify

SECRET = "gateway-shared-secret"
SMS = "xiangzhi.notifications.channels.SmsGatewayChannel"
WECHAT = "xiangzhi.notifications.channels.WeChatTemplateChannel"


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, format, *args):
        pass


class _Gateway(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the timeout test hangs up on purpose; the late answer has nowhere to go


@pytest.fixture
def gateway():
    server = _Gateway(("127.0.0.1", 0), _GatewayHandler)
    server.received, server.status, server.delay = [], 200, 0
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms(settings, gateway):
    settings.NOTIFY_CHANNELS = [SMS]
    settings.SMS_BACKEND = "xiangzhi.core.sms.GatewaySmsBackend"
    settings.SMS_GATEWAY_URL = f"{gateway.url}/sms/send"
    settings.SMS_GATEWAY_SECRET = SECRET
    return gateway


def _send(user, **kwargs):
    (row,) = notify(recipients=[user], kind=kwargs.pop("kind", "case_assigned"),
                    title=kwargs.pop("title", "新派遣事件"), **kwargs)
    return notification_deliver(notification_id=row.pk)


@pytest.mark.django_db
def test_the_sms_channel_posts_the_phone_and_text_signed_with_the_shared_secret(sms, county):
    user = UserFactory(phone="13800138000")
    assert _send(user, body="SJ-003 污水外溢", link="/cases/3/") == {"sms": "sent"}
    (request,) = sms.received
    assert request["path"] == "/sms/send"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(request["body"]) == {"phone": "13800138000", "text": "新派遣事件：SJ-003 污水外溢"}
    expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][SIGNATURE_HEADER] == f"sha256={expected}"
    forged = hmac.new(b"another-secret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][SIGNATURE_HEADER] != f"sha256={forged}"


@pytest.mark.django_db
def test_an_account_without_a_phone_is_skipped_without_a_request(sms, county):
    assert _send(county.users["grid_worker"]) == {"sms": "skipped: 无手机号"}
    assert sms.received == []


@pytest.mark.django_db
def test_a_gateway_error_is_recorded_as_a_failure(sms, county):
    sms.status = 503
    assert _send(UserFactory(phone="13800138000")) == {"sms": "failed: 网关返回 HTTP 503"}
    assert len(sms.received) == 1


@pytest.mark.django_db
def test_an_unsigned_gateway_is_never_called(settings, sms, county):
    settings.SMS_GATEWAY_SECRET = ""
    assert _send(UserFactory(phone="13800138000")) == {"sms": "failed: 未配置网关密钥"}
    assert sms.received == []


@pytest.mark.django_db
def test_a_gateway_that_is_down_is_recorded_and_the_inbox_row_stays(settings, county):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.NOTIFY_CHANNELS = [SMS, "xiangzhi.notifications.channels.LogChannel"]
    settings.SMS_BACKEND = "xiangzhi.core.sms.GatewaySmsBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{port}/sms"
    settings.SMS_GATEWAY_SECRET = SECRET
    user = UserFactory(phone="13800138000")
    deliveries = _send(user)
    assert deliveries["sms"].startswith("failed: 无法连接网关")
    assert deliveries["log"] == "sent"
    assert user.notifications.count() == 1


def test_a_slow_gateway_times_out(gateway):
    gateway.delay = 1.0
    started = time.monotonic()
    with pytest.raises(DeliveryError):
        post_signed_json(gateway.url, {"phone": "13800138000", "text": "x"}, secret=SECRET, timeout=0.2)
    assert time.monotonic() - started < 1.0


def test_only_http_gateways_are_called():
    with pytest.raises(DeliveryError, match="http"):
        post_signed_json("file:///etc/passwd", {}, secret=SECRET)


@pytest.mark.django_db
def test_the_wechat_channel_posts_a_template_message_to_the_bound_openid(settings, gateway, county):
    settings.NOTIFY_CHANNELS = [WECHAT]
    settings.WECHAT_GATEWAY_URL = f"{gateway.url}/wechat/template"
    settings.WECHAT_GATEWAY_SECRET = SECRET
    user = county.users["grid_worker"]
    assert _send(user) == {"wechat": "skipped: 未绑定微信"}
    user_wechat_bind(user, "oWx-openid-0001")
    assert _send(user, kind="case_supervised", title="督办：路灯损坏", body="请今日处理",
                 link="/cases/9/") == {"wechat": "sent"}
    (request,) = gateway.received
    message = json.loads(request["body"])
    assert message["touser"] == "oWx-openid-0001"
    assert (message["kind"], message["url"]) == ("case_supervised", "/cases/9/")
    assert message["data"]["title"] == {"value": "督办：路灯损坏"}
    assert message["data"]["body"] == {"value": "请今日处理"}
    assert len(message["data"]["time"]["value"]) == len("2026-01-05 10:00")
    expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"][SIGNATURE_HEADER] == f"sha256={expected}"


@pytest.mark.django_db
def test_the_default_openid_attribute_is_a_field_of_the_account(settings):
    from xiangzhi.accounts.models import User

    assert settings.WECHAT_OPENID_ATTR == "wechat_openid"
    assert User._meta.get_field(settings.WECHAT_OPENID_ATTR).blank


@pytest.mark.django_db
def test_the_sms_channel_uses_the_console_backend_when_it_is_configured(settings, county):
    settings.NOTIFY_CHANNELS = [SMS]
    settings.SMS_BACKEND = sms_module.CONSOLE
    sms_module.outbox.clear()
    assert _send(UserFactory(phone="13800138001"), body="请今日处理") == {"sms": "sent"}
    assert [(m.phone, m.text) for m in sms_module.outbox] == [("13800138001", "新派遣事件：请今日处理")]
