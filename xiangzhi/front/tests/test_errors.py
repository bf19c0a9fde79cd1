import logging
import re

import pytest
from django.test import Client, override_settings

from xiangzhi.system.log import RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_client(settings):
    settings.ROOT_URLCONF = "xiangzhi.front.tests.urls_failing"
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def _django_request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]


def test_a_server_error_is_the_sites_chinese_page_with_a_reference_and_a_way_back(failing_client, county, caplog):
    user = county.users["grid_worker"]
    failing_client.force_login(user)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = failing_client.get("/boom/", headers={"referer": "http://testserver/cases/"})
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错了" in page and "Server Error" not in page
    assert 'href="/"' in page and "回到首页" in page
    assert 'href="http://testserver/cases/"' in page and "返回上一页" in page
    ref = re.search(r'data-testid="error-reference">([0-9A-F]{8})<', page).group(1)
    # The log line names the request, the user and the same reference; the traceback is attached.
    (record,) = _django_request_records(caplog)
    assert record.exc_info and record.exc_info[0] is RuntimeError
    RequestContextFilter().filter(record)
    assert record.context == f" [GET /boom/ user={user.pk}(grid_worker) ref={ref}]"


def test_an_outside_referer_is_not_offered_as_the_way_back(failing_client, county):
    failing_client.force_login(county.users["grid_worker"])
    page = failing_client.get("/boom/", headers={"referer": "https://evil.example/"}).content.decode()
    assert "evil.example" not in page and "返回上一页" not in page


def test_an_api_server_error_is_structured_json_with_the_reference(failing_client, county, caplog):
    failing_client.force_login(county.users["county_admin"])
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = failing_client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "server_error" and body["error"]["message"] == "服务器出错了"
    assert re.fullmatch(r"[0-9A-F]{8}", body["error"]["reference"])
    (record,) = _django_request_records(caplog)
    RequestContextFilter().filter(record)
    assert f"ref={body['error']['reference']}" in record.context


@override_settings(DEBUG=False)
def test_not_found_and_forbidden_pages_are_chinese_inside_the_site(client, county):
    client.force_login(county.users["resident"])
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "回到首页" in page and 'data-testid="whoami"' in page
    response = client.get("/people/households/")  # residents never read the register
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@override_settings(DEBUG=False)
def test_an_unknown_api_path_answers_structured_json(client, county):
    client.force_login(county.users["county_admin"])
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "不存在或无权查看"}}


def test_the_filter_never_raises_and_tells_anonymous_visitors():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", None, None)
    RequestContextFilter().filter(record)
    assert record.context == ""

    class Anonymous:
        is_authenticated = False

    class Request:
        method, path, user = "POST", "/cases/new/", Anonymous()

    record.request = Request()
    RequestContextFilter().filter(record)
    assert record.context == " [POST /cases/new/ user=anonymous]"


def test_django_own_words_are_chinese_whatever_the_browser_asks_for(client, county):
    client.force_login(county.users["resident"])
    page = client.get("/accounts/me/", headers={"accept-language": "en-US,en;q=0.9"}).content.decode()
    assert "旧密码" in page and "Old password" not in page


@override_settings(DEBUG=False)
def test_a_refused_form_token_is_the_sites_chinese_page_with_the_way_back(county):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["resident"])
    response = client.post("/cases/new/", {"title": "路灯不亮"}, headers={"referer": "http://testserver/cases/new/"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期" in page and "刷新后再提交" in page and "CSRF verification" not in page
    assert 'href="http://testserver/cases/new/"' in page and 'data-testid="whoami"' in page


def test_a_lockout_is_the_login_page_in_chinese(client, county, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": county.users["resident"].username, "password": "错"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录" in page and "Account locked" not in page and "分钟" in page


@override_settings(DEBUG=False)
def test_a_rules_refusal_on_a_page_says_why_and_a_bare_one_stays_generic(rf, county):
    from xiangzhi.core.errors import Forbidden
    from xiangzhi.core.http import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda request: None)
    request = rf.post("/cases/1/act/verify_pass/")
    request.user = county.users["village_cadre"]
    page = middleware.process_exception(request, Forbidden("不能核查自己处置的事件")).content.decode()
    assert "无权访问" in page and "不能核查自己处置的事件" in page
    page = middleware.process_exception(request, Forbidden()).content.decode()
    assert "如需开通，请联系上级管理员" in page
